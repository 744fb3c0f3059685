"""The two queue report pages in headless Chromium, in English and in Czech.

``python app.py`` serves a SQLite database holding the hand-built queue calls of
tests/data/test_queue_reports.py. For each page and language: it opens from a URL query
(queues and grouping included), draws its chart, a change of grouping redraws it and
rewrites the URL, the CSV download has as many rows as the table, and nothing fails in the
console or on the server. Without Chromium these tests skip locally and FAIL under CI=true.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from callboard.core.i18n import gettext
from tests.browser_support import app_on_filled_sqlite, page, report_browser  # noqa: F401 (fixtures)
from tests.dashboards.reports.test_reports_browser import (
    FIGURE_JS, assert_csv_matches_grid, download_csv, figure, grid, idle, open_report, wait_redrawn,
)

QUERY = "from=2026-05-04&to=2026-05-04&queues=600,700"
# (path, id prefix, extra query, the grouping the test switches to)
PAGES = [
    ("/reports/queue-performance", "qp", "&by=queue", "hour_of_day"),
    ("/reports/queue-wait-talk", "qw", "&by=day", "hour_of_day"),
]


def _fill(conn) -> None:
    from data import aggregates
    from data import schema as s
    from tests.data.test_queue_reports import QUEUE_CALLS

    if not conn.execute(sa.select(s.source.c.id)).first():
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
    conn.execute(sa.insert(s.queue), [dict(source_id=1, number="600", name="Sales", sl_target_s=20,
                                           short_abandon_s=5),
                                      dict(source_id=1, number="700", name="Support", sl_target_s=30,
                                           short_abandon_s=10)])
    conn.execute(sa.insert(s.queue_call), QUEUE_CALLS)
    # Agent 101 logged in to 600 on 05-04 06:00-08:00 UTC (08:00-10:00 local): the staffing view.
    conn.execute(sa.insert(s.agent_session).values(source_id=1, agent="101", queue="600",
                                                   login_utc=datetime(2026, 5, 4, 6), logout_utc=datetime(2026, 5, 4, 8)))
    aggregates.refresh(conn, datetime(2026, 5, 1), datetime(2026, 11, 1))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_on_filled_sqlite(tmp_path_factory.mktemp("queue-reports-server"), _fill) as base:
        yield base


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "cs"])
@pytest.mark.parametrize("path,prefix,extra,by", PAGES, ids=[p[1] for p in PAGES])
def test_queue_report_page(page, lang, path, prefix, extra, by):
    open_report(page, path, QUERY + extra, lang)
    page.wait_for_selector(f"#{prefix}-graph-0 .main-svg", state="visible")
    before = figure(page, prefix)
    assert before
    assert not page.locator(f"#{prefix}-empty").count()
    body = page.inner_text("#_pages_content")
    if lang == "cs":
        assert gettext("cs", "Queues") in body and gettext("cs", "Download CSV") in body
    assert "Sales" in body and "Support" in body  # the queue filter shows the chosen queues by name

    page.locator(f"#{prefix}-by input[value='{by}']").click()
    page.wait_for_function("(u) => window.location.search.includes(u)", arg=f"by={by}")
    page.wait_for_function("([sel, old]) => {" + FIGURE_JS.replace("(sel) =>", "const f = (sel) =>") +
                           "; const now = f(sel); return now && now !== old; }",
                           arg=[f"#{prefix}-graph-0", before])
    idle(page)
    assert "queues=600,700" in page.url

    shown = grid(page, prefix)
    assert shown["rows"], "the table is empty"
    rows = download_csv(page, prefix)
    assert len(rows[0]) == len(shown["headers"])
    assert len(rows) - 1 == 24 * 2  # every local hour for both queues
    titles = [t for _c, t in shown["headers"]]
    # Same headers (the grid lists its pinned part apart, so the order is not compared).
    assert sorted(h.replace(" [s]", "").replace(" [%]", "") for h in rows[0]) == sorted(titles)
    assert not page.problems, page.problems


@pytest.mark.browser
def test_staffing_view_in_czech(page):
    """Group by staffing: agents needed beside logged in, per hour; Czech number formats in
    the table and the chart (plotly locale 'cs'); the CSV has the table's rows."""
    open_report(page, "/reports/queue-performance", QUERY + "&by=queue", "cs")
    page.wait_for_selector("#qp-graph-0 .main-svg", state="visible")
    assert not page.locator("#qp-ext").is_visible() and not page.locator("#qp-dir").is_visible()
    before = figure(page, "qp")
    page.locator("#qp-by input[value='staffing']").click()
    page.wait_for_function("() => window.location.search.includes('by=staffing')")
    wait_redrawn(page, "qp", before)
    idle(page)
    names = page.evaluate("() => document.querySelector('#qp-graph-0 .js-plotly-plot').data.map(t => t.name)")
    assert names == [f"600: {gettext('cs', 'Agents needed')}", f"600: {gettext('cs', 'Agents logged in')}",
                     f"700: {gettext('cs', 'Agents needed')}", f"700: {gettext('cs', 'Agents logged in')}"]
    # The graph was given the Czech locale (decimal comma on its axes).
    assert page.evaluate("() => document.querySelector('#qp-graph-0 .js-plotly-plot')._context.locale") == "cs"
    shown = grid(page, "qp")
    assert len(shown["rows"]) == 48
    # 08:00 local, queue 600: 4 calls, agent 101 logged in the whole hour -> "1,00".
    h8 = [r for r in shown["rows"].values() if r["period"] == "08:00" and r["queue"] == "600"][0]
    assert h8["calls"] == "4" and h8["logged_in"] == "1,00"
    assert_csv_matches_grid(download_csv(page, "qp"), shown, "cs")
    assert not page.problems, page.problems

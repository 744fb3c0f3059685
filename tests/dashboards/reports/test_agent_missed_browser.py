"""The queue-agents and missed-unreturned report pages in headless Chromium, in English
and in Czech, on the hand-built fixture of tests/data/test_agent_missed_reports.py: each
opens from a URL query, draws its chart and table, its CSV download has the table's
numbers, and nothing fails in the console or on the server."""

from __future__ import annotations


import pytest

from callboard.core.i18n import gettext
from tests.browser_support import app_on_filled_sqlite, page, report_browser  # noqa: F401 (fixtures)
from tests.dashboards.reports.test_reports_browser import (
    assert_csv_matches_grid, download_csv, figure, grid, idle, open_report, pick_option, wait_redrawn,
)

QUERY = "from=2026-05-04&to=2026-05-05"
PAGES = [("/reports/queue-agents", "qa", "", "Occupancy"),
         ("/reports/missed-unreturned", "mu", "&hours=24", "Waiting since")]


def _fill(conn) -> None:
    import sqlalchemy as sa

    from data import schema as s
    from tests.data.test_agent_missed_reports import fill

    fill(conn)
    # The agents as extensions, so the extension filter offers them.
    conn.execute(sa.insert(s.extension), [dict(source_id=1, number=n, name=f"Agent {n}") for n in ("301", "302", "303")])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_on_filled_sqlite(tmp_path_factory.mktemp("agent-missed-server"), _fill) as base:
        yield base


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "cs"])
@pytest.mark.parametrize("path,prefix,extra,header", PAGES, ids=[p[1] for p in PAGES])
def test_agent_and_missed_pages(page, lang, path, prefix, extra, header):
    open_report(page, path, QUERY + extra, lang)
    page.wait_for_selector(f"#{prefix}-graph-0 .main-svg", state="visible")
    assert figure(page, prefix)
    assert not page.locator(f"#{prefix}-empty").count()
    idle(page)
    body = page.inner_text("#_pages_content")
    assert gettext(lang, header) in body
    if lang == "cs":
        assert gettext("cs", "Download CSV") in body and "Download CSV" not in body
    shown = grid(page, prefix)
    assert len(shown["rows"]) == (3 if prefix == "qa" else 2)
    assert not page.locator(f"#{prefix}-dir").is_visible()  # no direction filter: it would change nothing
    if prefix == "qa":
        # The sessions and pauses lists under the summary (3 sessions, 2 pauses in 05-04..05).
        assert page.locator("#qa-section-sessions .ag-row").count() == 3
        assert page.locator("#qa-section-pauses .ag-row").count() == 2
        assert gettext(lang, "Login sessions") in body and gettext(lang, "Pauses") in body
    # A filter change redraws: agent 302 only, or callers not returned within 48 hours.
    before = figure(page, prefix)
    if prefix == "qa":
        pick_option(page, "qa-ext", "302")
        page.wait_for_function("() => window.location.search.includes('ext=302')")
    else:
        page.locator("#mu-hours input[value='48']").click()
        page.wait_for_function("() => window.location.search.includes('hours=48')")
    wait_redrawn(page, prefix, before)
    idle(page)
    shown = grid(page, prefix)
    assert len(shown["rows"]) == 1
    if prefix == "qa":
        assert page.locator("#qa-section-sessions .ag-row").count() == 1
    rows = download_csv(page, prefix)
    assert_csv_matches_grid(rows, shown, lang)
    if prefix == "qa":  # then the two lists, each after an empty line and its title
        assert [gettext(lang, "Login sessions")] in rows and [gettext(lang, "Pauses")] in rows
    assert not page.problems, page.problems

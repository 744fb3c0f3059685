"""The ivr and ring-groups report pages in headless Chromium, in English and in Czech.

``python app.py`` serves a SQLite database holding the hand-built fixture of
tests/data/test_ivr_ringgroup_reports.py. Each page opens from a URL query, draws its chart
and table, a filter change rewrites the URL (and for ivr redraws the chart), the CSV
download has the table's numbers, and nothing fails in the console or on the server.
"""

from __future__ import annotations


import pytest

from callboard.core.i18n import gettext
from tests.browser_support import app_on_filled_sqlite, page, report_browser  # noqa: F401 (fixtures)
from tests.dashboards.reports.test_reports_browser import (
    FIGURE_JS, assert_csv_matches_grid, download_csv, figure, grid, idle, open_report,
)

QUERY = "from=2026-05-04&to=2026-05-05"
# (path, id prefix, extra query, (control, value clicked), URL part, chart redraws)
PAGES = [
    ("/reports/ivr", "iv", "&by=day", ("by", "month"), "by=month", True),
    ("/reports/ring-groups", "rg", "", ("dir", "outbound"), "dir=inbound,internal", False),
]


def _fill(conn) -> None:
    from tests.data.test_ivr_ringgroup_reports import fill

    fill(conn)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_on_filled_sqlite(tmp_path_factory.mktemp("ivr-rg-server"), _fill) as base:
        yield base


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "cs"])
@pytest.mark.parametrize("path,prefix,extra,change,url_part,redraws", PAGES, ids=[p[1] for p in PAGES])
def test_ivr_and_ring_group_pages(page, lang, path, prefix, extra, change, url_part, redraws):
    open_report(page, path, QUERY + extra, lang)
    page.wait_for_selector(f"#{prefix}-graph-0 .main-svg", state="visible")
    before = figure(page, prefix)
    assert before
    assert not page.locator(f"#{prefix}-empty").count()
    body = page.inner_text("#_pages_content")
    if lang == "cs":
        assert gettext("cs", "Download CSV") in body and "Download CSV" not in body
    shown = grid(page, prefix)
    assert shown["rows"], "the table is empty"
    names = [r.get("name") for r in shown["rows"].values()]
    assert names == (["Main menu", "Support menu"] if prefix == "iv" else ["Sales", "Support"])

    key, value = change
    page.locator(f"#{prefix}-{key} input[value='{value}']").click()
    page.wait_for_function("(u) => window.location.search.includes(u)", arg=url_part)
    if redraws:
        page.wait_for_function("([sel, old]) => {" + FIGURE_JS.replace("(sel) =>", "const f = (sel) =>") +
                               "; const now = f(sel); return now && now !== old; }",
                               arg=[f"#{prefix}-graph-0", before])
    idle(page)
    shown = grid(page, prefix)
    assert shown["rows"], "the table is empty"
    assert_csv_matches_grid(download_csv(page, prefix), shown, lang)
    assert not page.problems, page.problems

"""The queue-callbacks and queue-satisfaction report pages in headless Chromium, in English
and in Czech: each opens from a URL query, draws its chart and table (the fixture of
tests/data/test_callback_survey_reports.py), the CSV download has the table's values, and
nothing fails in the console or on the server."""

from __future__ import annotations


import pytest

from callboard.core.i18n import gettext
from tests.browser_support import app_on_filled_sqlite, page, report_browser  # noqa: F401 (fixtures)
from tests.dashboards.reports.test_reports_browser import (
    assert_csv_matches_grid, download_csv, figure, grid, idle, open_report, pick_option, wait_redrawn,
)

QUERY = "from=2026-05-04&to=2026-05-05"
PAGES = [("/reports/queue-callbacks", "qcb", "555001"), ("/reports/queue-satisfaction", "qsat", "Sales")]


def _fill(conn) -> None:
    from tests.data.test_callback_survey_reports import fill

    fill(conn)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_on_filled_sqlite(tmp_path_factory.mktemp("cb-sat-server"), _fill) as base:
        yield base


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "cs"])
@pytest.mark.parametrize("path,prefix,seen", PAGES, ids=[p[1] for p in PAGES])
def test_callback_and_satisfaction_pages(page, lang, path, prefix, seen):
    open_report(page, path, QUERY, lang)
    page.wait_for_selector(f"#{prefix}-graph-0 .main-svg", state="visible")
    assert figure(page, prefix)
    assert not page.locator(f"#{prefix}-empty").count()
    body = page.inner_text("#_pages_content")
    if lang == "cs":
        assert gettext("cs", "Download CSV") in body and "Download CSV" not in body
    idle(page)
    shown = grid(page, prefix)
    assert shown["rows"], "the table is empty"
    assert seen in str(shown["rows"])
    # Queue reports show no extension / direction filters (they would change nothing).
    assert not page.locator(f"#{prefix}-ext").is_visible() and not page.locator(f"#{prefix}-dir").is_visible()
    # Only queue 801 "Support": the chart is redrawn, the table narrowed, the URL says so.
    before = figure(page, prefix)
    pick_option(page, f"{prefix}-queues", "801")
    page.wait_for_function("() => window.location.search.includes('queues=801')")
    wait_redrawn(page, prefix, before)
    idle(page)
    narrowed = grid(page, prefix)
    assert narrowed["rows"] and len(narrowed["rows"]) < len(shown["rows"])
    assert "Sales" not in str(narrowed["rows"])
    assert_csv_matches_grid(download_csv(page, prefix), narrowed, lang)
    assert not page.problems, page.problems

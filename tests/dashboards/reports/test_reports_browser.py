"""The four call report pages in headless Chromium, in English and in Czech.

``python app.py`` serves a SQLite database holding the hand-built calls of
tests/data/test_reports.py. For each page and language: it opens from a URL query, draws
its chart, a filter change redraws the chart and rewrites the URL, the CSV download has
the table's numbers, and nothing fails in the console or on the server (a failing
callback is a 500). Without Chromium these tests skip locally and FAIL under CI=true.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from callboard.core.formatting import fmt_duration, fmt_number, fmt_percent
from callboard.core.i18n import gettext
from callboard.web.navigation import BY_PATH
from tests.browser_support import (
    DASH_IDLE_JS, app_settings, browser_page, chromium, running_app, watch_problems,
)

HEADING = "#_pages_content h2"
# Every cell the grid shows, by row index and column id (pinned and scrolled parts alike).
GRID_JS = """(id) => {
    const root = document.getElementById(id);
    const rows = {};
    root.querySelectorAll('.ag-row').forEach(r => {
        const i = r.getAttribute('row-index');
        r.querySelectorAll('.ag-cell').forEach(c => {
            (rows[i] = rows[i] || {})[c.getAttribute('col-id')] = c.innerText.trim();
        });
    });
    const headers = [];
    root.querySelectorAll('.ag-header-cell').forEach(h => headers.push(
        [h.getAttribute('col-id'), h.innerText.trim()]));
    return {rows, headers};
}"""
FIGURE_JS = """(sel) => { const g = document.querySelector(sel + ' .js-plotly-plot');
    return g && g.data ? JSON.stringify(g.data.map(t => [t.name, t.y || t.values])) : null; }"""

QUERY = "from=2026-05-04&to=2026-05-05"
# (path, id prefix, extra query, the filter the test changes: (selector, expected URL part))
PAGES = [
    ("/reports/extension-statistics", "es", "", ("dir", "inbound"), "dir=outbound,internal"),
    ("/reports/pbx-activity", "pa", "&by=day", ("by", "hour_of_day"), "by=hour_of_day"),
    ("/reports/extension-activity", "ea", "&interval=60&ext=101,102", ("interval", "30"), "interval=30"),
    ("/reports/did-dod", "dd", "&by=day", ("dir", "outbound"), "dir=inbound,internal"),
]


def _fill(url: str) -> None:
    from data import aggregates
    from data import schema as s
    from data.migrate import upgrade
    from tests.data.test_reports import CALLS

    upgrade(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if not conn.execute(sa.select(s.source.c.id)).first():
                conn.execute(sa.insert(s.source).values(id=1, name="main"))
            conn.execute(sa.insert(s.call), CALLS)
            conn.execute(sa.insert(s.extension), [dict(source_id=1, number="101", name="Alice"),
                                                  dict(source_id=1, number="102", name="Bob")])
            gid = conn.execute(sa.insert(s.extension_group).values(name="sales").returning(s.extension_group.c.id)).scalar()
            conn.execute(sa.insert(s.extension_group_member), [dict(group_id=gid, extension="101")])
            aggregates.refresh(conn, datetime(2026, 3, 1), datetime(2026, 11, 1))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports-server")
    url = f"sqlite:///{tmp / 'callboard.db'}"
    env = dict(CALLBOARD_DATABASE_URL=url, CALLBOARD_TIMEZONE="Europe/Prague")
    os.environ["CALLBOARD_TIMEZONE"] = "Europe/Prague"  # as it always was: left set, only the URL is restored
    with app_settings(CALLBOARD_DATABASE_URL=url):
        _fill(url)
    env.update(CALLBOARD_DEFAULT_LANGUAGE="en", CALLBOARD_RECORDINGS_DIR=str(tmp / "rec"),
               CALLBOARD_FILES_DIR=str(tmp / "files"))
    with running_app(env, tmp) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    with browser_page(browser, server, timeout_ms=15_000, viewport={"width": 1400, "height": 900},
                      accept_downloads=True) as pg:
        pg.problems = watch_problems(pg)
        yield pg


def idle(pg) -> None:
    pg.wait_for_function(DASH_IDLE_JS, timeout=15_000, polling=50)


def open_report(pg, path: str, query: str, lang: str) -> None:
    title = gettext(lang, BY_PATH[path].title)
    pg.goto(f"{path}?{query}", wait_until="domcontentloaded")
    pg.wait_for_selector(HEADING)
    if lang != "en":
        pg.locator("#lang label", has_text=lang.upper()).click()
    pg.wait_for_function("(t) => document.querySelector('#_pages_content h2')?.innerText.trim() === t", arg=title)
    idle(pg)


def figure(pg, prefix: str) -> str | None:
    return pg.evaluate(FIGURE_JS, f"#{prefix}-graph-0")


def grid(pg, prefix: str) -> dict:
    return pg.evaluate(GRID_JS, f"{prefix}-grid")


def download_csv(pg, prefix: str) -> list[list[str]]:
    with pg.expect_download() as info:
        pg.click(f"#{prefix}-csv-btn")
    path = info.value.path()
    return list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def pick_option(pg, control_id: str, value: str) -> None:
    """Choose `value` in a Dash 4 multi-select dropdown (a button opening a list)."""
    pg.click(f"#{control_id}")
    pg.locator(".dash-dropdown-option", has=pg.locator(f"input[value='{value}']")).click()
    pg.keyboard.press("Escape")


def wait_redrawn(pg, prefix: str, before: str) -> None:
    """Until the first chart of the page shows other data than `before`."""
    pg.wait_for_function("([sel, old]) => {" + FIGURE_JS.replace("(sel) =>", "const f = (sel) =>") +
                         "; const now = f(sel); return now && now !== old; }", arg=[f"#{prefix}-graph-0", before])


def assert_csv_matches_grid(rows: list[list[str]], shown: dict, lang: str) -> None:
    """The CSV's table (up to its first empty line: further tables follow it) has the
    grid's columns and rows; counts, durations and percentages read as on screen."""
    if [] in rows:
        rows = rows[:rows.index([])]
    header, body = rows[0], rows[1:]
    # Columns by title: the grid lists its pinned columns first, the CSV keeps the report's order.
    by_title = {title: col_id for col_id, title in shown["headers"]}
    assert len(header) == len(by_title), (header, shown["headers"])
    col_ids = []
    for title in header:
        plain = title[:-4] if title.endswith((" [s]", " [%]")) else title
        assert plain in by_title, (title, list(by_title))
        col_ids.append(by_title[plain])
    assert len(body) == len(shown["rows"]), (len(body), len(shown["rows"]))
    for i, record in enumerate(body):
        cells = shown["rows"][str(i)]
        for col_id, title, value in zip(col_ids, header, record):
            text = cells[col_id]
            if title.endswith(" [s]"):  # durations: seconds in the CSV (65 / 6.5), 1:05 / 0:06,5 on screen
                digits = len(value.partition(".")[2])  # averages keep a decimal in both (issue 14, rule 9)
                assert text == (fmt_duration(float(value), digits, lang) if value else "–"), (col_id, value, text)
            elif title.endswith(" [%]"):  # 28.6 in the CSV, "28,6 %" on screen
                assert text == (fmt_percent(float(value) / 100, lang) if value else "–"), (col_id, value, text)
            elif value.isdigit() and col_id not in ("extension", "number"):
                assert text == fmt_number(int(value), lang), (col_id, value, text)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "cs"])
@pytest.mark.parametrize("path,prefix,extra,change,url_part", PAGES, ids=[p[1] for p in PAGES])
def test_report_page(page, lang, path, prefix, extra, change, url_part):
    open_report(page, path, QUERY + extra, lang)
    page.wait_for_selector(f"#{prefix}-graph-0 .main-svg", state="visible")
    before = figure(page, prefix)
    assert before
    assert not page.locator(f"#{prefix}-empty").count()
    body = page.inner_text("#_pages_content")
    assert "Europe/Prague" in body
    if lang == "cs":
        assert gettext("cs", "Download CSV") in body and "Download CSV" not in body

    key, value = change
    page.locator(f"#{prefix}-{key} input[value='{value}']").click()
    page.wait_for_function(f"(u) => window.location.search.includes(u)", arg=url_part)
    page.wait_for_function("([sel, old]) => {" + FIGURE_JS.replace("(sel) =>", "const f = (sel) =>") +
                           "; const now = f(sel); return now && now !== old; }",
                           arg=[f"#{prefix}-graph-0", before])
    idle(page)
    assert QUERY.split("&")[0] in page.url

    shown = grid(page, prefix)
    assert shown["rows"], "the table is empty"
    assert_csv_matches_grid(download_csv(page, prefix), shown, lang)
    assert not page.problems, page.problems


@pytest.mark.browser
def test_a_link_opens_exactly_that_view(page, browser, server):
    open_report(page, "/reports/extension-statistics", QUERY, "en")
    page.click("#es-ext")  # Dash 4 dropdown: a button opening a list of options
    page.locator(".dash-dropdown-option", has=page.locator("input[value='101']")).click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.location.search.includes('ext=101')")
    idle(page)
    shown = grid(page, "es")
    assert [r["extension"] for r in shown["rows"].values()] == ["101"]
    link = page.url
    # Another browser (signed in as the same user: reports need a login) opening the link.
    with browser_page(browser, server, timeout_ms=15_000) as other:
        other.goto(link, wait_until="domcontentloaded")
        other.wait_for_selector("#es-graph-0 .main-svg", state="visible")
        idle(other)
        assert grid(other, "es")["rows"] == shown["rows"]
        assert "Alice" in other.inner_text("#es-ext")


@pytest.mark.browser
def test_empty_period_says_so(page):
    open_report(page, "/reports/pbx-activity", "from=2026-06-01&to=2026-06-30", "en")
    page.wait_for_selector("#pa-empty")
    assert "No calls in this period." in page.inner_text("#pa-empty")
    assert not page.locator("#pa-graph-0").count()
    assert not page.problems, page.problems


@pytest.mark.browser
def test_language_switch_keeps_the_filters(page):
    open_report(page, "/reports/pbx-activity", QUERY + "&by=day", "en")
    page.locator("#pa-by input[value='month']").click()
    page.wait_for_function("() => window.location.search.includes('by=month')")
    idle(page)
    page.locator("#lang label", has_text="CS").click()
    page.wait_for_function("(t) => document.querySelector('#_pages_content h2')?.innerText.trim() === t",
                           arg=gettext("cs", "PBX call activity"))
    idle(page)
    assert page.locator("#pa-by input[value='month']").is_checked()
    assert "by=month" in page.url
    rows = grid(page, "pa")["rows"]
    assert len(rows) == 1 and rows["0"]["calls"] == "11"  # May 2026: c1-c11
    assert not page.problems, page.problems


@pytest.mark.browser
def test_columns_can_be_hidden_and_pinned_and_stay_so(page):
    open_report(page, "/reports/extension-statistics", QUERY, "en")
    assert "busy" in [c for c, _t in grid(page, "es")["headers"]]
    page.click("#es-columns summary")
    page.locator("#es-cols input[value='busy']").click()
    page.wait_for_function("() => !document.querySelector('#es-grid .ag-header-cell[col-id=\"busy\"]')")
    page.click("#es-pin")
    page.locator(".dash-dropdown-option", has=page.locator("input[value='calls']")).click()
    page.keyboard.press("Escape")
    page.wait_for_selector("#es-grid .ag-pinned-left-header .ag-header-cell[col-id='calls']")
    idle(page)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#es-grid .ag-pinned-left-header .ag-header-cell[col-id='calls']")
    idle(page)
    headers = [c for c, _t in grid(page, "es")["headers"]]
    assert "busy" not in headers and "no_answer" in headers
    assert not page.problems, page.problems


@pytest.mark.browser
def test_a_preset_sets_the_days(page):
    from data.periods import preset_days
    from datetime import datetime as _dt
    from zoneinfo import ZoneInfo

    open_report(page, "/reports/pbx-activity", QUERY + "&by=day", "cs")
    page.wait_for_selector("#pa-graph-0 .main-svg", state="visible")
    assert gettext("cs", "Custom range") in page.inner_text("#pa-preset")
    first, last = preset_days("today", _dt.now(ZoneInfo("Europe/Prague")).date())
    page.click("#pa-preset")
    page.locator(".dash-dropdown-option", has_text=gettext("cs", "Today")).click()
    page.wait_for_function("(u) => window.location.search.includes(u)", arg=f"from={first}&to={last}")
    page.wait_for_selector("#pa-empty")  # the fixture's calls are on four fixed days of 2026
    assert gettext("cs", "No calls in this period.") in page.inner_text("#pa-empty")
    assert page.input_value("#pa-dates") == first.isoformat()
    idle(page)
    assert not page.problems, page.problems

"""The Sources page (/admin/sources) in headless Chromium against ``python app.py`` on a SQLite
database holding the FreePBX-shaped fixture of issue 14: the learned trunk, phones and
numbers are listed; renaming the trunk and applying it to the stored calls, and
reclassifying a number, work with no console error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import DASH_IDLE_JS, app_on_filled_sqlite, page, report_browser  # noqa: F401

pytestmark = pytest.mark.browser
FIX = Path(__file__).resolve().parents[2] / "data" / "importers" / "fixtures" / "issue14" / "freepbx_csv21.csv"


def _fill(conn) -> None:
    from data.importers.asterisk.cdr_file import import_cdr_file

    import_cdr_file(conn.engine, FIX, source_tz="UTC")  # its own connection; `conn` has written nothing


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_on_filled_sqlite(tmp_path_factory.mktemp("sources-browser"), _fill) as base:
        yield base


def wait_idle(page) -> None:
    page.wait_for_function(DASH_IDLE_JS, timeout=15_000, polling=50)


def test_learned_classes_are_listed_renamed_applied_and_reclassified(page, server):
    page.goto(server + "/admin/sources")
    page.wait_for_selector("h2:has-text(\"Sources\")")
    wait_idle(page)
    text = page.locator("#admin-src-classes").inner_text()
    for heading in ("Trunks", "Phones (channel endpoints)", "Numbers", "IVR contexts"):
        assert heading in text
    trunk_row = page.locator("#admin-src-classes tr", has_text="o2-trunk")
    assert "learned" in trunk_row.inner_text()
    # Rename the trunk, confirm it, apply to the stored calls: the 10 calls over it.
    trunk_row.locator("input").fill("O2 SIP")
    trunk_row.locator("button").click()
    page.wait_for_selector("#admin-src-result:has-text(\"Saved\")")
    page.click("#admin-src-apply")
    page.wait_for_selector("#admin-src-result:has-text(\"10 stored calls derived again\")")
    # Reclassify conference room 800 as an extension.
    row800 = page.locator("#admin-src-classes tr", has_text="800")
    assert row800.locator("select").input_value() == "conference"
    row800.locator("select").select_option("extension")
    row800.locator("button").click()
    page.wait_for_selector("#admin-src-result:has-text(\"800 is now Extension (phone)\")")
    page.reload()
    page.wait_for_selector("h2:has-text(\"Sources\")")
    wait_idle(page)
    trunk_row = page.locator("#admin-src-classes tr", has_text="o2-trunk")
    assert trunk_row.locator("input").input_value() == "O2 SIP" and "you" in trunk_row.inner_text()
    assert page.problems == []

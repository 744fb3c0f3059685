"""The Data retention and Erasure-by-number pages in headless Chromium against
``python app.py`` on a hand-filled SQLite database (three calls, one from +420 777 123 456):
retention periods are saved and previewed; a number typed in another spelling is found,
erased after confirmation, and then nothing is stored about it — with no console error.
One server for the module, three page loads.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.browser_support import DASH_IDLE_JS, app_on_filled_sqlite, page, report_browser  # noqa: F401

pytestmark = pytest.mark.browser


def _fill(conn) -> None:
    from data import aggregates
    from data import schema as s

    conn.execute(sa.insert(s.source).values(id=1, name="main"))
    for uid, number, hour in (("p_in", "+420777123456", 9), ("o1", "+420601111111", 10), ("o2", "+420602222222", 11)):
        cid = conn.execute(sa.insert(s.call).values(
            call_uid=uid, start_utc=datetime(2026, 3, 12, hour), end_utc=datetime(2026, 3, 12, hour, 1),
            direction="inbound", status="answered", from_number=number, to_number="101", extension="101")
            .returning(s.call.c.id)).scalar_one()
        conn.execute(sa.insert(s.call_leg).values(call_id=cid, seq=1, extension="101", start_utc=datetime(2026, 3, 12, hour),
                                                  end_utc=datetime(2026, 3, 12, hour, 1), status="answered"))
    aggregates.rebuild_all(conn)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_on_filled_sqlite(tmp_path_factory.mktemp("privacy-browser"), _fill) as base:
        yield base


def wait_idle(page) -> None:
    page.wait_for_function(DASH_IDLE_JS, timeout=15_000, polling=50)


def test_retention_periods_are_saved_and_previewed(page, server):
    page.goto(server + "/admin/retention")
    page.wait_for_selector("h2:has-text(\"Data retention\")")
    wait_idle(page)
    assert page.locator("#ret-aggregates-note").inner_text().startswith("Reports follow the call records")
    page.locator('[id*="ret-amount"][id*="calls"]').fill("2")
    page.locator('[id*="ret-unit"][id*="calls"]').select_option("months")
    page.click("#ret-save")
    page.wait_for_selector("#ret-saved")
    page.click("#ret-preview")
    page.wait_for_selector("#ret-preview-result")
    # Every stored call (March 2026) is older than two months from today.
    row = page.locator("#ret-preview-result tr", has_text="Call records").inner_text()
    assert "3" in row and "3 call legs" in row
    page.reload()
    page.wait_for_selector("h2:has-text(\"Data retention\")")
    wait_idle(page)
    assert page.locator('[id*="ret-amount"][id*="calls"]').input_value() == "2"
    assert page.problems == []


def test_number_is_found_and_erased_after_confirmation(page, server):
    page.goto(server + "/admin/privacy")
    page.wait_for_selector("h2:has-text(\"Erasure by phone number\")")
    wait_idle(page)
    page.fill("#priv-number", "00420 777 123 456")
    page.click("#priv-find")
    page.wait_for_selector("#priv-counts")
    assert "+420777123456" in page.locator("#priv-result h4").inner_text()
    assert page.locator("#priv-calls tbody tr").count() == 1
    page.click("#priv-erase")
    page.wait_for_selector("#priv-modal.show, .modal.show")
    page.click("#priv-confirm")
    page.wait_for_selector("#priv-erased")
    page.fill("#priv-number", "777123456")
    page.click("#priv-find")
    page.wait_for_selector("#priv-nothing")
    assert page.problems == []

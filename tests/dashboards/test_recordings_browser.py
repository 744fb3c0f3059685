"""Recordings and external chats in headless Chromium against ``python app.py`` on a
hand-filled SQLite database and recordings directory (tests/recordings_data.py, real WAV
files written with ``wave``): the Recordings page lists only what SPEC §2 allows, plays a
recording (the audio element loads; a Range request answers 206), deletes a call after
confirmation (row and file gone); the records' legs window offers the recording; the chats
page shows a session's thread and timeline — with no console error.

Chromium comes from Debian (/usr/bin/chromium; CALLBOARD_TEST_CHROMIUM overrides). Without
it the test skips locally and FAILS under CI=true.
"""

from __future__ import annotations

import time

import pytest

from tests.browser_support import (
    DASH_IDLE_JS, app_settings, browser_page, chromium, running_app, watch_problems,
)

DAY = "preset=custom&from=2026-03-10&to=2026-03-10"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, recordings dir, ids) of ``python app.py`` over the hand-made data."""
    tmp = tmp_path_factory.mktemp("recordings-browser")
    url = f"sqlite:///{tmp / 'callboard.db'}"
    rec_dir = tmp / "recordings"
    with app_settings(CALLBOARD_DATABASE_URL=url, CALLBOARD_RECORDINGS_DIR=str(rec_dir)):
        from data import db
        from data.migrate import upgrade
        from tests.recordings_data import insert_recordings

        try:
            upgrade(url)
            ids = insert_recordings(rec_dir)
        finally:
            db.dispose_engines()
    env = dict(CALLBOARD_DATABASE_URL=url, CALLBOARD_RECORDINGS_DIR=str(rec_dir),
               CALLBOARD_FILES_DIR=str(tmp / "files"), CALLBOARD_DEFAULT_LANGUAGE="en",
               CALLBOARD_TIMEZONE="Europe/Prague", CALLBOARD_RECORDINGS_ENABLED="true")
    with running_app(env, tmp, startup_timeout=40) as base:
        yield base, rec_dir, ids


@pytest.fixture(scope="module")
def browser():
    with chromium(["--autoplay-policy=no-user-gesture-required"]) as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    base = server[0]
    with browser_page(browser, base, timeout_ms=15_000, viewport={"width": 1400, "height": 900}) as page:
        page.problems = watch_problems(page)
        yield page


def wait_idle(page) -> None:
    page.wait_for_function(DASH_IDLE_JS, timeout=15_000, polling=50)


def column(page, grid: str, col_id: str) -> list[str]:
    return page.evaluate(
        """([grid, col]) => Array.from(document.querySelectorAll(`#${grid} .ag-center-cols-container .ag-row`))
            .filter(r => r.getAttribute('row-index') !== null)
            .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))
            .map(r => { const c = r.querySelector(`.ag-cell[col-id="${col}"]`); return c ? c.innerText.trim() : null; })""",
        [grid, col_id],
    )


def wait_column(page, grid: str, col_id: str, expected: list[str]) -> None:
    deadline = time.monotonic() + 15
    while True:
        got = column(page, grid, col_id)
        if got == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{grid} column {col_id}: {got} != {expected}")
        time.sleep(0.1)


def test_recordings_group_trunk_and_did_filters(page, server):
    # Runs before the deletes below: all three listed recordings are still there.
    page.goto(f"/recordings?{DAY}", wait_until="domcontentloaded")
    page.wait_for_selector("#recs-grid .ag-row")
    wait_idle(page)
    wait_column(page, "recs-grid", "from", ["+420600000004", "102", "+420601111111 (Alice Nováková)"])
    # Trunk sip-o2: only c1 came in on it.
    page.fill("#recs-trunk", "sip-o2")
    page.press("#recs-trunk", "Enter")
    page.wait_for_function("() => window.location.search.includes('trunk=sip-o2')")
    wait_column(page, "recs-grid", "from", ["+420601111111 (Alice Nováková)"])
    # A DID nobody called: nothing left, said in words.
    page.fill("#recs-did", "+420999999999")
    page.press("#recs-did", "Enter")
    page.wait_for_selector("#recs-empty", state="visible")
    assert page.inner_text("#recs-count") == "0 recordings"
    # The DID c1 was called on, without the trunk.
    page.fill("#recs-trunk", "")
    page.press("#recs-trunk", "Enter")
    page.fill("#recs-did", "+420222000100")
    page.press("#recs-did", "Enter")
    page.wait_for_function("() => window.location.search.includes('did=%2B420222000100')"
                           " && !window.location.search.includes('trunk=')")
    wait_column(page, "recs-grid", "from", ["+420601111111 (Alice Nováková)"])
    assert page.inner_text("#recs-count") == "1 recordings"
    wait_idle(page)
    # A reload keeps the view (the filters live in the URL) and fills the controls.
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#recs-grid .ag-row")
    wait_column(page, "recs-grid", "from", ["+420601111111 (Alice Nováková)"])
    assert page.input_value("#recs-did") == "+420222000100"
    wait_idle(page)
    # Extension group Sales (101, 102), chosen in its dropdown: c_miss (103) drops out.
    page.goto(f"/recordings?{DAY}", wait_until="domcontentloaded")
    page.wait_for_selector("#recs-grid .ag-row")
    wait_idle(page)
    page.click("#recs-group")  # Dash 4 dropdown: a button opening a list of options
    page.locator(".dash-dropdown-option", has=page.locator("input[value='Sales']")).click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.location.search.includes('group=Sales')")
    wait_column(page, "recs-grid", "from", ["102", "+420601111111 (Alice Nováková)"])
    assert page.inner_text("#recs-count") == "2 recordings"
    wait_idle(page)
    assert page.problems == []


def test_recordings_play_and_delete_call(page, server):
    base, rec_dir, ids = server
    from tests.recordings_data import FILES

    page.goto(f"/recordings?{DAY}", wait_until="domcontentloaded")
    page.wait_for_selector("#recs-grid .ag-row")
    wait_idle(page)
    # Only answered calls not ended in IVR / voicemail: c_miss, c_out, c1 (newest first).
    wait_column(page, "recs-grid", "from", ["+420600000004", "102", "+420601111111 (Alice Nováková)"])
    wait_column(page, "recs-grid", "file", ["Missing", "Available", "Available"])
    assert page.inner_text("#recs-count") == "3 recordings"

    # Play c1's recording: the audio element loads the WAV from the Range-capable route.
    page.click('#recs-grid .ag-row .ag-cell[col-id="from"] >> text=Alice')
    audio = page.wait_for_selector("#recs-player audio")
    src = audio.get_attribute("src")
    assert src == f"/recordings/{ids['recs']['c1']}/audio"
    page.wait_for_function("() => { const a = document.querySelector('#recs-player audio');"
                           " return a && a.readyState >= 1 && a.duration > 0.9 && !a.error; }")
    resp = page.request.get(base + src, headers={"Range": "bytes=0-99"})
    assert resp.status == 206 and resp.headers["content-range"].startswith("bytes 0-99/")
    assert resp.headers["content-type"] == "audio/wav" and resp.body()[:4] == b"RIFF"
    assert page.get_attribute("#recs-player a", "href") == src + "?download=1"

    # The missing file: shown as missing, no player, no error.
    page.click('#recs-grid .ag-row .ag-cell[col-id="from"] >> text=+420600000004')
    page.wait_for_selector("#recs-player >> text=The recording file is missing on disk.")
    assert page.locator("#recs-player audio").count() == 0

    # Delete c1's call: asks first; cancelling changes nothing.
    page.click('#recs-grid .ag-row .ag-cell[col-id="from"] >> text=Alice')
    page.wait_for_selector("#recs-player audio")
    page.click("#recs-player button:has-text('Delete call')")
    page.wait_for_selector("#recs-del-modal >> text=with its legs and recordings")
    page.click("#recs-del-cancel")
    page.wait_for_selector("#recs-del-modal", state="detached")
    assert (rec_dir / FILES["c1"]).is_file()
    page.click("#recs-player button:has-text('Delete call')")
    page.click("#recs-del-confirm")
    page.wait_for_selector("#recs-del-result >> text=The call and its recordings were deleted.")
    wait_column(page, "recs-grid", "from", ["+420600000004", "102"])
    assert page.inner_text("#recs-count") == "2 recordings"
    assert not (rec_dir / FILES["c1"]).exists()
    assert page.request.get(base + src).status == 404
    page.problems[:] = [p for p in page.problems if not p.startswith("HTTP 404") or src not in p]
    wait_idle(page)
    # The records page no longer lists the call either.
    page.goto(f"/records?{DAY}&number=601111111", wait_until="domcontentloaded")
    page.wait_for_selector("#rec-empty", state="visible")
    wait_idle(page)
    assert page.problems == []


def test_records_legs_window_offers_the_recording(page, server):
    _base, rec_dir, ids = server
    page.goto(f"/records?{DAY}&number=777555666", wait_until="domcontentloaded")
    page.wait_for_selector("#rec-grid .ag-row")
    wait_idle(page)
    page.click('#rec-grid .ag-row .ag-cell[col-id="from"]')
    page.wait_for_selector("#rec-call-recordings audio")
    assert page.get_attribute("#rec-call-recordings audio", "src") == f"/recordings/{ids['recs']['c_out']}/audio"
    page.click("#rec-call-recordings button:has-text('Delete recording')")
    page.wait_for_selector("#rec-del-modal >> text=the call record stays")
    page.click("#rec-del-confirm")
    page.wait_for_selector("#rec-del-result >> text=The recording was deleted.")
    from tests.recordings_data import FILES

    assert not (rec_dir / FILES["c_out"]).exists()
    page.wait_for_selector("#rec-legs-modal", state="detached")  # the window showed what is gone
    wait_idle(page)
    # The whole call, from its legs window: asks, then the row is gone.
    page.click('#rec-grid .ag-row .ag-cell[col-id="from"]')
    page.wait_for_selector("#rec-call-recordings >> text=This call has no recording.")
    page.click("#rec-legs-body button:has-text('Delete call')")
    page.wait_for_selector("#rec-del-modal >> text=This cannot be undone.")
    page.click("#rec-del-confirm")
    page.wait_for_selector("#rec-del-result >> text=The call and its recordings were deleted.")
    page.wait_for_selector("#rec-empty", state="visible")
    assert page.inner_text("#rec-count") == "0 calls"
    wait_idle(page)
    assert page.problems == []


def test_chats_page_shows_a_thread(page):
    page.goto(f"/chats?{DAY}", wait_until="domcontentloaded")
    page.wait_for_selector("#chat-grid .ag-row")
    wait_idle(page)
    wait_column(page, "chat-grid", "session_uid", ["S2", "S1"])
    assert page.inner_text("#chat-count") == "2 chat sessions"
    assert "status=" not in page.get_attribute("#chat-download", "href")
    page.click('#chat-grid .ag-row .ag-cell[col-id="session_uid"] >> text=S1')
    page.wait_for_selector("#chat-messages .chat-message")
    texts = page.locator("#chat-messages .chat-message").all_inner_texts()
    assert len(texts) == 3 and "where is my parcel" in texts[0] and "Thanks!" in texts[2]
    events = page.locator("#chat-timeline .chat-event").all_inner_texts()
    assert ["Created" in events[0], "Assigned (102)" in events[1], "Transferred (101)" in events[2],
            "Closed (101)" in events[3]] == [True] * 4
    # A filter changed on the page goes to the URL and to the download link.
    page.fill("#chat-agent", "102")
    page.press("#chat-agent", "Enter")
    page.wait_for_function("() => window.location.search.includes('agent=102')")
    wait_column(page, "chat-grid", "session_uid", ["S2"])
    assert "agent=102" in page.get_attribute("#chat-download", "href")
    wait_idle(page)
    assert page.problems == []

"""The wallboard and the live dashboard in headless Chromium, the app on PostgreSQL.

The app reaches PostgreSQL through a TCP proxy this module starts (tests/tcp_proxy.py), so
stopping the proxy is a real database outage for the app while the shared server keeps
running. The test writes live events with data.live straight to the database, as the
simulator or a queue_log follow would.

Data: queues 600 "Podpora" and 601 "Obchod"; agent 101 available in 600 and 601; one call
answered today in 600 after 10 s (offered 1, SL 100 %; the live dashboard's hour chart). The display token grants 600, 601.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.browser_support import app_settings, report_browser, running_app, watch_problems  # noqa: F401
from tests.conftest import PG_BASE_URL, _worker, create_pg_database, drop_pg_database
from tests.tcp_proxy import TcpProxy

REFRESH_S = 2
TIMEOUT_MS = 20_000


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


@pytest.fixture(scope="module")
def live_db():
    """A PostgreSQL database of this module's own (direct URL), migrated and filled."""
    name = f"callboard_live_browser_{_worker()}"
    url = create_pg_database(name)
    from data import aggregates, live
    from data import schema as s

    engine = sa.create_engine(url)
    now = _now()
    with engine.begin() as conn:
        conn.execute(s.source.insert().values(id=1, name="main"))
        conn.execute(s.queue.insert(), [dict(source_id=1, number="600", name="Podpora"),
                                        dict(source_id=1, number="601", name="Obchod")])
        conn.execute(s.call.insert().values(source_id=1, call_uid="done-1", start_utc=now - timedelta(minutes=1),
                                            answer_utc=now - timedelta(seconds=50), end_utc=now,
                                            direction="inbound", status="answered", queue="600", extension="101"))
        conn.execute(s.queue_call.insert().values(source_id=1, call_uid="done-1", queue="600",
                                                  enter_utc=now - timedelta(minutes=1),
                                                  exit_utc=now, wait_s=10, outcome="answered", agent="101",
                                                  talk_s=40))
        aggregates.refresh(conn, now - timedelta(minutes=1), now)
        live.set_agent(conn, agent="101", state="available", since_utc=now - timedelta(minutes=5),
                       queues=["600", "601"])
    with app_settings(CALLBOARD_DATABASE_URL=url):
        from data.access import display_tokens
        from data import db

        token = display_tokens.create("lobby", ["600", "601"])
        db.dispose_engines()
    yield url, engine, token
    engine.dispose()
    drop_pg_database(name)


@pytest.fixture(scope="module")
def proxy():
    p = TcpProxy(sa.engine.make_url(PG_BASE_URL).port or 5432)
    p.start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def server(live_db, proxy, tmp_path_factory):
    url, _engine, _token = live_db
    via_proxy = sa.engine.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    tmp = tmp_path_factory.mktemp("wallboard")
    env = dict(CALLBOARD_DATABASE_URL=via_proxy, CALLBOARD_TIMEZONE="Europe/Prague", CALLBOARD_DEFAULT_LANGUAGE="en",
               CALLBOARD_FILES_DIR=str(tmp / "files"), CALLBOARD_RECORDINGS_DIR=str(tmp / "rec"),
               CALLBOARD_QUERY_TIMEOUT_S="5")
    with running_app(env, tmp) as base:
        yield base


@pytest.fixture
def display(report_browser, server):
    """A page in a fresh context with no login: a wall display has only its token."""
    context = report_browser.new_context(base_url=server, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.problems = watch_problems(page)
    yield page
    context.close()


def _metric(page, queue: str, metric: str):
    return page.locator(f'[data-queue="{queue}"] [data-metric="{metric}"]')


def _wait_value(page, queue: str, metric: str, text: str) -> None:
    page.wait_for_function(
        """([q, m, t]) => {
            const el = document.querySelector(`[data-queue="${q}"] [data-metric="${m}"] .wb-value`);
            return el && el.textContent.trim() === t;
        }""", arg=[queue, metric, text], timeout=TIMEOUT_MS)


def test_wallboard_updates_and_turns_amber_then_red(display, live_db):
    from data import live

    _url, engine, token = live_db
    page = display
    page.goto(f"/wallboard?token={token}&queues=600,601&refresh={REFRESH_S}&waiting_amber=1&waiting_red=2"
              "&wait_amber=600&wait_red=1200")
    page.wait_for_selector('[data-queue="600"]')
    assert page.locator('[data-queue="601"] .wb-queue-name').inner_text() == "Obchod"
    assert page.locator('[data-queue="600"] .wb-queue-name').inner_text() == "Podpora"
    page.locator("nav.navbar").first.wait_for(state="hidden")  # no navigation chrome
    _wait_value(page, "600", "waiting", "0")
    assert "wb-ok" in _metric(page, "600", "waiting").get_attribute("class")
    assert _metric(page, "600", "offered").locator(".wb-value").inner_text() == "1"
    assert _metric(page, "600", "service-level").locator(".wb-value").inner_text() == "100\xa0%"
    assert _metric(page, "601", "available").locator(".wb-value").inner_text() == "1"
    page.evaluate("window.__notReloaded = true")

    with engine.begin() as conn:  # a caller starts waiting in 600 (entered 30 s ago)
        live.enter_queue(conn, call_uid="w1", queue="600", enter_utc=_now() - timedelta(seconds=30))
    _wait_value(page, "600", "waiting", "1")
    waiting = _metric(page, "600", "waiting")
    assert "wb-amber" in waiting.get_attribute("class")
    assert waiting.locator(".wb-level-word").inner_text().lower() == "warning"
    # The longest wait ticks in the browser between refreshes.
    first = _metric(page, "600", "longest-wait").locator(".wb-value").inner_text()
    page.wait_for_timeout(2500)
    second = _metric(page, "600", "longest-wait").locator(".wb-value").inner_text()
    seconds = [int(v.split(":")[0]) * 60 + int(v.split(":")[1]) for v in (first, second)]
    assert 30 <= seconds[0] < 60 and seconds[1] - seconds[0] >= 1
    assert _metric(page, "601", "waiting").locator(".wb-value").inner_text() == "0"

    with engine.begin() as conn:
        live.enter_queue(conn, call_uid="w2", queue="600", enter_utc=_now())
    _wait_value(page, "600", "waiting", "2")
    waiting = _metric(page, "600", "waiting")
    assert "wb-red" in waiting.get_attribute("class")
    assert waiting.locator(".wb-level-word").inner_text().lower() == "alert"
    assert page.evaluate("window.__notReloaded === true")
    assert page.problems == []
    with engine.begin() as conn:
        live.leave_queue(conn, "w1")
        live.leave_queue(conn, "w2")


def test_stale_banner_while_database_is_away(display, live_db, proxy):
    _url, _engine, token = live_db
    page = display
    page.goto(f"/wallboard?token={token}&queues=600&refresh={REFRESH_S}&lang=cs")
    page.wait_for_selector('[data-queue="600"]')
    assert "Čekající hovory" in page.locator('[data-queue="600"]').inner_text()
    banner = page.locator("#wb-stale")
    assert banner.is_hidden()
    proxy.stop()
    try:
        banner.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert banner.inner_text().startswith("Data z ")  # "Data as of HH:MM:SS" in Czech
    finally:
        proxy.start()
    banner.wait_for(state="hidden", timeout=TIMEOUT_MS)
    assert page.locator('[data-queue="600"]').is_visible()


def test_live_dashboard_for_managers(report_browser, server):
    from tests.browser_support import browser_page

    with browser_page(report_browser, server, timeout_ms=TIMEOUT_MS, viewport={"width": 1400, "height": 900}) as page:
        problems = watch_problems(page)
        page.goto("/live")
        page.wait_for_selector("#live-queue-table")
        queues = page.locator("#live-queue-table").inner_text()
        assert "Podpora (600)" in queues and "Obchod (601)" in queues
        agents = page.locator("#live-agent-table").inner_text()
        assert "101" in agents and "Available" in agents
        page.wait_for_selector("#live-hours-graph")
        page.click("#live-pause")
        page.wait_for_function("() => document.querySelector('#live-pause').textContent === 'Resume auto-refresh'")
        assert problems == []

"""Signing in and out in Chromium: the form, the redirect back, the user menu's sign-out
(a POST with the CSRF token), a session ended on the server sending the open page to the
sign-in form, and a viewer's menu without the administration — with no console errors
(the CSP included) on the way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser_support import (  # noqa: F401  (report_browser: a fixture)
    DASH_IDLE_JS, app_on_filled_sqlite, browser_page, report_browser, watch_problems,
)

pytestmark = pytest.mark.browser
HEADING = "#_pages_content h2"


def _fill(conn):
    from data.access.passwords import hash_password
    from data import schema

    conn.execute(sa.insert(schema.app_user), [
        dict(username=name, password_hash=hash_password(password), role=role)
        for name, password, role in (("anna", "anna-password", "admin"), ("victor", "victor-password", "viewer"))])
    conn.execute(sa.insert(schema.source).values(id=1, name="main"))
    conn.execute(sa.insert(schema.queue).values(number="600", name="Support"))  # a queue to show on a wall


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("login-browser")
    with app_on_filled_sqlite(tmp, _fill) as base:
        yield base, f"sqlite:///{tmp / 'callboard.db'}"


@pytest.fixture
def anonymous_page(report_browser, server):
    with browser_page(report_browser, server[0], timeout_ms=15_000, signed_in=False,
                      viewport={"width": 1300, "height": 800}) as page:
        page.problems = watch_problems(page)
        yield page


def sign_in(page, username, password):
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#auth-submit")


def choose(page, control_id, value):
    """Pick `value` in a Dash 4 dropdown: open it and click that option (Playwright waits for
    it; typing into the search box could race the popover opening on a busy machine)."""
    page.click(f"#{control_id}")
    page.locator(".dash-dropdown-option", has=page.locator(f"input[value='{value}']")).click()
    page.keyboard.press("Escape")


def heading_is(page, text):
    page.wait_for_function("([sel, t]) => document.querySelector(sel)?.innerText === t", arg=[HEADING, text])
    page.wait_for_function(DASH_IDLE_JS, polling=50)


def test_sign_in_sign_out_and_an_ended_session(anonymous_page, server):
    page = anonymous_page
    _base, url = server
    page.goto("/records?preset=today")
    assert "/login?next=/records" in page.url
    assert page.inner_text("#auth-title") == "Sign in"
    sign_in(page, "anna", "wrong-password")
    assert page.inner_text("#auth-message") == "Wrong user name or password."
    sign_in(page, "anna", "anna-password")
    heading_is(page, "Call records")
    assert page.url.endswith("/records?preset=today")  # back where she was going
    assert not [p for p in page.problems if "401" not in p], page.problems  # the wrong password's 401 only
    page.problems.clear()
    # The user menu signs out by POST (with the session's CSRF token).
    page.click("#user-menu")
    page.click("#user-logout")
    page.wait_for_url("**/login")
    page.goto("/records")
    assert "/login" in page.url
    # Signed in again, the session is ended on the server (e.g. by an administrator
    # disabling the user): the next request of the open page sends it to the sign-in form.
    sign_in(page, "anna", "anna-password")
    heading_is(page, "Call records")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM user_session")
    engine.dispose()
    page.locator("#lang label", has_text="CS").click()  # any callback
    page.wait_for_url("**/login?next=*")
    assert [p for p in page.problems if "401" not in p] == []


def test_a_viewer_sees_no_administration(anonymous_page):
    page = anonymous_page
    page.goto("/login")
    sign_in(page, "victor", "victor-password")
    heading_is(page, "Overview")
    menu = page.inner_text("#navbar-slot")
    assert "Call records" in menu and "Administration" not in menu and "Scheduling" in menu
    hrefs = page.eval_on_selector_all("#navbar-slot a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert "/admin/users" not in hrefs and "/email-template" not in hrefs and "/schedules/exports" not in hrefs
    assert not page.problems, page.problems
    response = page.goto("/admin/users")
    assert response.status == 403


def test_admin_creates_and_revokes_a_display_token(anonymous_page, report_browser, server):
    base, _url = server
    admin = anonymous_page
    admin.goto("/login?next=/admin/display-tokens")
    sign_in(admin, "anna", "anna-password")
    heading_is(admin, "Display tokens")
    admin.fill("#dtok-name", "Hall")
    choose(admin, "dtok-queues", "600")
    admin.click("#dtok-create")
    address = admin.inner_text("#dtok-url")
    assert address.startswith("http") and "/wallboard?token=" in address
    # The wall display: another browser, nobody signed in, the address as shown.
    with browser_page(report_browser, base, timeout_ms=15_000, signed_in=False) as wall:
        wall.problems = watch_problems(wall)
        wall.goto("/wallboard?" + address.split("?", 1)[1] + "&refresh=2")
        wall.wait_for_function(DASH_IDLE_JS, polling=50)
        assert "/wallboard" in wall.url and not wall.problems, wall.problems
        admin.locator("#dtok-table button", has_text="Revoke").first.click()
        admin.wait_for_function("() => document.querySelector('#dtok-result')?.innerText.includes('revoked')")
        wall.wait_for_url("**/login?next=*", timeout=20_000)  # its next refresh is refused
    assert not admin.problems, admin.problems


def test_admin_adds_a_user_gives_a_scope_and_finds_it_in_the_audit_log(anonymous_page):
    page = anonymous_page
    page.goto("/login?next=/admin/users")
    sign_in(page, "anna", "anna-password")
    heading_is(page, "Users")
    page.fill("#admin-new-name", "mia")
    page.fill("#admin-new-password", "short")
    page.select_option("#admin-new-role", "manager")
    page.click("#admin-add")
    page.wait_for_function("() => document.querySelector('#admin-users-result')?.innerText.includes('8 characters')")
    page.fill("#admin-new-password", "mia-password")
    page.click("#admin-add")
    page.wait_for_function("() => document.querySelector('#admin-users-result')?.innerText === 'The user mia was added.'")
    choose(page, "admin-user", "mia")
    page.wait_for_function("() => document.querySelector('#admin-role')?.value === 'manager'")
    choose(page, "admin-queues", "600")
    page.click("#admin-save")
    page.wait_for_function("() => document.querySelector('#admin-users-table')?.innerText.includes('queues: 600')")
    row = page.locator("#admin-users-table tr", has_text="mia").inner_text()
    assert "Manager" in row and "queues: 600" in row and "active" in row
    page.goto("/admin/audit")
    page.wait_for_selector("#audit-table")
    log = page.inner_text("#audit-table")
    assert "User added" in log and "user:mia" in log and "User changed" in log
    assert not page.problems, page.problems

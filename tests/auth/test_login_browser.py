"""Signing in and out in Chromium: the form, the redirect back, the user menu's sign-out
(a POST with the CSRF token), a session ended on the server sending the open page to the
sign-in form, and a viewer's menu without the administration — with no console errors
(the CSP included) on the way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser_support import (
    DASH_IDLE_JS, app_settings, chromium, ensure_user, running_app, watch_problems,
)

pytestmark = pytest.mark.browser
HEADING = "#_pages_content h2"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from data.migrate import upgrade

    tmp = tmp_path_factory.mktemp("login-browser")
    url = f"sqlite:///{tmp / 'callboard.db'}"
    with app_settings(CALLBOARD_DATABASE_URL=url):
        upgrade(url)
    ensure_user(url, "anna", "anna-password", "admin")
    ensure_user(url, "victor", "victor-password", "viewer")
    env = dict(CALLBOARD_DATABASE_URL=url, CALLBOARD_DEFAULT_LANGUAGE="en", CALLBOARD_TIMEZONE="Europe/Prague",
               CALLBOARD_RECORDINGS_DIR=str(tmp / "rec"), CALLBOARD_FILES_DIR=str(tmp / "files"))
    with running_app(env, tmp) as base:
        yield base, url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def anonymous_page(browser, server):
    base, _url = server
    context = browser.new_context(base_url=base, viewport={"width": 1300, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = watch_problems(page)
    yield page
    context.close()


def sign_in(page, username, password):
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#auth-submit")


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

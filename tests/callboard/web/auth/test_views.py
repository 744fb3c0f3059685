"""/login and /account/password over HTTP (Flask test client, the app of tests/callboard/web/auth/conftest.py):
what a browser sees of the sign-in throttle (issue 15, point 6), the second sign-in of one
browser, the request-size limit for a signed-in user (point 5) and the proxy warning."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from data.access import sessions

from data.access import users
from tests.callboard.web.auth.support import PASSWORD, csrf_header, login

MESSAGE = re.compile(r'id="auth-message">([^<]*)<')


def _client(app, ip: str):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = ip  # each test its own addresses: the address counter is shared
    return client


def _answer(resp) -> tuple[int, str, str | None]:
    found = MESSAGE.search(resp.get_data(as_text=True))
    return resp.status_code, found.group(1) if found else "", resp.headers.get("Retry-After")


def test_an_existing_and_an_unknown_name_get_the_same_answers(world):
    """Seven wrong passwords for a real user and for a name nobody has, each from its own
    address: the same status, message and Retry-After at every step (a real name used to
    answer 429 after five, an unknown one 401 for ever)."""
    app, _ = world
    users.add_user("realname", PASSWORD, "viewer")

    def answers(name, ip):
        client = _client(app, ip)
        return [_answer(login(client, name, "wrong-password")) for _ in range(7)]

    real, ghost = answers("realname", "203.0.113.61"), answers("ghost-name", "203.0.113.62")
    for r, g in zip(real, ghost):  # Retry-After to the second: both counted at the same moment, near enough
        assert r[:2] == g[:2] and abs(int(r[2] or 0) - int(g[2] or 0)) <= 2
    assert [r[0] for r in real] == [401] * 5 + [429] * 2
    assert real[0][1] == "Wrong user name or password."
    assert real[5][1] == "Too many failed sign-ins. Try again in 5 min."


def test_an_attacker_address_does_not_stop_the_user_signing_in_elsewhere(world):
    app, _ = world
    users.add_user("target", PASSWORD, "manager")
    attacker = _client(app, "203.0.113.70")
    for _ in range(8):
        login(attacker, "target", "wrong-password")
    assert login(attacker, "target", PASSWORD).status_code == 429
    user = _client(app, "198.51.100.70")
    assert login(user, "target", PASSWORD).status_code == 302 and user.get_cookie("callboard_session")


def test_a_second_sign_in_ends_the_previous_session_of_that_browser(world):
    """Signing in again from a browser (as anybody) ends the session its cookie held: a copy
    of the old cookie is worth nothing afterwards."""
    app, _ = world
    browser = _client(app, "198.51.100.80")
    assert login(browser, "viewer_a", PASSWORD).status_code == 302
    old = browser.get_cookie("callboard_session").value
    copy = _client(app, "198.51.100.81")
    copy.set_cookie("callboard_session", old)
    assert copy.get("/records").status_code == 200
    # Signed in, GET /login redirects; the form posted again carries the CSRF cookie's value
    # (readable by the page's scripts, as the double-submit check wants).
    assert browser.get("/login").status_code == 302
    again = browser.post("/login", data=dict(username="manager_a", password=PASSWORD,
                                             csrf_token=browser.get_cookie("_csrf_token").value))
    assert again.status_code == 302
    new = browser.get_cookie("callboard_session").value
    assert new != old and sessions.load(old) is None and sessions.load(new).username == "manager_a"
    assert copy.get("/records").status_code == 302  # sent to the sign-in form
    assert browser.get("/records").status_code == 200


def test_wrong_current_passwords_on_the_password_form_are_throttled(world):
    """Twelve guesses of the current password in 0.4 s were allowed: now the form counts
    them like failed sign-ins — five, then the address waits (the right password too), and
    sign-ins for that name from that address wait as well."""
    app, _ = world
    users.add_user("changer-b", PASSWORD, "viewer")
    client = _client(app, "198.51.100.90")
    assert login(client, "changer-b", PASSWORD).status_code == 302
    client.get("/account/password")  # the CSRF cookie of the session
    headers = csrf_header(client)

    def change(current):
        return client.post("/account/password", headers=headers,
                           data=dict(current=current, new="brand-new-password", repeat="brand-new-password"))

    for _ in range(5):
        resp = change("guess-current")
        assert resp.status_code == 400 and "The current password is wrong." in resp.get_data(as_text=True)
    resp = change(PASSWORD)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 290
    assert "Too many wrong passwords. Try again in 5 min." in resp.get_data(as_text=True)
    assert login(_client(app, "198.51.100.90"), "changer-b", PASSWORD).status_code == 429
    assert login(_client(app, "198.51.100.91"), "changer-b", PASSWORD).status_code == 302  # elsewhere: fine


def test_a_52_mb_callback_body_of_a_signed_in_user_is_refused_unread(world):
    """CALLBOARD_MAX_REQUEST_MB (4): a signed-in viewer's 52 MB callback body used to be read
    and parsed (a 500 and a worker 100 MB larger); now 413 — and not one byte is read."""
    app, _ = world
    client = _client(app, "198.51.100.95")
    assert login(client, "viewer_a", PASSWORD).status_code == 302
    client.get("/records")

    class Unreadable:
        def read(self, *_):
            raise AssertionError("the body was read")

        readline = read

        def tell(self):  # the test client asks where the stream is; that reads nothing
            return 0

        def seek(self, *_):
            return 0

    size = 52 * 1024 * 1024
    resp = client.post("/_dash-update-component", input_stream=Unreadable(), content_type="application/json",
                       headers=csrf_header(client), environ_overrides={"CONTENT_LENGTH": str(size)})
    assert resp.status_code == 413, resp.get_data(as_text=True)
    assert app.server.config["MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024


def test_forwarded_requests_without_proxy_hops_log_one_warning(world, caplog):
    from callboard.web.auth import views as web

    app, _ = world
    web._forwarded_warned.clear()
    client = _client(app, "10.0.0.2")
    with caplog.at_level(logging.WARNING, logger="callboard.web.auth.views"):
        client.get("/healthz")  # no header: nothing to say
        for _ in range(3):
            client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.5"})
    warnings = [r for r in caplog.records if "CALLBOARD_PROXY_HOPS=0" in r.getMessage()]
    assert len(warnings) == 1 and "10.0.0.2" in warnings[0].getMessage()


def test_the_users_list_shows_a_name_locked_for_new_addresses(world):
    from data.access import login as login_mod
    from data import db
    from data import schema as s

    app, _ = world
    users.add_user("spread", PASSWORD, "viewer")
    for i in range(login_mod.USER_MAX_FAILURES):
        login(_client(app, f"203.0.113.{100 + i // 4}"), "spread", "wrong-password")
    record = users.get_user("spread")
    assert record.failed_logins == 20 and record.locked_until_utc is not None
    assert next(u for u in users.list_users() if u.username == "spread").locked_until_utc == record.locked_until_utc
    users.set_password("spread", "another-password")  # the administrator's reset
    assert users.get_user("spread").locked_until_utc is None
    assert not db.fetch_all(sa.select(s.login_throttle).where(s.login_throttle.c.username == "spread"))

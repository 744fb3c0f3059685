"""The authorization matrix: every Flask endpoint, every Dash page and every server-side
Dash callback of the real app, for an administrator, a manager of team A, a viewer of
team A and an anonymous visitor — plus the attacks named in issue 7.

The lists are read from the app (``url_map``, ``dash.page_registry``, ``callback_map``):
something new without a decision in data.access.policy fails
``test_everything_has_a_decision``; the hand-written EXPECTED table pins the decisions
that matter, and the HTTP checks prove the guard enforces what the policy says.

Data (tests/recordings_data.py): team A = extension group "Sales" (101, 102); team B's
calls are those of 103 and of the IVR (no extension). In-process (Flask test client over
one SQLite file): the guard is the same code on every database; the data-layer scope
tests run on both (tests/data/access/test_users_sessions.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import dash
import pytest
import sqlalchemy as sa

from data.access import display_tokens

from data.access import policy

from data.access import users
from data.access.policy import ADMIN, DISPLAY, MANAGER, PUBLIC, VIEWER
from tests.callboard.web.auth.support import (PASSWORD, PRINCIPALS, ROLES, allowed, callback_level, client_of, csrf_header,
                                exact_body, login, output_ids, parse_outputs, post_body, post_callback, refusal,
                                router_body, server_callbacks)

DAY = "preset=custom&from=2026-03-10&to=2026-03-10"

# Decisions that matter, written down by hand (the policy must say the same).
EXPECTED_PAGES = {
    "/": VIEWER, "/records": VIEWER, "/recordings": VIEWER, "/chats": VIEWER, "/reports/queue-performance": VIEWER,
    "/live": VIEWER, "/wallboard": DISPLAY, "/schedules/exports": MANAGER, "/schedules/reports": MANAGER,
    "/downloads/exports": VIEWER, "/email-template": ADMIN, "/admin/users": ADMIN, "/admin/audit": ADMIN,
    "/admin/display-tokens": ADMIN,
}
EXPECTED_ENDPOINTS = {
    "healthz": PUBLIC, "login": PUBLIC, "records_csv": VIEWER, "chats_csv": VIEWER, "recording_audio": VIEWER,
    "logout": VIEWER, "account_password": VIEWER, "/_dash-layout": DISPLAY, "/_dash-dependencies": DISPLAY,
}
EXPECTED_CALLBACKS = {  # first output id -> level
    "rec-grid": VIEWER, "rec-del-modal": ADMIN, "recs-del-modal": ADMIN, "admin-users-result": ADMIN,
    "dtok-result": ADMIN, "audit-results": ADMIN, "navbar-slot": DISPLAY,
}


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------- decisions


def test_everything_has_a_decision(world):
    app, _ = world
    undecided = []
    for rule in app.server.url_map.iter_rules():
        if policy.endpoint_level(rule.endpoint, decided_only=True) is None:
            undecided.append(f"endpoint {rule.endpoint} ({rule.rule})")
    for page in dash.page_registry.values():
        if policy.page_level(page["path"], decided_only=True) is None:
            undecided.append(f"page {page['path']} ({page['module']})")
    for key, outputs in server_callbacks(app).items():
        for oid in output_ids(outputs):  # a callback's level is its strictest output's: each needs one
            if policy.callback_level(oid, decided_only=True) is None:
                undecided.append(f"callback {key} (output {oid})")
    assert not undecided, "decide these in data/access/policy.py:\n" + "\n".join(undecided)


def test_the_decisions_that_matter():
    assert {p: policy.page_level(p) for p in EXPECTED_PAGES} == EXPECTED_PAGES
    assert {e: policy.endpoint_level(e) for e in EXPECTED_ENDPOINTS} == EXPECTED_ENDPOINTS
    assert {c: policy.callback_level(c) for c in EXPECTED_CALLBACKS} == EXPECTED_CALLBACKS


# --------------------------------------------------------------------------- the matrix


def _url_of(rule) -> str:
    url = rule.rule
    for conv in re.findall(r"<[^>]+>", url):
        kind = conv.strip("<>").split(":")[0] if ":" in conv else "string"
        url = url.replace(conv, {"int": "1", "path": "x.css"}.get(kind, "x"))
    return url


def mismatch(what: str, level: str, who: str, status: int) -> list[str]:
    """[] when the answer fits the decision: refused (401 for nobody, 403 for a user or a
    wall display) exactly when the level is above the principal; otherwise what went wrong."""
    refused = status in (401, 403)
    if allowed(level, who) == refused:
        return [f"{what} ({level}): {status}"]
    if refused and status != refusal(who):
        return [f"{what} ({level}): {status}, expected {refusal(who)}"]
    return []


@pytest.mark.parametrize("who", PRINCIPALS)
def test_every_endpoint(world, clients, who):
    app, _ = world
    client = clients[who]
    wrong = []
    for rule in app.server.url_map.iter_rules():
        level = policy.endpoint_level(rule.endpoint)
        if level in (policy.PAGE, policy.CALLBACK) or rule.endpoint in ("logout",):
            continue  # pages and callbacks: below; logout would end the session
        method = "GET" if "GET" in rule.methods else "POST"
        resp = client.open(_url_of(rule), method=method, headers=csrf_header(client))
        wrong += mismatch(f"{method} {rule.rule}", level, who, resp.status_code)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_every_page_and_its_router_callback(world, clients, who):
    """The page GET and the router callback that renders the page's layout, for every page.
    An allowed principal gets the layout itself (not the "not allowed" content)."""
    app, _ = world
    client = clients[who]
    wrong = []
    for page in dash.page_registry.values():
        path, level = page["path"], policy.page_level(page["path"])
        resp = client.get(path)
        if who in ("anonymous", "display") and not allowed(level, who):
            ok = resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")
        else:
            ok = resp.status_code == (200 if allowed(level, who) else 403)
        if not ok:
            wrong.append(f"GET {path} ({level}): {resp.status_code}")
        for pathname in (path, path + "/"):  # Dash strips the trailing slash: the same page
            resp = post_body(client, router_body(app, pathname))
            expected = 200 if allowed(level, who) else refusal(who)
            if resp.status_code != expected:
                wrong.append(f"router {pathname} ({level}): {resp.status_code}, expected {expected}")
            elif expected == 200 and b"access-forbidden" in resp.data:
                wrong.append(f"router {pathname} ({level}): the layout refused an allowed {who}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_every_callback(world, clients, who):
    """Every server-side callback with the body Dash's renderer sends for it (values None)."""
    app, _ = world
    client = clients[who]
    wrong = []
    for key, outputs in server_callbacks(app).items():
        level = callback_level(outputs)
        if level == policy.PAGE:
            continue  # the router: by page, above
        resp = post_body(client, exact_body(app, key))
        wrong += mismatch(key, level, who, resp.status_code)
        if resp.status_code == 400:
            wrong.append(f"{key}: the exact body was refused as malformed: {resp.get_data(as_text=True)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_every_layout_checks_its_own_level(world, who):
    """Each page's layout, called as Dash's router calls it, for a principal below the page's
    level gives the "not allowed" content and none of the page's data — whatever the guard did."""
    from flask import g

    from callboard.web import access

    app, ids = world
    user = None
    if who in ROLES:
        row = next(u for u in users.list_users() if u.username == who)
        user = access.CurrentUser(id=row.id, username=who, role=row.role)
    wrong = []
    for page in dash.page_registry.values():
        level = policy.page_level(page["path"])
        with app.server.test_request_context(page["path"]):
            g.callboard_user = user
            g.callboard_display = display_tokens.lookup(ids["display_token"]) if who == "display" else None
            html = json.dumps(page["layout"](lang="en"), cls=__import__("plotly").utils.PlotlyJSONEncoder)
        refused = "access-forbidden" in html
        if refused == allowed(level, who):
            wrong.append(f"{page['path']} ({level}): {'refused' if refused else 'rendered'} for {who}")
    assert not wrong, "\n".join(wrong)


# --------------------------------------------------------------------------- data across teams


def _csv(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True), newline="")))


def test_csv_export_holds_only_the_callers_team(clients):
    admin = _csv(clients["admin"].get(f"/export/records.csv?{DAY}"))
    team_a = _csv(clients["manager_a"].get(f"/export/records.csv?{DAY}&ext=103"))  # asks for team B's extension
    everything_a = _csv(clients["manager_a"].get(f"/export/records.csv?{DAY}"))
    # Local day 2026-03-10 (Prague): c1 c2 c3 c4 c6 c_out c_ivr c_vm c_na c_miss; team A's are
    # those with 101 or 102 on them: c1 c2 c3 c6 c_out c_vm c_na.
    assert len(admin) - 1 == 10
    assert len(everything_a) - 1 == 7
    numbers = {cell for row in everything_a[1:] for cell in row[:5]}
    assert "+420600000004" not in numbers and "+420600000001" not in numbers  # c_miss (103), c_ivr
    # Filtering on team B's extension 103 gives only the team-A call that involves 103 (c3: 101 -> 103).
    assert [(r[1], r[3]) for r in team_a[1:]] == [("101", "103")]
    assert clients["anonymous"].get(f"/export/records.csv?{DAY}").status_code == 401


def test_recording_playback_by_guessed_id(world, clients):
    _app, ids = world
    recs = ids["recs"]
    assert clients["manager_a"].get(f"/recordings/{recs['c1']}/audio").status_code == 200  # 101: team A
    for other in ("c_ivr", "c_miss"):  # the IVR's and 103's: team B
        assert clients["manager_a"].get(f"/recordings/{recs[other]}/audio").status_code == 404
        assert clients["viewer_a"].get(f"/recordings/{recs[other]}/audio?download=1").status_code == 404
    assert clients["anonymous"].get(f"/recordings/{recs['c1']}/audio").status_code == 401
    assert clients["admin"].get(f"/recordings/{recs['c_ivr']}/audio").status_code == 200


def test_path_traversal_recording_path_is_refused(world, clients):
    from data import db
    from data import schema as s

    _app, ids = world
    rid = ids["recs"]["c_vm"]
    with db.transaction() as conn:
        old = conn.execute(sa.select(s.recording.c.path).where(s.recording.c.id == rid)).scalar_one()
        conn.execute(sa.update(s.recording).where(s.recording.c.id == rid).values(path="../../../../etc/passwd"))
    try:
        resp = clients["admin"].get(f"/recordings/{rid}/audio")
        assert resp.status_code == 404 and b"root:" not in resp.data
    finally:
        with db.transaction() as conn:
            conn.execute(sa.update(s.recording).where(s.recording.c.id == rid).values(path=old))


def test_csv_cell_starting_with_equals_is_neutralised(world, clients):
    from data import db
    from data import schema as s

    evil = '=HYPERLINK("http://evil.example","x")'
    with db.transaction() as conn:  # on 2026-03-12, a day no other test exports
        conn.execute(sa.insert(s.call).values(
            call_uid="c_evil", start_utc=datetime(2026, 3, 12, 9), end_utc=datetime(2026, 3, 12, 9, 1),
            direction="inbound", status="no_answer", from_number=evil, from_name="@SUM(1)", to_number="101",
            extension="101", duration_s=60, ring_s=60, talk_s=0))
    for who in ("admin", "manager_a"):
        rows = _csv(clients[who].get("/export/records.csv?preset=custom&from=2026-03-12&to=2026-03-12"))
        assert [r[1:3] for r in rows[1:]] == [["'" + evil, "'@SUM(1)"]], who


def test_only_an_administrator_deletes(world, clients):
    app, ids = world
    key = next(k for k, outs in server_callbacks(app).items() if output_ids(outs)[0] == "rec-del-modal")
    confirm = [{"id": "rec-del-confirm", "property": "n_clicks", "value": 1}]
    for who in ("manager_a", "viewer_a"):
        assert post_callback(clients[who], key, parse_outputs(key), inputs=confirm).status_code == 403
    assert post_callback(clients["anonymous"], key, parse_outputs(key), inputs=confirm).status_code == 401


# --------------------------------------------------------------------------- sessions, CSRF, lock-out


def test_forged_and_expired_sessions_are_refused(world):
    from data import db
    from data import schema as s

    app, _ = world
    forged = app.server.test_client()
    forged.set_cookie("callboard_session", "forged-session-id-0123456789")
    assert forged.get(f"/export/records.csv?{DAY}").status_code == 401
    assert forged.get("/records").status_code == 302
    expired = client_of(app, "viewer_a")
    assert expired.get(f"/export/records.csv?{DAY}").status_code == 200
    sid_hash = __import__("data.access.sessions", fromlist=["hash_id"]).hash_id(
        expired.get_cookie("callboard_session").value)
    with db.transaction() as conn:
        conn.execute(sa.update(s.user_session).where(s.user_session.c.id_hash == sid_hash)
                     .values(expires_utc=_now() - timedelta(seconds=1)))
    assert expired.get(f"/export/records.csv?{DAY}").status_code == 401


def test_csrf_less_post_is_refused(world, clients):
    app, _ = world
    key = "navbar-slot"
    cb = next(k for k, outs in server_callbacks(app).items() if output_ids(outs)[0] == key)
    admin = clients["admin"]
    inputs = [{"id": "lang", "property": "value", "value": "en"}, {"id": "url", "property": "pathname", "value": "/"}]
    assert post_callback(admin, cb, parse_outputs(cb), inputs=inputs, headers={}).status_code == 403
    assert post_callback(admin, cb, parse_outputs(cb), inputs=inputs,
                         headers={"X-CSRFToken": "0" * 64}).status_code == 403
    # Another user's valid token is no good either: it is bound to that session.
    other = csrf_header(clients["viewer_a"])
    assert post_callback(admin, cb, parse_outputs(cb), inputs=inputs, headers=other).status_code == 403
    assert post_callback(admin, cb, parse_outputs(cb), inputs=inputs).status_code == 200
    # A login form posted from elsewhere (no matching cookie) does not sign anyone in.
    fresh = app.server.test_client()
    resp = fresh.post("/login", data=dict(username="admin", password=PASSWORD, csrf_token="x"))
    assert resp.status_code == 403 and fresh.get_cookie("callboard_session") is None
    # Sign-out is a POST with the token too.
    assert admin.post("/logout").status_code == 403


def test_wrong_password_times_n_locks(world):
    app, _ = world
    users.add_user("guesser", PASSWORD, "viewer")
    client = app.server.test_client()
    for _ in range(5):
        assert login(client, "guesser", "wrong-password").status_code == 401
    resp = login(client, "guesser", PASSWORD)
    assert resp.status_code == 429 and 290 <= int(resp.headers["Retry-After"]) <= 301
    assert "Try again in 5 min" in resp.get_data(as_text=True)
    assert client.get_cookie("callboard_session") is None


def test_login_never_redirects_off_site(world):
    app, _ = world
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        resp = login(app.server.test_client(), "viewer_a", PASSWORD, next_url=evil)
        assert resp.status_code == 302 and resp.headers["Location"] == "/", evil
    resp = login(app.server.test_client(), "viewer_a", PASSWORD, next_url="/records?x=1")
    assert resp.headers["Location"] == "/records?x=1"


def test_security_headers_and_cookie_flags(world, clients):
    app, _ = world
    resp = clients["admin"].get("/records")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "'unsafe-inline'" not in \
        csp.split("script-src", 1)[1].split(";")[0]
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    fresh = app.server.test_client()
    page = fresh.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    resp = fresh.post("/login", data=dict(username="admin", password=PASSWORD, csrf_token=token))
    session_cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("callboard_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP here; set when served over HTTPS


# --------------------------------------------------------------------------- wall displays


def test_display_token_opens_the_wallboard_only(world):
    app, _ = world
    token = display_tokens.create("Lobby", ["600"])
    wall = app.server.test_client()
    resp = wall.get(f"/wallboard?token={token}")
    assert resp.status_code == 200
    assert "frame-ancestors 'self'" in resp.headers["Content-Security-Policy"]
    assert wall.get("/_dash-layout").status_code == 200  # the display cookie carries it on
    assert wall.get("/records").status_code == 302  # anything else: sign in
    assert wall.get(f"/export/records.csv?{DAY}").status_code == 403
    assert app.server.test_client().get("/wallboard?token=guessed").status_code == 302
    tid = next(t.id for t in display_tokens.list_tokens() if t.name == "Lobby")
    display_tokens.revoke(tid)
    assert wall.get("/_dash-layout").status_code == 401  # revoked: the next refresh fails
    with app.server.test_request_context("/"):
        from callboard.web import access

        assert access.wallboard_scope(token) is None


def test_display_scope_covers_its_queues_only(world):
    from callboard.web import access

    token = display_tokens.create("Queue 600", ["600"])
    scope = access.wallboard_scope(token)
    assert scope.queues == frozenset({"600"}) and "601" not in scope.queues and not scope.all


# --------------------------------------------------------------------------- generated files


def test_another_users_download_list_entry_is_refused(world, clients, tmp_path):
    from callboard.core.settings import get_settings
    from data import db
    from data import schema as s

    files = get_settings().files_dir
    ids = {}
    with db.transaction() as conn:
        for who in ("admin", "manager_a"):
            owner = conn.execute(sa.select(s.app_user.c.id).where(s.app_user.c.username == who)).scalar_one()
            rel = f"matrix/{who}.csv"
            (files / "matrix").mkdir(parents=True, exist_ok=True)
            (files / rel).write_text(f"file of {who}\n")
            ids[who] = conn.execute(sa.insert(s.delivery).values(
                owner_id=owner, kind="cdr", name=f"{who}'s export", format="csv", path=rel, status="sent",
                created_utc=_now(), filename=f"{who}.csv", mimetype="text/csv", language="en",
            ).returning(s.delivery.c.id)).scalar_one()
    assert clients["manager_a"].get(f"/files/by-id/{ids['manager_a']}").data == b"file of manager_a\n"
    assert clients["manager_a"].get(f"/files/by-id/{ids['admin']}").status_code == 404  # not hers
    assert clients["viewer_a"].get(f"/files/by-id/{ids['manager_a']}").status_code == 404
    assert clients["admin"].get(f"/files/by-id/{ids['manager_a']}").status_code == 200  # the administrator's
    assert clients["anonymous"].get(f"/files/by-id/{ids['admin']}").status_code == 401


def test_password_change_keeps_this_session_and_ends_the_others(world):
    app, _ = world
    users.add_user("changer", PASSWORD, "viewer")
    here, elsewhere = client_of(app, "changer"), client_of(app, "changer")
    form = here.get("/account/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    wrong = here.post("/account/password", data=dict(current="not-it", new="new-password-1", repeat="new-password-1",
                                                     csrf_token=token))
    assert wrong.status_code == 400 and "The current password is wrong." in wrong.get_data(as_text=True)
    short = here.post("/account/password", data=dict(current=PASSWORD, new="short", repeat="short",
                                                     csrf_token=token))
    assert short.status_code == 400 and "at least 8 characters" in short.get_data(as_text=True)
    assert here.post("/account/password", data=dict(current=PASSWORD, new="new-password-1",
                                                    repeat="new-password-1")).status_code == 403  # no CSRF token
    done = here.post("/account/password", data=dict(current=PASSWORD, new="new-password-1", repeat="new-password-1",
                                                    csrf_token=token))
    assert done.status_code == 200 and "Your password was changed." in done.get_data(as_text=True)
    assert here.get(f"/export/records.csv?{DAY}").status_code == 200
    assert elsewhere.get(f"/export/records.csv?{DAY}").status_code == 401  # the other session ended
    assert login(app.server.test_client(), "changer", "new-password-1").status_code == 302


def test_behind_a_proxy_the_client_address_is_throttled_not_the_proxys(monkeypatch, world):
    from callboard.core.settings import reset_settings_cache
    from data import db
    from data import schema as s

    monkeypatch.setenv("CALLBOARD_PROXY_HOPS", "1")
    reset_settings_cache()
    try:
        from app import create_app

        client = create_app().server.test_client()
        def failures():
            return dict(db.fetch_all(sa.select(s.login_throttle.c.key, s.login_throttle.c.failures)))

        before = failures()
        page = client.get("/login", headers={"X-Forwarded-For": "203.0.113.77"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        resp = client.post("/login", headers={"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Proto": "https"},
                           data=dict(username="ghost", password="x", csrf_token=token))
        assert resp.status_code == 401
        after = failures()
        assert after["ip:203.0.113.77"] == 1 and after.get("ip:127.0.0.1") == before.get("ip:127.0.0.1")
        resp = client.post("/login", headers={"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Proto": "https"},
                           data=dict(username="admin", password=PASSWORD, csrf_token=token))
        cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("callboard_session="))
        assert "Secure" in cookie  # HTTPS at the proxy
    finally:
        monkeypatch.delenv("CALLBOARD_PROXY_HOPS")
        reset_settings_cache()


def test_a_view_link_dies_with_its_schedule(world, clients):
    """An emailed view link works while its schedule exists (read-only page for someone not
    signed in, the interactive page for a signed-in user) and is refused once the
    schedule is deleted."""
    from callboard.reports import schedules
    from data import db
    from data import schema as s
    from scheduler import links

    with db.transaction() as conn:
        owner = conn.execute(sa.select(s.app_user.c.id).where(s.app_user.c.username == "manager_a")).scalar_one()
        sid = conn.execute(sa.insert(s.schedule).values(
            owner_id=owner, name="Team A daily", kind="cdr", filters={}, period="yesterday", frequency="daily",
            run_time="07:00", recipients="a@example.com", format="csv", created_utc=_now(), updated_utc=_now(),
        ).returning(s.schedule.c.id)).scalar_one()
        salt = links.new_salt()
        conn.execute(sa.insert(s.delivery).values(
            schedule_id=sid, owner_id=owner, kind="cdr", name="Team A daily", format="csv", status="sent",
            created_utc=_now(), expires_utc=_now() + timedelta(hours=24), language="en",
            token_hash=links.token_hash(links.token_for(salt)), token_salt=salt,
            view_path="/records?preset=custom&from=2026-03-10&to=2026-03-10"))
    view = "/view/" + links.token_for(salt)
    assert clients["anonymous"].get(view).status_code == 200  # read-only, the owner's scope
    assert clients["viewer_a"].get(view).status_code == 303
    schedules.delete(sid)
    for who in ("anonymous", "viewer_a", "admin"):
        resp = clients[who].get(view)
        assert resp.status_code == 410 and "deleted" in resp.get_data(as_text=True), who

"""Users, scopes, passwords, lock-out, sessions and display tokens — on SQLite and PostgreSQL.

The scope a user gets (callboard.access.scope_for_user) is applied by the data layer: a
manager of team A ("Sales" = extensions 101, 102) listing the calls of 2026-03-10 gets
exactly the calls with 101 or 102 on them (worked out from tests/calls_data.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from callboard import access
from callboard.auth import display_tokens, login, sessions, users
from callboard.auth.passwords import WeakPassword, hash_password, verify_password
from data import db
from data import schema as s
from data.queries.calls import CallFilter, list_calls
from data.scope import Scope
from tests.calls_data import DAY_END, DAY_START, insert_calls


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _audit_actions():
    return [r.action for r in db.fetch_all(sa.select(s.audit_log.c.action).order_by(s.audit_log.c.id))]


def test_passwords_are_argon2_and_checked():
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$") and "correct horse" not in h
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "correct horsE")
    assert not verify_password(None, "anything")  # unknown user: refused (after a dummy check)
    with pytest.raises(WeakPassword):
        hash_password("short")


def test_roles_and_scopes_decide_what_a_user_sees(db_url):
    insert_calls()
    users.add_user("boss", "boss-password", "admin", actor="test")
    users.add_user("anna", "anna-password", "manager", actor="test")
    users.add_user("victor", "victor-password", "viewer", actor="test")
    users.add_user("nobody", "nobody-password", "manager", actor="test")
    users.set_scope("anna", groups=["Sales"], actor="test")
    users.set_scope("victor", queues=["600"], extensions=["103"], actor="test")

    ids = {u.username: u.id for u in users.list_users()}
    assert access.scope_for_user(ids["boss"]).all
    assert access.scope_for_user(ids["anna"]) == Scope.of(groups=["Sales"])
    assert access.scope_for_user(ids["victor"]) == Scope.of(queues=["600"], extensions=["103"])
    assert access.scope_for_user(ids["nobody"]).is_empty  # no assignments: nothing
    assert access.scope_for_user(None).is_empty and access.scope_for_user(99999).is_empty

    day = CallFilter(start_utc=DAY_START, end_utc=DAY_END)

    def uids(user_id):
        rows = db.fetch_all(list_calls(access.scope_for_user(user_id), day, limit=None))
        by_id = dict(db.fetch_all(sa.select(s.call.c.id, s.call.c.call_uid)))
        return sorted(by_id[r.id] for r in rows)

    # c1 (ext 101, queue 600), c2 (102), c3 (101 -> 103), c4 (queue 600 only) on 2026-03-10.
    assert uids(ids["boss"]) == ["c1", "c2", "c3", "c4"]
    assert uids(ids["anna"]) == ["c1", "c2", "c3"]  # Sales: 101, 102
    assert uids(ids["victor"]) == ["c1", "c3", "c4"]  # queue 600 or extension 103
    assert uids(ids["nobody"]) == []

    users.set_disabled("anna", actor="test")
    assert access.scope_for_user(ids["anna"]).is_empty  # disabled: nothing
    assert _audit_actions() == ["user_add"] * 4 + ["user_change"] * 3


def test_bad_user_input_says_what(db_url):
    with pytest.raises(users.UserError, match="Unknown role “boss”"):
        users.add_user("x", "long-enough", "boss")
    with pytest.raises(users.UserError, match="without spaces"):
        users.add_user("two words", "long-enough", "viewer")
    users.add_user("x", "long-enough", "viewer")
    with pytest.raises(users.UserError, match="already exists"):
        users.add_user("x", "long-enough", "viewer")
    with pytest.raises(users.UserError, match="No user “y”"):
        users.set_role("y", "admin")
    assert [u.username for u in users.list_users()] == ["x"]  # nothing half-written


def test_wrong_passwords_lock_the_user_out(db_url, monkeypatch):
    monkeypatch.setenv("CALLBOARD_LOGIN_MAX_FAILURES", "3")
    from callboard.settings import reset_settings_cache

    reset_settings_cache()
    users.add_user("anna", "anna-password", "manager")
    for _ in range(2):
        assert login.authenticate("anna", "guess", ip="10.0.0.1").reason == "bad_credentials"
    assert login.authenticate("anna", "anna-password", ip="10.0.0.1").ok  # success resets the count
    for _ in range(3):
        assert login.authenticate("anna", "guess", ip="10.0.0.1").reason == "bad_credentials"
    # The third failure locked her for 5 minutes: even the right password is refused now.
    result = login.authenticate("anna", "anna-password", ip="10.0.0.1")
    assert result.reason == "locked" and 295 <= result.retry_after_s <= 301
    row = db.fetch_all(sa.select(s.app_user).where(s.app_user.c.username == "anna"))[0]
    assert row.failed_logins == 3
    # Time passes: the lock is over; the next wrong one locks for twice as long.
    with db.transaction() as conn:
        conn.execute(sa.update(s.app_user).values(locked_until_utc=_now() - timedelta(seconds=1)))
    assert login.authenticate("anna", "guess", ip="10.0.0.1").reason == "bad_credentials"
    assert 595 <= login.authenticate("anna", "anna-password").retry_after_s <= 601
    # An administrator's reset unlocks.
    users.set_password("anna", "new-anna-password")
    assert login.authenticate("anna", "new-anna-password").ok
    assert login.lock_duration(2, 3) is None and login.lock_duration(20, 3) == timedelta(hours=1)
    actions = _audit_actions()
    assert actions.count("login") == 2 and actions.count("login_failed") == 8


def test_one_address_guessing_many_names_is_throttled(db_url):
    users.add_user("anna", "anna-password", "manager")
    for i in range(login.IP_MAX_FAILURES):
        assert login.authenticate(f"ghost{i}", "x", ip="203.0.113.9").reason == "bad_credentials"
    assert login.authenticate("anna", "anna-password", ip="203.0.113.9").reason == "ip_locked"
    assert login.authenticate("anna", "anna-password", ip="198.51.100.1").ok  # other addresses are fine
    # A day later the address is forgotten at the next failure anywhere.
    with db.transaction() as conn:
        conn.execute(sa.update(s.login_throttle).values(window_start_utc=_now() - timedelta(days=2),
                                                        locked_until_utc=_now() - timedelta(days=1)))
    login.authenticate("anna", "wrong", ip="198.51.100.1")
    assert [r.key for r in db.fetch_all(sa.select(s.login_throttle))] == ["ip:198.51.100.1"]


def test_sessions_forged_expired_idle_and_disabled_are_refused(db_url):
    uid = users.add_user("anna", "anna-password", "manager")
    sid = sessions.create(uid, ip="10.0.0.1")
    found = sessions.load(sid)
    assert found.username == "anna" and found.role == "manager"
    stored = db.fetch_all(sa.select(s.user_session))[0]
    assert stored.id_hash == sessions.hash_id(sid) and sid not in stored.id_hash  # only the hash is kept
    assert sessions.load(sid + "x") is None and sessions.load("") is None and sessions.load(None) is None
    # Idle too long.
    with db.transaction() as conn:
        conn.execute(sa.update(s.user_session).values(last_seen_utc=_now() - timedelta(hours=9)))
    assert sessions.load(sid) is None
    # Past its absolute end.
    with db.transaction() as conn:
        conn.execute(sa.update(s.user_session).values(last_seen_utc=_now(), expires_utc=_now() - timedelta(seconds=1)))
    assert sessions.load(sid) is None
    # A disabled user's sessions are gone.
    sid2 = sessions.create(uid)
    assert sessions.load(sid2) is not None
    users.set_disabled("anna")
    assert sessions.load(sid2) is None
    # A sign-in sweeps out everybody's dead sessions.
    other = users.add_user("bob", "bob-password", "viewer")
    stale = sessions.create(other)
    with db.transaction() as conn:
        conn.execute(sa.update(s.user_session).where(s.user_session.c.id_hash == sessions.hash_id(stale))
                     .values(last_seen_utc=_now() - timedelta(days=2)))
    sessions.create(other)
    assert len(db.fetch_all(sa.select(s.user_session))) == 1
    # CSRF tokens are bound to the session.
    assert sessions.csrf_token_for("a") != sessions.csrf_token_for("b")


def test_display_tokens_grant_their_queues_until_revoked(db_url):
    token = display_tokens.create("Support floor", ["600", " 601", "600"])
    assert access.wallboard_scope(token).queues == frozenset({"600", "601"})
    assert not access.wallboard_scope(token).extensions and not access.wallboard_scope(token).all
    assert access.wallboard_scope("not-a-token") is None
    assert access.wallboard_scope(None) is None  # no token and nobody signed in
    stored = db.fetch_all(sa.select(s.display_token))[0]
    assert token not in stored.token_hash and stored.queues == ["600", "601"]
    assert display_tokens.revoke(stored.id) and not display_tokens.revoke(stored.id)
    assert access.wallboard_scope(token) is None  # the next refresh after revoking
    with pytest.raises(display_tokens.TokenError, match="at least one queue"):
        display_tokens.create("Empty", [])
    assert _audit_actions() == ["display_token_add", "display_token_revoke"]


def test_nobody_signed_in_sees_nothing():
    assert access.current_user() is None
    assert access.current_scope().is_empty  # outside a request: no implicit administrator


def test_a_managers_recordings_and_chats_are_their_teams(db_url, tmp_path):
    """tests/recordings_data.py: the recordings page lists answered calls not ended in an IVR
    or voicemail — c1 (101), c_out (102), c_miss (103). Team A (Sales: 101, 102) gets c1 and
    c_out, a viewer of 103 only c_miss; chats: S1 (agent 101) and S2 (agent 102) are team A's."""
    from data.queries.chats import ChatFilter, list_sessions
    from data.queries.recordings import list_recordings
    from tests.recordings_data import insert_recordings

    ids = insert_recordings(tmp_path / "rec")
    uid = users.add_user("anna", "anna-password", "manager")
    users.set_scope("anna", groups=["Sales"])
    victor = users.add_user("victor", "victor-password", "viewer")
    users.set_scope("victor", extensions=["103"])
    everything = CallFilter(start_utc=DAY_START, end_utc=DAY_END + timedelta(days=1))

    def recordings(user_id):
        rows = db.fetch_all(list_recordings(access.scope_for_user(user_id), everything, limit=None))
        assert {r.id for r in rows} <= set(ids["recs"].values())
        return sorted(r.call_uid for r in rows)

    assert recordings(uid) == ["c1", "c_out"]
    assert recordings(victor) == ["c_miss"]
    chats = db.fetch_all(list_sessions(access.scope_for_user(uid), ChatFilter(), limit=None))
    assert sorted(r.session_uid for r in chats) == ["S1", "S2"]
    assert db.fetch_all(list_sessions(access.scope_for_user(victor), ChatFilter(), limit=None)) == []

"""Users, scopes, passwords, lock-out, sessions and display tokens — on SQLite and PostgreSQL.

The scope a user gets (data.access.users.scope_for_user) is applied by the data layer: a
manager of team A ("Sales" = extensions 101, 102) listing the calls of 2026-03-10 gets
exactly the calls with 101 or 102 on them (worked out from tests/calls_data.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from callboard.web import access
from data.access import display_tokens
from data.access import login
from data.access import sessions
from data.access import users
from data.access.passwords import WeakPassword, hash_password, verify_password
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
    assert users.scope_for_user(ids["boss"]).all
    assert users.scope_for_user(ids["anna"]) == Scope.of(groups=["Sales"])
    assert users.scope_for_user(ids["victor"]) == Scope.of(queues=["600"], extensions=["103"])
    assert users.scope_for_user(ids["nobody"]).is_empty  # no assignments: nothing
    assert users.scope_for_user(None).is_empty and users.scope_for_user(99999).is_empty

    day = CallFilter(start_utc=DAY_START, end_utc=DAY_END)

    def uids(user_id):
        rows = db.fetch_all(list_calls(users.scope_for_user(user_id), day, limit=None))
        by_id = dict(db.fetch_all(sa.select(s.call.c.id, s.call.c.call_uid)))
        return sorted(by_id[r.id] for r in rows)

    # c1 (ext 101, queue 600), c2 (102), c3 (101 -> 103), c4 (queue 600 only) on 2026-03-10.
    assert uids(ids["boss"]) == ["c1", "c2", "c3", "c4"]
    assert uids(ids["anna"]) == ["c1", "c2", "c3"]  # Sales: 101, 102
    assert uids(ids["victor"]) == ["c1", "c3", "c4"]  # queue 600 or extension 103
    assert uids(ids["nobody"]) == []

    users.set_disabled("anna", actor="test")
    assert users.scope_for_user(ids["anna"]).is_empty  # disabled: nothing
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


def _throttle_rows():
    return {r.key: r for r in db.fetch_all(sa.select(s.login_throttle))}


def _age_locks(**delta):
    """Time passes for the throttle: every lock ends `delta` earlier."""
    with db.transaction() as conn:
        conn.execute(sa.update(s.login_throttle).where(s.login_throttle.c.locked_until_utc.is_not(None))
                     .values(locked_until_utc=_now() - timedelta(seconds=1)))


def test_wrong_passwords_make_that_address_wait_for_that_name(db_url, monkeypatch):
    """Issue 15: the lock-out is per (user name, client address) with growing delays — it
    used to lock the user out from everywhere. An address guessing anna's password waits
    5 min after the 3rd wrong one in a row, 10 after the 4th; anna signs in from elsewhere
    all the while; an administrator's reset clears the name's counters everywhere."""
    monkeypatch.setenv("CALLBOARD_LOGIN_MAX_FAILURES", "3")
    from callboard.core.settings import reset_settings_cache

    reset_settings_cache()
    users.add_user("anna", "anna-password", "manager")
    attacker, home = "203.0.113.9", "198.51.100.1"
    for _ in range(2):
        assert login.authenticate("anna", "guess", ip=attacker).reason == "bad_credentials"
    assert login.authenticate("anna", "anna-password", ip=attacker).ok  # success resets the count
    for _ in range(3):
        assert login.authenticate("anna", "guess", ip=attacker).reason == "bad_credentials"
    # The third failure in a row locked this address for anna for 5 minutes: even the right
    # password is refused from there now...
    result = login.authenticate("anna", "anna-password", ip=attacker)
    assert result.reason == "locked" and 295 <= result.retry_after_s <= 301
    # ...but not from any other address (one never used before included).
    assert login.authenticate("anna", "anna-password", ip=home).ok
    assert login.authenticate("anna", "anna-password", ip="192.0.2.33").ok
    assert users.get_user("anna").locked_until_utc is None
    # Time passes: the lock is over; the next wrong one from there locks for twice as long.
    _age_locks()
    assert login.authenticate("anna", "guess", ip=attacker).reason == "bad_credentials"
    assert 595 <= login.authenticate("anna", "anna-password", ip=attacker).retry_after_s <= 601
    assert _throttle_rows()[f"ip-user:{attacker}|anna"].failures == 4
    # An administrator's reset unlocks that address too.
    users.set_password("anna", "new-anna-password")
    assert login.authenticate("anna", "new-anna-password", ip=attacker).ok
    assert not [k for k in _throttle_rows() if "anna" in k]
    assert login.lock_duration(2, 3) is None and login.lock_duration(20, 3) == timedelta(hours=1)
    actions = _audit_actions()
    assert actions.count("login") == 4 and actions.count("login_failed") == 8
    reasons = [r.details["reason"] for r in db.fetch_all(sa.select(s.audit_log.c.details).where(
        s.audit_log.c.action == "login_failed").order_by(s.audit_log.c.id))]
    assert reasons.count("locked") == 2


def test_a_guess_from_many_addresses_spares_the_addresses_the_user_signed_in_from(db_url):
    """USER_MAX_FAILURES wrong passwords for a name from many addresses together make new
    addresses wait; a correct password from an address the user signed in from recently
    gets through all the same."""
    users.add_user("anna", "anna-password", "manager")
    office = "198.51.100.1"
    assert login.authenticate("anna", "anna-password", ip=office).ok
    for i in range(login.USER_MAX_FAILURES):  # 4 from each of 5 addresses: no address alone is locked
        assert login.authenticate("anna", "guess", ip=f"203.0.113.{i // 4}").reason == "bad_credentials"
    result = login.authenticate("anna", "anna-password", ip="192.0.2.50")  # a new address
    assert result.reason == "user_locked" and 295 <= result.retry_after_s <= 301
    assert users.get_user("anna").failed_logins == 20 and users.get_user("anna").locked_until_utc is not None
    assert login.authenticate("anna", "anna-password", ip=office).ok  # her office: in
    assert users.get_user("anna").locked_until_utc is None  # and her success ended the name's count
    # "Recently": an address not used for KNOWN_ADDRESS_DAYS is new again.
    with db.transaction() as conn:
        conn.execute(sa.update(s.login_address).values(
            last_login_utc=_now() - timedelta(days=login.KNOWN_ADDRESS_DAYS + 1)))
    for i in range(login.USER_MAX_FAILURES):
        login.authenticate("anna", "guess", ip=f"203.0.113.{10 + i // 4}")
    assert login.authenticate("anna", "anna-password", ip=office).reason == "user_locked"


def test_known_and_unknown_names_answer_alike_and_both_run_the_hash(db_url, monkeypatch):
    """An existing name and one that does not exist go through the same counters: the same
    reason and wait at every step (they used to differ: 429 for a locked real name, 401 for
    an unknown one forever), and both run one Argon2 verification per checked attempt."""
    from data.access import passwords

    users.add_user("anna", "anna-password", "manager")
    verified = []
    real = passwords._hasher

    class Spy:  # PasswordHasher has slots: wrap it
        def verify(self, stored, password):
            verified.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Spy())

    def attempts(name, ip):
        out = []
        for _ in range(7):
            r = login.authenticate(name, "guess", ip=ip)
            out.append((r.ok, r.reason, r.retry_after_s // 10))
        return out

    known, unknown = attempts("anna", "203.0.113.1"), attempts("nobody-here", "203.0.113.2")
    assert known == unknown
    assert [r for _, r, _ in known] == ["bad_credentials"] * 5 + ["locked"] * 2
    # Five checked attempts each, each one verification: a real hash and the dummy one.
    assert len(verified) == 10 and verified.count(passwords._DUMMY_HASH) == 5


def test_one_address_guessing_many_names_is_throttled(db_url):
    users.add_user("anna", "anna-password", "manager")
    for i in range(login.IP_MAX_FAILURES):
        assert login.authenticate(f"ghost{i}", "x", ip="203.0.113.9").reason == "bad_credentials"
    assert login.authenticate("anna", "anna-password", ip="203.0.113.9").reason == "ip_locked"
    assert login.authenticate("anna", "anna-password", ip="198.51.100.1").ok  # other addresses are fine
    # Somebody else's guessing behind one address does not lock out a user who signed in
    # from it before (an office behind one NAT address).
    users.add_user("bob", "bob-password", "viewer")
    assert login.authenticate("bob", "bob-password", ip="192.0.2.7").ok
    for i in range(login.IP_MAX_FAILURES):
        login.authenticate(f"ghost{i}", "x", ip="192.0.2.7")
    assert login.authenticate("bob", "bob-password", ip="192.0.2.7").ok
    assert login.authenticate("anna", "anna-password", ip="192.0.2.7").reason == "ip_locked"  # never there
    # A day later the counters are forgotten at the next attempt anywhere.
    with db.transaction() as conn:
        conn.execute(sa.update(s.login_throttle).values(window_start_utc=_now() - timedelta(days=2),
                                                        locked_until_utc=_now() - timedelta(days=1)))
    login.authenticate("anna", "wrong", ip="198.51.100.1")
    assert sorted(_throttle_rows()) == ["ip-user:198.51.100.1|anna", "ip:198.51.100.1", "user:anna"]


def test_wrong_current_passwords_count_like_failed_sign_ins(db_url):
    uid = users.add_user("anna", "anna-password", "manager")
    for _ in range(5):
        assert login.check_password(uid, "guess", ip="203.0.113.4").reason == "bad_credentials"
    result = login.check_password(uid, "anna-password", ip="203.0.113.4")
    assert result.reason == "locked" and result.retry_after_s > 290
    assert login.authenticate("anna", "anna-password", ip="203.0.113.4").reason == "locked"  # the same count
    assert login.check_password(uid, "anna-password", ip="198.51.100.1").ok


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
        rows = db.fetch_all(list_recordings(users.scope_for_user(user_id), everything, limit=None))
        assert {r.id for r in rows} <= set(ids["recs"].values())
        return sorted(r.call_uid for r in rows)

    assert recordings(uid) == ["c1", "c_out"]
    assert recordings(victor) == ["c_miss"]
    chats = db.fetch_all(list_sessions(users.scope_for_user(uid), ChatFilter(), limit=None))
    assert sorted(r.session_uid for r in chats) == ["S1", "S2"]
    assert db.fetch_all(list_sessions(users.scope_for_user(victor), ChatFilter(), limit=None)) == []

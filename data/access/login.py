"""Checking a user name and password, with throttling that cannot lock the real user out.

Three counters of failed sign-ins (table login_throttle), each for existing and unknown
user names alike — both answer the same status, message and Retry-After, and both run a
password hash (a dummy one for unknown names), so neither answers nor timing tell which
names exist:

- **name and address** (``ip-user:<ip>|<name>``): CALLBOARD_LOGIN_MAX_FAILURES wrong
  passwords in a row for one name from one address make that address wait before trying
  that name again: 5 min, doubling with every further failure, at most 1 h. Other
  addresses are not affected: somebody guessing elsewhere does not lock the user out.
- **name** (``user:<name>``, every address together): USER_MAX_FAILURES failures in a row
  (a guess spread over many addresses) make addresses the user has not signed in from in
  the last KNOWN_ADDRESS_DAYS days wait likewise; a correct password from an address the
  user signed in from recently (table login_address) still gets through.
- **address** (``ip:<ip>``, any names): IP_MAX_FAILURES failures within IP_WINDOW block
  the address for IP_WINDOW — except for a user signing in from an address they signed in
  from recently. Behind a proxy every client has the proxy's address unless
  CALLBOARD_PROXY_HOPS says how many proxies to look through (the app logs a warning).

A success resets that address's counter for the name and the name's own. Wrong current passwords
on the change-password form count like failed sign-ins (``check_password``). Every attempt
is written to the audit log (login / login_failed with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from data.access import audit
from data.access.passwords import hash_password, needs_rehash, verify_password
from callboard.core.settings import get_settings
from data import db
from data import schema as s

IP_MAX_FAILURES = 20
IP_WINDOW = timedelta(minutes=15)
USER_MAX_FAILURES = 20
NAME_WINDOW = timedelta(days=1)  # a name's failures are forgotten a day after the first
FIRST_LOCK = timedelta(minutes=5)
LONGEST_LOCK = timedelta(hours=1)
KNOWN_ADDRESS_DAYS = 30


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    user_id: int | None = None
    username: str | None = None
    reason: str | None = None  # bad_credentials | locked | user_locked | ip_locked | disabled
    retry_after_s: int = 0

    @property
    def throttled(self) -> bool:
        return self.reason in ("locked", "user_locked", "ip_locked")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def lock_duration(failures: int, max_failures: int) -> timedelta | None:
    """How long an address waits after `failures` wrong passwords in a row (None: not yet)."""
    if failures < max_failures:
        return None
    return min(FIRST_LOCK * (2 ** min(failures - max_failures, 20)), LONGEST_LOCK)


def _keys(name: str, ip: str | None) -> dict[str, str | None]:
    return {"ip": f"ip:{ip}" if ip else None, "pair": f"ip-user:{ip or '-'}|{name}", "user": f"user:{name}"}


def _locked_until(conn, key: str | None, now: datetime) -> datetime | None:
    if key is None:
        return None
    t = s.login_throttle
    until = conn.execute(sa.select(t.c.locked_until_utc).where(t.c.key == key)).scalar()
    return until if until and until > now else None


def _count_failure(conn, key: str | None, now: datetime, *, window: timedelta, max_failures: int,
                   username: str | None, fixed_lock: timedelta | None = None) -> None:
    """One more failure on `key`: a new window when the last one is over; locked for the
    growing lock_duration (or `fixed_lock`) once `max_failures` are reached."""
    if key is None:
        return
    t = s.login_throttle
    row = conn.execute(sa.select(t).where(t.c.key == key).with_for_update()).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(t).values(key=key, username=username, failures=1, window_start_utc=now,
                                                 locked_until_utc=_lock_end(now, 1, max_failures, fixed_lock)))
            return
        except sa.exc.IntegrityError:  # another request counted the first one: add to it
            row = conn.execute(sa.select(t).where(t.c.key == key)).first()
    if row.window_start_utc + window <= now:
        failures, start = 1, now
    else:
        failures, start = row.failures + 1, row.window_start_utc
    locked = _lock_end(now, failures, max_failures, fixed_lock) or row.locked_until_utc
    conn.execute(sa.update(t).where(t.c.key == key).values(failures=failures, window_start_utc=start,
                                                           locked_until_utc=locked))


def _lock_end(now, failures, max_failures, fixed_lock) -> datetime | None:
    if failures < max_failures:
        return None
    return now + (fixed_lock or lock_duration(failures, max_failures))


def _forget_old(conn, now: datetime) -> None:
    """Housekeeping: counters whose window and lock are long over are forgotten."""
    t = s.login_throttle
    conn.execute(sa.delete(t).where(t.c.window_start_utc < now - NAME_WINDOW - timedelta(hours=1),
                                    sa.or_(t.c.locked_until_utc.is_(None), t.c.locked_until_utc < now)))


def _known_address(conn, user_id: int | None, ip: str | None, now: datetime) -> bool:
    if user_id is None or not ip:
        return False
    a = s.login_address
    last = conn.execute(sa.select(a.c.last_login_utc).where(a.c.user_id == user_id, a.c.ip == ip)).scalar()
    return last is not None and last > now - timedelta(days=KNOWN_ADDRESS_DAYS)


def _throttle(conn, name: str, ip: str | None, user_id: int | None, now: datetime) -> tuple[str, datetime] | None:
    """(reason, until) when this attempt is refused before its password is checked."""
    keys = _keys(name, ip)
    known = None  # looked up only when a lock applies (one query fewer on the usual path)
    ip_until = _locked_until(conn, keys["ip"], now)
    if ip_until:
        known = _known_address(conn, user_id, ip, now)
        if not known:
            return "ip_locked", ip_until
    pair_until = _locked_until(conn, keys["pair"], now)
    if pair_until:
        return "locked", pair_until
    user_until = _locked_until(conn, keys["user"], now)
    if user_until and not (known if known is not None else _known_address(conn, user_id, ip, now)):
        return "user_locked", user_until
    return None


def _failed(conn, name: str, ip: str | None, now: datetime) -> None:
    _forget_old(conn, now)
    keys = _keys(name, ip)
    max_failures = get_settings().login_max_failures
    _count_failure(conn, keys["ip"], now, window=IP_WINDOW, max_failures=IP_MAX_FAILURES, username=None,
                   fixed_lock=IP_WINDOW)
    _count_failure(conn, keys["pair"], now, window=NAME_WINDOW, max_failures=max_failures, username=name)
    _count_failure(conn, keys["user"], now, window=NAME_WINDOW, max_failures=USER_MAX_FAILURES, username=name)


def _succeeded(conn, user_id: int, name: str, ip: str | None, now: datetime) -> None:
    t, a = s.login_throttle, s.login_address
    keys = _keys(name, ip)
    # Failures "in a row" end here: this address's for the name, and the name's. Other
    # addresses' counters for the name stay (somebody guessing there goes on waiting).
    conn.execute(sa.delete(t).where(t.c.key.in_([keys["pair"], keys["user"]])))
    if ip:
        if conn.execute(sa.update(a).where(a.c.user_id == user_id, a.c.ip == ip)
                        .values(last_login_utc=now)).rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(a).values(user_id=user_id, ip=ip, last_login_utc=now))
            except sa.exc.IntegrityError:
                pass  # the same user signed in from there a moment ago
        conn.execute(sa.delete(a).where(a.c.user_id == user_id,
                                        a.c.last_login_utc < now - timedelta(days=KNOWN_ADDRESS_DAYS)))


def _refused(reason: str, until: datetime, now: datetime) -> LoginResult:
    return LoginResult(False, reason=reason, retry_after_s=int((until - now).total_seconds()) + 1)


def authenticate(username: str, password: str, *, ip: str | None = None) -> LoginResult:
    name = (username or "").strip()[:100]
    now = _now()
    u = s.app_user
    actor = {"username": name or None, "ip": ip}
    # Reads, the password check, then the writes: no write lock is held while the hash runs
    # (on SQLite that would make sign-ins wait for each other).
    with db.transaction() as conn:
        row = conn.execute(sa.select(u).where(u.c.username == name)).first()
        if row is not None:
            actor["user_id"] = row.id
        refused = _throttle(conn, name, ip, row.id if row is not None else None, now)
        if refused:
            reason, until = refused
            _count_failure(conn, _keys(name, ip)["ip"], now, window=IP_WINDOW, max_failures=IP_MAX_FAILURES,
                           username=None, fixed_lock=IP_WINDOW)
            audit.record("login_failed", ("user", name), {"reason": reason}, actor, conn=conn)
            return _refused(reason, until, now)
        # Unknown names are checked against a dummy hash: as slow as a wrong password.
        if not verify_password(row.password_hash if row is not None else None, password):
            _failed(conn, name, ip, now)
            audit.record("login_failed", ("user", name), {"reason": "bad_credentials"}, actor, conn=conn)
            return LoginResult(False, reason="bad_credentials")
        if row.disabled:
            audit.record("login_failed", ("user", name), {"reason": "disabled"}, actor, conn=conn)
            return LoginResult(False, reason="disabled")
        _succeeded(conn, row.id, name, ip, now)
        if needs_rehash(row.password_hash):
            conn.execute(sa.update(u).where(u.c.id == row.id).values(password_hash=hash_password(password)))
        audit.record("login", ("user", name), None, actor, conn=conn)
        return LoginResult(True, user_id=row.id, username=row.username)


def check_password(user_id: int, password: str, *, ip: str | None = None) -> LoginResult:
    """A signed-in user's current password (the change-password form), throttled and counted
    like a sign-in: guessing it from a stolen session is as slow as guessing at /login."""
    now = _now()
    u = s.app_user
    with db.transaction() as conn:
        row = conn.execute(sa.select(u.c.id, u.c.username, u.c.password_hash).where(u.c.id == user_id)).first()
        if row is None:
            return LoginResult(False, reason="bad_credentials")
        refused = _throttle(conn, row.username, ip, row.id, now)
        if refused:
            return _refused(*refused, now)
        if not verify_password(row.password_hash, password):
            _failed(conn, row.username, ip, now)
            return LoginResult(False, user_id=row.id, username=row.username, reason="bad_credentials")
        return LoginResult(True, user_id=row.id, username=row.username)


def clear_throttle(conn, username: str) -> None:
    """Forget a name's counters (an administrator's password reset unlocks it everywhere)."""
    conn.execute(sa.delete(s.login_throttle).where(s.login_throttle.c.username == username))


def name_lock(conn, usernames) -> dict[str, tuple[int, datetime | None]]:
    """{name: (failures in a row from every address, locked for new addresses until)}."""
    t, now = s.login_throttle, _now()
    rows = conn.execute(sa.select(t.c.username, t.c.failures, t.c.locked_until_utc)
                        .where(t.c.key.in_([f"user:{n}" for n in usernames])))
    return {r.username: (r.failures, r.locked_until_utc if r.locked_until_utc and r.locked_until_utc > now
                         else None) for r in rows}

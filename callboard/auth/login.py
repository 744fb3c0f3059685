"""Checking a user name and password, with lock-out and per-address throttling.

- A user with CALLBOARD_LOGIN_MAX_FAILURES wrong passwords in a row is locked for 5 min,
  doubling with every further failure up to 1 h; while locked even the right password is
  refused (an administrator's ``callboard users reset-password`` unlocks).
- One client address with 20 failures within 15 min (any user names, known or not) is
  refused for 15 min.
Every attempt is written to the audit log (login / login_failed with the reason).
Unknown names take as long as wrong passwords (a dummy hash is verified).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from callboard.auth import audit
from callboard.auth.passwords import hash_password, needs_rehash, verify_password
from callboard.settings import get_settings
from data import db
from data import schema as s

IP_MAX_FAILURES = 20
IP_WINDOW = timedelta(minutes=15)
FIRST_LOCK = timedelta(minutes=5)
LONGEST_LOCK = timedelta(hours=1)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    user_id: int | None = None
    username: str | None = None
    reason: str | None = None  # bad_credentials | locked | ip_locked | disabled
    retry_after_s: int = 0


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _ip_locked(conn, ip: str | None, now: datetime) -> datetime | None:
    if not ip:
        return None
    t = s.login_throttle
    row = conn.execute(sa.select(t.c.locked_until_utc).where(t.c.key == f"ip:{ip}")).first()
    return row.locked_until_utc if row and row.locked_until_utc and row.locked_until_utc > now else None


def _ip_failed(conn, ip: str | None, now: datetime) -> None:
    if not ip:
        return
    t = s.login_throttle
    key = f"ip:{ip}"
    # Housekeeping: addresses whose window and lock are long over are forgotten.
    conn.execute(sa.delete(t).where(t.c.window_start_utc < now - timedelta(days=1),
                                    sa.or_(t.c.locked_until_utc.is_(None), t.c.locked_until_utc < now)))
    row = conn.execute(sa.select(t).where(t.c.key == key)).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(t).values(key=key, failures=1, window_start_utc=now))
            return
        except sa.exc.IntegrityError:
            row = conn.execute(sa.select(t).where(t.c.key == key)).first()
    if row.window_start_utc + IP_WINDOW <= now:
        failures, start = 1, now
    else:
        failures, start = row.failures + 1, row.window_start_utc
    locked = now + IP_WINDOW if failures >= IP_MAX_FAILURES else row.locked_until_utc
    conn.execute(sa.update(t).where(t.c.key == key).values(failures=failures, window_start_utc=start,
                                                           locked_until_utc=locked))


def lock_duration(failures: int, max_failures: int) -> timedelta | None:
    """How long a user is locked after `failures` wrong passwords in a row (None: not locked)."""
    if failures < max_failures:
        return None
    return min(FIRST_LOCK * (2 ** (failures - max_failures)), LONGEST_LOCK)


def authenticate(username: str, password: str, *, ip: str | None = None) -> LoginResult:
    name = (username or "").strip()[:100]
    now = _now()
    u = s.app_user
    actor = {"username": name or None, "ip": ip}
    with db.transaction() as conn:
        ip_until = _ip_locked(conn, ip, now)
        if ip_until:
            audit.record("login_failed", ("user", name), {"reason": "ip_locked"}, actor, conn=conn)
            return LoginResult(False, reason="ip_locked", retry_after_s=int((ip_until - now).total_seconds()) + 1)
        row = conn.execute(sa.select(u).where(u.c.username == name)).first()
        if row is not None and row.locked_until_utc and row.locked_until_utc > now:
            _ip_failed(conn, ip, now)
            audit.record("login_failed", ("user", name), {"reason": "locked"},
                         dict(actor, user_id=row.id), conn=conn)
            return LoginResult(False, reason="locked",
                               retry_after_s=int((row.locked_until_utc - now).total_seconds()) + 1)
        good = verify_password(row.password_hash if row is not None else None, password)
        if not good:
            _ip_failed(conn, ip, now)
            if row is not None:
                failures = (row.failed_logins or 0) + 1
                lock = lock_duration(failures, get_settings().login_max_failures)
                conn.execute(sa.update(u).where(u.c.id == row.id).values(
                    failed_logins=failures, locked_until_utc=(now + lock) if lock else None))
                actor["user_id"] = row.id
            audit.record("login_failed", ("user", name), {"reason": "bad_credentials"}, actor, conn=conn)
            return LoginResult(False, reason="bad_credentials")
        if row.disabled:
            audit.record("login_failed", ("user", name), {"reason": "disabled"}, dict(actor, user_id=row.id), conn=conn)
            return LoginResult(False, reason="disabled")
        values = dict(failed_logins=0, locked_until_utc=None)
        if needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        conn.execute(sa.update(u).where(u.c.id == row.id).values(**values))
        audit.record("login", ("user", name), None, dict(actor, user_id=row.id), conn=conn)
        return LoginResult(True, user_id=row.id, username=row.username)

"""Server-side sessions: the browser holds a random id (cookie), the database its SHA-256.

A forged, expired, logged-out or disabled user's session finds no valid row and is
refused. Sessions end after CALLBOARD_SESSION_IDLE_MINUTES without a request and at the
latest CALLBOARD_SESSION_MAX_HOURS after login.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from data.access.secret import app_secret
from callboard.core.settings import get_settings
from data import db
from data import schema as s

COOKIE = "callboard_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads and sends as X-CSRFToken
CSRF_HEADER = "X-CSRFToken"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most once a minute


@dataclass(frozen=True)
class Session:
    id_hash: str
    user_id: int
    username: str
    role: str
    last_seen_utc: datetime


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token_for(credential: str) -> str:
    """The CSRF token bound to a session id (or display token): HMAC with the app secret,
    so a cookie planted by someone else never matches."""
    return hmac.new(app_secret().encode(), b"csrf:" + credential.encode(), hashlib.sha256).hexdigest()


def create(user_id: int, *, ip: str | None = None, user_agent: str | None = None) -> str:
    """A new session for user_id; returns the id for the cookie (only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    now = _now()
    with db.transaction() as conn:
        conn.execute(sa.insert(s.user_session).values(
            id_hash=hash_id(session_id), user_id=user_id, created_utc=now, last_seen_utc=now,
            expires_utc=now + timedelta(hours=get_settings().session_max_hours),
            ip=ip, user_agent=(user_agent or "")[:255] or None,
        ))
        # Housekeeping at every sign-in: drop everybody's sessions that have run out (past
        # their end, or idle too long), so the table holds live sessions only.
        idle = timedelta(minutes=get_settings().session_idle_minutes)
        conn.execute(sa.delete(s.user_session).where(sa.or_(s.user_session.c.expires_utc < now,
                                                            s.user_session.c.last_seen_utc < now - idle)))
    return session_id


def load(session_id: str | None) -> Session | None:
    """The live session of a cookie value, or None (unknown, expired, idle, disabled user)."""
    if not session_id or len(session_id) > 200:
        return None
    us, u = s.user_session, s.app_user
    now = _now()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    h = hash_id(session_id)
    with db.connect() as conn:
        row = conn.execute(
            sa.select(us.c.id_hash, us.c.user_id, us.c.last_seen_utc, us.c.expires_utc, u.c.username, u.c.role,
                      u.c.disabled)
            .join(u, u.c.id == us.c.user_id).where(us.c.id_hash == h)
        ).first()
    if row is None or row.disabled or row.expires_utc <= now or row.last_seen_utc + idle <= now:
        return None
    if now - row.last_seen_utc >= TOUCH_EVERY:
        with db.transaction() as conn:
            conn.execute(sa.update(us).where(us.c.id_hash == h).values(last_seen_utc=now))
    return Session(id_hash=h, user_id=row.user_id, username=row.username, role=row.role, last_seen_utc=now)


def end(session_id: str | None) -> None:
    if session_id:
        with db.transaction() as conn:
            conn.execute(sa.delete(s.user_session).where(s.user_session.c.id_hash == hash_id(session_id)))

"""Display tokens: read-only credentials for wall displays, limited to chosen queues.

The token (shown once, when created) goes into the display's URL
(``/wallboard?token=...``); the database keeps its SHA-256 only. A revoked or unknown
token grants nothing, checked on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from data.access import audit
from callboard.core.i18n import N_
from data import db
from data import schema as s
from data.scope import Scope

TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class DisplayToken:
    id: int
    name: str
    queues: tuple[str, ...]
    created_utc: datetime | None = None
    revoked_utc: datetime | None = None
    last_used_utc: datetime | None = None

    @property
    def scope(self) -> Scope:
        """Its queues only; external numbers masked (a wall display is seen by passers-by)."""
        from data.access.users import with_masking

        return with_masking(Scope.of(queues=self.queues), True)


class TokenError(ValueError):
    def __init__(self, msgid: str, **params):
        super().__init__(msgid.format(**params))
        self.msgid, self.params = msgid, params


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(name: str, queues, *, created_by: int | None = None, actor=None) -> str:
    """A new token for these queues; returns the token itself (not stored anywhere)."""
    name = (name or "").strip()
    queues = sorted({str(q).strip() for q in queues or () if str(q).strip()})
    if not name:
        raise TokenError(N_("A display token needs a name (e.g. where the display hangs)."))
    if not queues:
        raise TokenError(N_("A display token needs at least one queue."))
    token = secrets.token_urlsafe(24)
    with db.transaction() as conn:
        tid = conn.execute(sa.insert(s.display_token).values(
            name=name[:200], token_hash=hash_token(token), queues=queues, created_by=created_by,
            created_utc=_now()).returning(s.display_token.c.id)).scalar_one()
        audit.record("display_token_add", ("display_token", tid), {"name": name, "queues": queues}, actor, conn=conn)
    return token


def list_tokens() -> list[DisplayToken]:
    t = s.display_token
    rows = db.fetch_all(sa.select(t).order_by(t.c.revoked_utc.is_not(None), t.c.name, t.c.id))
    return [DisplayToken(r.id, r.name, tuple(r.queues or ()), r.created_utc, r.revoked_utc, r.last_used_utc)
            for r in rows]


def revoke(token_id: int, *, actor=None) -> bool:
    t = s.display_token
    with db.transaction() as conn:
        done = conn.execute(sa.update(t).where(t.c.id == int(token_id), t.c.revoked_utc.is_(None))
                            .values(revoked_utc=_now())).rowcount
        if done:
            audit.record("display_token_revoke", ("display_token", token_id), None, actor, conn=conn)
    return bool(done)


def lookup(token: str | None) -> DisplayToken | None:
    """The live (not revoked) token, or None."""
    if not token or len(token) > 200:
        return None
    t = s.display_token
    h = hash_token(token)
    row = db.fetch_all(sa.select(t).where(t.c.token_hash == h, t.c.revoked_utc.is_(None)))
    if not row:
        return None
    r = row[0]
    now = _now()
    if r.last_used_utc is None or now - r.last_used_utc >= TOUCH_EVERY:
        with db.transaction() as conn:
            conn.execute(sa.update(t).where(t.c.id == r.id).values(last_used_utc=now))
    return DisplayToken(r.id, r.name, tuple(r.queues or ()), r.created_utc, r.revoked_utc, now)

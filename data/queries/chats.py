"""External chat sessions (SMS, WhatsApp, ...): listing, thread, timeline — pure builders.

A session is visible when its agent is in the scope (``Scope.everything()`` sees every
session, also those without an agent). ``ChatFilter.validate`` raises the call records'
``InvalidFilter`` for an empty or inverted time range, so pages show the same messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from callboard.core.i18n import N_
from data import schema as s
from data.privacy import masked_body, searchable, visible, visible_columns
from data.queries.calls import MAX_PAGE, InvalidFilter
from data.scope import Scope, extension_clause

STATUS_LABELS = {"open": N_("Open"), "closed": N_("Closed")}
CHANNEL_LABELS = {"sms": N_("SMS"), "whatsapp": N_("WhatsApp")}
EVENT_LABELS = {
    "created": N_("Created"),
    "assigned": N_("Assigned"),
    "transferred": N_("Transferred"),
    "closed": N_("Closed"),
}

# Grid column key -> (msgid, session column). Only these can be sorted on.
COLUMNS = {
    "session_uid": (N_("Session ID"), s.chat_session.c.session_uid),
    "created": (N_("Created"), s.chat_session.c.created_utc),
    "last_active": (N_("Last active"), s.chat_session.c.last_active_utc),
    "sender": (N_("Sender"), s.chat_session.c.sender),
    "recipient": (N_("Recipient"), s.chat_session.c.recipient),
    "channel_type": (N_("Channel type"), s.chat_session.c.channel_type),
    "channel_number": (N_("Channel number"), s.chat_session.c.channel_number),
    "agent": (N_("Agent"), s.chat_session.c.agent),
    "messages": (N_("Messages"), s.chat_session.c.message_count),
    "status": (N_("Status"), s.chat_session.c.status),
}


@dataclass(frozen=True)
class ChatFilter:
    """Sessions created in [start_utc, end_utc) (naive UTC) matching every criterion."""

    start_utc: datetime | None = None
    end_utc: datetime | None = None
    channel_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    number_contains: str | None = None  # ours, the external one, sender or recipient
    agents: tuple[str, ...] = ()

    def validate(self) -> "ChatFilter":
        if self.start_utc is not None and self.end_utc is not None:
            if self.end_utc < self.start_utc:
                raise InvalidFilter(N_("The time range is inverted: its end is before its start."))
            if self.end_utc == self.start_utc:
                raise InvalidFilter(N_("The time range is empty: choose an end after the start."))
        return self


def _clean(values) -> list[str]:
    return sorted({str(v).strip() for v in values or () if v is not None and str(v).strip()})


def filter_clauses(scope: Scope, filt: ChatFilter) -> list:
    filt.validate()
    c = s.chat_session.c
    where = [extension_clause(scope, c.agent)]
    if filt.start_utc is not None:
        where.append(c.created_utc >= filt.start_utc)
    if filt.end_utc is not None:
        where.append(c.created_utc < filt.end_utc)
    if filt.channel_types:
        where.append(c.channel_type.in_(_clean(filt.channel_types)))
    if filt.statuses:
        where.append(c.status.in_(_clean(filt.statuses)))
    if filt.agents:
        where.append(c.agent.in_(_clean(filt.agents)))
    number = (filt.number_contains or "").strip()
    if number:
        where.append(sa.or_(*(searchable(col, scope).contains(number, autoescape=True)
                              for col in (c.channel_number, c.external_number, c.sender, c.recipient))))
    return where


def _order(sort: Sequence[tuple[str, str]] | None) -> list:
    order, first_dir = [], "desc"
    for key, direction in sort or ():
        entry = COLUMNS.get(key)
        direction = (direction or "").lower()
        if entry is None or direction not in ("asc", "desc"):
            continue
        if not order:
            first_dir = direction
        expr = entry[1]
        order.append((expr.desc() if direction == "desc" else expr.asc()).nulls_last())
    if not order:
        order.append(s.chat_session.c.created_utc.desc())
    cid = s.chat_session.c.id
    order.append(cid.desc() if first_dir == "desc" else cid.asc())
    return order


def list_sessions(scope: Scope, filt: ChatFilter, sort=None, offset: int = 0, limit: int | None = 100) -> sa.Select:
    cs = s.chat_session
    stmt = sa.select(
        cs.c.id, cs.c.session_uid, cs.c.created_utc, cs.c.last_active_utc, cs.c.closed_utc, visible(cs.c.sender, scope),
        visible(cs.c.recipient, scope), cs.c.channel_type, cs.c.channel_number, visible(cs.c.external_number, scope),
        cs.c.agent, cs.c.message_count, cs.c.status,
    ).where(*filter_clauses(scope, filt)).order_by(*_order(sort))
    offset = max(0, int(offset or 0))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(max(1, min(int(limit), MAX_PAGE)))
    return stmt


def count_sessions(scope: Scope, filt: ChatFilter) -> sa.Select:
    return sa.select(sa.func.count()).select_from(s.chat_session).where(*filter_clauses(scope, filt))


def get_session(scope: Scope, session_id: int) -> sa.Select:
    cs = s.chat_session
    return sa.select(*visible_columns(cs, scope)).where(cs.c.id == int(session_id), extension_clause(scope, cs.c.agent))


def session_messages(scope: Scope, session_id: int) -> sa.Select:
    m, cs = s.chat_message, s.chat_session
    return (
        sa.select(m.c.id, m.c.sent_utc, m.c.direction, visible(m.c.sender, scope), masked_body(m.c.body, cs, scope))
        .join(cs, cs.c.id == m.c.session_id)
        .where(m.c.session_id == int(session_id), extension_clause(scope, cs.c.agent))
        .order_by(m.c.sent_utc, m.c.id)
    )


def session_events(scope: Scope, session_id: int) -> sa.Select:
    e, cs = s.chat_event, s.chat_session
    return (
        sa.select(e.c.id, e.c.at_utc, e.c.event, e.c.agent)
        .join(cs, cs.c.id == e.c.session_id)
        .where(e.c.session_id == int(session_id), extension_clause(scope, cs.c.agent))
        .order_by(e.c.at_utc, e.c.id)
    )


def channel_types(scope: Scope) -> sa.Select:
    """The channel types the data has (for the filter's options)."""
    cs = s.chat_session
    return sa.select(cs.c.channel_type).where(extension_clause(scope, cs.c.agent)).distinct().order_by(cs.c.channel_type)


def any_session() -> sa.Select:
    """One session id, or no row: does the database hold any chat at all? (Not scoped:
    it decides whether the chats section exists, not what a user sees in it.)"""
    return sa.select(s.chat_session.c.id).limit(1)

"""Recordings listing and look-ups — pure builders (arguments in, statement out).

The Recordings page lists recorded calls only, and (SPEC §2) not those that went to an
IVR, to voicemail, or were not answered: ``recordable_clause``. The filter is the call
records' ``CallFilter`` (``data.queries.calls.filter_clauses``), so the same URL state and
the same scope rules apply. One row per recording (a call may have several files).

Every builder takes a ``Scope``: a recording is visible exactly when its call is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from data import schema as s
from data.privacy import visible
from data.queries.calls import MAX_PAGE, CallFilter, filter_clauses
from data.scope import Scope, call_clause

EXCLUDED_DESTINATIONS = ("ivr", "voicemail")

# Sortable columns of the recordings grid -> expression (whitelist).
SORTS = {
    "start": s.call.c.start_utc,
    "duration": s.recording.c.duration_s,
    "talk": s.call.c.talk_s,
    "size": s.recording.c.size_bytes,
    "from": s.call.c.from_number,
    "to": s.call.c.to_number,
}


def recordable_clause(calls=s.call):
    """Calls the Recordings page shows: answered, not ended in an IVR or voicemail."""
    c = calls.c
    return sa.and_(
        c.status == "answered",
        sa.or_(c.destination_type.is_(None), c.destination_type.not_in(EXCLUDED_DESTINATIONS)),
    )


def _columns(scope: Scope):
    r, c = s.recording, s.call
    return [
        r.c.id,
        r.c.call_id,
        r.c.path,
        r.c.format,
        r.c.size_bytes,
        r.c.duration_s.label("recording_s"),
        r.c.created_utc,
        c.c.call_uid,
        c.c.start_utc,
        visible(c.c.from_number, scope),
        visible(c.c.from_name, scope),
        visible(c.c.to_number, scope),
        visible(c.c.to_name, scope),
        c.c.direction,
        c.c.status,
        c.c.duration_s,
        c.c.talk_s,
        c.c.extension,
    ]


def _where(scope: Scope, filt: CallFilter) -> list:
    return [*filter_clauses(scope, filt), recordable_clause()]


def list_recordings(
    scope: Scope,
    filt: CallFilter,
    sort: Sequence[tuple[str, str]] | None = None,
    offset: int = 0,
    limit: int | None = 100,
) -> sa.Select:
    """One page of recordings (joined to their calls), newest call first by default."""
    r, c = s.recording, s.call
    order = []
    first_dir = "desc"
    for key, direction in sort or ():
        expr = SORTS.get(key)
        direction = (direction or "").lower()
        if expr is None or direction not in ("asc", "desc"):
            continue
        if not order:
            first_dir = direction
        order.append(expr.desc() if direction == "desc" else expr.asc())
    if not order:
        order.append(c.c.start_utc.desc())
    order.append(r.c.id.desc() if first_dir == "desc" else r.c.id.asc())
    stmt = (
        sa.select(*_columns(scope))
        .select_from(r.join(c, c.c.id == r.c.call_id))
        .where(*_where(scope, filt))
        .order_by(*order)
    )
    offset = max(0, int(offset or 0))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(max(1, min(int(limit), MAX_PAGE)))
    return stmt


def count_recordings(scope: Scope, filt: CallFilter) -> sa.Select:
    r, c = s.recording, s.call
    return (
        sa.select(sa.func.count())
        .select_from(r.join(c, c.c.id == r.c.call_id))
        .where(*_where(scope, filt))
    )


def get_recording(scope: Scope, recording_id: int) -> sa.Select:
    """One recording with its call's columns, or no row (unknown or out of scope)."""
    r, c = s.recording, s.call
    return (
        sa.select(*_columns(scope))
        .select_from(r.join(c, c.c.id == r.c.call_id))
        .where(r.c.id == int(recording_id), call_clause(scope))
    )


def call_recordings(scope: Scope, call_id: int) -> sa.Select:
    """The recordings of one call (no rows when the call is out of scope)."""
    r, c = s.recording, s.call
    return (
        sa.select(*_columns(scope))
        .select_from(r.join(c, c.c.id == r.c.call_id))
        .where(r.c.call_id == int(call_id), call_clause(scope))
        .order_by(r.c.created_utc, r.c.id)
    )

"""Hourly aggregates behind the reports, and how they stay exact.

Rule: an aggregate row is a pure function of the facts in its UTC hour. Whoever changes
facts (the generator, an importer, a delete, retention) calls ``refresh(conn, start, end)``
in the same transaction; it deletes the aggregate rows of every hour touched and
recomputes them from the facts with one INSERT ... SELECT ... GROUP BY per table. So a
re-import, a partial import or a delete can never leave an aggregate out of step, and
``callboard db rebuild-aggregates`` (refresh over everything) gives the same rows as the
incremental path — a test checks exactly that.

Rollups for long ranges are recomputed by the same refresh from ``agg_call_hour``:
``agg_call_total_hour`` (every call once, no extension), ``agg_call_day`` (per local day;
every local day the range touches is recomputed whole) and ``agg_number_hour`` (per DID /
outbound caller ID, from the facts) and ``agg_call_scope_hour`` (each call once with its
extension, peer, queue and number, for restricted scopes; from the facts) and
``agg_ivr_hour`` / ``agg_ivr_scope_hour`` (IVR entries and choices by the hour the call
started, the latter also per extension, peer and queue; from the facts).

Reports read these tables joined to ``time_hour`` (local day / hour / month) when the
query only needs the aggregated dimensions; anything finer goes to the facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from callboard.core.settings import get_settings
from data import metrics
from data import schema as s
from data.timebuckets import HOUR, ensure_hours, floor_hour, hour_floor, local_day_bounds_utc, utc_to_local


def _call_rows_select(start: datetime, end: datetime) -> sa.Select:
    c = s.call
    bucket = hour_floor(c.c.start_utc)
    recorded = sa.case((c.c.has_recording, 1), else_=0)
    in_range = sa.and_(c.c.start_utc >= start, c.c.start_utc < end)

    def part(ext_col, party: str, *where):
        ext = sa.func.coalesce(ext_col, "")
        return (
            sa.select(
                bucket.label("bucket_utc"),
                c.c.source_id,
                c.c.direction,
                c.c.status,
                ext.label("extension"),
                sa.literal(party).label("party"),
                sa.func.count().label("calls"),
                sa.func.sum(c.c.duration_s).label("duration_s"),
                sa.func.sum(c.c.ring_s).label("ring_s"),
                sa.func.sum(c.c.talk_s).label("talk_s"),
                sa.func.sum(c.c.hold_s).label("hold_s"),
                sa.func.sum(recorded).label("recorded"),
            )
            .where(in_range, *where)
            .group_by(bucket, c.c.source_id, c.c.direction, c.c.status, ext)
        )

    owner = part(c.c.extension, "owner")
    peer = part(c.c.peer_extension, "peer", c.c.peer_extension.is_not(None), c.c.peer_extension != "")
    return sa.union_all(owner, peer)


def _queue_rows_select(start: datetime, end: datetime, queue_number: str | None = None) -> sa.Select:
    qc, q = s.queue_call, s.queue
    bucket = hour_floor(qc.c.enter_utc)
    sl_target = sa.func.coalesce(q.c.sl_target_s, metrics.DEFAULT_SL_TARGET_S)
    short_s = sa.func.coalesce(q.c.short_abandon_s, metrics.DEFAULT_SHORT_ABANDON_S)
    short = sa.case((metrics.is_short_abandon(qc.c.outcome, qc.c.wait_s, short_s), 1), else_=0)
    within = sa.case((metrics.is_answered_within_sl(qc.c.outcome, qc.c.wait_s, sl_target), 1), else_=0)
    stmt = (
        sa.select(
            bucket.label("bucket_utc"),
            qc.c.source_id,
            qc.c.queue,
            qc.c.outcome,
            sa.func.count().label("calls"),
            sa.func.sum(short).label("short_abandons"),
            sa.func.sum(within).label("within_sl"),
            # NULL wait / talk = not known yet (still waiting / talking, cut by a restart):
            # left out of the sums, and counted apart for the averages' divisors.
            sa.func.coalesce(sa.func.sum(qc.c.wait_s), 0).label("wait_s"),
            sa.func.coalesce(sa.func.max(qc.c.wait_s), 0).label("wait_max_s"),
            sa.func.coalesce(sa.func.sum(qc.c.talk_s), 0).label("talk_s"),
            metrics.count_talked(qc.c.outcome, qc.c.talk_s).label("talked"),
            metrics.count_open(qc.c.outcome, qc.c.talk_s, qc.c.exit_utc).label("open_calls"),
        )
        .select_from(qc.outerjoin(q, sa.and_(q.c.number == qc.c.queue, q.c.source_id == qc.c.source_id)))
        .where(qc.c.enter_utc >= start, qc.c.enter_utc < end)
        .group_by(bucket, qc.c.source_id, qc.c.queue, qc.c.outcome)
    )
    if queue_number is not None:
        stmt = stmt.where(qc.c.queue == queue_number)
    return stmt


_MEASURES = ["calls", "duration_s", "ring_s", "talk_s", "hold_s", "recorded"]
_TOTAL_COLS = ["bucket_utc", "source_id", "direction", "status", *_MEASURES]
_DAY_COLS = ["local_day", "source_id", "direction", "status", "extension", "party", *_MEASURES]
_NUMBER_COLS = ["bucket_utc", "source_id", "kind", "number", "status", "calls", "talk_s"]


def _sums(table) -> list:
    return [sa.func.sum(table.c[m]).label(m) for m in _MEASURES]


def _total_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_call_total_hour from agg_call_hour: each call once (its 'owner' row)."""
    a = s.agg_call_hour
    return (
        sa.select(a.c.bucket_utc, a.c.source_id, a.c.direction, a.c.status, *_sums(a))
        .where(a.c.party == "owner", a.c.bucket_utc >= start, a.c.bucket_utc < end)
        .group_by(a.c.bucket_utc, a.c.source_id, a.c.direction, a.c.status)
    )


def _day_rows_select(first_day, last_day) -> sa.Select:
    """agg_call_day from agg_call_hour and time_hour, for local days first..last."""
    a, th = s.agg_call_hour, s.time_hour
    return (
        sa.select(th.c.local_day, a.c.source_id, a.c.direction, a.c.status, a.c.extension, a.c.party, *_sums(a))
        .join(th, th.c.bucket_utc == a.c.bucket_utc)
        .where(th.c.local_day >= first_day, th.c.local_day <= last_day)
        .group_by(th.c.local_day, a.c.source_id, a.c.direction, a.c.status, a.c.extension, a.c.party)
    )


def _number_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_number_hour from the facts: inbound calls by DID, outbound by caller ID."""
    c = s.call
    bucket = hour_floor(c.c.start_utc)

    def part(kind: str, direction: str, col):
        return (
            sa.select(bucket.label("bucket_utc"), c.c.source_id, sa.literal(kind).label("kind"),
                      col.label("number"), c.c.status, sa.func.count().label("calls"),
                      sa.func.sum(c.c.talk_s).label("talk_s"))
            .where(c.c.start_utc >= start, c.c.start_utc < end, c.c.direction == direction,
                   col.is_not(None), col != "")
            .group_by(bucket, c.c.source_id, col, c.c.status)
        )

    return sa.union_all(part("did", "inbound", c.c.did), part("dod", "outbound", c.c.outbound_cid))


SCOPE_COLS = ["bucket_utc", "source_id", "direction", "status", "extension", "peer_extension", "queue", "number",
              "calls", "talk_s"]


def scope_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_call_scope_hour from the facts: each call once, by the columns a Scope narrows
    by (NULL stored as '' so they can be part of the key) and its DID / caller ID."""
    c = s.call
    bucket = hour_floor(c.c.start_utc)
    dims = [
        sa.func.coalesce(c.c.extension, ""),
        sa.func.coalesce(c.c.peer_extension, ""),
        sa.func.coalesce(c.c.queue, ""),
        sa.func.coalesce(sa.case((c.c.direction == "inbound", c.c.did),
                                 (c.c.direction == "outbound", c.c.outbound_cid), else_=None), ""),
    ]
    return (
        sa.select(bucket.label("bucket_utc"), c.c.source_id, c.c.direction, c.c.status,
                  *(d.label(n) for d, n in zip(dims, ("extension", "peer_extension", "queue", "number"))),
                  sa.func.count().label("calls"), sa.func.coalesce(sa.func.sum(c.c.talk_s), 0).label("talk_s"))
        .where(c.c.start_utc >= start, c.c.start_utc < end)
        .group_by(bucket, c.c.source_id, c.c.direction, c.c.status, *dims)
    )


RING_GROUP_COLS = ["bucket_utc", "source_id", "direction", "ring_group", "calls", "answered", "legs", "ring_s",
                   "talk_s"]
RING_MEMBER_COLS = ["bucket_utc", "source_id", "direction", "ring_group", "extension", "answered"]


def _answered_ring_legs(start: datetime, end: datetime):
    """Answered legs via a ring group of the calls started in [start, end)."""
    c, leg = s.call, s.call_leg
    return (sa.select(leg.c.call_id, leg.c.via.label("ring_group"), leg.c.extension, leg.c.ring_s, leg.c.talk_s)
            .select_from(leg.join(c, c.c.id == leg.c.call_id))
            .where(c.c.start_utc >= start, c.c.start_utc < end, leg.c.via_type == "ring_group",
                   leg.c.status == "answered", leg.c.via.is_not(None), leg.c.via != ""))


def ring_group_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_ring_group_hour from the facts, per hour of the call's start: the calls that went
    to each group (call.ring_group, or a leg via it — one per call and group), the calls a
    member answered, and the answered legs' count, ring and talk seconds."""
    c, leg = s.call, s.call_leg
    in_range = sa.and_(c.c.start_utc >= start, c.c.start_utc < end)
    by_call = sa.select(c.c.id.label("call_id"), c.c.ring_group.label("ring_group")).where(
        in_range, c.c.ring_group.is_not(None), c.c.ring_group != "")
    by_leg = (sa.select(leg.c.call_id.label("call_id"), leg.c.via.label("ring_group"))
              .select_from(leg.join(c, c.c.id == leg.c.call_id))
              .where(in_range, leg.c.via_type == "ring_group", leg.c.via.is_not(None), leg.c.via != ""))
    g = sa.union(by_call, by_leg).subquery("rg_calls")
    a = _answered_ring_legs(start, end).subquery("rg_answered")
    per_call = (sa.select(a.c.call_id, a.c.ring_group, sa.func.count().label("legs"),
                          sa.func.sum(a.c.ring_s).label("ring_s"), sa.func.sum(a.c.talk_s).label("talk_s"))
                .group_by(a.c.call_id, a.c.ring_group).subquery("rg_answered_calls"))
    bucket = hour_floor(c.c.start_utc)
    return (sa.select(bucket.label("bucket_utc"), c.c.source_id, c.c.direction, g.c.ring_group,
                      sa.func.count().label("calls"), sa.func.count(per_call.c.call_id).label("answered"),
                      sa.func.coalesce(sa.func.sum(per_call.c.legs), 0).label("legs"),
                      sa.func.coalesce(sa.func.sum(per_call.c.ring_s), 0).label("ring_s"),
                      sa.func.coalesce(sa.func.sum(per_call.c.talk_s), 0).label("talk_s"))
            .select_from(g.join(c, c.c.id == g.c.call_id)
                         .outerjoin(per_call, sa.and_(per_call.c.call_id == g.c.call_id,
                                                      per_call.c.ring_group == g.c.ring_group)))
            .group_by(bucket, c.c.source_id, c.c.direction, g.c.ring_group))


def ring_member_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_ring_group_member_hour: per hour of the call's start, group and member, the
    calls the member answered (distinct calls: a call starts in one hour)."""
    c = s.call
    a = _answered_ring_legs(start, end).where(s.call_leg.c.extension.is_not(None)).add_columns(
        c.c.start_utc, c.c.source_id, c.c.direction).subquery("rg_member_legs")
    bucket = hour_floor(a.c.start_utc)
    return (sa.select(bucket.label("bucket_utc"), a.c.source_id, a.c.direction, a.c.ring_group, a.c.extension,
                      sa.func.count(sa.distinct(a.c.call_id)).label("answered"))
            .group_by(bucket, a.c.source_id, a.c.direction, a.c.ring_group, a.c.extension))


AGENT_COLS = ["bucket_utc", "source_id", "queue", "agent", "answered", "talk_s", "ring_no_answer"]


def agent_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_agent_hour from the facts: answered queue calls and talk per queue and agent by
    the hour the call entered the queue, ring-no-answer attempts by the attempt's hour."""
    qc, qa = s.queue_call, s.queue_attempt
    calls = (sa.select(hour_floor(qc.c.enter_utc).label("bucket_utc"), qc.c.source_id, qc.c.queue, qc.c.agent,
                       sa.literal(1).label("answered"), sa.func.coalesce(qc.c.talk_s, 0).label("talk_s"),
                       sa.literal(0).label("ring_no_answer"))
             .where(qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.outcome == "answered",
                    qc.c.agent.is_not(None), qc.c.agent != ""))
    # queue_attempt has no source: its queue call's, else the first source (one PBX).
    source = sa.func.coalesce(sa.select(qc.c.source_id).where(qc.c.id == qa.c.queue_call_id).scalar_subquery(), 1)
    rna = (sa.select(hour_floor(qa.c.at_utc).label("bucket_utc"), source.label("source_id"), qa.c.queue, qa.c.agent,
                     sa.literal(0).label("answered"), sa.literal(0).label("talk_s"),
                     sa.literal(1).label("ring_no_answer"))
           .where(qa.c.at_utc >= start, qa.c.at_utc < end, qa.c.result == "ring_no_answer", qa.c.agent != ""))
    u = sa.union_all(calls, rna).subquery("agent_rows")
    return (sa.select(u.c.bucket_utc, u.c.source_id, u.c.queue, u.c.agent, sa.func.sum(u.c.answered).label("answered"),
                      sa.func.sum(u.c.talk_s).label("talk_s"), sa.func.sum(u.c.ring_no_answer).label("ring_no_answer"))
            .group_by(u.c.bucket_utc, u.c.source_id, u.c.queue, u.c.agent))


# The columns as migration 0009 created the tables (it fills them with ivr_rows_select's
# default form); since 0010 the tables also have next_dest in their key (IVR_NEXT_*).
IVR_COLS = ["bucket_utc", "source_id", "direction", "ivr", "option", "entries", "choices"]
IVR_SCOPE_COLS = [*IVR_COLS[:5], "extension", "peer_extension", "queue", "entries", "choices"]
IVR_NEXT_COLS = [*IVR_COLS[:5], "next_dest", "entries", "choices"]
IVR_NEXT_SCOPE_COLS = [*IVR_COLS[:5], "next_dest", "extension", "peer_extension", "queue", "entries", "choices"]


def ivr_rows_select(start: datetime, end: datetime, *, by_scope: bool = False, next_dest: bool = False) -> sa.Select:
    """agg_ivr_hour from the facts, per hour of the CALL's start: the calls that entered
    each IVR (call.ivr, or a choice made in it; a call once per IVR) in the row with option
    '', and the choices per option of the calls started in the hour (a call choosing twice
    counts twice) — a choice belongs to the hour its call started, wherever it was made.
    ``by_scope``: also per the call's extension, peer extension and queue ('' when none),
    for agg_ivr_scope_hour. ``next_dest``: the choices also per where the call went next
    (ivr_choice.next_dest, '' when unknown; the entries row has '') — the tables' key since
    migration 0010."""
    c, ch = s.call, s.ivr_choice
    in_range = sa.and_(c.c.start_utc >= start, c.c.start_utc < end)
    by_call = sa.select(c.c.id.label("call_id"), c.c.ivr.label("ivr")).where(
        in_range, c.c.ivr.is_not(None), c.c.ivr != "")
    by_choice = (sa.select(ch.c.call_id.label("call_id"), ch.c.ivr.label("ivr"))
                 .select_from(ch.join(c, c.c.id == ch.c.call_id)).where(in_range))
    entered = sa.union(by_call, by_choice).subquery("ivr_entered")  # UNION: a call once per IVR
    bucket = hour_floor(c.c.start_utc)
    names = ("extension", "peer_extension", "queue") if by_scope else ()
    scope_dims = [sa.func.coalesce(c.c[n], "") for n in names]
    dims = [bucket.label("bucket_utc"), c.c.source_id, c.c.direction, *(d.label(n) for d, n in zip(scope_dims, names))]
    keys = [bucket, c.c.source_id, c.c.direction, *scope_dims]
    nxt = sa.func.coalesce(ch.c.next_dest, "")
    entries = (sa.select(*dims, entered.c.ivr, sa.literal("").label("option"),
                         *([sa.literal("").label("next_dest")] if next_dest else []), sa.func.count().label("entries"),
                         sa.literal(0).label("choices"))
               .select_from(entered.join(c, c.c.id == entered.c.call_id))
               .group_by(*keys, entered.c.ivr))
    choices = (sa.select(*dims, ch.c.ivr, ch.c.option, *([nxt.label("next_dest")] if next_dest else []),
                         sa.literal(0).label("entries"), sa.func.count().label("choices"))
               .select_from(ch.join(c, c.c.id == ch.c.call_id)).where(in_range)
               .group_by(*keys, ch.c.ivr, ch.c.option, *([nxt] if next_dest else [])))
    u = sa.union_all(entries, choices).subquery("ivr_rows")
    cols = (IVR_NEXT_SCOPE_COLS if next_dest else IVR_SCOPE_COLS) if by_scope else (
        IVR_NEXT_COLS if next_dest else IVR_COLS)
    out = [u.c[n] for n in cols[:-2]]
    return (sa.select(*out, sa.func.sum(u.c.entries).label("entries"), sa.func.sum(u.c.choices).label("choices"))
            .group_by(*out))


def ivr_scope_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_ivr_scope_hour as migration 0009 filled it (ivr_rows_select per extension, peer
    and queue, without next_dest)."""
    return ivr_rows_select(start, end, by_scope=True)


def ivr_next_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_ivr_hour from the facts (since 0010: also per next destination)."""
    return ivr_rows_select(start, end, next_dest=True)


def ivr_next_scope_rows_select(start: datetime, end: datetime) -> sa.Select:
    """agg_ivr_scope_hour from the facts (since 0010: also per next destination)."""
    return ivr_rows_select(start, end, by_scope=True, next_dest=True)

_CALL_COLS = ["bucket_utc", "source_id", "direction", "status", "extension", "party",
              "calls", "duration_s", "ring_s", "talk_s", "hold_s", "recorded"]
_QUEUE_COLS = ["bucket_utc", "source_id", "queue", "outcome", "calls", "short_abandons",
               "within_sl", "wait_s", "wait_max_s", "talk_s", "talked", "open_calls"]


def _refresh_steps():
    """(table, columns, select(start, end)) of every hourly aggregate, the largest first."""
    return [
        (s.agg_call_scope_hour, SCOPE_COLS, scope_rows_select),
        (s.agg_call_hour, _CALL_COLS, _call_rows_select),
        (s.agg_queue_hour, _QUEUE_COLS, _queue_rows_select),
        (s.agg_call_total_hour, _TOTAL_COLS, _total_rows_select),
        (s.agg_number_hour, _NUMBER_COLS, _number_rows_select),
        (s.agg_ring_group_hour, RING_GROUP_COLS, ring_group_rows_select),
        (s.agg_ring_group_member_hour, RING_MEMBER_COLS, ring_member_rows_select),
        (s.agg_agent_hour, AGENT_COLS, agent_rows_select),
        (s.agg_ivr_hour, IVR_NEXT_COLS, ivr_next_rows_select),
        (s.agg_ivr_scope_hour, IVR_NEXT_SCOPE_COLS, ivr_next_scope_rows_select),
    ]


def _hour_range(start_utc: datetime, end_utc: datetime) -> tuple[datetime, datetime]:
    # Both ends inclusive: the hour holding end_utc is recomputed even when end_utc falls
    # exactly on an hour boundary (a call starting at 09:00:00 when end_utc = 09:00:00).
    return floor_hour(start_utc), floor_hour(end_utc) + HOUR


def refresh(conn: sa.Connection, start_utc: datetime, end_utc: datetime, *, part: int | None = None,
            rebuild_indexes: bool = False) -> None:
    """Recompute every aggregate hour overlapping [start_utc, end_utc] from the facts.

    `part` 0 or 1 does only half of the work (the largest table, or everything else), so two
    connections can share a large refresh (refresh_pending). `rebuild_indexes` (PostgreSQL,
    for a range holding most of the table): drop each table's secondary indexes, insert,
    and build them again, in the same transaction (292k scope rows: 8.4 s with the indexes
    maintained row by row, 3.7 s so; readers of that table wait meanwhile)."""
    if end_utc < start_utc:
        return
    start, end = _hour_range(start_utc, end_utc)
    steps = _refresh_steps()
    if part is not None:
        steps = steps[:1] if part == 0 else steps[1:]
    rebuild_indexes = rebuild_indexes and conn.dialect.name == "postgresql"
    for table, cols, select in steps:
        secondary = sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: ix.name)
        if rebuild_indexes:
            for ix in secondary:
                conn.execute(sa.schema.DropIndex(ix, if_exists=True))
        conn.execute(table.delete().where(table.c.bucket_utc >= start, table.c.bucket_utc < end))
        conn.execute(table.insert().from_select(cols, select(start, end)))
        if rebuild_indexes:
            for ix in secondary:
                conn.execute(sa.schema.CreateIndex(ix, if_not_exists=True))
    if part == 0:
        return
    # The day rollup is recomputed for every local day the range touches, whole.
    tz = get_settings().tz
    first_day = utc_to_local(start, tz).date()
    last_day = utc_to_local(end - HOUR, tz).date()
    day_start, day_end = local_day_bounds_utc(first_day, last_day, tz)
    ensure_hours(conn, min(start, day_start), max(end, day_end), tz)
    ad = s.agg_call_day
    conn.execute(ad.delete().where(ad.c.local_day >= first_day, ad.c.local_day <= last_day))
    conn.execute(ad.insert().from_select(_DAY_COLS, _day_rows_select(first_day, last_day)))


def refresh_queue(conn: sa.Connection, queue_number: str) -> None:
    """After a queue's thresholds change: recompute that queue's rows everywhere."""
    aq = s.agg_queue_hour
    conn.execute(aq.delete().where(aq.c.queue == queue_number))
    far_past, far_future = datetime(1970, 1, 1), datetime(9999, 1, 1)
    conn.execute(aq.insert().from_select(_QUEUE_COLS, _queue_rows_select(far_past, far_future, queue_number)))


def fact_range(conn: sa.Connection) -> tuple[datetime | None, datetime | None]:
    lo1, hi1 = conn.execute(sa.select(sa.func.min(s.call.c.start_utc), sa.func.max(s.call.c.start_utc))).one()
    lo2, hi2 = conn.execute(
        sa.select(sa.func.min(s.queue_call.c.enter_utc), sa.func.max(s.queue_call.c.enter_utc))
    ).one()
    los = [x for x in (lo1, lo2) if x is not None]
    his = [x for x in (hi1, hi2) if x is not None]
    return (min(los) if los else None, max(his) if his else None)


def rebuild_all(conn: sa.Connection) -> None:
    """Drop and recompute every aggregate (after a bulk load, or a time-zone change)."""
    lo, hi = fact_range(conn)
    for table in (s.agg_call_hour, s.agg_queue_hour, s.agg_call_total_hour, s.agg_call_day, s.agg_number_hour,
                  s.agg_call_scope_hour, s.agg_ring_group_hour, s.agg_ring_group_member_hour,
                  s.agg_agent_hour, s.agg_ivr_hour, s.agg_ivr_scope_hour):
        conn.execute(table.delete())
    if lo is None:
        return
    refresh(conn, lo, hi + HOUR)


# --------------------------------------------------------------------------- deferred refresh

# A large import refreshes the aggregates once at its end instead of after every batch. The
# hours still to refresh are recorded here in the same transaction as each batch, so an
# import that dies half-way leaves its hours marked, and the next import (or the scheduler)
# refreshes them: the aggregates never silently stay behind the facts.
PENDING_KEY = "aggregates.pending"
# A pending range at least this long is refreshed by two connections at once.
PARALLEL_REFRESH_MIN = timedelta(days=2)


def _pending_row(conn: sa.Connection):
    kv = s.settings_kv
    return conn.execute(sa.select(kv.c.value).where(kv.c.key == PENDING_KEY).with_for_update()).scalar()


def mark_pending(conn: sa.Connection, start_utc: datetime, end_utc: datetime) -> None:
    """Record that the hours of [start_utc, end_utc] need a refresh (widening what is recorded)."""
    kv = s.settings_kv
    value = _pending_row(conn)
    lo, hi = start_utc.isoformat(), end_utc.isoformat()
    # "at": when an import last added to the range; the scheduler leaves a range alone
    # while it is being added to (see refresh_pending's older_than).
    at = datetime.now(timezone.utc).replace(tzinfo=None).isoformat()
    if value is None:
        conn.execute(kv.insert().values(key=PENDING_KEY, value={"lo": lo, "hi": hi, "at": at}))
        return
    conn.execute(kv.update().where(kv.c.key == PENDING_KEY)
                 .values(value={"lo": min(lo, value["lo"]), "hi": max(hi, value["hi"]), "at": at}))


def pending(conn: sa.Connection) -> tuple[datetime, datetime] | None:
    kv = s.settings_kv
    value = conn.execute(sa.select(kv.c.value).where(kv.c.key == PENDING_KEY)).scalar()
    if value is None:
        return None
    return datetime.fromisoformat(value["lo"]), datetime.fromisoformat(value["hi"])


def refresh_pending(engine: sa.Engine, *, rebuild_indexes: bool = False,
                    older_than: timedelta | None = None) -> tuple[datetime, datetime] | None:
    """Refresh the hours a deferred import left marked, if any; returns the range refreshed.
    `rebuild_indexes`: see refresh() (a bulk import, larger than what was stored).
    `older_than` (the scheduler): only a range no import has added to for that long — one
    an import that died left behind, not one a running import is still adding to."""
    kv = s.settings_kv
    with engine.connect() as conn:
        value = conn.execute(sa.select(kv.c.value).where(kv.c.key == PENDING_KEY)).scalar()
    if value is None:
        return None
    if older_than is not None and value.get("at"):
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        if datetime.fromisoformat(value["at"]) > now - older_than:
            return None
    with engine.begin() as conn:
        value = _pending_row(conn)  # locked: a second caller waits, then finds nothing
        if value is None:
            return None
        lo, hi = datetime.fromisoformat(value["lo"]), datetime.fromisoformat(value["hi"])
        if engine.dialect.name != "postgresql" or hi - lo < PARALLEL_REFRESH_MIN:
            refresh(conn, lo, hi, rebuild_indexes=rebuild_indexes)
        else:
            # Two connections, one for the largest table and one for the rest (half the time
            # on two cores). Each commits on its own; the mark, still locked here, goes only
            # once both have: after a failure the whole range is refreshed again.
            from concurrent.futures import ThreadPoolExecutor

            def run(part: int) -> None:
                with engine.begin() as c:
                    if rebuild_indexes:
                        c.exec_driver_sql("SET LOCAL maintenance_work_mem TO '256MB'")
                    refresh(c, lo, hi, part=part, rebuild_indexes=rebuild_indexes)

            with ThreadPoolExecutor(2) as pool:
                for f in [pool.submit(run, p) for p in (0, 1)]:
                    f.result()
        conn.execute(s.settings_kv.delete().where(s.settings_kv.c.key == PENDING_KEY))
    return lo, hi

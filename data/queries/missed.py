"""Missed and unreturned calls (missed-unreturned): inbound calls missed (by status or by
their queue outcome) whose caller was neither called back nor answered on a new call within
the filter's ``hours``. Facts path only."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.privacy import visible
from data.queries.report_filter import ReportFilter
from data.queries.sql_functions import plus_seconds
from data.scope import Scope, call_clause

MISSED_STATUSES = ("no_answer", "abandoned", "busy")
MISSED_QUEUE_OUTCOMES = ("abandoned", "timeout")


def _unreturned_missed(scope: Scope, flt: ReportFilter, tz: ZoneInfo, hours: int):
    """Inbound calls started in the range that were missed (status, or a queue outcome) and
    whose caller was not called back (outbound call to the number, or a completed callback)
    nor answered on a new inbound call within `hours` after the missed call."""
    start, end = flt.bounds(tz)
    c, r, qc, cb = s.call, s.call.alias("ret"), s.queue_call, s.callback
    window = hours * 3600
    until = plus_seconds(c.c.start_utc, window)
    missed = sa.or_(c.c.status.in_(MISSED_STATUSES),
                    sa.exists().where(qc.c.call_id == c.c.id, qc.c.outcome.in_(MISSED_QUEUE_OUTCOMES)))
    returned = sa.exists().where(
        r.c.start_utc > c.c.start_utc, r.c.start_utc <= until,
        sa.or_(sa.and_(r.c.direction == "outbound", r.c.to_number == c.c.from_number),
               sa.and_(r.c.direction == "inbound", r.c.from_number == c.c.from_number, r.c.status == "answered")))
    called_back = sa.exists().where(
        cb.c.number == c.c.from_number, cb.c.status == "completed", cb.c.completed_utc.is_not(None),
        cb.c.completed_utc > c.c.start_utc, cb.c.completed_utc <= until)
    return sa.and_(c.c.direction == "inbound", c.c.start_utc >= start, c.c.start_utc < end,
                   c.c.from_number.is_not(None), c.c.from_number != "", call_clause(scope),
                   call_clause(flt.selection()) if flt.has_extension_filter else sa.true(),
                   missed, sa.not_(returned), sa.not_(called_back))


def missed_unreturned(scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """Per caller: missed calls not returned, the first (waiting since) and the last one.
    Columns: caller, missed, first_utc, last_utc."""
    c = s.call
    return (sa.select(visible(c.c.from_number, scope), sa.func.count().label("missed"),
                      sa.func.min(c.c.start_utc).label("first"),
                      sa.func.max(c.c.start_utc).label("last"))
            .where(_unreturned_missed(scope, flt, tz, flt.hours))
            .group_by(c.c.from_number)
            .order_by(sa.func.min(c.c.start_utc), c.c.from_number))


def unreturned_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """The ids of the calls behind missed-unreturned (for report_calls)."""
    return sa.select(s.call.c.id).where(_unreturned_missed(scope, flt, tz, flt.hours))

"""Queue callbacks (queue-callbacks): the callbacks requested in the range. Facts path only
(callback is a small table)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.privacy import visible
from data.queries.report_filter import ReportFilter
from data.scope import Scope, extension_clause, queue_clause


def _callback_where(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    start, end = flt.bounds(tz)
    cb = s.callback
    return sa.and_(
        cb.c.requested_utc >= start, cb.c.requested_utc < end,
        sa.true() if scope.all else sa.or_(queue_clause(scope, cb.c.queue), extension_clause(scope, cb.c.agent)),
        cb.c.queue.in_(flt.queues) if flt.queues else sa.true(),
    )


def callback_activity(scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """Callbacks requested in the range (a callback's queue in the scope, or its agent),
    oldest first. Columns: requested_utc, completed_utc, number, queue, status, attempts,
    agent. The per-queue summary is counted from these rows (callboard.reports.runners)."""
    cb = s.callback
    return (sa.select(cb.c.requested_utc, cb.c.completed_utc, visible(cb.c.number, scope), cb.c.queue, cb.c.status,
                      cb.c.attempts, cb.c.agent)
            .where(_callback_where(scope, flt, tz)).order_by(cb.c.requested_utc, cb.c.id))


def callback_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls behind queue-callbacks (for report_calls)."""
    cb = s.callback
    return sa.select(cb.c.call_id).where(_callback_where(scope, flt, tz), cb.c.call_id.is_not(None))

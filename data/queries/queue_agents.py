"""Queue agents (queue-agents): per agent the queue calls answered and their talk, ring-no-
answer attempts, logged-in and paused time clipped to the range (data.queries.sql_functions),
and the session and pause lists. Aggregate path (calls, ring-no-answer): agg_agent_hour."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.queries.report_filter import ReportFilter
from data.queries.report_path import choose_path, uses_aggregates
from data.queries.sql_functions import clipped_seconds
from data.scope import Scope, extension_clause


def _agent_where(scope: Scope, flt: ReportFilter, col):
    return sa.and_(col.is_not(None), col != "", extension_clause(scope, col),
                   extension_clause(flt.selection(), col) if flt.has_extension_filter else sa.true())


def _agent_queue_where(scope: Scope, flt: ReportFilter, col):
    """Sessions / pauses: NULL queue = all the agent's queues."""
    clauses = [sa.true()]
    if flt.queues:
        clauses.append(sa.or_(col.is_(None), col.in_(flt.queues)))
    return sa.and_(*clauses)


def _agent_rollup(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *measures: str) -> sa.Select:
    """Per agent: sums of agg_agent_hour measures over the range, agents whose first measure
    is not 0 (as the facts path lists only agents with such rows)."""
    start, end = flt.bounds(tz)
    a = s.agg_agent_hour
    sums = [sa.func.sum(a.c[m]).label(m) for m in measures]
    return (sa.select(a.c.agent, *sums)
            .where(a.c.bucket_utc >= start, a.c.bucket_utc < end, _agent_where(scope, flt, a.c.agent),
                   a.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(a.c.agent).having(sums[0] > 0))


def agent_calls(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per agent: queue calls answered (entered in the range) and their talk time. Columns:
    agent, answered, talk_s. Aggregate path: agg_agent_hour."""
    if choose_path(path, uses_aggregates("queue-agents", scope, flt)) == "aggregate":
        return _agent_rollup(scope, flt, tz, "answered", "talk_s")
    start, end = flt.bounds(tz)
    qc = s.queue_call
    # A call still talking has no talk yet (NULL): it counts as answered, adds no talk.
    return (sa.select(qc.c.agent, sa.func.count().label("answered"),
                      sa.func.coalesce(sa.func.sum(qc.c.talk_s), 0).label("talk_s"))
            .where(qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.outcome == "answered",
                   _agent_where(scope, flt, qc.c.agent), qc.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(qc.c.agent))


def agent_ring_no_answer(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per agent: queue attempts in the range the agent let ring out. Columns: agent, rna.
    Aggregate path: agg_agent_hour."""
    if choose_path(path, uses_aggregates("queue-agents", scope, flt)) == "aggregate":
        return _agent_rollup(scope, flt, tz, "ring_no_answer")
    start, end = flt.bounds(tz)
    qa = s.queue_attempt
    return (sa.select(qa.c.agent, sa.func.count().label("rna"))
            .where(qa.c.at_utc >= start, qa.c.at_utc < end, qa.c.result == "ring_no_answer",
                   _agent_where(scope, flt, qa.c.agent), qa.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(qa.c.agent))


def agent_logged_in(scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime) -> sa.Select:
    """Per agent: logged-in seconds clipped to the range. Columns: agent, sessions, logged_in_s."""
    start, end = flt.bounds(tz)
    a = s.agent_session
    secs = clipped_seconds(a.c.login_utc, a.c.logout_utc, start, end, now)
    return (sa.select(a.c.agent, sa.func.count().label("sessions"), sa.func.sum(secs).label("logged_in_s"))
            .where(a.c.login_utc < min(now, end),
                   sa.or_(a.c.logout_utc.is_(None), a.c.logout_utc > start),
                   _agent_where(scope, flt, a.c.agent), _agent_queue_where(scope, flt, a.c.queue))
            .group_by(a.c.agent))


def agent_paused(scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime) -> sa.Select:
    """Per agent and reason: pause seconds clipped to the range. Columns: agent, reason, pause_s."""
    start, end = flt.bounds(tz)
    p = s.agent_pause
    secs = clipped_seconds(p.c.start_utc, p.c.end_utc, start, end, now)
    reason = sa.func.coalesce(p.c.reason, "").label("reason")
    return (sa.select(p.c.agent, reason, sa.func.sum(secs).label("pause_s"))
            .where(p.c.start_utc < min(now, end), sa.or_(p.c.end_utc.is_(None), p.c.end_utc > start),
                   _agent_where(scope, flt, p.c.agent), _agent_queue_where(scope, flt, p.c.queue))
            .group_by(p.c.agent, reason))


def answered_agent_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """The ids of the answered queue calls behind queue-agents (for report_calls)."""
    start, end = flt.bounds(tz)
    qc = s.queue_call
    return sa.select(qc.c.call_id).where(
        qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.outcome == "answered", qc.c.call_id.is_not(None),
        _agent_where(scope, flt, qc.c.agent), qc.c.queue.in_(flt.queues) if flt.queues else sa.true())


# --------------------------------------------------------------------------- session and pause lists


def _agent_intervals(t, begin, finish, why, scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime):
    """Rows of agent_session / agent_pause overlapping the range, oldest first, with the
    seconds inside it (an open one up to min(now, range end))."""
    start, end = flt.bounds(tz)
    secs = clipped_seconds(begin, finish, start, end, now)
    return (sa.select(t.c.agent, t.c.queue, begin, finish, why, secs.label("in_range_s"))
            .where(begin < min(now, end), sa.or_(finish.is_(None), finish > start),
                   _agent_where(scope, flt, t.c.agent), _agent_queue_where(scope, flt, t.c.queue))
            .order_by(begin, t.c.agent, t.c.id))


def agent_sessions_list(scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime) -> sa.Select:
    """Login sessions overlapping the range. Columns: agent, queue, login_utc, logout_utc,
    logout_reason, in_range_s."""
    a = s.agent_session
    return _agent_intervals(a, a.c.login_utc, a.c.logout_utc, a.c.logout_reason, scope, flt, tz, now)


def agent_pauses_list(scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime) -> sa.Select:
    """Pauses overlapping the range, with their reasons. Columns: agent, queue, start_utc,
    end_utc, reason, in_range_s."""
    p = s.agent_pause
    return _agent_intervals(p, p.c.start_utc, p.c.end_utc, p.c.reason, scope, flt, tz, now)

"""Queue reports (queue-performance, queue-wait-talk): the raw sums every queue metric is
computed from (data.metrics), per queue and period; the queues' names, service-level
targets and the filter bar's queue choices; and the staffing view's agents logged in per
queue and local hour of day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import metrics
from data import schema as s
from data.queries.report_filter import ReportFilter, period_column
from data.queries.report_path import choose_path, uses_aggregates
from data.queries.sql_functions import greater, lesser, plus_seconds, seconds_between
from data.scope import Scope, queue_clause
from data.timebuckets import hour_floor

QUEUE_BY = ("queue", "hour_of_day", "day", "month")  # queue: the whole range per queue
QUEUE_SUMS = ("calls", "answered", "abandoned", "short_abandons", "timed_out", "exit_key", "no_agents", "within_sl",
              "wait_s", "answered_wait_s", "wait_max_s", "talk_s", "waiting", "talking", "talked")


def queue_stats(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per (local hour of day / day / month, when ``by`` is not 'queue') and queue the raw
    sums every queue metric is computed from (data.metrics): period?, queue, then
    QUEUE_SUMS. A queue call belongs to the hour it entered the queue; ``abandoned``
    counts every abandon (short ones too — data.metrics subtracts them). Open calls at the
    end of the data: ``waiting`` (no exit yet: in ``calls``, not in any outcome, no wait),
    ``talking`` (answered, no exit yet: in ``answered`` with its wait, no talk); ``talked``
    = answered calls with a known talk, the divisor of average talk.

    Aggregate path: agg_queue_hour (thresholds applied at refresh); facts path: queue_call
    with its queue's thresholds, narrowed to the scope's queues."""
    if flt.by not in QUEUE_BY:
        raise ValueError(f"by must be one of {QUEUE_BY}")
    start, end = flt.bounds(tz)
    th = s.time_hour
    per_period = flt.by != "queue"
    period = [period_column(th, flt.by).label("period")] if per_period else []
    if choose_path(path, uses_aggregates("queue-performance", scope, flt)) == "aggregate":
        a = s.agg_queue_hour

        def by_outcome(outcome, weight=None):
            return metrics.count_outcome(a.c.outcome, outcome, a.c.calls if weight is None else weight)

        cols = [
            sa.func.sum(a.c.calls).label("calls"),
            by_outcome("answered").label("answered"),
            by_outcome("abandoned").label("abandoned"),
            sa.func.sum(a.c.short_abandons).label("short_abandons"),
            by_outcome("timeout").label("timed_out"),
            by_outcome("exit_key").label("exit_key"),
            by_outcome("no_agents").label("no_agents"),
            sa.func.sum(a.c.within_sl).label("within_sl"),
            sa.func.sum(a.c.wait_s).label("wait_s"),
            by_outcome("answered", a.c.wait_s).label("answered_wait_s"),
            sa.func.max(a.c.wait_max_s).label("wait_max_s"),
            sa.func.sum(a.c.talk_s).label("talk_s"),
            by_outcome("waiting").label("waiting"),
            by_outcome("answered", a.c.open_calls).label("talking"),
            sa.func.sum(a.c.talked).label("talked"),
        ]
        stmt = sa.select(*period, a.c.queue, *cols).where(
            a.c.bucket_utc >= start, a.c.bucket_utc < end,
            queue_clause(scope, a.c.queue),
            a.c.queue.in_(flt.queues) if flt.queues else sa.true(),
        )
        if per_period:
            stmt = stmt.join(th, th.c.bucket_utc == a.c.bucket_utc)
        group = [*period, a.c.queue]
        return stmt.group_by(*group).order_by(*group)
    qc, qt = s.queue_call, s.queue
    sl_target = sa.func.coalesce(qt.c.sl_target_s, metrics.DEFAULT_SL_TARGET_S)
    short_s = sa.func.coalesce(qt.c.short_abandon_s, metrics.DEFAULT_SHORT_ABANDON_S)

    def by_outcome(outcome, weight=1):
        return metrics.count_outcome(qc.c.outcome, outcome, weight)

    cols = [
        sa.func.count().label("calls"),
        by_outcome("answered").label("answered"),
        by_outcome("abandoned").label("abandoned"),
        sa.func.sum(sa.case((metrics.is_short_abandon(qc.c.outcome, qc.c.wait_s, short_s), 1), else_=0))
        .label("short_abandons"),
        by_outcome("timeout").label("timed_out"),
        by_outcome("exit_key").label("exit_key"),
        by_outcome("no_agents").label("no_agents"),
        sa.func.sum(sa.case((metrics.is_answered_within_sl(qc.c.outcome, qc.c.wait_s, sl_target), 1), else_=0))
        .label("within_sl"),
        sa.func.sum(qc.c.wait_s).label("wait_s"),
        by_outcome("answered", qc.c.wait_s).label("answered_wait_s"),
        sa.func.max(qc.c.wait_s).label("wait_max_s"),
        sa.func.sum(qc.c.talk_s).label("talk_s"),
        by_outcome("waiting").label("waiting"),
        sa.func.sum(sa.case((metrics.is_talking(qc.c.outcome, qc.c.talk_s, qc.c.exit_utc), 1), else_=0))
        .label("talking"),
        metrics.count_talked(qc.c.outcome, qc.c.talk_s).label("talked"),
    ]
    source = qc.outerjoin(qt, sa.and_(qt.c.number == qc.c.queue, qt.c.source_id == qc.c.source_id))
    if per_period:
        source = source.join(th, th.c.bucket_utc == hour_floor(qc.c.enter_utc))
    stmt = sa.select(*period, qc.c.queue, *cols).select_from(source).where(
        qc.c.enter_utc >= start, qc.c.enter_utc < end,
        queue_clause(scope, qc.c.queue),
        qc.c.queue.in_(flt.queues) if flt.queues else sa.true(),
    )
    group = [*period, qc.c.queue]
    return stmt.group_by(*group).order_by(*group)


def queue_names(numbers) -> sa.Select:
    qt = s.queue
    return (sa.select(qt.c.number, sa.func.max(qt.c.name)).where(qt.c.number.in_(sorted(set(numbers))),
                                                                  qt.c.name.is_not(None))
            .group_by(qt.c.number))


def queue_options(scope: Scope) -> sa.Select:
    """Queues the scope may see (configured or seen in queue calls), with names."""
    qt, qc = s.queue, s.queue_call
    numbers = sa.union(sa.select(qt.c.number.label("number")),
                       sa.select(sa.distinct(qc.c.queue).label("number"))).subquery("qn")
    return (
        sa.select(numbers.c.number, sa.func.max(qt.c.name).label("name"))
        .select_from(numbers.outerjoin(qt, qt.c.number == numbers.c.number))
        .where(queue_clause(scope, numbers.c.number))
        .group_by(numbers.c.number)
        .order_by(numbers.c.number)
    )


def queue_targets(numbers) -> sa.Select:
    """(number, service-level target seconds, service-level goal per cent) of these queues."""
    qt = s.queue
    return (sa.select(qt.c.number, sa.func.max(qt.c.sl_target_s), sa.func.max(qt.c.sl_goal_pct))
            .where(qt.c.number.in_(sorted(set(numbers)))).group_by(qt.c.number))


def queue_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls that entered one of the queues in the range (for report_calls:
    queue-performance / queue-wait-talk; matched by the call they belong to)."""
    start, end = flt.bounds(tz)
    qc = s.queue_call
    return sa.select(qc.c.call_id).where(
        qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.call_id.is_not(None),
        queue_clause(scope, qc.c.queue), qc.c.queue.in_(flt.queues) if flt.queues else sa.true())


# --------------------------------------------------------------------------- queue-performance staffing view
# Agents needed per local hour of day (Erlang C, data.metrics) from the measured arrivals
# and handle time (queue_stats by hour_of_day), beside the agents actually logged in.


def _queue_sessions(scope: Scope, flt: ReportFilter, start: datetime, end: datetime, now: datetime):
    """Login sessions per queue overlapping [start, min(now, end)): a session names its
    queue, or (queue NULL: logged into all its queues) counts for every queue the agent is
    a member of (queue_member). One row per (session, queue)."""
    a, m, qt = s.agent_session, s.queue_member, s.queue
    overlaps = sa.and_(a.c.login_utc < min(now, end), sa.or_(a.c.logout_utc.is_(None), a.c.logout_utc > start))
    named = (sa.select(a.c.id.label("sid"), a.c.queue.label("queue"), a.c.login_utc, a.c.logout_utc)
             .where(overlaps, a.c.queue.is_not(None), a.c.queue != ""))
    all_queues = (sa.select(a.c.id.label("sid"), qt.c.number.label("queue"), a.c.login_utc, a.c.logout_utc)
                  .select_from(a.join(m, m.c.extension == a.c.agent).join(qt, qt.c.id == m.c.queue_id))
                  .where(overlaps, sa.or_(a.c.queue.is_(None), a.c.queue == "")))
    u = sa.union(named, all_queues).subquery("queue_sessions")  # UNION: a queue once per session
    return u, sa.and_(queue_clause(scope, u.c.queue), u.c.queue.in_(flt.queues) if flt.queues else sa.true())


def agents_logged_in_by_hour(scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime) -> sa.Select:
    """Per queue and local hour of day: agent-seconds logged in during the range's hours
    with that local hour (each session clipped to each UTC hour it overlaps; an open
    session runs to min(now, range end)). Divided by 3600 × those hours' count, it is the
    mean number of agents logged in. Columns: queue, hour, agent_s."""
    start, end = flt.bounds(tz)
    th = s.time_hour
    u, where = _queue_sessions(scope, flt, start, end, now)
    until = sa.func.coalesce(u.c.logout_utc, sa.literal(min(now, end), sa.DateTime()))
    lo = greater(u.c.login_utc, th.c.bucket_utc)
    hi = lesser(until, plus_seconds(th.c.bucket_utc, 3600))
    secs = sa.case((hi > lo, seconds_between(lo, hi)), else_=0.0)
    joined = u.join(th, sa.and_(th.c.bucket_utc >= hour_floor(u.c.login_utc), th.c.bucket_utc < until,
                                th.c.bucket_utc >= start, th.c.bucket_utc < end))
    return (sa.select(u.c.queue, th.c.local_hour.label("hour"), sa.func.sum(secs).label("agent_s"))
            .select_from(joined).where(where)
            .group_by(u.c.queue, th.c.local_hour).order_by(u.c.queue, th.c.local_hour))

"""PBX-wide activity (pbx-activity): calls per local hour of day / day / month and
direction, each call counted once (party 'owner'). Aggregate path: agg_call_total_hour, or
agg_call_scope_hour for a restricted scope or an extension filter; facts path: ``call``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import metrics
from data import schema as s
from data.queries.report_filter import ReportFilter, direction_clause, period_column, scope_rollup_where
from data.queries.report_path import choose_path, uses_aggregates
from data.schema import DIRECTIONS
from data.scope import Scope, call_clause
from data.timebuckets import hour_floor


def pbx_activity(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per local hour of day / day / month: inbound, outbound, internal, calls, answered.
    Each call counted once (party 'owner'); with an extension filter, the calls touching
    one of the chosen extensions (as caller, callee or internal peer)."""
    start, end = flt.bounds(tz)
    th = s.time_hour
    period = period_column(th, flt.by).label("period")
    if choose_path(path, uses_aggregates("pbx-activity", scope, flt)) == "aggregate":
        # Every call once, no extension dimension: at most directions x statuses rows an hour;
        # a restricted scope or an extension filter: the scope rollup, one row per call.
        narrowed = not scope.all or flt.has_extension_filter
        a = s.agg_call_scope_hour if narrowed else s.agg_call_total_hour
        per_dir = [
            sa.func.sum(sa.case((a.c.direction == d, a.c.calls), else_=0)).label(d) for d in DIRECTIONS
        ]
        return (
            sa.select(period, *per_dir, sa.func.sum(a.c.calls).label("calls"),
                      metrics.count_answered(a.c.status, a.c.calls).label("answered"))
            .join(th, th.c.bucket_utc == a.c.bucket_utc)
            .where(a.c.bucket_utc >= start, a.c.bucket_utc < end,
                   direction_clause(a.c.direction, flt),
                   *(scope_rollup_where(scope, flt, a) if narrowed else ()))
            .group_by(period)
            .order_by(period)
        )
    c = s.call
    per_dir = [sa.func.sum(sa.case((c.c.direction == d, 1), else_=0)).label(d) for d in DIRECTIONS]
    return (
        sa.select(period, *per_dir, sa.func.count().label("calls"),
                  metrics.count_answered(c.c.status).label("answered"))
        .join(th, th.c.bucket_utc == hour_floor(c.c.start_utc))
        .where(
            c.c.start_utc >= start,
            c.c.start_utc < end,
            call_clause(scope),
            direction_clause(c.c.direction, flt),
            call_clause(flt.selection()) if flt.has_extension_filter else sa.true(),
        )
        .group_by(period)
        .order_by(period)
    )

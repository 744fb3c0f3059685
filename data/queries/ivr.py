"""IVR (ivr): calls that entered each IVR, the options chosen (in all and over time) and
where the calls went next. Aggregate path: agg_ivr_hour (unrestricted) or
agg_ivr_scope_hour; on the facts path calls are narrowed as in pbx-activity
(report_filter.call_where)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.queries.report_filter import (DID_BY, ReportFilter, call_where, direction_clause, period_column,
                                        scope_rollup_where)
from data.queries.report_path import choose_path, uses_aggregates
from data.scope import Scope
from data.timebuckets import hour_floor


def _ivr_calls_where(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """Calls started in the range that the scope, the directions and the extension filter
    let through. IVR entries and choices belong to the hour their call STARTED (like every
    other call metric; a choice made after midnight counts on the day the call began)."""
    start, end = flt.bounds(tz)
    c = s.call
    return sa.and_(c.c.start_utc >= start, c.c.start_utc < end, call_where(scope, flt))


def _ivr_choices(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """IVR choices of the calls started in the range that the scope allows."""
    ch, c = s.ivr_choice, s.call
    return ch.join(c, c.c.id == ch.c.call_id), _ivr_calls_where(scope, flt, tz)


def _ivr_rollup(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """Rollup rows of the range and directions: agg_ivr_hour for an unrestricted view,
    else agg_ivr_scope_hour narrowed by call_clause on its extension / peer / queue columns
    (as the facts path narrows `call`)."""
    start, end = flt.bounds(tz)
    if scope.all and not flt.has_extension_filter:
        r, narrowed = s.agg_ivr_hour, []
    else:
        r = s.agg_ivr_scope_hour
        narrowed = scope_rollup_where(scope, flt, r)
    return r, sa.and_(r.c.bucket_utc >= start, r.c.bucket_utc < end, direction_clause(r.c.direction, flt),
                      *narrowed)


def ivr_entered(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per IVR: calls started in the range that entered it — by call.ivr or by a choice made
    in it (a call once per IVR). Columns: ivr, calls. Aggregate path: agg_ivr_hour."""
    if choose_path(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
        r, where = _ivr_rollup(scope, flt, tz)
        calls = sa.func.sum(r.c.entries)
        return (sa.select(r.c.ivr, calls.label("calls")).where(where, r.c.option == "")
                .group_by(r.c.ivr).having(calls > 0).order_by(r.c.ivr))
    ch, c = s.ivr_choice, s.call
    joined, where = _ivr_choices(scope, flt, tz)
    by_choice = sa.select(ch.c.call_id.label("call_id"), ch.c.ivr.label("ivr")).select_from(joined).where(where)
    by_call = sa.select(c.c.id.label("call_id"), c.c.ivr.label("ivr")).where(
        _ivr_calls_where(scope, flt, tz), c.c.ivr.is_not(None), c.c.ivr != "")
    u = sa.union(by_choice, by_call).subquery("ivr_calls")  # UNION: a call once per IVR
    return sa.select(u.c.ivr, sa.func.count().label("calls")).group_by(u.c.ivr).order_by(u.c.ivr)


def ivr_options(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per IVR and option: choices of the calls started in the range (a call choosing twice
    counts twice). Columns: ivr, option, choices. Aggregate path: agg_ivr_hour."""
    if choose_path(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
        r, where = _ivr_rollup(scope, flt, tz)
        n = sa.func.sum(r.c.choices)
        return (sa.select(r.c.ivr, r.c.option, n.label("choices")).where(where)
                .group_by(r.c.ivr, r.c.option).having(n > 0).order_by(r.c.ivr, r.c.option))
    ch = s.ivr_choice
    joined, where = _ivr_choices(scope, flt, tz)
    return (sa.select(ch.c.ivr, ch.c.option, sa.func.count().label("choices")).select_from(joined).where(where)
            .group_by(ch.c.ivr, ch.c.option).order_by(ch.c.ivr, ch.c.option))


def ivr_options_over_time(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per local day / month of the call's start and option: choices. Columns: period,
    option, choices. Aggregate path: agg_ivr_hour joined to time_hour."""
    if flt.by not in DID_BY:
        raise ValueError(f"by must be one of {DID_BY}")
    th = s.time_hour
    period = period_column(th, flt.by).label("period")
    if choose_path(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
        r, where = _ivr_rollup(scope, flt, tz)
        n = sa.func.sum(r.c.choices)
        return (sa.select(period, r.c.option, n.label("choices"))
                .select_from(r.join(th, th.c.bucket_utc == r.c.bucket_utc)).where(where)
                .group_by(period, r.c.option).having(n > 0).order_by(period, r.c.option))
    ch, c = s.ivr_choice, s.call
    joined, where = _ivr_choices(scope, flt, tz)
    joined = joined.join(th, th.c.bucket_utc == hour_floor(c.c.start_utc))
    return (sa.select(period, ch.c.option, sa.func.count().label("choices")).select_from(joined).where(where)
            .group_by(period, ch.c.option).order_by(period, ch.c.option))


def ivr_next(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per IVR and where the calls went after it (ivr_choice.next_dest: queue:600,
    extension:201, ..., hangup = hung up in the menu): visits of the calls started in the
    range. Columns: ivr, next_dest, choices. Aggregate path: agg_ivr_hour."""
    if choose_path(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
        r, where = _ivr_rollup(scope, flt, tz)
        n = sa.func.sum(r.c.choices)
        return (sa.select(r.c.ivr, r.c.next_dest, n.label("choices")).where(where, r.c.option != "",
                                                                           r.c.next_dest != "")
                .group_by(r.c.ivr, r.c.next_dest).having(n > 0).order_by(r.c.ivr, r.c.next_dest))
    ch = s.ivr_choice
    joined, where = _ivr_choices(scope, flt, tz)
    return (sa.select(ch.c.ivr, ch.c.next_dest, sa.func.count().label("choices")).select_from(joined)
            .where(where, ch.c.next_dest.is_not(None), ch.c.next_dest != "")
            .group_by(ch.c.ivr, ch.c.next_dest).order_by(ch.c.ivr, ch.c.next_dest))


def ivr_names() -> sa.Select:
    m = s.ivr_menu
    return sa.select(m.c.number, sa.func.max(m.c.name)).where(m.c.name.is_not(None)).group_by(m.c.number)


def ivr_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls the ivr report counted (for report_calls)."""
    ch, c = s.ivr_choice, s.call
    joined, where = _ivr_choices(scope, flt, tz)
    return sa.union(
        sa.select(ch.c.call_id.label("call_id")).select_from(joined).where(where),
        sa.select(c.c.id.label("call_id")).where(_ivr_calls_where(scope, flt, tz), c.c.ivr.is_not(None),
                                                 c.c.ivr != ""),
    )

"""Ring groups (ring-groups): calls per ring group, answered by a member, ring and talk of the
answered legs, and the answers per member. Aggregate path: agg_ring_group_hour /
agg_ring_group_member_hour for an unrestricted view without an extension filter (those
rollups have no extension columns); else the facts, narrowed as in pbx-activity
(report_filter.call_where)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.queries.report_filter import ReportFilter, call_where, direction_clause
from data.queries.report_path import choose_path, uses_aggregates
from data.scope import Scope


def _ring_group_calls(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """(call_id, ring_group) of calls started in the range that went to a ring group: by
    call.ring_group or by a call_leg with via_type 'ring_group'. One row per call and group."""
    start, end = flt.bounds(tz)
    c, leg = s.call, s.call_leg
    in_range = sa.and_(c.c.start_utc >= start, c.c.start_utc < end, call_where(scope, flt))
    by_call = sa.select(c.c.id.label("call_id"), c.c.ring_group.label("ring_group")).where(
        in_range, c.c.ring_group.is_not(None), c.c.ring_group != "")
    by_leg = (sa.select(leg.c.call_id.label("call_id"), leg.c.via.label("ring_group"))
              .select_from(leg.join(c, c.c.id == leg.c.call_id))
              .where(in_range, leg.c.via_type == "ring_group", leg.c.via.is_not(None), leg.c.via != ""))
    return sa.union(by_call, by_leg).subquery("rg_calls")


def _answered_legs(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    start, end = flt.bounds(tz)
    c, leg = s.call, s.call_leg
    return (sa.select(leg.c.call_id, leg.c.via.label("ring_group"), leg.c.extension, leg.c.ring_s, leg.c.talk_s)
            .select_from(leg.join(c, c.c.id == leg.c.call_id))
            .where(c.c.start_utc >= start, c.c.start_utc < end, call_where(scope, flt),
                   leg.c.via_type == "ring_group", leg.c.status == "answered")
            .subquery("rg_answered"))


def ring_groups(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per ring group: calls (started in the range), answered (a member answered a leg of
    that group), ring_s and talk_s summed over the answered legs, answered_legs. Missed =
    calls - answered (metrics.unanswered). Aggregate path: agg_ring_group_hour (the same
    rows per hour of the call's start, data.aggregates.ring_group_rows_select)."""
    if choose_path(path, uses_aggregates("ring-groups", scope, flt)) == "aggregate":
        start, end = flt.bounds(tz)
        r = s.agg_ring_group_hour
        return (sa.select(r.c.ring_group, sa.func.sum(r.c.calls).label("calls"),
                          sa.func.sum(r.c.answered).label("answered"), sa.func.sum(r.c.legs).label("legs"),
                          sa.func.sum(r.c.ring_s).label("ring_s"), sa.func.sum(r.c.talk_s).label("talk_s"))
                .where(r.c.bucket_utc >= start, r.c.bucket_utc < end, direction_clause(r.c.direction, flt))
                .group_by(r.c.ring_group).order_by(r.c.ring_group))
    g = _ring_group_calls(scope, flt, tz)
    a = _answered_legs(scope, flt, tz)
    per_call = (sa.select(a.c.call_id, a.c.ring_group).group_by(a.c.call_id, a.c.ring_group)
                .subquery("rg_answered_calls"))
    legs = (sa.select(a.c.ring_group, sa.func.count().label("legs"), sa.func.sum(a.c.ring_s).label("ring_s"),
                      sa.func.sum(a.c.talk_s).label("talk_s")).group_by(a.c.ring_group).subquery("rg_legs"))
    calls = (sa.select(g.c.ring_group, sa.func.count().label("calls"),
                       sa.func.count(per_call.c.call_id).label("answered"))
             .select_from(g.outerjoin(per_call, sa.and_(per_call.c.call_id == g.c.call_id,
                                                        per_call.c.ring_group == g.c.ring_group)))
             .group_by(g.c.ring_group).subquery("rg_counts"))
    return (sa.select(calls.c.ring_group, calls.c.calls, calls.c.answered, legs.c.legs, legs.c.ring_s, legs.c.talk_s)
            .select_from(calls.outerjoin(legs, legs.c.ring_group == calls.c.ring_group))
            .order_by(calls.c.ring_group))


def ring_group_members_answered(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *,
                                path: str | None = None) -> sa.Select:
    """Per ring group and answering member: calls answered. Columns: ring_group, extension,
    answered. Aggregate path: agg_ring_group_member_hour."""
    if choose_path(path, uses_aggregates("ring-groups", scope, flt)) == "aggregate":
        start, end = flt.bounds(tz)
        m = s.agg_ring_group_member_hour
        return (sa.select(m.c.ring_group, m.c.extension, sa.func.sum(m.c.answered).label("answered"))
                .where(m.c.bucket_utc >= start, m.c.bucket_utc < end, direction_clause(m.c.direction, flt))
                .group_by(m.c.ring_group, m.c.extension).order_by(m.c.ring_group, m.c.extension))
    a = _answered_legs(scope, flt, tz)
    # A leg without a ring-group number is no group's answer (as in the rollup).
    return (sa.select(a.c.ring_group, a.c.extension, sa.func.count(sa.distinct(a.c.call_id)).label("answered"))
            .where(a.c.extension.is_not(None), a.c.ring_group.is_not(None), a.c.ring_group != "")
            .group_by(a.c.ring_group, a.c.extension).order_by(a.c.ring_group, a.c.extension))


def ring_group_info() -> tuple[sa.Select, sa.Select]:
    """(number, name) of ring groups; (number, member extension) of their members."""
    r, m = s.ring_group, s.ring_group_member
    names = sa.select(r.c.number, sa.func.max(r.c.name)).where(r.c.name.is_not(None)).group_by(r.c.number)
    members = (sa.select(r.c.number, m.c.extension).select_from(m.join(r, r.c.id == m.c.ring_group_id))
               .distinct())
    return names, members


def ring_group_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls the ring-groups report counted (for report_calls)."""
    g = _ring_group_calls(scope, flt, tz)
    return sa.select(g.c.call_id).distinct()

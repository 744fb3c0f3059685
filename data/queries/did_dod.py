"""DID / DOD (did-dod): inbound calls per called number (DID), outbound calls per presented
caller ID (DOD), per local day or month; and the names of those numbers."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import metrics
from data import schema as s
from data.queries.report_filter import DID_BY, ReportFilter, period_column, scope_rollup_where
from data.queries.report_path import choose_path, uses_aggregates
from data.scope import Scope, call_clause
from data.timebuckets import hour_floor


def did_dod(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per local day / month and number: kind ('did' inbound by called number, 'dod'
    outbound by presented caller ID), number, calls, answered, talk_s.

    Aggregate path: agg_number_hour (scope.all, no extension filter); otherwise the facts."""
    if flt.by not in DID_BY:
        raise ValueError(f"by must be one of {DID_BY}")
    start, end = flt.bounds(tz)
    th, c = s.time_hour, s.call
    period = period_column(th, flt.by).label("period")
    kinds = [k for k, d in (("did", "inbound"), ("dod", "outbound")) if not flt.directions or d in flt.directions]
    if choose_path(path, uses_aggregates("did-dod", scope, flt)) == "aggregate" and (
            not scope.all or flt.has_extension_filter):
        a = s.agg_call_scope_hour
        kind = sa.case((a.c.direction == "inbound", "did"), else_="dod")
        dirs = [d for k, d in (("did", "inbound"), ("dod", "outbound")) if k in kinds]
        return (
            sa.select(period, kind.label("kind"), a.c.number, sa.func.sum(a.c.calls).label("calls"),
                      metrics.count_answered(a.c.status, a.c.calls).label("answered"),
                      sa.func.sum(a.c.talk_s).label("talk_s"))
            .join(th, th.c.bucket_utc == a.c.bucket_utc)
            .where(a.c.bucket_utc >= start, a.c.bucket_utc < end, a.c.direction.in_(dirs) if dirs else sa.false(),
                   a.c.number != "", *scope_rollup_where(scope, flt, a))
            .group_by(period, kind, a.c.number)
            .order_by(period, kind, a.c.number)
        )
    if choose_path(path, uses_aggregates("did-dod", scope, flt)) == "aggregate":
        an = s.agg_number_hour
        return (
            sa.select(
                period,
                an.c.kind,
                an.c.number,
                sa.func.sum(an.c.calls).label("calls"),
                metrics.count_answered(an.c.status, an.c.calls).label("answered"),
                sa.func.sum(an.c.talk_s).label("talk_s"),
            )
            .join(th, th.c.bucket_utc == an.c.bucket_utc)
            .where(an.c.bucket_utc >= start, an.c.bucket_utc < end, an.c.kind.in_(kinds) if kinds else sa.false())
            .group_by(period, an.c.kind, an.c.number)
            .order_by(period, an.c.kind, an.c.number)
        )

    def part(kind: str, direction: str, col):
        return (
            sa.select(
                period,
                sa.literal(kind).label("kind"),
                col.label("number"),
                sa.func.count().label("calls"),
                metrics.count_answered(c.c.status).label("answered"),
                sa.func.sum(c.c.talk_s).label("talk_s"),
            )
            .join(th, th.c.bucket_utc == hour_floor(c.c.start_utc))
            .where(
                c.c.start_utc >= start,
                c.c.start_utc < end,
                c.c.direction == direction,
                col.is_not(None),
                col != "",
                call_clause(scope),
                call_clause(flt.selection()) if flt.has_extension_filter else sa.true(),
            )
            .group_by(period, col)
        )

    parts = []
    if not flt.directions or "inbound" in flt.directions:
        parts.append(part("did", "inbound", c.c.did))
    if not flt.directions or "outbound" in flt.directions:
        parts.append(part("dod", "outbound", c.c.outbound_cid))
    if not parts:  # only internal calls asked for: they carry no DID / DOD
        return part("did", "inbound", c.c.did).where(sa.false())
    u = sa.union_all(*parts).subquery("numbers") if len(parts) > 1 else parts[0].subquery("numbers")
    return sa.select(u).order_by(u.c.period, u.c.kind, u.c.number)


def phone_number_names(numbers) -> sa.Select:
    p = s.phone_number
    return sa.select(p.c.number, p.c.name).where(p.c.number.in_(sorted(set(numbers))), p.c.name.is_not(None))

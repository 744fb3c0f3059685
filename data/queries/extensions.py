"""Per-extension reports: extension-statistics (status counts, talk and hold per extension)
and extension-activity (calls per time slot and extension), the extension names and the
filter bar's extension / group choices. An internal call counts for both its extensions
(owner + peer rows); paths as in data.queries.report_path."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import metrics
from data import schema as s
from data.queries.report_filter import ReportFilter, direction_clause
from data.queries.report_path import choose_path, uses_aggregates
from data.scope import Scope, extension_clause
from data.timebuckets import hour_floor

STATUS_COLUMNS = tuple(metrics.STATUS_CLASSES)  # answered, no_answer, busy, failed, voicemail, abandoned


def _extension_rows(scope: Scope, flt: ReportFilter, start: datetime, end: datetime):
    """Facts as one row per (call, extension it involves): the call's extension ('owner')
    and, when set, its peer extension — exactly the rows agg_call_hour sums per extension.
    Narrowed to extensions the scope may see and to the chosen extensions."""
    c = s.call

    def part(col):
        return sa.select(
            c.c.start_utc.label("start_utc"),
            c.c.status.label("status"),
            col.label("extension"),
            c.c.talk_s.label("talk_s"),
            c.c.hold_s.label("hold_s"),
        ).where(
            c.c.start_utc >= start,
            c.c.start_utc < end,
            direction_clause(c.c.direction, flt),
            col.is_not(None),
            col != "",
            extension_clause(scope, col),
            extension_clause(flt.selection(), col) if flt.has_extension_filter else sa.true(),
        )

    return sa.union_all(part(c.c.extension), part(c.c.peer_extension)).subquery("ext_rows")


# --------------------------------------------------------------------------- extension-statistics


def extension_statistics(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per extension: calls, answered, no_answer, busy, failed, voicemail, abandoned,
    talk_s, hold_s (an internal call counts for both its extensions)."""
    start, end = flt.bounds(tz)
    if choose_path(path, uses_aggregates("extension-statistics", scope, flt)) == "aggregate":
        # Whole local days: the per-day rollup (~24x fewer rows than agg_call_hour).
        a = s.agg_call_day
        cols = [metrics.count_status(a.c.status, k, a.c.calls).label(k) for k in STATUS_COLUMNS]
        return (
            sa.select(
                a.c.extension,
                sa.func.sum(a.c.calls).label("calls"),
                *cols,
                sa.func.sum(a.c.talk_s).label("talk_s"),
                sa.func.sum(a.c.hold_s).label("hold_s"),
            )
            .where(
                a.c.local_day >= flt.first_day,
                a.c.local_day <= flt.last_day,
                a.c.extension != "",
                direction_clause(a.c.direction, flt),
                extension_clause(scope, a.c.extension),
                extension_clause(flt.selection(), a.c.extension) if flt.has_extension_filter else sa.true(),
            )
            .group_by(a.c.extension)
            .order_by(a.c.extension)
        )
    x = _extension_rows(scope, flt, start, end)
    cols = [metrics.count_status(x.c.status, k).label(k) for k in STATUS_COLUMNS]
    return (
        sa.select(
            x.c.extension,
            sa.func.count().label("calls"),
            *cols,
            sa.func.sum(x.c.talk_s).label("talk_s"),
            sa.func.sum(x.c.hold_s).label("hold_s"),
        )
        .group_by(x.c.extension)
        .order_by(x.c.extension)
    )


# --------------------------------------------------------------------------- extension-activity


def extension_activity(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Calls per time slot and extension: period, minute, extension, calls, answered.

    interval 15/30/60: ``period`` is the UTC hour (naive) and ``minute`` the slot's offset
    in it (0 for hours) — keyed by UTC so a 25-hour day keeps both 02:00 hours apart;
    interval 1440: ``period`` is the local day, ``minute`` 0. Counting as in extension
    statistics (an internal call counts for both extensions)."""
    start, end = flt.bounds(tz)
    th = s.time_hour
    if choose_path(path, uses_aggregates("extension-activity", scope, flt)) == "aggregate":
        per_day = flt.interval == 1440
        a = s.agg_call_day if per_day else s.agg_call_hour
        period = (a.c.local_day if per_day else a.c.bucket_utc).label("period")
        in_range = (
            sa.and_(a.c.local_day >= flt.first_day, a.c.local_day <= flt.last_day)
            if per_day
            else sa.and_(a.c.bucket_utc >= start, a.c.bucket_utc < end)
        )
        stmt = sa.select(
            period,
            sa.literal(0).label("minute"),
            a.c.extension,
            sa.func.sum(a.c.calls).label("calls"),
            metrics.count_answered(a.c.status, a.c.calls).label("answered"),
        )
        return (
            stmt.where(
                in_range,
                a.c.extension != "",
                direction_clause(a.c.direction, flt),
                extension_clause(scope, a.c.extension),
                extension_clause(flt.selection(), a.c.extension) if flt.has_extension_filter else sa.true(),
            )
            .group_by(period, a.c.extension)
            .order_by(period, a.c.extension)
        )
    x = _extension_rows(scope, flt, start, end)
    hour = hour_floor(x.c.start_utc)
    if flt.interval == 1440:
        period, minute = th.c.local_day, sa.literal(0)
    elif flt.interval == 60:
        period, minute = hour, sa.literal(0)
    else:
        # Whole-hour UTC offsets (see data.timebuckets): the minute is the same in UTC and
        # local time, so the slot within the hour comes straight from start_utc.
        period = hour
        minute = (sa.cast(sa.extract("minute", x.c.start_utc), sa.Integer) // flt.interval) * flt.interval
    period, minute = period.label("period"), minute.label("minute")
    stmt = sa.select(period, minute, x.c.extension, sa.func.count().label("calls"),
                     metrics.count_answered(x.c.status).label("answered"))
    if flt.interval == 1440:
        stmt = stmt.select_from(x.join(th, th.c.bucket_utc == hour))
    return stmt.group_by(period, minute, x.c.extension).order_by(period, minute, x.c.extension)


# --------------------------------------------------------------------------- names and filter choices


def extension_names(numbers) -> sa.Select:
    e = s.extension
    return sa.select(e.c.number, e.c.name).where(e.c.number.in_(sorted(set(numbers))), e.c.name.is_not(None))


def filter_options(scope: Scope) -> tuple[sa.Select, sa.Select]:
    """(extensions the scope may see with names, extension-group names) for the filter bar."""
    e, g = s.extension, s.extension_group
    exts = (
        sa.select(e.c.number, sa.func.max(e.c.name).label("name"))
        .where(extension_clause(scope, e.c.number))
        .group_by(e.c.number)
        .order_by(e.c.number)
    )
    if scope.all:
        groups = sa.select(g.c.name).order_by(g.c.name)
    else:
        groups = sa.select(g.c.name).where(g.c.name.in_(sorted(scope.groups))).order_by(g.c.name)
    return exts, groups

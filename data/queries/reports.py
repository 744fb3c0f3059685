"""Call reports: pure statement builders (scope + ReportFilter in, SQLAlchemy Select out).

Each report has two paths with the same columns and, by construction of the aggregates
(data.aggregates), the same numbers (tests check both on the same data):

- aggregate path: ``agg_call_day`` (per-extension reports over whole local days),
  ``agg_call_total_hour`` (PBX-wide activity), ``agg_call_hour`` (per extension and hour)
  or ``agg_number_hour`` (DID/DOD), joined to ``time_hour`` for local buckets, whenever
  the report needs nothing finer than those dimensions. A restricted scope narrows them
  the way the facts path narrows ``call``: per-extension rollups by extension_clause (owner
  and peer rows, as counted), ``agg_queue_hour`` by queue_clause, and PBX / DID-DOD totals
  for a restricted scope or an extension filter come from ``agg_call_scope_hour`` (one row
  per call with extension, peer and queue, so a call both of whose extensions are in scope
  is counted once);
- facts path: ``call`` (joined to ``time_hour`` for local buckets) — sub-hour buckets and
  the reports no rollup holds (callbacks, surveys, missed) and restricted scopes of ring
  groups (their rollups have no extension columns).

Counting rules (see data.metrics.DEFINITIONS): calls belong to the hour they *started*
in; per-extension numbers count an internal call for both extensions (owner + peer rows);
PBX totals count each call once (party = 'owner'). ``path=None`` picks automatically;
``path="facts"`` / ``"aggregate"`` forces one (tests, bench).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import metrics
from data import schema as s
from data.privacy import visible
from data.schema import DIRECTIONS
from data.scope import Scope, call_clause, extension_clause, queue_clause
from data.timebuckets import hour_floor, local_day_bounds_utc

REPORT_TYPES = ("extension-statistics", "pbx-activity", "extension-activity", "did-dod", "queue-performance",
                "queue-wait-talk")
PBX_BY = ("hour_of_day", "day", "month")
QUEUE_BY = ("queue", "hour_of_day", "day", "month")  # queue: the whole range per queue
DID_BY = ("day", "month")
INTERVALS = (15, 30, 60, 1440)  # minutes; 1440 = per local day
STATUS_COLUMNS = tuple(metrics.STATUS_CLASSES)  # answered, no_answer, busy, failed, voicemail, abandoned


def _strs(values) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return tuple(out)


@dataclass(frozen=True)
class ReportFilter:
    """What every call report is asked: local days first..last (inclusive, PBX zone),
    extensions / extension groups (empty: all the scope allows), directions (empty: all),
    plus the report-specific options ``by`` and ``interval``."""

    first_day: date
    last_day: date
    extensions: tuple[str, ...] = field(default_factory=tuple)
    groups: tuple[str, ...] = field(default_factory=tuple)
    directions: tuple[str, ...] = field(default_factory=tuple)
    by: str = "day"  # pbx-activity: hour_of_day | day | month; did-dod: day | month
    interval: int = 60  # extension-activity: 15 | 30 | 60 | 1440 minutes
    queues: tuple[str, ...] = field(default_factory=tuple)  # queue reports: these queues (empty: all)
    hours: int = 24  # missed-unreturned: a missed call returned within this many hours is done

    def __post_init__(self):
        object.__setattr__(self, "extensions", _strs(self.extensions))
        object.__setattr__(self, "queues", _strs(self.queues))
        object.__setattr__(self, "groups", _strs(self.groups))
        dirs = _strs(self.directions)
        unknown = [d for d in dirs if d not in DIRECTIONS]
        if unknown:
            raise ValueError(f"unknown direction(s): {', '.join(unknown)} (use {', '.join(DIRECTIONS)})")
        # Canonical order; "all three" is the same as "no filter".
        dirs = tuple(d for d in DIRECTIONS if d in dirs)
        object.__setattr__(self, "directions", () if len(dirs) == len(DIRECTIONS) else dirs)
        if self.last_day < self.first_day:
            raise ValueError("the last day is before the first day")
        if int(self.interval) not in INTERVALS:
            raise ValueError(f"interval must be one of {INTERVALS}")
        object.__setattr__(self, "interval", int(self.interval))
        if not 1 <= int(self.hours) <= 24 * 31:
            raise ValueError("hours must be between 1 and 744")
        object.__setattr__(self, "hours", int(self.hours))

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in naive UTC."""
        return local_day_bounds_utc(self.first_day, self.last_day, tz)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def has_extension_filter(self) -> bool:
        return bool(self.extensions or self.groups)

    def selection(self) -> Scope:
        """The chosen extensions / groups as a Scope, to reuse the scope's clauses."""
        return Scope.of(extensions=self.extensions, groups=self.groups)

    def with_(self, **changes) -> "ReportFilter":
        return replace(self, **changes)


def _direction_clause(column, flt: ReportFilter):
    return column.in_(flt.directions) if flt.directions else sa.true()


def _choose(path: str | None, aggregate_ok: bool) -> str:
    if path is None:
        return "aggregate" if aggregate_ok else "facts"
    if path not in ("aggregate", "facts"):
        raise ValueError(f"unknown path {path!r}")
    if path == "aggregate" and not aggregate_ok:
        raise ValueError("this scope / filter cannot be answered from the aggregates")
    return path


def uses_aggregates(report: str, scope: Scope, flt: ReportFilter) -> bool:
    """Which path the automatic choice takes (for notes, tests and the bench)."""
    # A restricted scope narrows the per-extension rollups by extension_clause (the same
    # owner / peer rows the facts path counts), the queue rollup by queue_clause, and PBX /
    # DID-DOD totals through agg_call_scope_hour (each call one row: counted once).
    if report in ("extension-statistics", "pbx-activity", "did-dod", "queue-performance", "queue-wait-talk"):
        return True
    if report == "extension-activity":
        return flt.interval in (60, 1440)
    if report == "ring-groups":  # the ring-group rollups have no extension / scope columns
        return scope.all and not flt.has_extension_filter
    if report == "ivr":  # agg_ivr_hour, or agg_ivr_scope_hour for a scope / extension filter
        return True
    if report == "queue-agents":  # agg_agent_hour has the agent and the queue: every filter applies
        return True
    return False


def _scope_rollup_where(scope: Scope, flt: ReportFilter, a) -> list:
    """agg_call_scope_hour rows of the calls the scope (and the extension filter) lets
    through: call_clause on its extension / peer_extension / queue columns, as on `call`."""
    return [call_clause(scope, a), call_clause(flt.selection(), a) if flt.has_extension_filter else sa.true()]


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
            _direction_clause(c.c.direction, flt),
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
    if _choose(path, uses_aggregates("extension-statistics", scope, flt)) == "aggregate":
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
                _direction_clause(a.c.direction, flt),
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


# --------------------------------------------------------------------------- pbx-activity


def _pbx_period(th, by: str):
    if by == "hour_of_day":
        return th.c.local_hour
    if by == "day":
        return th.c.local_day
    if by == "month":
        return th.c.local_month
    raise ValueError(f"by must be one of {PBX_BY}")


def pbx_activity(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per local hour of day / day / month: inbound, outbound, internal, calls, answered.
    Each call counted once (party 'owner'); with an extension filter, the calls touching
    one of the chosen extensions (as caller, callee or internal peer)."""
    start, end = flt.bounds(tz)
    th = s.time_hour
    period = _pbx_period(th, flt.by).label("period")
    if _choose(path, uses_aggregates("pbx-activity", scope, flt)) == "aggregate":
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
                   _direction_clause(a.c.direction, flt),
                   *(_scope_rollup_where(scope, flt, a) if narrowed else ()))
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
            _direction_clause(c.c.direction, flt),
            call_clause(flt.selection()) if flt.has_extension_filter else sa.true(),
        )
        .group_by(period)
        .order_by(period)
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
    if _choose(path, uses_aggregates("extension-activity", scope, flt)) == "aggregate":
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
                _direction_clause(a.c.direction, flt),
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


# --------------------------------------------------------------------------- did-dod


def did_dod(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per local day / month and number: kind ('did' inbound by called number, 'dod'
    outbound by presented caller ID), number, calls, answered, talk_s.

    Aggregate path: agg_number_hour (scope.all, no extension filter); otherwise the facts."""
    if flt.by not in DID_BY:
        raise ValueError(f"by must be one of {DID_BY}")
    start, end = flt.bounds(tz)
    th, c = s.time_hour, s.call
    period = (th.c.local_day if flt.by == "day" else th.c.local_month).label("period")
    kinds = [k for k, d in (("did", "inbound"), ("dod", "outbound")) if not flt.directions or d in flt.directions]
    if _choose(path, uses_aggregates("did-dod", scope, flt)) == "aggregate" and (
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
                   a.c.number != "", *_scope_rollup_where(scope, flt, a))
            .group_by(period, kind, a.c.number)
            .order_by(period, kind, a.c.number)
        )
    if _choose(path, uses_aggregates("did-dod", scope, flt)) == "aggregate":
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


# --------------------------------------------------------------------------- queue reports

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
    period = [_pbx_period(th, flt.by).label("period")] if per_period else []
    if _choose(path, uses_aggregates("queue-performance", scope, flt)) == "aggregate":
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


# --------------------------------------------------------------------------- the calls behind a report


def report_calls(report: str, scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """The calls a report counted, one row each (a call counted for two extensions is
    listed once), oldest first — for "CSV with calls"."""
    start, end = flt.bounds(tz)
    c = s.call
    where = [c.c.start_utc >= start, c.c.start_utc < end, _direction_clause(c.c.direction, flt)]
    if report in ("extension-statistics", "extension-activity"):
        def counted(col):
            return sa.and_(col.is_not(None), col != "", extension_clause(scope, col),
                           extension_clause(flt.selection(), col) if flt.has_extension_filter else sa.true())

        where.append(sa.or_(counted(c.c.extension), counted(c.c.peer_extension)))
    elif report in ("pbx-activity", "did-dod"):
        where.append(call_clause(scope))
        if flt.has_extension_filter:
            where.append(call_clause(flt.selection()))
        if report == "did-dod":
            where.append(sa.or_(
                sa.and_(c.c.direction == "inbound", c.c.did.is_not(None), c.c.did != ""),
                sa.and_(c.c.direction == "outbound", c.c.outbound_cid.is_not(None), c.c.outbound_cid != ""),
            ))
    elif report in ("ivr", "ring-groups"):
        where = [c.c.id.in_(ivr_ring_group_calls(report, scope, flt, tz))]
    elif report in ("queue-agents", "missed-unreturned"):
        where = [c.c.id.in_(agent_missed_calls(report, scope, flt, tz))]
    elif report in ("queue-callbacks", "queue-satisfaction"):
        where = [c.c.id.in_(callback_survey_calls(report, scope, flt, tz))]
    elif report in ("queue-performance", "queue-wait-talk"):
        # Calls that entered one of the queues in the range (matched by the call they belong to).
        qc = s.queue_call
        where = [c.c.id.in_(sa.select(qc.c.call_id).where(
            qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.call_id.is_not(None),
            queue_clause(scope, qc.c.queue), qc.c.queue.in_(flt.queues) if flt.queues else sa.true()))]
    else:
        raise ValueError(f"unknown report {report!r}")
    return (
        sa.select(c.c.start_utc, c.c.direction, c.c.status, visible(c.c.from_number, scope),
                  visible(c.c.to_number, scope), c.c.extension,
                  c.c.peer_extension, c.c.did, c.c.outbound_cid, c.c.ring_s, c.c.talk_s, c.c.hold_s)
        .where(*where)
        .order_by(c.c.start_utc, c.c.id)
    )


# --------------------------------------------------------------------------- names


def extension_names(numbers) -> sa.Select:
    e = s.extension
    return sa.select(e.c.number, e.c.name).where(e.c.number.in_(sorted(set(numbers))), e.c.name.is_not(None))


def phone_number_names(numbers) -> sa.Select:
    p = s.phone_number
    return sa.select(p.c.number, p.c.name).where(p.c.number.in_(sorted(set(numbers))), p.c.name.is_not(None))


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


BUILDERS = {
    "extension-statistics": extension_statistics,
    "pbx-activity": pbx_activity,
    "extension-activity": extension_activity,
    "did-dod": did_dod,
    "queue-performance": queue_stats,
    "queue-wait-talk": queue_stats,
}


# --------------------------------------------------------------------------- ivr / ring-groups
# IVR: agg_ivr_hour (unrestricted) or agg_ivr_scope_hour. Ring groups: agg_ring_group_hour
# for an unrestricted view without an extension filter (no extension columns), else the
# facts. On the facts path calls are narrowed as in pbx-activity:
# the scope's calls (call_clause), the chosen directions and, with an extension filter, the
# calls touching a chosen extension.

IVR_OPTIONS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "timeout", "invalid")


def _call_where(scope: Scope, flt: ReportFilter):
    c = s.call
    return sa.and_(
        call_clause(scope),
        _direction_clause(c.c.direction, flt),
        call_clause(flt.selection()) if flt.has_extension_filter else sa.true(),
    )


def _ivr_calls_where(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """Calls started in the range that the scope, the directions and the extension filter
    let through. IVR entries and choices belong to the hour their call STARTED (like every
    other call metric; a choice made after midnight counts on the day the call began)."""
    start, end = flt.bounds(tz)
    c = s.call
    return sa.and_(c.c.start_utc >= start, c.c.start_utc < end, _call_where(scope, flt))


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
        narrowed = _scope_rollup_where(scope, flt, r)
    return r, sa.and_(r.c.bucket_utc >= start, r.c.bucket_utc < end, _direction_clause(r.c.direction, flt),
                      *narrowed)


def ivr_entered(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per IVR: calls started in the range that entered it — by call.ivr or by a choice made
    in it (a call once per IVR). Columns: ivr, calls. Aggregate path: agg_ivr_hour."""
    if _choose(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
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
    if _choose(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
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
    period = (th.c.local_day if flt.by == "day" else th.c.local_month).label("period")
    if _choose(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
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
    if _choose(path, uses_aggregates("ivr", scope, flt)) == "aggregate":
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


def _ring_group_calls(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """(call_id, ring_group) of calls started in the range that went to a ring group: by
    call.ring_group or by a call_leg with via_type 'ring_group'. One row per call and group."""
    start, end = flt.bounds(tz)
    c, leg = s.call, s.call_leg
    in_range = sa.and_(c.c.start_utc >= start, c.c.start_utc < end, _call_where(scope, flt))
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
            .where(c.c.start_utc >= start, c.c.start_utc < end, _call_where(scope, flt),
                   leg.c.via_type == "ring_group", leg.c.status == "answered")
            .subquery("rg_answered"))


def ring_groups(scope: Scope, flt: ReportFilter, tz: ZoneInfo, *, path: str | None = None) -> sa.Select:
    """Per ring group: calls (started in the range), answered (a member answered a leg of
    that group), ring_s and talk_s summed over the answered legs, answered_legs. Missed =
    calls - answered (metrics.unanswered). Aggregate path: agg_ring_group_hour (the same
    rows per hour of the call's start, data.aggregates.ring_group_rows_select)."""
    if _choose(path, uses_aggregates("ring-groups", scope, flt)) == "aggregate":
        start, end = flt.bounds(tz)
        r = s.agg_ring_group_hour
        return (sa.select(r.c.ring_group, sa.func.sum(r.c.calls).label("calls"),
                          sa.func.sum(r.c.answered).label("answered"), sa.func.sum(r.c.legs).label("legs"),
                          sa.func.sum(r.c.ring_s).label("ring_s"), sa.func.sum(r.c.talk_s).label("talk_s"))
                .where(r.c.bucket_utc >= start, r.c.bucket_utc < end, _direction_clause(r.c.direction, flt))
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
    if _choose(path, uses_aggregates("ring-groups", scope, flt)) == "aggregate":
        start, end = flt.bounds(tz)
        m = s.agg_ring_group_member_hour
        return (sa.select(m.c.ring_group, m.c.extension, sa.func.sum(m.c.answered).label("answered"))
                .where(m.c.bucket_utc >= start, m.c.bucket_utc < end, _direction_clause(m.c.direction, flt))
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


def ivr_ring_group_calls(report: str, scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls the ivr / ring-groups report counted (for report_calls)."""
    if report == "ivr":
        ch, c = s.ivr_choice, s.call
        joined, where = _ivr_choices(scope, flt, tz)
        return sa.union(
            sa.select(ch.c.call_id.label("call_id")).select_from(joined).where(where),
            sa.select(c.c.id.label("call_id")).where(_ivr_calls_where(scope, flt, tz), c.c.ivr.is_not(None),
                                                     c.c.ivr != ""),
        )
    g = _ring_group_calls(scope, flt, tz)
    return sa.select(g.c.call_id).distinct()


# --------------------------------------------------------------------------- queue-callbacks / queue-satisfaction
# Facts path only (callback and survey_answer are small tables).


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


def survey_scores(scope: Scope, flt: ReportFilter, tz: ZoneInfo, level: str) -> sa.Select:
    """Survey answers given in the range per queue (level 'queue', queue_clause) or per
    agent (level 'agent', extension_clause) and score key. Columns: who, score_key,
    answers, points."""
    start, end = flt.bounds(tz)
    sv = s.survey_answer
    who = sv.c.queue if level == "queue" else sv.c.agent
    scoped = queue_clause(scope, who) if level == "queue" else extension_clause(scope, who)
    return (sa.select(who.label("who"), sv.c.score_key, sa.func.count().label("answers"),
                      sa.func.sum(sv.c.points).label("points"))
            .where(sv.c.at_utc >= start, sv.c.at_utc < end, who.is_not(None), who != "", scoped,
                   sv.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(who, sv.c.score_key).order_by(who, sv.c.score_key))


def answered_queue_calls(scope: Scope, flt: ReportFilter, tz: ZoneInfo, level: str) -> sa.Select:
    """Answered queue calls (outcome 'answered', entered in the range) per queue or per
    answering agent — the participation denominator. Columns: who, answered."""
    start, end = flt.bounds(tz)
    qc = s.queue_call
    who = qc.c.queue if level == "queue" else qc.c.agent
    scoped = queue_clause(scope, who) if level == "queue" else extension_clause(scope, who)
    return (sa.select(who.label("who"), sa.func.count().label("answered"))
            .where(qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.outcome == "answered",
                   who.is_not(None), who != "", scoped,
                   qc.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(who).order_by(who))


def callback_survey_calls(report: str, scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls behind queue-callbacks / queue-satisfaction (for report_calls)."""
    if report == "queue-callbacks":
        cb = s.callback
        return sa.select(cb.c.call_id).where(_callback_where(scope, flt, tz), cb.c.call_id.is_not(None))
    start, end = flt.bounds(tz)
    sv = s.survey_answer
    return sa.select(sv.c.call_id).where(
        sv.c.at_utc >= start, sv.c.at_utc < end,
        sa.or_(queue_clause(scope, sv.c.queue), extension_clause(scope, sv.c.agent)),
        sv.c.queue.in_(flt.queues) if flt.queues else sa.true())


# --------------------------------------------------------------------------- queue-agents / missed-unreturned
# Agent time is clipped to the range in SQL: an interval counts from max(start, range start)
# to min(end, range end); an open interval (NULL end) runs to min(now, range end).

from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.functions import FunctionElement  # noqa: E402


class _greater(FunctionElement):
    """SQL: the greater of two timestamps (GREATEST on PostgreSQL, max() on SQLite)."""

    type = sa.DateTime()
    inherit_cache = True


class _lesser(FunctionElement):
    type = sa.DateTime()
    inherit_cache = True


@compiles(_greater)
def _greater_default(element, compiler, **kw):
    return "GREATEST(%s)" % compiler.process(element.clauses, **kw)


@compiles(_greater, "sqlite")
def _greater_sqlite(element, compiler, **kw):
    return "max(%s)" % compiler.process(element.clauses, **kw)


@compiles(_lesser)
def _lesser_default(element, compiler, **kw):
    return "LEAST(%s)" % compiler.process(element.clauses, **kw)


@compiles(_lesser, "sqlite")
def _lesser_sqlite(element, compiler, **kw):
    return "min(%s)" % compiler.process(element.clauses, **kw)


class _seconds_between(FunctionElement):
    """SQL: seconds from the first timestamp to the second."""

    type = sa.Float()
    inherit_cache = True


@compiles(_seconds_between)
def _seconds_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return "EXTRACT(EPOCH FROM (%s - %s))" % (compiler.process(b, **kw), compiler.process(a, **kw))


@compiles(_seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return "((julianday(%s) - julianday(%s)) * 86400.0)" % (compiler.process(b, **kw), compiler.process(a, **kw))


class _plus_seconds(FunctionElement):
    """SQL: a timestamp plus a whole number of seconds (a literal int)."""

    type = sa.DateTime()
    inherit_cache = False

    def __init__(self, ts, seconds: int):
        self.seconds = int(seconds)
        super().__init__(ts)


@compiles(_plus_seconds)
def _plus_default(element, compiler, **kw):
    return "(%s + interval '%d seconds')" % (compiler.process(element.clauses, **kw), element.seconds)


@compiles(_plus_seconds, "sqlite")
def _plus_sqlite(element, compiler, **kw):
    # Same text format SQLAlchemy stores DateTime in on SQLite (6 fraction digits).
    return "(strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+%d seconds') || '000')" % (
        compiler.process(element.clauses, **kw), element.seconds)


def _clipped_seconds(start_col, end_col, start: datetime, end: datetime, now: datetime):
    """SQL: seconds of [start_col, end_col or open) inside [start, end); 0 when outside."""
    open_end = min(now, end)
    lo = _greater(start_col, sa.literal(start, sa.DateTime()))
    hi = _lesser(sa.func.coalesce(end_col, sa.literal(open_end, sa.DateTime())), sa.literal(end, sa.DateTime()))
    return sa.case((hi > lo, _seconds_between(lo, hi)), else_=0.0)


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
    if _choose(path, uses_aggregates("queue-agents", scope, flt)) == "aggregate":
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
    if _choose(path, uses_aggregates("queue-agents", scope, flt)) == "aggregate":
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
    secs = _clipped_seconds(a.c.login_utc, a.c.logout_utc, start, end, now)
    return (sa.select(a.c.agent, sa.func.count().label("sessions"), sa.func.sum(secs).label("logged_in_s"))
            .where(a.c.login_utc < min(now, end),
                   sa.or_(a.c.logout_utc.is_(None), a.c.logout_utc > start),
                   _agent_where(scope, flt, a.c.agent), _agent_queue_where(scope, flt, a.c.queue))
            .group_by(a.c.agent))


def agent_paused(scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime) -> sa.Select:
    """Per agent and reason: pause seconds clipped to the range. Columns: agent, reason, pause_s."""
    start, end = flt.bounds(tz)
    p = s.agent_pause
    secs = _clipped_seconds(p.c.start_utc, p.c.end_utc, start, end, now)
    reason = sa.func.coalesce(p.c.reason, "").label("reason")
    return (sa.select(p.c.agent, reason, sa.func.sum(secs).label("pause_s"))
            .where(p.c.start_utc < min(now, end), sa.or_(p.c.end_utc.is_(None), p.c.end_utc > start),
                   _agent_where(scope, flt, p.c.agent), _agent_queue_where(scope, flt, p.c.queue))
            .group_by(p.c.agent, reason))


MISSED_STATUSES = ("no_answer", "abandoned", "busy")
MISSED_QUEUE_OUTCOMES = ("abandoned", "timeout")


def _unreturned_missed(scope: Scope, flt: ReportFilter, tz: ZoneInfo, hours: int):
    """Inbound calls started in the range that were missed (status, or a queue outcome) and
    whose caller was not called back (outbound call to the number, or a completed callback)
    nor answered on a new inbound call within `hours` after the missed call."""
    start, end = flt.bounds(tz)
    c, r, qc, cb = s.call, s.call.alias("ret"), s.queue_call, s.callback
    window = hours * 3600
    until = _plus_seconds(c.c.start_utc, window)
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


def agent_missed_calls(report: str, scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """The call ids behind queue-agents (answered queue calls) / missed-unreturned."""
    if report == "missed-unreturned":
        return sa.select(s.call.c.id).where(_unreturned_missed(scope, flt, tz, flt.hours))
    start, end = flt.bounds(tz)
    qc = s.queue_call
    return sa.select(qc.c.call_id).where(
        qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.outcome == "answered", qc.c.call_id.is_not(None),
        _agent_where(scope, flt, qc.c.agent), qc.c.queue.in_(flt.queues) if flt.queues else sa.true())


# --------------------------------------------------------------------------- queue-performance staffing view
# Agents needed per local hour of day (Erlang C, data.metrics) from the measured arrivals
# and handle time (queue_stats by hour_of_day), beside the agents actually logged in.


def queue_targets(numbers) -> sa.Select:
    """(number, service-level target seconds, service-level goal per cent) of these queues."""
    qt = s.queue
    return (sa.select(qt.c.number, sa.func.max(qt.c.sl_target_s), sa.func.max(qt.c.sl_goal_pct))
            .where(qt.c.number.in_(sorted(set(numbers)))).group_by(qt.c.number))


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
    lo = _greater(u.c.login_utc, th.c.bucket_utc)
    hi = _lesser(until, _plus_seconds(th.c.bucket_utc, 3600))
    secs = sa.case((hi > lo, _seconds_between(lo, hi)), else_=0.0)
    joined = u.join(th, sa.and_(th.c.bucket_utc >= hour_floor(u.c.login_utc), th.c.bucket_utc < until,
                                th.c.bucket_utc >= start, th.c.bucket_utc < end))
    return (sa.select(u.c.queue, th.c.local_hour.label("hour"), sa.func.sum(secs).label("agent_s"))
            .select_from(joined).where(where)
            .group_by(u.c.queue, th.c.local_hour).order_by(u.c.queue, th.c.local_hour))


# --------------------------------------------------------------------------- queue-agents: session and pause lists


def _agent_intervals(t, begin, finish, why, scope: Scope, flt: ReportFilter, tz: ZoneInfo, now: datetime):
    """Rows of agent_session / agent_pause overlapping the range, oldest first, with the
    seconds inside it (an open one up to min(now, range end))."""
    start, end = flt.bounds(tz)
    secs = _clipped_seconds(begin, finish, start, end, now)
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

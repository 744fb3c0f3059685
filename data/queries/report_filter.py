"""ReportFilter — what every call report is asked — and the SQL clauses it becomes, shared by
the report queries (data.queries.<domain>): directions, the calls the scope and the
extension filter let through (on ``call`` and on ``agg_call_scope_hour``), the period
column a ``by`` choice groups on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.schema import DIRECTIONS
from data.scope import Scope, call_clause
from data.timebuckets import local_day_bounds_utc

PBX_BY = ("hour_of_day", "day", "month")
DID_BY = ("day", "month")
INTERVALS = (15, 30, 60, 1440)  # minutes; 1440 = per local day


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


def direction_clause(column, flt: ReportFilter):
    """The chosen directions on this column (no choice: every direction)."""
    return column.in_(flt.directions) if flt.directions else sa.true()


def call_where(scope: Scope, flt: ReportFilter):
    """The calls the scope, the chosen directions and (with an extension filter) the chosen
    extensions let through, on ``call`` — as pbx-activity narrows them."""
    c = s.call
    return sa.and_(
        call_clause(scope),
        direction_clause(c.c.direction, flt),
        call_clause(flt.selection()) if flt.has_extension_filter else sa.true(),
    )


def scope_rollup_where(scope: Scope, flt: ReportFilter, a) -> list:
    """agg_call_scope_hour rows of the calls the scope (and the extension filter) lets
    through: call_clause on its extension / peer_extension / queue columns, as on `call`."""
    return [call_clause(scope, a), call_clause(flt.selection(), a) if flt.has_extension_filter else sa.true()]


def period_column(th, by: str):
    """The time_hour column a ``by`` choice groups on (local hour of day, day or month)."""
    if by == "hour_of_day":
        return th.c.local_hour
    if by == "day":
        return th.c.local_day
    if by == "month":
        return th.c.local_month
    raise ValueError(f"by must be one of {PBX_BY}")

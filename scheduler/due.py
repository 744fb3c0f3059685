"""Which runs are due: a pure function of the schedules and the clock.

A schedule fires at a wall-clock time in the PBX zone (``run_time`` HH:MM):
- once: on ``once_date``;
- daily: every day;
- weekly: on ``weekday`` (0 = Monday);
- monthly: on ``day_of_month``; in a shorter month on its last day (31 -> 30 Nov, 28/29 Feb).

Across DST the local time is kept: 10:00 is 10:00 CET in winter and 10:00 CEST in summer.
A time the clocks skip (02:30 on the spring-forward night) runs one hour later in wall
time (the same instant as 01:30 UTC, i.e. 03:30 CEST); a time that happens twice (02:30
on the fall-back night) runs once, at its first occurrence.

``due_runs(schedules, now_utc, tz)`` lists every occurrence in (``not_before_utc``, now]
per schedule — the caller sets ``not_before_utc`` to the latest run it already recorded
(or the time the schedule was created / last edited / resumed), so runs missed while the
scheduler was down all come back, each with the period it was due for. Each occurrence
has a run key unique per schedule and instant: inserting it is the claim that makes
"sent once" a database fact (scheduler.runner).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from data.periods import preset_days

FREQUENCIES = ("once", "daily", "weekly", "monthly")
FIXED = "fixed"  # a fixed custom range (one-offs)
# How far back a returning scheduler looks for missed runs at most (a daily schedule
# whose scheduler was down for a year sends the last 35 days, not 365 mails).
MAX_CATCH_UP = timedelta(days=35)


@dataclass(frozen=True)
class ScheduleTimes:
    """The part of a schedule row that decides when it runs and over which days."""

    id: int
    frequency: str
    run_time: str  # "HH:MM", PBX local
    period: str  # a data.periods preset / rolling window, or "fixed"
    not_before_utc: datetime  # naive UTC; occurrences at or before it are not due
    weekday: int | None = None
    day_of_month: int | None = None
    once_date: date | None = None
    fixed_first: date | None = None
    fixed_last: date | None = None


@dataclass(frozen=True)
class DueRun:
    schedule_id: int
    run_key: str
    due_utc: datetime  # naive UTC
    due_local: datetime  # aware, PBX zone
    first_day: date  # the report period, local days, inclusive
    last_day: date


def parse_run_time(text: str) -> time:
    hh, mm = str(text).split(":")
    t = time(int(hh), int(mm))
    return t


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Naive UTC instant of a wall-clock time (fold=0: first of a repeated time; a skipped
    time maps with the pre-transition offset, i.e. one hour later in wall time)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)


def fires_on(s: ScheduleTimes, day: date) -> bool:
    if s.frequency == "daily":
        return True
    if s.frequency == "weekly":
        return s.weekday is not None and day.weekday() == s.weekday
    if s.frequency == "monthly":
        if not s.day_of_month:
            return False
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(s.day_of_month, last)
    if s.frequency == "once":
        return s.once_date == day
    raise ValueError(f"unknown frequency {s.frequency!r}")


def period_days(s: ScheduleTimes, run_day: date) -> tuple[date, date]:
    """The local days a run on `run_day` reports on."""
    if s.period == FIXED:
        if s.fixed_first is None or s.fixed_last is None:
            raise ValueError("a fixed period needs its first and last day")
        return s.fixed_first, s.fixed_last
    return preset_days(s.period, run_day)


def run_key(schedule_id: int, due_utc: datetime) -> str:
    return f"s{schedule_id}@{due_utc:%Y-%m-%dT%H:%M}Z"


def occurrences(s: ScheduleTimes, after_utc: datetime, until_utc: datetime, tz: ZoneInfo) -> list[DueRun]:
    """Occurrences of `s` in (after_utc, until_utc], oldest first."""
    at = parse_run_time(s.run_time)
    utc = timezone.utc
    first = after_utc.replace(tzinfo=utc).astimezone(tz).date() - timedelta(days=1)
    last = until_utc.replace(tzinfo=utc).astimezone(tz).date() + timedelta(days=1)
    if s.frequency == "once":
        days = [s.once_date] if s.once_date and first <= s.once_date <= last else []
    else:
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    out = []
    for day in days:
        if not fires_on(s, day):
            continue
        due = local_to_utc(day, at, tz)
        if after_utc < due <= until_utc:
            d1, d2 = period_days(s, day)
            out.append(DueRun(s.id, run_key(s.id, due), due, due.replace(tzinfo=utc).astimezone(tz), d1, d2))
    return out


def due_runs(schedules, now_utc: datetime, tz: ZoneInfo) -> list[DueRun]:
    """Every run due at `now_utc` (naive UTC) and not yet recorded, oldest first."""
    out: list[DueRun] = []
    for s in schedules:
        after = max(s.not_before_utc, now_utc - MAX_CATCH_UP)
        out += occurrences(s, after, now_utc, tz)
    return sorted(out, key=lambda r: (r.due_utc, r.schedule_id))


def next_run(s: ScheduleTimes, after_utc: datetime, tz: ZoneInfo) -> DueRun | None:
    """The first occurrence after `after_utc` (for the schedules list), or None."""
    horizon = {"daily": 2, "weekly": 8, "monthly": 63}.get(s.frequency)
    if horizon is None:  # once
        if s.once_date is None:
            return None
        runs = occurrences(s, after_utc, local_to_utc(s.once_date, time(23, 59), tz) + timedelta(hours=2), tz)
    else:
        runs = occurrences(s, after_utc, after_utc + timedelta(days=horizon), tz)
    return runs[0] if runs else None

"""UTC storage, local-time reporting.

Facts are stored in naive UTC. Reports bucket by the PBX's local hour, day and month via
the ``time_hour`` table: one row per UTC hour with its local day/hour/month, computed
with zoneinfo in Python so SQLite and PostgreSQL agree and DST days come out with 23 or
25 hourly buckets. The PBX zone must have whole-hour UTC offsets for hourly aggregates to
map 1:1 onto local hours (true for Europe/Prague and most zones); sub-hour reports (15/30
min) query the facts directly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data import schema as s

UTC = timezone.utc
HOUR = timedelta(hours=1)


class hour_floor(FunctionElement):
    """SQL: the timestamp truncated to its hour (works on both dialects)."""

    type = sa.DateTime()
    inherit_cache = True


@compiles(hour_floor)
def _hour_floor_default(element, compiler, **kw):
    return "date_trunc('hour', %s)" % compiler.process(element.clauses, **kw)


@compiles(hour_floor, "sqlite")
def _hour_floor_sqlite(element, compiler, **kw):
    # Same text format SQLAlchemy uses for DateTime on SQLite, so equality with bound
    # parameters and with stored values holds.
    return "strftime('%%Y-%%m-%%d %%H:00:00.000000', %s)" % compiler.process(element.clauses, **kw)


def floor_hour(dt: datetime) -> datetime:
    return dt.replace(minute=0, second=0, microsecond=0)


def ceil_hour(dt: datetime) -> datetime:
    f = floor_hour(dt)
    return f if f == dt else f + HOUR


def to_utc_naive(dt: datetime, tz: ZoneInfo) -> datetime:
    """An aware datetime, or a naive one meaning local time in `tz`, as naive UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(dt: datetime, tz: ZoneInfo) -> datetime:
    """Naive UTC -> aware local datetime."""
    return dt.replace(tzinfo=UTC).astimezone(tz)


def local_day_bounds_utc(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC covering local days first_day..last_day inclusive."""
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    return to_utc_naive(start, tz), to_utc_naive(end, tz)


def hour_rows(start_utc: datetime, end_utc: datetime, tz: ZoneInfo) -> list[dict]:
    """time_hour rows for every UTC hour in [start_utc, end_utc)."""
    rows = []
    h = floor_hour(start_utc)
    while h < end_utc:
        local = h.replace(tzinfo=UTC).astimezone(tz)
        rows.append(
            {
                "bucket_utc": h,
                "local_start": local.replace(tzinfo=None),
                "local_day": local.date(),
                "local_hour": local.hour,
                "local_month": local.date().replace(day=1),
                "local_weekday": local.weekday(),
                "utc_offset_min": int(local.utcoffset().total_seconds() // 60),
            }
        )
        h += HOUR
    return rows


def ensure_hours(conn: sa.Connection, start_utc: datetime, end_utc: datetime, tz: ZoneInfo) -> int:
    """Make sure time_hour holds every hour of [start_utc, end_utc). Returns rows added."""
    start, end = floor_hour(start_utc), ceil_hour(end_utc)
    if end <= start:
        return 0
    have = {
        r[0]
        for r in conn.execute(
            sa.select(s.time_hour.c.bucket_utc).where(
                s.time_hour.c.bucket_utc >= start, s.time_hour.c.bucket_utc < end
            )
        )
    }
    missing = [r for r in hour_rows(start, end, tz) if r["bucket_utc"] not in have]
    for i in range(0, len(missing), 5000):
        conn.execute(s.time_hour.insert(), missing[i : i + 5000])
    return len(missing)


def rebuild_hours(conn: sa.Connection, tz: ZoneInfo) -> int:
    """Recompute every time_hour row for a (changed) time zone."""
    lo, hi = conn.execute(sa.select(sa.func.min(s.time_hour.c.bucket_utc), sa.func.max(s.time_hour.c.bucket_utc))).one()
    conn.execute(s.time_hour.delete())
    if lo is None:
        return 0
    return ensure_hours(conn, lo, hi + HOUR, tz)

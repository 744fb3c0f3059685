"""Local-time bucketing: the time_hour rows (DST days with 23 / 25 hours) and hour_floor in SQL.

Europe/Prague: CET (UTC+1) in winter, CEST (UTC+2) in summer. In 2026 summer time starts
on Sunday 29 March (02:00 CET -> 03:00 CEST, i.e. at 01:00 UTC) and ends on Sunday
25 October (03:00 CEST -> 02:00 CET, i.e. at 01:00 UTC). Every expected value below is
worked out from those two facts by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from data import schema as s
from data.timebuckets import (
    ceil_hour,
    ensure_hours,
    floor_hour,
    hour_floor,
    hour_rows,
    local_day_bounds_utc,
    rebuild_hours,
    to_utc_naive,
    utc_to_local,
)

PRAGUE = ZoneInfo("Europe/Prague")
H = timedelta(hours=1)


# --------------------------------------------------------------------------- pure Python


def test_local_day_bounds_normal_winter_day():
    # 2026-03-28 is CET all day: 00:00 local = 23:00 UTC the day before.
    assert local_day_bounds_utc(date(2026, 3, 28), date(2026, 3, 28), PRAGUE) == (
        datetime(2026, 3, 27, 23), datetime(2026, 3, 28, 23))


def test_local_day_bounds_spring_forward():
    # Starts in CET (23:00 UTC the 28th), ends at 00:00 CEST of the 30th = 22:00 UTC the 29th.
    assert local_day_bounds_utc(date(2026, 3, 29), date(2026, 3, 29), PRAGUE) == (
        datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22))


def test_local_day_bounds_fall_back():
    # Starts in CEST (22:00 UTC the 24th), ends at 00:00 CET of the 26th = 23:00 UTC the 25th.
    assert local_day_bounds_utc(date(2026, 10, 25), date(2026, 10, 25), PRAGUE) == (
        datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23))


def test_local_day_bounds_summer_range():
    # 1 July .. 31 July 2026, all CEST.
    assert local_day_bounds_utc(date(2026, 7, 1), date(2026, 7, 31), PRAGUE) == (
        datetime(2026, 6, 30, 22), datetime(2026, 7, 31, 22))


def test_hour_rows_spring_forward_day_has_23_hours():
    rows = hour_rows(datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22), PRAGUE)
    assert len(rows) == 23
    assert [r["local_hour"] for r in rows] == [0, 1] + list(range(3, 24))
    assert {r["local_day"] for r in rows} == {date(2026, 3, 29)}
    assert [r["utc_offset_min"] for r in rows] == [60, 60] + [120] * 21
    # 01:00 UTC is the first summer-time hour: 03:00 local.
    assert rows[2]["bucket_utc"] == datetime(2026, 3, 29, 1)
    assert rows[2]["local_start"] == datetime(2026, 3, 29, 3)
    assert all(r["local_weekday"] == 6 for r in rows)  # a Sunday
    assert all(r["local_month"] == date(2026, 3, 1) for r in rows)


def test_hour_rows_fall_back_day_has_25_hours():
    rows = hour_rows(datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23), PRAGUE)
    assert len(rows) == 25
    assert [r["local_hour"] for r in rows] == [0, 1, 2, 2] + list(range(3, 24))
    assert [r["utc_offset_min"] for r in rows] == [120, 120, 120] + [60] * 22
    # 00:00 and 01:00 UTC are 02:00 CEST and 02:00 CET: two distinct rows, same wall clock.
    assert rows[2]["bucket_utc"] == datetime(2026, 10, 25, 0)
    assert rows[3]["bucket_utc"] == datetime(2026, 10, 25, 1)
    assert rows[2]["local_start"] == rows[3]["local_start"] == datetime(2026, 10, 25, 2)
    assert {r["local_day"] for r in rows} == {date(2026, 10, 25)}


@pytest.mark.parametrize("day, first_utc", [
    (date(2026, 1, 15), datetime(2026, 1, 14, 23)),
    (date(2026, 3, 28), datetime(2026, 3, 27, 23)),
    (date(2026, 3, 30), datetime(2026, 3, 29, 22)),
    (date(2026, 7, 1), datetime(2026, 6, 30, 22)),
    (date(2026, 10, 24), datetime(2026, 10, 23, 22)),
    (date(2026, 10, 26), datetime(2026, 10, 25, 23)),
])
def test_hour_rows_ordinary_days_have_24_hours(day, first_utc):
    rows = hour_rows(first_utc, first_utc + 24 * H, PRAGUE)
    assert [r["local_hour"] for r in rows] == list(range(24))
    assert {r["local_day"] for r in rows} == {day}


def test_hour_rows_month_and_weekday_across_month_end():
    # 2026-01-31 23:00 UTC is 2026-02-01 00:00 CET, a Sunday.
    rows = hour_rows(datetime(2026, 1, 31, 22), datetime(2026, 2, 1, 0), PRAGUE)
    assert [(r["local_day"], r["local_hour"], r["local_month"], r["local_weekday"]) for r in rows] == [
        (date(2026, 1, 31), 23, date(2026, 1, 1), 5),
        (date(2026, 2, 1), 0, date(2026, 2, 1), 6),
    ]


def test_floor_ceil_and_conversions():
    assert floor_hour(datetime(2026, 3, 29, 0, 59, 59, 500000)) == datetime(2026, 3, 29, 0)
    assert ceil_hour(datetime(2026, 3, 29, 0, 0, 0, 1)) == datetime(2026, 3, 29, 1)
    assert ceil_hour(datetime(2026, 3, 29, 1)) == datetime(2026, 3, 29, 1)
    assert to_utc_naive(datetime(2026, 7, 1, 12), PRAGUE) == datetime(2026, 7, 1, 10)
    assert to_utc_naive(datetime(2026, 1, 1, 12), PRAGUE) == datetime(2026, 1, 1, 11)
    assert utc_to_local(datetime(2026, 10, 25, 1, 30), PRAGUE).replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30)


# --------------------------------------------------------------------------- in the database


def _time_hour(conn, lo, hi):
    th = s.time_hour
    return conn.execute(
        sa.select(th.c.bucket_utc, th.c.local_day, th.c.local_hour, th.c.utc_offset_min)
        .where(th.c.bucket_utc >= lo, th.c.bucket_utc < hi)
        .order_by(th.c.bucket_utc)
    ).all()


def test_ensure_hours_dst_days_in_db(engine):
    with engine.begin() as conn:
        # 2026-03-28 .. 2026-03-30 local: 24 + 23 + 24 hours.
        lo, hi = local_day_bounds_utc(date(2026, 3, 28), date(2026, 3, 30), PRAGUE)
        assert (lo, hi) == (datetime(2026, 3, 27, 23), datetime(2026, 3, 30, 22))
        assert ensure_hours(conn, lo, hi, PRAGUE) == 71
        # 2026-10-25 local: 25 hours.
        lo2, hi2 = datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23)
        assert ensure_hours(conn, lo2, hi2, PRAGUE) == 25
    with engine.connect() as conn:
        th = s.time_hour
        per_day = dict(conn.execute(
            sa.select(th.c.local_day, sa.func.count()).group_by(th.c.local_day)).all())
        assert per_day == {date(2026, 3, 28): 24, date(2026, 3, 29): 23, date(2026, 3, 30): 24,
                           date(2026, 10, 25): 25}
        spring = _time_hour(conn, datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22))
        assert [r.local_hour for r in spring] == [0, 1] + list(range(3, 24))
        autumn = _time_hour(conn, lo2, hi2)
        assert [r.local_hour for r in autumn] == [0, 1, 2, 2] + list(range(3, 24))
        assert [r.utc_offset_min for r in autumn[:5]] == [120, 120, 120, 60, 60]
        assert autumn[0].bucket_utc == datetime(2026, 10, 24, 22)


def test_ensure_hours_is_idempotent_and_fills_gaps(engine):
    with engine.begin() as conn:
        assert ensure_hours(conn, datetime(2026, 5, 1, 10), datetime(2026, 5, 1, 12), PRAGUE) == 2
        assert ensure_hours(conn, datetime(2026, 5, 1, 10), datetime(2026, 5, 1, 12), PRAGUE) == 0
        # 08:30..13:15 covers hours 08..13 (6); 10 and 11 exist already.
        assert ensure_hours(conn, datetime(2026, 5, 1, 8, 30), datetime(2026, 5, 1, 13, 15), PRAGUE) == 4
        assert ensure_hours(conn, datetime(2026, 5, 1, 12), datetime(2026, 5, 1, 12), PRAGUE) == 0
    with engine.connect() as conn:
        rows = _time_hour(conn, datetime(2026, 5, 1), datetime(2026, 5, 2))
        assert [r.bucket_utc.hour for r in rows] == [8, 9, 10, 11, 12, 13]
        assert [r.local_hour for r in rows] == [10, 11, 12, 13, 14, 15]  # CEST


def test_rebuild_hours_for_another_zone(engine):
    with engine.begin() as conn:
        ensure_hours(conn, datetime(2026, 1, 10, 0), datetime(2026, 1, 10, 3), PRAGUE)
        assert rebuild_hours(conn, ZoneInfo("America/New_York")) == 3
    with engine.connect() as conn:
        rows = _time_hour(conn, datetime(2026, 1, 10), datetime(2026, 1, 11))
        # EST = UTC-5: 00:00 UTC on the 10th is 19:00 on the 9th.
        assert [(r.local_day, r.local_hour, r.utc_offset_min) for r in rows] == [
            (date(2026, 1, 9), 19, -300), (date(2026, 1, 9), 20, -300), (date(2026, 1, 9), 21, -300)]


# Call start times and the hour each one must fall in, by hand.
FLOOR_CASES = [
    (datetime(2026, 3, 29, 0, 59, 59, 500000), datetime(2026, 3, 29, 0)),
    (datetime(2026, 3, 29, 1, 0, 0), datetime(2026, 3, 29, 1)),
    (datetime(2026, 3, 29, 1, 0, 0, 1), datetime(2026, 3, 29, 1)),
    (datetime(2026, 10, 25, 0, 59, 59), datetime(2026, 10, 25, 0)),
    (datetime(2026, 10, 25, 23, 59, 59, 999999), datetime(2026, 10, 25, 23)),
    (datetime(2026, 12, 31, 23, 30), datetime(2026, 12, 31, 23)),
    (datetime(2027, 1, 1, 0, 0), datetime(2027, 1, 1, 0)),
]


def _insert_source(conn):
    conn.execute(s.source.insert().values(id=1, name="pbx"))


def _call(i, start):
    return {"id": i, "source_id": 1, "call_uid": f"u{i}", "start_utc": start,
            "end_utc": start + timedelta(seconds=30), "direction": "inbound", "status": "answered"}


def test_hour_floor_in_sql_matches_python(engine):
    with engine.begin() as conn:
        _insert_source(conn)
        conn.execute(s.call.insert(), [_call(i, st) for i, (st, _) in enumerate(FLOOR_CASES, 1)])
    c = s.call
    with engine.connect() as conn:
        got = conn.execute(sa.select(c.c.id, hour_floor(c.c.start_utc)).order_by(c.c.id)).all()
        assert [r[1] for r in got] == [want for _, want in FLOOR_CASES]
        assert all(isinstance(r[1], datetime) for r in got)
        # Usable in WHERE against a bound datetime ...
        n = conn.execute(sa.select(sa.func.count()).where(hour_floor(c.c.start_utc) == datetime(2026, 3, 29, 1))).scalar()
        assert n == 2
        # ... and in GROUP BY.
        groups = dict(conn.execute(sa.select(hour_floor(c.c.start_utc), sa.func.count()).group_by(hour_floor(c.c.start_utc))).all())
        assert groups[datetime(2026, 3, 29, 1)] == 2
        assert len(groups) == 6


def test_hour_floor_joins_time_hour(engine):
    """The facts path joins call to time_hour on hour_floor(start_utc): every call finds its hour."""
    with engine.begin() as conn:
        _insert_source(conn)
        conn.execute(s.call.insert(), [_call(i, st) for i, (st, _) in enumerate(FLOOR_CASES, 1)])
        ensure_hours(conn, datetime(2026, 3, 28), datetime(2027, 1, 2), PRAGUE)
    c, th = s.call, s.time_hour
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.c.id, th.c.local_day, th.c.local_hour)
            .join(th, th.c.bucket_utc == hour_floor(c.c.start_utc)).order_by(c.c.id)).all()
    assert [(r.local_day, r.local_hour) for r in rows] == [
        (date(2026, 3, 29), 1),   # 00:59:59.5 UTC = 01:59:59.5 CET
        (date(2026, 3, 29), 3),   # 01:00 UTC = 03:00 CEST
        (date(2026, 3, 29), 3),
        (date(2026, 10, 25), 2),  # 00:59 UTC = 02:59 CEST (the first 02:00 hour)
        (date(2026, 10, 26), 0),  # 23:59 UTC = 00:59 CET next day
        (date(2027, 1, 1), 0),    # 23:30 UTC = 00:30 CET on New Year's day
        (date(2027, 1, 1), 1),
    ]

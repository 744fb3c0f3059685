"""The pure "which runs are due" function, hand-checked against the calendar:
2026-11-25 is a Wednesday; Europe/Prague leaves DST on 2026-10-25 (03:00 CEST -> 02:00
CET) and enters it on 2026-03-29 (02:00 CET -> 03:00 CEST)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from scheduler.due import ScheduleTimes, due_runs, next_run

PRAGUE = ZoneInfo("Europe/Prague")


def sched(**kw) -> ScheduleTimes:
    base = dict(id=1, frequency="weekly", run_time="10:00", period="this_month",
                not_before_utc=datetime(2026, 11, 1))
    base.update(kw)
    return ScheduleTimes(**base)


def test_weekly_wednesday_ten_is_due_at_ten_not_before():
    s = sched(weekday=2)
    # 10:00 CET = 09:00 UTC
    assert due_runs([s], datetime(2026, 11, 25, 8, 59), PRAGUE)[-1].due_utc == datetime(2026, 11, 18, 9, 0)
    runs = due_runs([s], datetime(2026, 11, 25, 9, 0), PRAGUE)
    assert [r.due_utc for r in runs] == [datetime(2026, 11, 4, 9), datetime(2026, 11, 11, 9),
                                         datetime(2026, 11, 18, 9), datetime(2026, 11, 25, 9)]
    last = runs[-1]
    assert last.run_key == "s1@2026-11-25T09:00Z"
    assert (last.first_day, last.last_day) == (date(2026, 11, 1), date(2026, 11, 25))  # this month so far
    assert last.due_local.isoformat() == "2026-11-25T10:00:00+01:00"


def test_recorded_runs_are_not_due_again_and_missed_ones_keep_their_period():
    s = sched(frequency="daily", period="yesterday", not_before_utc=datetime(2026, 11, 22, 9, 0))
    runs = due_runs([s], datetime(2026, 11, 25, 12, 0), PRAGUE)
    # down from the 22nd's run until the 25th noon: the 23rd, 24th and 25th each report their yesterday
    assert [(r.due_utc.day, r.first_day.day, r.last_day.day) for r in runs] == [(23, 22, 22), (24, 23, 23),
                                                                                  (25, 24, 24)]


def test_daily_keeps_local_time_across_both_dst_changes():
    s = sched(frequency="daily", not_before_utc=datetime(2026, 3, 27))
    runs = due_runs([s], datetime(2026, 3, 31), PRAGUE)
    assert [r.due_utc for r in runs] == [datetime(2026, 3, 27, 9), datetime(2026, 3, 28, 9),
                                         datetime(2026, 3, 29, 8), datetime(2026, 3, 30, 8)]
    s = sched(frequency="daily", not_before_utc=datetime(2026, 10, 24))
    runs = due_runs([s], datetime(2026, 10, 27), PRAGUE)
    assert [r.due_utc for r in runs] == [datetime(2026, 10, 24, 8), datetime(2026, 10, 25, 9),
                                         datetime(2026, 10, 26, 9)]
    assert all(r.due_local.hour == 10 for r in runs)


def test_skipped_and_repeated_local_times_run_once():
    # 02:30 does not exist on 2026-03-29: runs at 01:30 UTC (03:30 CEST), once
    s = sched(frequency="daily", run_time="02:30", not_before_utc=datetime(2026, 3, 28, 12))
    runs = due_runs([s], datetime(2026, 3, 30, 0), PRAGUE)
    assert [r.due_utc for r in runs] == [datetime(2026, 3, 29, 1, 30)]
    # 02:30 happens twice on 2026-10-25: the first one (00:30 UTC, CEST) only
    s = sched(frequency="daily", run_time="02:30", not_before_utc=datetime(2026, 10, 24, 12))
    runs = due_runs([s], datetime(2026, 10, 26, 0), PRAGUE)
    assert [r.due_utc for r in runs] == [datetime(2026, 10, 25, 0, 30)]


def test_weekly_in_the_dst_weeks():
    s = sched(weekday=6, run_time="09:00", not_before_utc=datetime(2026, 3, 20))  # Sundays
    assert [r.due_utc for r in due_runs([s], datetime(2026, 4, 6), PRAGUE)] == [
        datetime(2026, 3, 22, 8), datetime(2026, 3, 29, 7), datetime(2026, 4, 5, 7)]
    s = sched(weekday=6, run_time="09:00", not_before_utc=datetime(2026, 10, 20))
    assert [r.due_utc for r in due_runs([s], datetime(2026, 11, 2), PRAGUE)] == [
        datetime(2026, 10, 25, 8), datetime(2026, 11, 1, 8)]


def test_monthly_day_31_runs_on_the_last_day_of_short_months():
    s = sched(frequency="monthly", day_of_month=31, run_time="06:00", period="this_month",
              not_before_utc=datetime(2026, 1, 1))
    runs = due_runs([s], datetime(2026, 5, 1), PRAGUE)
    # MAX_CATCH_UP (35 days back from May 1 = March 27) keeps March 31 and April 30
    assert [r.due_local.date() for r in runs] == [date(2026, 3, 31), date(2026, 4, 30)]
    days = []
    after = datetime(2026, 1, 1)
    for _ in range(6):
        nxt = next_run(s, after, PRAGUE)
        days.append(nxt.due_local.date())
        after = nxt.due_utc
    assert days == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
                    date(2026, 5, 31), date(2026, 6, 30)]
    assert next_run(s, datetime(2026, 2, 1), PRAGUE).first_day == date(2026, 2, 1)


def test_once_fires_once_with_a_fixed_range():
    s = sched(frequency="once", once_date=date(2026, 11, 26), run_time="08:15", period="fixed",
              fixed_first=date(2026, 10, 1), fixed_last=date(2026, 10, 31))
    assert due_runs([s], datetime(2026, 11, 26, 7, 14), PRAGUE) == []
    (run,) = due_runs([s], datetime(2026, 11, 26, 7, 15), PRAGUE)
    assert (run.first_day, run.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    assert due_runs([s], datetime(2026, 12, 30), PRAGUE) == [run]
    later = sched(**{**s.__dict__, "not_before_utc": run.due_utc})
    assert due_runs([later], datetime(2026, 12, 30), PRAGUE) == []


def test_rolling_periods_are_whole_days_before_the_run():
    s = sched(frequency="daily", period="last_7_days", not_before_utc=datetime(2026, 11, 25))
    (run,) = due_runs([s], datetime(2026, 11, 25, 10), PRAGUE)
    assert (run.first_day, run.last_day) == (date(2026, 11, 18), date(2026, 11, 24))

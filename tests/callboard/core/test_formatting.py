"""callboard.core.formatting: every expected value below was worked out by hand.

Czech separates thousands with a no-break space (U+00A0) and writes decimals with a
comma; English (en_GB) uses a comma for thousands and a point for decimals. Times are
stored in naive UTC and shown in the PBX zone (Europe/Prague: CET = UTC+1, CEST = UTC+2;
in 2026 summer time starts 29 March 01:00 UTC and ends 25 October 01:00 UTC).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from callboard.core import formatting as f
from callboard.core.settings import reset_settings_cache
from data.timebuckets import utc_to_local

NBSP = "\xa0"


@pytest.fixture(autouse=True)
def prague(monkeypatch):
    monkeypatch.setenv("CALLBOARD_TIMEZONE", "Europe/Prague")
    reset_settings_cache()
    yield
    reset_settings_cache()


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (0, "0:00"),
        (1, "0:01"),
        (45, "0:45"),
        (60, "1:00"),
        (605, "10:05"),  # 10 min 5 s
        (3599, "59:59"),  # the last value below an hour stays m:ss
        (3600, "1 h 00 min"),
        (3720, "1 h 02 min"),  # 3720 = 3600 + 2 * 60
        (3725, "1 h 02 min"),  # seconds are dropped once hours show
        (86400, "24 h 00 min"),  # a day of talk time is still counted in hours
        (90061, "25 h 01 min"),  # 86400 + 3600 + 60 + 1
        (44.6, "0:45"),  # rounded to whole seconds
        (44.4, "0:44"),
        (-65, "-1:05"),
        (-3720, "-1 h 02 min"),
    ],
)
def test_fmt_duration(seconds, expected):
    assert f.fmt_duration(seconds) == expected


@pytest.mark.parametrize(
    "seconds, cs, en",
    [
        (6.5, "0:06,5", "0:06.5"),  # ASA 6.5 s keeps its decimal (issue 14, rule 9)
        (6.45, "0:06,5", "0:06.5"),  # halves away from zero, on the decimal value
        (6.44, "0:06,4", "0:06.4"),
        (59.95, "1:00,0", "1:00.0"),  # 59.95 -> 60.0: the minute carries
        (12, "0:12,0", "0:12.0"),
        (3750.5, "1 h 02 min", "1 h 02 min"),  # from an hour on, minutes are the unit
    ],
)
def test_fmt_duration_with_a_decimal(seconds, cs, en):
    assert f.fmt_duration(seconds, 1, "cs") == cs
    assert f.fmt_duration(seconds, 1, "en") == en


def test_fmt_duration_rounds_halves_up():
    # Python's round() would give 0:06 for 6.5 and 0:02 for 2.5 (halves to even).
    assert f.fmt_duration(6.5) == "0:07"
    assert f.fmt_duration(2.5) == "0:03"


@pytest.mark.parametrize(
    "value, digits, expected",
    [(6.5, 0, 7), (2.5, 0, 3), (-2.5, 0, -3), (6.45, 1, 6.5), (2.675, 2, 2.68), (0.8125, 3, 0.813), (7, 1, 7.0)],
)
def test_round_half_up(value, digits, expected):
    # round(2.675, 2) is 2.67 in Python (the float is 2.67499...); people read 2.675.
    got = f.round_half_up(value, digits)
    assert got == expected and type(got) is type(expected)


def test_fmt_duration_none_is_empty():
    assert f.fmt_duration(None) == ""


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value, digits, cs, en",
    [
        (0, 0, "0", "0"),
        (999, 0, "999", "999"),
        (1000, 0, f"1{NBSP}000", "1,000"),
        (1234567, 0, f"1{NBSP}234{NBSP}567", "1,234,567"),
        (-1234, 0, f"-1{NBSP}234", "-1,234"),
        (1234.5, 2, f"1{NBSP}234,50", "1,234.50"),
        (1234.567, 1, f"1{NBSP}234,6", "1,234.6"),
        (12345678.9, 2, f"12{NBSP}345{NBSP}678,90", "12,345,678.90"),
        (0.25, 2, "0,25", "0.25"),
    ],
)
def test_fmt_number(value, digits, cs, en):
    assert f.fmt_number(value, "cs", digits) == cs
    assert f.fmt_number(value, "en", digits) == en


def test_fmt_number_thousands_separator_is_a_no_break_space_in_czech():
    text = f.fmt_number(1234567, "cs")
    assert " " not in text  # an ordinary space could wrap a number across two lines
    assert text.count(NBSP) == 2


def test_fmt_number_none_and_unknown_language():
    assert f.fmt_number(None, "cs") == ""
    assert f.fmt_number(1234, "de") == "1,234"  # unknown languages fall back to English
    assert f.fmt_number(1234, None) == "1,234"


# --------------------------------------------------------------------------- percent


def _spaces(text: str) -> str:
    return text.replace(NBSP, " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    "ratio, digits, cs, en",
    [
        (0.8567, 1, "85,7 %", "85.7 %"),  # 85.67 % rounded to one decimal
        (0.05, 2, "5,00 %", "5.00 %"),
        (0.123456, 2, "12,35 %", "12.35 %"),
        (1, 0, "100 %", "100 %"),
        (0, 1, "0,0 %", "0.0 %"),
        # 1234.5 -> 1235: halves round away from zero, as in the CSV, the XLSX and the PDF
        # (issue 14, rule 9; babel alone rounded half to even, 1234, while Excel shows 1235).
        (12.345, 0, "1 235 %", "1,235 %"),
        (0.8125, 1, "81,3 %", "81.3 %"),  # 81.25 -> 81.3 (half up; half-even gave 81.2)
    ],
)
def test_fmt_percent(ratio, digits, cs, en):
    assert _spaces(f.fmt_percent(ratio, "cs", digits)) == cs
    assert _spaces(f.fmt_percent(ratio, "en", digits)) == en


def test_fmt_percent_none_is_a_dash():
    assert f.fmt_percent(None, "cs") == "–"
    assert f.fmt_percent(None, "en") == "–"


def test_fmt_percent_czech_sign_does_not_wrap():
    assert f.fmt_percent(0.8567, "cs") == f"85,7{NBSP}%"


# --------------------------------------------------------------------------- local time


def test_utc_to_local_across_spring_forward():
    # 29 March 2026: at 01:00 UTC clocks jump from 02:00 CET to 03:00 CEST.
    before = utc_to_local(datetime(2026, 3, 29, 0, 30), f.get_settings().tz)
    after = utc_to_local(datetime(2026, 3, 29, 1, 30), f.get_settings().tz)
    assert (before.hour, before.minute, before.utcoffset()) == (1, 30, timedelta(hours=1))
    assert (after.hour, after.minute, after.utcoffset()) == (3, 30, timedelta(hours=2))
    assert after.tzname() == "CEST"


def test_utc_to_local_across_fall_back():
    # 25 October 2026: at 01:00 UTC clocks go back from 03:00 CEST to 02:00 CET, so the
    # local hour 02:xx happens twice.
    first = utc_to_local(datetime(2026, 10, 25, 0, 30), f.get_settings().tz)
    second = utc_to_local(datetime(2026, 10, 25, 1, 30), f.get_settings().tz)
    assert (first.hour, first.minute, first.tzname()) == (2, 30, "CEST")
    assert (second.hour, second.minute, second.tzname()) == (2, 30, "CET")
    assert first.utcoffset() == timedelta(hours=2)
    assert second.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "utc, cs, en",
    [
        # winter (CET, UTC+1)
        (datetime(2026, 1, 5, 13, 5, 9), "5. 1. 2026 14:05:09", "5 Jan 2026, 14:05:09"),
        # the last minutes of CET before the spring change
        (datetime(2026, 3, 29, 0, 30), "29. 3. 2026 1:30:00", "29 Mar 2026, 01:30:00"),
        # 01:30 UTC is already CEST (UTC+2): 03:30 local, 02:30 never exists
        (datetime(2026, 3, 29, 1, 30), "29. 3. 2026 3:30:00", "29 Mar 2026, 03:30:00"),
        # autumn: 00:30 UTC = 02:30 CEST, 01:30 UTC = 02:30 CET
        (datetime(2026, 10, 25, 0, 30), "25. 10. 2026 2:30:00", "25 Oct 2026, 02:30:00"),
        (datetime(2026, 10, 25, 1, 30), "25. 10. 2026 2:30:00", "25 Oct 2026, 02:30:00"),
        (datetime(2026, 10, 25, 2, 30), "25. 10. 2026 3:30:00", "25 Oct 2026, 03:30:00"),
        # local midnight crosses the date: 31 Dec 23:30 UTC is 1 Jan 00:30 in Prague
        (datetime(2026, 12, 31, 23, 30), "1. 1. 2027 0:30:00", "1 Jan 2027, 00:30:00"),
    ],
)
def test_fmt_local_datetime(utc, cs, en):
    assert _spaces(f.fmt_local_datetime(utc, "cs")) == cs
    assert _spaces(f.fmt_local_datetime(utc, "en")) == en


def test_fmt_local_datetime_without_seconds():
    assert _spaces(f.fmt_local_datetime(datetime(2026, 3, 29, 1, 30), "cs", seconds=False)) == "29.03.26 3:30"
    assert _spaces(f.fmt_local_datetime(datetime(2026, 3, 29, 1, 30), "en", seconds=False)) == "29/03/2026, 03:30"


def test_fmt_local_datetime_none_is_empty():
    assert f.fmt_local_datetime(None, "cs") == ""


def test_fmt_local_datetime_follows_the_configured_zone(monkeypatch):
    monkeypatch.setenv("CALLBOARD_TIMEZONE", "UTC")
    reset_settings_cache()
    assert _spaces(f.fmt_local_datetime(datetime(2026, 3, 29, 1, 30), "en")) == "29 Mar 2026, 01:30:00"


def test_fmt_local_time_across_dst():
    assert f.fmt_local_time(datetime(2026, 3, 29, 1, 30), "cs") == "3:30:00"
    assert f.fmt_local_time(datetime(2026, 3, 29, 1, 30), "en") == "03:30:00"
    assert f.fmt_local_time(datetime(2026, 10, 25, 1, 30), "en") == "02:30:00"


# --------------------------------------------------------------------------- dates


def test_fmt_date():
    assert _spaces(f.fmt_date(date(2026, 1, 1), "cs")) == "1. 1. 2026"
    assert _spaces(f.fmt_date(date(2026, 1, 1), "cs", "long")) == "1. ledna 2026"  # genitive month
    assert _spaces(f.fmt_date(date(2026, 1, 1), "en")) == "1 Jan 2026"
    assert _spaces(f.fmt_date(date(2026, 1, 1), "en", "long")) == "1 January 2026"
    assert f.fmt_date(None, "cs") == ""


def test_tz_label_is_the_configured_zone():
    assert f.tz_label() == "Europe/Prague"

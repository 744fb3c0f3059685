"""The URL query <-> filter codec (callboard.reports.url_filters): the call list's
parameters (presets, custom days, bad input), the chats list's, a report page's state, a
schedule's "view" link and its read-only reading; values of another type are bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from callboard.core.bad_input import BadInput
from callboard.reports.url_filters import (ChatsQuery, RecordsQuery, checked_params, link_report_filter, one_value,
                                           parse_day, query_of_search, report_filter, report_search, report_state,
                                           schedule_view_search, split_values)
from data.periods import preset_days
from data.queries.calls import InvalidFilter
from data.queries.report_filter import ReportFilter

PRAGUE = ZoneInfo("Europe/Prague")


@pytest.mark.parametrize(
    "preset, first, last",
    [
        ("today", date(2026, 3, 11), date(2026, 3, 11)),  # a Wednesday
        ("yesterday", date(2026, 3, 10), date(2026, 3, 10)),
        ("this_week", date(2026, 3, 9), date(2026, 3, 11)),
        ("last_week", date(2026, 3, 2), date(2026, 3, 8)),
        ("this_month", date(2026, 3, 1), date(2026, 3, 11)),
        ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_presets(preset, first, last):
    assert preset_days(preset, date(2026, 3, 11)) == (first, last)


def test_last_month_in_january_and_this_week_on_a_monday():
    assert preset_days("last_month", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert preset_days("this_week", date(2026, 3, 9)) == (date(2026, 3, 9), date(2026, 3, 9))


def test_params_round_trip_and_filter():
    params = {"preset": "custom", "from": "2026-03-10", "to": ["2026-03-10"], "ext": ["101", "102,103"],
              "status": "answered,busy", "dir": "inbound", "rec": "yes", "dmin": "5", "number": " 777 ",
              "trunk": "sip-o2", "did": "+420222000100", "group": "Sales", "bogus": "x"}
    q = RecordsQuery.from_params(params)
    assert q.extensions == ("101", "102", "103") and q.number == "777"
    assert RecordsQuery.from_params(q.to_params()) == q
    assert q.to_search().startswith("?preset=custom&from=2026-03-10&to=2026-03-10&number=777&ext=101,102,103")
    f = q.to_filter(PRAGUE)
    # Local 10 March (CET) as UTC.
    assert (f.start_utc, f.end_utc) == (datetime(2026, 3, 9, 23), datetime(2026, 3, 10, 23))
    assert f.statuses == ("answered", "busy") and f.directions == ("inbound",) and f.has_recording is True
    assert f.min_duration_s == 5 and f.max_duration_s is None and f.number_contains == "777"
    assert f.trunks == ("sip-o2",) and f.dids == ("+420222000100",) and f.extension_groups == ("Sales",)


def test_defaults_and_unknown_values():
    q = RecordsQuery.from_params({"preset": "next_century", "rec": "maybe"})
    assert q.preset == "today" and q.recording == ""
    assert q.to_search() == ""
    f = q.to_filter(PRAGUE, now_utc=datetime(2026, 3, 10, 23, 30))  # already 11 March in Prague
    assert (f.start_utc, f.end_utc) == (datetime(2026, 3, 10, 23), datetime(2026, 3, 11, 23))
    # Dates are ignored unless the preset is custom.
    assert RecordsQuery.from_params({"preset": "today", "from": "2020-01-01"}).to_params() == {}


@pytest.mark.parametrize(
    "params, words",
    [
        ({"preset": "custom", "from": "2026-03-11", "to": "2026-03-10"}, "inverted"),
        ({"preset": "custom", "from": "2026-03-11"}, "both"),
        ({"preset": "custom", "from": "11.3.2026", "to": "2026-03-12"}, "YYYY-MM-DD"),
        ({"dmin": "ten"}, "whole seconds"),
        ({"dmin": "100", "dmax": "10"}, "shortest"),
    ],
)
def test_bad_input_is_a_clear_invalid_filter(params, words):
    with pytest.raises(InvalidFilter, match=words):
        RecordsQuery.from_params(params).to_filter(PRAGUE)


def test_url_parameters_of_another_type_are_bad_input():
    """The records / chats parameter codecs: a query string's texts (or lists of them) only."""
    assert RecordsQuery.from_params({"ext": ["101", "102"], "group": "Sales"}).extensions == ("101", "102")
    for params, reason in (([("ext", "101")], "the view's parameters: Input should be a valid dictionary"),
                           ({"ext": 101}, "the view's parameters: ext: Input should be a valid string"),
                           ({"group": ["a", {"b": 1}]}, r"parameters: group\.1: Input should be a valid string")):
        with pytest.raises(BadInput, match=reason):
            RecordsQuery.from_params(params)
        with pytest.raises(BadInput, match=reason):
            ChatsQuery.from_params(params)
    assert checked_params({}) == {}


def test_one_rule_for_values():
    assert split_values([" 101, 102", "101", ""]) == ("101", "102") and split_values(None) == ()
    assert one_value(["a", " b "]) == "b" and one_value(None) == "" and one_value([]) == ""
    assert parse_day("2026-03-10T08:00") == date(2026, 3, 10) and parse_day(date(2026, 1, 2)) == date(2026, 1, 2)
    assert parse_day("10.3.2026") is None and parse_day("") is None
    assert query_of_search("?a=1&b=2&b=3&c=") == {"a": "1", "b": ["2", "3"], "c": ""}
    assert query_of_search("") == {}


def test_chats_params_round_trip():
    q = ChatsQuery.from_params({"preset": "custom", "from": "2026-03-10", "to": "2026-03-10", "status": "open,x",
                                "channel": ["sms", "whatsapp,sms"], "agent": "101"})
    assert q.statuses == ("open",) and q.channels == ("sms", "whatsapp")
    assert ChatsQuery.from_params(q.to_params()) == q
    assert q.to_search(lang="cs", excel="") == ("?preset=custom&from=2026-03-10&to=2026-03-10&channel=sms,whatsapp"
                                                "&status=open&agent=101&lang=cs")
    f = q.to_filter(PRAGUE)
    assert (f.start_utc, f.end_utc) == (datetime(2026, 3, 9, 23), datetime(2026, 3, 10, 23))
    with pytest.raises(InvalidFilter, match="inverted"):
        q.with_(date_to="2026-03-01").to_filter(PRAGUE)
    assert ChatsQuery.from_params({"preset": "soon"}).to_search() == ""


# --------------------------------------------------------------------------- report pages


@dataclass(frozen=True)
class _Option:
    key: str
    choices: tuple = ()
    default: str = ""
    multi: bool = False


@dataclass(frozen=True)
class _Page:
    options: tuple = ()
    shared: tuple = ("ext", "group", "dir")


BY = _Option("by", (("day", "Day"), ("month", "Month")), "day")
INTERVAL = _Option("interval", (("15", "15"), ("60", "60")), "60")
QUEUES = _Option("queues", multi=True)


def test_report_state_from_a_link_and_back():
    page = _Page(options=(BY, QUEUES))
    query = query_of_search("?from=2026-03-01&to=2026-03-10&ext=101,102&ext=103&dir=inbound,sideways&by=month"
                            "&queues=600")
    state = report_state(page, query)
    assert state == {"from": date(2026, 3, 1), "to": date(2026, 3, 10), "ext": ["101", "102", "103"], "group": [],
                     "dir": ["inbound"], "by": "month", "queues": ["600"]}
    search = report_search(page, state)
    assert search == "?from=2026-03-01&to=2026-03-10&ext=101,102,103&dir=inbound&by=month&queues=600"
    assert report_state(page, query_of_search(search)) == state
    assert report_filter(page, state) == ReportFilter(date(2026, 3, 1), date(2026, 3, 10), extensions=("101", "102", "103"),
                                                      directions=("inbound",), by="month", queues=("600",))


def test_report_state_defaults_and_unused_filters():
    page = _Page(options=(INTERVAL,), shared=("ext",))
    state = report_state(page, {"from": "2026-03-10", "to": "2026-03-01", "group": "Sales", "dir": "outbound",
                                "interval": "7"})
    first, last = state["from"], state["to"]  # inverted: this month
    assert first.day == 1 and first <= last
    assert state["group"] == [] and state["dir"] == ["inbound", "outbound", "internal"] and state["interval"] == "60"
    assert report_search(page, state) == f"?from={first.isoformat()}&to={last.isoformat()}&interval=60"
    assert report_filter(page, state).interval == 60
    with pytest.raises(BadInput, match="^ext: "):
        report_state(page, {"ext": 101})


# --------------------------------------------------------------------------- schedule links


def test_a_schedule_view_link_and_its_reading():
    filters = {"extensions": ["101"], "groups": [], "directions": ["inbound"], "queues": ["600", "601"],
               "options": {"by": "month", "hours": 48}}
    search = schedule_view_search("report", date(2026, 11, 1), date(2026, 11, 25), filters, "en")
    assert search == "?from=2026-11-01&to=2026-11-25&ext=101&dir=inbound&queues=600,601&by=month&hours=48&lang=en"
    assert link_report_filter(query_of_search(search)) == ReportFilter(
        date(2026, 11, 1), date(2026, 11, 25), extensions=("101",), directions=("inbound",), queues=("600", "601"),
        by="month", hours=48)
    every_direction = dict(filters, directions=["inbound", "outbound", "internal"])
    search = schedule_view_search("cdr", date(2026, 11, 1), date(2026, 11, 25), every_direction, "cs")
    assert search == "?preset=custom&from=2026-11-01&to=2026-11-25&ext=101&lang=cs"
    f = RecordsQuery.from_params(query_of_search(search)).to_filter(PRAGUE)
    assert f.extensions == ("101",) and f.directions == ()
    assert schedule_view_search("report", date(2026, 11, 1), date(2026, 11, 1), None, "en") == (
        "?from=2026-11-01&to=2026-11-01&lang=en")

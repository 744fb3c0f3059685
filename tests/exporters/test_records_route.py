"""The records view's URL parameters (presets, custom days, bad input) and the
/export/records.csv route that serves the page's "Download records" (Flask test client)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from callboard.web import routes
from callboard.reports.records_params import RecordsQuery, preset_days
from data.queries.calls import InvalidFilter
from data.scope import Scope
from tests.calls_data import insert_calls

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


@pytest.fixture
def client(db_url, monkeypatch):
    insert_calls()
    app = Flask(__name__)
    routes.register(app)
    # The route alone, without the login guard: the caller sees everything (who may
    # export what is tested through the whole app in tests/auth).
    monkeypatch.setattr(routes, "current_scope", Scope.everything)
    return app.test_client()


def test_route_streams_the_csv_of_the_view(client):
    resp = client.get(routes.RECORDS_CSV_PATH + "?preset=custom&from=2026-03-10&to=2026-03-10&ext=101&cols=pin,bogus")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="call-records_2026-03-10_2026-03-10.csv"'
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True), newline="")))
    assert rows[0] == ["Start (Europe/Prague)", "From", "Caller name", "To", "Callee name", "Duration (s)",
                       "Ring time (s)", "Talk time (s)", "Status", "PIN code"]
    assert [(r[0], r[1], r[8]) for r in rows[1:]] == [
        ("2026-03-10 10:00:00", "101", "No answer"),
        ("2026-03-10 09:00:00", "'+420601111111", "Answered"),
        ("2026-03-10 00:59:59", "101", "Busy"),
    ]


def test_route_excel_and_czech(client):
    resp = client.get(routes.RECORDS_CSV_PATH + "?preset=custom&from=2026-03-10&to=2026-03-10&excel=1&lang=cs")
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    header = body.decode("utf-8-sig").split("\r\n")[0].split(";")
    assert header[0] == "Začátek (Europe/Prague)" and header[-1] == "Stav"


def test_route_answers_400_with_the_message(client):
    resp = client.get(routes.RECORDS_CSV_PATH + "?preset=custom&from=2026-03-11&to=2026-03-10&lang=cs")
    assert resp.status_code == 400
    assert resp.get_data(as_text=True) == "Časový rozsah je obrácený: jeho konec je před začátkem."


def test_route_follows_the_grid_sort(client):
    resp = client.get(routes.RECORDS_CSV_PATH + "?preset=custom&from=2026-03-10&to=2026-03-10&cols=call_uid"
                      "&sort=duration:asc,bogus:desc")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True), newline="")))
    assert [r[-1] for r in rows[1:]] == ["c6", "c4", "c3", "c1", "c2"]


def test_sort_parameter():
    assert routes.parse_sort("duration:desc, start,pin:up,x:asc") == [("duration", "desc"), ("start", "asc")]
    assert routes.format_sort([["duration", "desc"], ["nope", "asc"]]) == "duration:desc"
    assert routes.parse_sort(None) == []

"""The /export/records.csv route that serves the records page's "Download records" (Flask
test client). The view's URL parameters: tests/callboard/reports/test_url_filters.py."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from callboard.web import routes
from data.scope import Scope
from tests.calls_data import insert_calls


@pytest.fixture
def client(db_url, monkeypatch):
    insert_calls()
    app = Flask(__name__)
    routes.register(app)
    # The route alone, without the login guard: the caller sees everything (who may
    # export what is tested through the whole app in tests/callboard/web/auth).
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

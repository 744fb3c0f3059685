"""External chat sessions on SQLite and PostgreSQL: filters, scope, thread, timeline, and
the /export/chats.csv route (formula-neutralised cells)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask

from callboard.web import routes
from callboard.reports.url_filters import ChatsQuery
from callboard.core.settings import get_settings
from data import db
from data.queries.calls import InvalidFilter
from data.queries.chats import (
    ChatFilter,
    count_sessions,
    get_session,
    list_sessions,
    session_events,
    session_messages,
)
from data.scope import Scope
from tests.calls_data import DAY_END, DAY_START
from tests.recordings_data import insert_recordings

ALL = Scope.everything()
DAY = ChatFilter(start_utc=DAY_START, end_utc=DAY_END)


@pytest.fixture
def ids(db_url):
    return insert_recordings(Path(get_settings().recordings_dir))


def uids(filt=DAY, scope=ALL, **kw) -> list[str]:
    return [r.session_uid for r in db.fetch_all(list_sessions(scope, filt, **kw))]


def test_filters(ids):
    assert uids() == ["S2", "S1"]  # same created time: id desc
    assert db.fetch_scalar(count_sessions(ALL, DAY)) == 2
    assert uids(ChatFilter(DAY_START, DAY_END, channel_types=("sms",))) == ["S1"]
    assert uids(ChatFilter(DAY_START, DAY_END, statuses=("open",))) == ["S2"]
    assert uids(ChatFilter(DAY_START, DAY_END, agents=("101",))) == ["S1"]
    assert uids(ChatFilter(DAY_START, DAY_END, number_contains="HYPER")) == ["S2"]
    assert uids(ChatFilter(DAY_START, DAY_END, number_contains="2220009")) == ["S2", "S1"]
    assert uids(ChatFilter(datetime(2026, 3, 11), datetime(2026, 3, 12))) == []
    assert uids(sort=[("messages", "desc")]) == ["S1", "S2"]
    assert uids(sort=[("x; drop", "asc")]) == ["S2", "S1"]


def test_bad_ranges():
    with pytest.raises(InvalidFilter, match="inverted"):
        ChatFilter(DAY_END, DAY_START).validate()
    with pytest.raises(InvalidFilter, match="empty"):
        ChatFilter(DAY_START, DAY_START).validate()


def test_scope(ids):
    assert uids(scope=Scope.of(extensions=["102"])) == ["S2"]
    assert uids(scope=Scope.nothing()) == []
    s1 = ids["sessions"]["S1"]
    assert db.fetch_all(get_session(Scope.of(extensions=["102"]), s1)) == []
    assert db.fetch_all(session_messages(Scope.of(extensions=["102"]), s1)) == []
    assert db.fetch_all(session_events(Scope.of(extensions=["102"]), s1)) == []


def test_thread_and_timeline(ids):
    s1 = ids["sessions"]["S1"]
    msgs = db.fetch_all(session_messages(ALL, s1))
    assert [(m.direction, m.body) for m in msgs] == [
        ("in", "Hello, where is my parcel?"), ("out", "It leaves today."), ("in", "Thanks!")]
    events = db.fetch_all(session_events(ALL, s1))
    assert [(e.event, e.agent) for e in events] == [
        ("created", None), ("assigned", "102"), ("transferred", "101"), ("closed", "101")]


def test_chats_csv_route(ids, monkeypatch):
    app = Flask(__name__)
    routes.register(app)
    monkeypatch.setattr(routes, "current_scope", Scope.everything)  # the route alone, no login guard
    client = app.test_client()
    resp = client.get("/export/chats.csv?preset=custom&from=2026-03-10&to=2026-03-10")
    assert resp.status_code == 200
    assert 'filename="chat-sessions_2026-03-10_2026-03-10.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8"), newline="")))
    assert rows[0][0] == "Session ID" and rows[0][1] == "Created (Europe/Prague)"
    assert [r[0] for r in rows[1:]] == ["S2", "S1"]
    assert rows[2][1] == "2026-03-10 10:00:00"  # local time
    assert rows[2][3] == "'+420777000111"  # neutralised
    assert rows[2][5] == "SMS" and rows[2][8] == "3" and rows[2][9] == "Closed"
    resp = client.get("/export/chats.csv?preset=custom&from=2026-03-11&to=2026-03-10")
    assert resp.status_code == 400 and b"inverted" in resp.data
    q = ChatsQuery.from_params({"preset": "custom", "from": "2026-03-10", "to": "2026-03-10", "status": "open,x"})
    assert q.statuses == ("open",)
    assert q.to_search() == "?preset=custom&from=2026-03-10&to=2026-03-10&status=open"
    assert [r.session_uid for r in db.fetch_all(list_sessions(ALL, q.to_filter(get_settings().tz)))] == ["S2"]

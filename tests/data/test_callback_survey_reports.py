"""The queue-callbacks and queue-satisfaction reports against a hand-built fixture, on SQLite
and PostgreSQL. Europe/Prague, May 2026 is CEST (UTC+2): local 05-04..05-05 is
[05-03 22:00, 05-05 22:00) UTC.

Callbacks (queue, number, requested UTC, completed UTC, status, attempts, agent):
  800 555001 05-04 08:00  08:10  completed 1 101   (600 s)
  800 555002 05-04 09:00  09:30  completed 2 102   (1800 s)
  800 555003 05-05 10:00  -      failed    3 101
  801 555004 05-05 21:30  -      requested 0 -     (23:30 local, inside)
  801 555005 05-05 22:30  22:40  completed 1 102   (00:30 local 05-06, outside)
  801 555006 05-03 21:50  -      failed    1 101   (23:50 local 05-03, outside)
Survey answers (call, queue, agent, at UTC, key = points):
  1 800 101 05-04 08:00 "5"; 2 800 101 05-04 09:00 "4"; 3 800 102 05-05 10:00 "5";
  4 801 102 05-05 11:00 "1"; 5 801 102 05-05 22:30 "4" (outside)
Queue calls entered in the range: 800 answered by 101 x3, by 102 x1, one abandoned;
801 answered by 102 x2; one 801 answered by 101 on 05-06 (outside).
Every expected number below is counted from these tables by hand.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from callboard.core.i18n import gettext
from callboard.reports.registry import run_report
from callboard.reports.runners import call_rows
from exporters.report_csv import to_csv
from data import aggregates
from data import schema as s
from data.queries.report_filter import ReportFilter
from data.scope import Scope

TZ = ZoneInfo("Europe/Prague")
D4, D5 = date(2026, 5, 4), date(2026, 5, 5)
ALL = Scope.everything()
runner = CliRunner()


def _call(cid, start):
    return dict(id=cid, call_uid=f"c{cid}", start_utc=start, end_utc=start + timedelta(seconds=60),
                answer_utc=start + timedelta(seconds=5), direction="inbound", status="answered", extension="101",
                talk_s=55, duration_s=60, ring_s=5)


CALLS = [_call(i, datetime(2026, 5, 4, 7, 0) + timedelta(hours=i)) for i in range(1, 7)]


def _cb(call_id, queue, number, req, done, status, attempts, agent):
    return dict(call_id=call_id, queue=queue, number=number, requested_utc=req, completed_utc=done,
                status=status, attempts=attempts, agent=agent)


CALLBACKS = [
    _cb(1, "800", "555001", datetime(2026, 5, 4, 8, 0), datetime(2026, 5, 4, 8, 10), "completed", 1, "101"),
    _cb(2, "800", "555002", datetime(2026, 5, 4, 9, 0), datetime(2026, 5, 4, 9, 30), "completed", 2, "102"),
    _cb(3, "800", "555003", datetime(2026, 5, 5, 10, 0), None, "failed", 3, "101"),
    _cb(4, "801", "555004", datetime(2026, 5, 5, 21, 30), None, "requested", 0, None),
    _cb(5, "801", "555005", datetime(2026, 5, 5, 22, 30), datetime(2026, 5, 5, 22, 40), "completed", 1, "102"),
    _cb(6, "801", "555006", datetime(2026, 5, 3, 21, 50), None, "failed", 1, "101"),
]


def _sv(call_id, queue, agent, at, key):
    return dict(call_id=call_id, queue=queue, agent=agent, at_utc=at, score_key=key, points=int(key))


SURVEY = [
    _sv(1, "800", "101", datetime(2026, 5, 4, 8, 0), "5"),
    _sv(2, "800", "101", datetime(2026, 5, 4, 9, 0), "4"),
    _sv(3, "800", "102", datetime(2026, 5, 5, 10, 0), "5"),
    _sv(4, "801", "102", datetime(2026, 5, 5, 11, 0), "1"),
    _sv(5, "801", "102", datetime(2026, 5, 5, 22, 30), "4"),
]


def _qc(n, queue, at, outcome, agent):
    return dict(call_uid=f"q{n}", queue=queue, enter_utc=at, outcome=outcome, agent=agent, wait_s=10, talk_s=60)


QUEUE_CALLS = [
    _qc(1, "800", datetime(2026, 5, 4, 8, 0), "answered", "101"),
    _qc(2, "800", datetime(2026, 5, 4, 9, 0), "answered", "101"),
    _qc(3, "800", datetime(2026, 5, 5, 9, 0), "answered", "101"),
    _qc(4, "800", datetime(2026, 5, 5, 10, 0), "answered", "102"),
    _qc(5, "800", datetime(2026, 5, 5, 10, 30), "abandoned", None),
    _qc(6, "801", datetime(2026, 5, 5, 11, 0), "answered", "102"),
    _qc(7, "801", datetime(2026, 5, 5, 12, 0), "answered", "102"),
    _qc(8, "801", datetime(2026, 5, 5, 22, 30), "answered", "101"),
]


def fill(conn) -> None:
    if not conn.execute(sa.select(s.source.c.id)).first():
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
    conn.execute(sa.insert(s.call), CALLS)
    conn.execute(sa.insert(s.queue), [dict(source_id=1, number="800", name="Sales"),
                                      dict(source_id=1, number="801", name="Support")])
    conn.execute(sa.insert(s.callback), CALLBACKS)
    conn.execute(sa.insert(s.survey_answer), SURVEY)
    conn.execute(sa.insert(s.queue_call), QUEUE_CALLS)
    aggregates.refresh(conn, datetime(2026, 5, 1), datetime(2026, 5, 10))  # also fills time_hour


@pytest.fixture
def cb_pbx(engine):
    with engine.begin() as conn:
        fill(conn)
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('call', 'id'), 100)"))
    return engine


def run(report, flt, scope=ALL, engine=None):
    return run_report(report, scope, flt, engine=engine, tz=TZ)


def records(result):
    return result.df.to_dict("records")


# --------------------------------------------------------------------------- queue-callbacks


def test_callback_activity_and_summary(cb_pbx):
    r = run("queue-callbacks", ReportFilter(D4, D5), engine=cb_pbx)
    rows = records(r)
    assert [x["number"] for x in rows] == ["555001", "555002", "555003", "555004"]
    assert [x["requested"].strftime("%m-%d %H:%M") for x in rows] == ["05-04 10:00", "05-04 11:00", "05-05 12:00",
                                                                       "05-05 23:30"]
    assert [x["status"] for x in rows] == ["completed", "completed", "failed", "requested"]
    assert [x["attempts"] for x in rows] == [1, 2, 3, 0]
    assert [x["agent"] for x in rows] == ["101", "102", "101", ""]
    assert [x["ttc_s"] for x in rows] == [600, 1800, None, None]
    assert r.total_calls == 4
    summary = r.chart.to_dict("records")
    assert summary == [
        dict(queue="800", name="Sales", requested=3, completed=2, failed=1, avg_ttc_s=1200.0),
        dict(queue="801", name="Support", requested=1, completed=0, failed=0, avg_ttc_s=None),
    ]
    lines = list(csv.reader(to_csv(r, "en").splitlines()))
    assert lines[1] == ["2026-05-04T10:00+02:00", "555001", "800", "completed", "1", "101", "600"]
    assert lines[4][-1] == ""
    assert len(list(call_rows(r, ALL, engine=cb_pbx, tz=TZ))) == 4  # the calls of callbacks 1-4


def test_callbacks_restricted_scope_queue_filter_and_empty(cb_pbx):
    r = run("queue-callbacks", ReportFilter(D4, D5), Scope.of(queues=["801"]), engine=cb_pbx)
    assert [x["number"] for x in records(r)] == ["555004"]
    r = run("queue-callbacks", ReportFilter(D4, D5), Scope.of(extensions=["101"]), engine=cb_pbx)
    assert [x["number"] for x in records(r)] == ["555001", "555003"]
    r = run("queue-callbacks", ReportFilter(D4, D5, queues=["800"]), engine=cb_pbx)
    assert [x["requested"] for x in r.chart.to_dict("records")] == [3]
    r = run("queue-callbacks", ReportFilter(date(2026, 6, 1), date(2026, 6, 30)), engine=cb_pbx)
    assert r.empty and r.df.empty and r.chart.empty
    assert len(list(csv.reader(to_csv(r, "cs").splitlines()))) == 1


# --------------------------------------------------------------------------- queue-satisfaction

Q800 = dict(queue="800", agent="", name="Sales", **{"key:1": 0, "key:4": 1, "key:5": 2}, answers=3, points=14,
            answered=4)
Q801 = dict(queue="801", agent="", name="Support", **{"key:1": 1, "key:4": 0, "key:5": 0}, answers=1, points=1,
            answered=2)
A101 = dict(queue="", agent="101", name="", **{"key:1": 0, "key:4": 1, "key:5": 1}, answers=2, points=9, answered=3)
A102 = dict(queue="", agent="102", name="", **{"key:1": 1, "key:4": 0, "key:5": 1}, answers=2, points=6, answered=3)


def _strip(rows):
    return [{k: v for k, v in x.items() if k not in ("avg_score", "participation")} for x in rows]


def test_satisfaction_per_queue_and_agent(cb_pbx):
    r = run("queue-satisfaction", ReportFilter(D4, D5), engine=cb_pbx)
    rows = records(r)
    assert _strip(rows) == [Q800, Q801, A101, A102]
    # Kept as every format shows them (issue 14, rule 9): 14/3 -> 4.67, 2/3 -> 66.7 %.
    assert [x["avg_score"] for x in rows] == [4.67, 1.0, 4.5, 3.0]
    assert [x["participation"] for x in rows] == [0.75, 0.5, 0.667, 0.667]
    assert r.total_calls == 4
    lines = list(csv.reader(to_csv(r, "en").splitlines()))
    assert lines[0] == ["Queue", "Agent", "Name", "1", "4", "5", "Answers", "Total points", "Average score",
                        "Answered calls", "Participation rate [%]"]
    assert lines[1] == ["800", "", "Sales", "0", "1", "2", "3", "14", "4.67", "4", "75.0"]
    assert lines[3] == ["", "101", "", "0", "1", "1", "2", "9", "4.50", "3", "66.7"]


def test_satisfaction_restricted_scope_and_empty(cb_pbx):
    r = run("queue-satisfaction", ReportFilter(D4, D5), Scope.of(extensions=["101"]), engine=cb_pbx)
    assert _strip(records(r)) == [{"queue": "", "agent": "101", "name": "", "key:4": 1, "key:5": 1, "answers": 2,
                                   "points": 9, "answered": 3}]
    r = run("queue-satisfaction", ReportFilter(D4, D5), Scope.of(queues=["801"]), engine=cb_pbx)
    assert _strip(records(r)) == [{"queue": "801", "agent": "", "name": "Support", "key:1": 1, "answers": 1,
                                   "points": 1, "answered": 2}]
    r = run("queue-satisfaction", ReportFilter(date(2026, 6, 1), date(2026, 6, 30)), engine=cb_pbx)
    assert r.empty and r.df.empty


@pytest.mark.parametrize("report", ["queue-callbacks", "queue-satisfaction"])
def test_cli_csv_equals_the_table(cb_pbx, tmp_path, report):
    out = tmp_path / f"{report}.csv"
    res = runner.invoke(app, ["report", report, "--from", "2026-05-04", "--to", "2026-05-05",
                              "--lang", "cs", "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    result = run(report, ReportFilter(D4, D5))
    assert rows == list(csv.reader(to_csv(result, "cs").splitlines()))
    if report == "queue-satisfaction":
        assert rows[0][6] == gettext("cs", "Answers") != "Answers"
        assert rows[1][8] == "4.67"
    else:
        assert rows[0][6] == gettext("cs", "Time to callback") + " [s]"

"""The queue-agents and missed-unreturned reports against a hand-built fixture, on SQLite
and PostgreSQL. Europe/Prague, May 2026 is CEST (UTC+2): local 2026-05-04 is
[05-03 22:00, 05-04 22:00) UTC.

Agents (times UTC):
  301 session 05-03 20:00 - 05-04 02:00 (across local midnight: 4 h inside 05-04),
      session 05-04 06:00 - 10:00 (4 h); pause 07:00 - 07:30 "lunch" (1800 s);
      answered queue calls talk 300 and 600; one ring-no-answer.
      occupancy = 900 / (28800 - 1800)
  302 session 05-04 12:00 - open (to the range end 22:00: 36000 s); pause 20:00 - open
      "break" (to 22:00: 7200 s); answered talk 120; two ring-no-answer, one ring_cancelled
      (not counted). occupancy = 120 / (36000 - 7200)
  303 one ring-no-answer, never logged in: occupancy "–".
Missed inbound calls (times UTC, caller, status / queue outcome, extension):
  m1 05-04 06:00 +420111 no_answer           -> outbound call to it 08:00 (2 h): returned
  m2 05-04 07:00 +420222 abandoned  ext 101  -> outbound call to it 05-05 13:00 (30 h)
  m3 05-04 09:00 +420222 busy       ext 101  -> same outbound (28 h)
  m4 05-04 08:00 +420333 no_answer           -> +420333 called again 10:00, answered
  m5 05-04 10:00 +420444 voicemail, queue timeout, ext 102: never returned
  m6 05-04 11:00 +420555 no_answer           -> completed callback 12:00
With hours=24: +420222 (2 missed, last 11:00 local, since 09:00 local) and +420444 (1, 12:00).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from callboard.reports.registry import run_report
from callboard.reports.results import display_value
from callboard.reports.runners import call_rows
from exporters.report_csv import to_csv
from data import aggregates
from data import schema as s
from data.queries.report_filter import ReportFilter
from data.scope import Scope

TZ = ZoneInfo("Europe/Prague")
D4, D5 = date(2026, 5, 4), date(2026, 5, 5)
ALL = Scope.everything()


def _call(cid, start, direction, status, frm, to, ext=None, talk=0):
    return dict(id=cid, call_uid=f"c{cid}", start_utc=start, end_utc=start + timedelta(seconds=30 + talk),
                direction=direction, status=status, from_number=frm, to_number=to, extension=ext, talk_s=talk,
                duration_s=30 + talk)


def T(day, h, m=0):
    return datetime(2026, 5, day, h, m)


CALLS = [
    _call(1, T(4, 6), "inbound", "no_answer", "+420111", "200"),
    _call(2, T(4, 8), "outbound", "answered", "101", "+420111", ext="101", talk=60),
    _call(3, T(4, 7), "inbound", "abandoned", "+420222", "200", ext="101"),
    _call(4, T(4, 9), "inbound", "busy", "+420222", "200", ext="101"),
    _call(5, T(5, 13), "outbound", "answered", "101", "+420222", ext="101", talk=60),
    _call(6, T(4, 8), "inbound", "no_answer", "+420333", "200"),
    _call(7, T(4, 10), "inbound", "answered", "+420333", "200", ext="102", talk=90),
    _call(8, T(4, 10), "inbound", "voicemail", "+420444", "200", ext="102"),
    _call(9, T(4, 11), "inbound", "no_answer", "+420555", "200"),
    _call(10, T(4, 12), "inbound", "answered", "+420666", "200", ext="301", talk=300),
    _call(11, T(4, 13), "inbound", "answered", "+420777", "200", ext="301", talk=600),
    _call(12, T(4, 14), "inbound", "answered", "+420888", "200", ext="302", talk=120),
]


def _qc(qid, call_id, enter, outcome, agent=None, talk=0):
    return dict(id=qid, call_id=call_id, call_uid=f"c{call_id}", queue="500", enter_utc=enter,
                exit_utc=enter + timedelta(seconds=10), wait_s=10, outcome=outcome, agent=agent, talk_s=talk)


QUEUE_CALLS = [
    _qc(1, 8, T(4, 10), "timeout"),
    _qc(2, 10, T(4, 12), "answered", "301", 300),
    _qc(3, 11, T(4, 13), "answered", "301", 600),
    _qc(4, 12, T(4, 14), "answered", "302", 120),
]


def _att(qcid, agent, at, result):
    return dict(queue_call_id=qcid, queue="500", agent=agent, at_utc=at, ring_ms=15000, result=result)


ATTEMPTS = [
    _att(2, "301", T(4, 12), "ring_no_answer"),
    _att(4, "302", T(4, 14), "ring_no_answer"),
    _att(4, "302", T(4, 14, 1), "ring_no_answer"),
    _att(4, "302", T(4, 14, 2), "ring_cancelled"),
    _att(4, "303", T(4, 14, 3), "ring_no_answer"),
]
SESSIONS = [
    dict(agent="301", queue="500", login_utc=T(3, 20), logout_utc=T(4, 2)),
    dict(agent="301", queue=None, login_utc=T(4, 6), logout_utc=T(4, 10)),
    dict(agent="302", queue="500", login_utc=T(4, 12), logout_utc=None),
]
PAUSES = [
    dict(agent="301", start_utc=T(4, 7), end_utc=T(4, 7, 30), reason="lunch"),
    dict(agent="302", start_utc=T(4, 20), end_utc=None, reason="break"),
]
CALLBACKS = [dict(number="+420555", queue="500", requested_utc=T(4, 11, 1), completed_utc=T(4, 12),
                  status="completed", attempts=1)]


def fill(conn) -> None:
    if not conn.execute(sa.select(s.source.c.id)).first():
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
    conn.execute(sa.insert(s.call), CALLS)
    conn.execute(sa.insert(s.queue_call), QUEUE_CALLS)
    conn.execute(sa.insert(s.queue_attempt), ATTEMPTS)
    conn.execute(sa.insert(s.agent_session), SESSIONS)
    conn.execute(sa.insert(s.agent_pause), PAUSES)
    conn.execute(sa.insert(s.callback), CALLBACKS)
    aggregates.refresh(conn, datetime(2026, 5, 1), datetime(2026, 5, 8))  # agg_agent_hour, time_hour


@pytest.fixture
def pbx(engine):
    with engine.begin() as conn:
        fill(conn)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('call', 'id'), 100)"))
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('queue_call', 'id'), 100)"))
    return engine


def run(report, flt, scope=ALL, engine=None):
    return run_report(report, scope, flt, engine=engine, tz=TZ)


def rows(result):
    return {r["agent"]: r for r in result.df.to_dict("records")}


def test_queue_agents_clipped_open_and_occupancy(pbx):
    r = run("queue-agents", ReportFilter(D4, D4), engine=pbx)
    got = rows(r)
    assert list(got) == ["301", "302", "303"]
    a = got["301"]
    assert (a["answered"], a["ring_no_answer"], a["talk_s"]) == (2, 1, 900)
    assert (a["logged_in_s"], a["pause_s"], a["pause:lunch"], a["pause:break"]) == (28800, 1800, 1800, 0)
    assert a["occupancy"] == 0.033  # 900 / 27000 = 3.33 % kept to 0.1 % (issue 14, rule 9)
    b = got["302"]
    assert (b["answered"], b["ring_no_answer"], b["talk_s"]) == (1, 2, 120)
    assert (b["logged_in_s"], b["pause_s"], b["pause:break"]) == (36000, 7200, 7200)
    assert b["occupancy"] == 0.004  # 120 / 28800 = 0.42 % -> 0.4 %
    c = got["303"]
    assert (c["answered"], c["ring_no_answer"], c["logged_in_s"], c["occupancy"]) == (0, 1, 0, None)
    occ = next(col for col in r.columns if col.key == "occupancy")
    assert display_value(occ, c["occupancy"], "en") == "–"


def _local(day, h, m=0):
    return datetime(2026, 5, day, h, m, tzinfo=TZ)


def test_queue_agents_sessions_and_pauses_lists(pbx):
    r = run("queue-agents", ReportFilter(D4, D4), engine=pbx)
    sessions, pauses = r.sections
    assert [c.key for c in sessions.columns] == ["agent", "name", "queue", "login", "logout", "logout_reason",
                                                 "in_range_s"]
    got = [(x["agent"], x["queue"], x["login"], x["logout"], x["in_range_s"]) for x in sessions.df.to_dict("records")]
    # Local = UTC + 2. The session across midnight: 4 h inside 05-04; the open one runs to 24:00.
    assert got == [("301", "500", _local(3, 22), _local(4, 4), 4 * 3600),
                   ("301", "", _local(4, 8), _local(4, 12), 4 * 3600),
                   ("302", "500", _local(4, 14), None, 10 * 3600)]
    # The session seconds add up to the summary's logged-in time, the pauses to its pause time.
    summary = rows(r)
    assert sessions.df.groupby("agent")["in_range_s"].sum().to_dict() == {"301": summary["301"]["logged_in_s"],
                                                                         "302": summary["302"]["logged_in_s"]}
    got = [(x["agent"], x["start"], x["end"], x["reason"], x["in_range_s"]) for x in pauses.df.to_dict("records")]
    assert got == [("301", _local(4, 9), _local(4, 9, 30), "lunch", 1800), ("302", _local(4, 22), None, "break", 7200)]
    only = run("queue-agents", ReportFilter(D4, D4), scope=Scope.of(extensions=("302",)), engine=pbx)
    assert [list(sec.df["agent"]) for sec in only.sections] == [["302"], ["302"]]


def test_queue_agents_previous_day_gets_the_part_before_midnight(pbx):
    r = run("queue-agents", ReportFilter(date(2026, 5, 3), date(2026, 5, 3)), engine=pbx)
    got = rows(r)
    assert list(got) == ["301"]
    assert (got["301"]["logged_in_s"], got["301"]["answered"], got["301"]["occupancy"]) == (7200, 0, 0.0)


@pytest.mark.parametrize("first,last,kw", [(D4, D4, {}), (date(2026, 5, 3), D5, {}), (D4, D4, {"queues": ["500"]}),
                                           (D4, D4, {"extensions": ["302", "303"]}), (D4, D4, {"queues": ["999"]})])
def test_queue_agents_rollup_equals_the_facts(pbx, first, last, kw):
    flt = ReportFilter(first, last, **kw)
    for scope in (ALL, Scope.of(extensions=("301", "303"))):
        auto = run_report("queue-agents", scope, flt, engine=pbx, tz=TZ)
        facts = run_report("queue-agents", scope, flt, engine=pbx, tz=TZ, path="facts")
        assert auto.path == "aggregate"
        assert auto.df.to_dict("records") == facts.df.to_dict("records")


def test_queue_agents_scope_and_empty(pbx):
    r = run("queue-agents", ReportFilter(D4, D4), scope=Scope.of(extensions=("302",)), engine=pbx)
    assert list(rows(r)) == ["302"]
    r = run("queue-agents", ReportFilter(date(2026, 4, 1), date(2026, 4, 1)), engine=pbx)
    assert r.empty and len(r.df) == 0


def _missed(result):
    return [(r["caller"], r["missed"], r["last_missed"].replace(tzinfo=None), r["waiting_since"].replace(tzinfo=None))
            for r in result.df.to_dict("records")]


def test_missed_unreturned(pbx):
    r = run("missed-unreturned", ReportFilter(D4, D5), engine=pbx)
    assert _missed(r) == [("+420222", 2, datetime(2026, 5, 4, 11), datetime(2026, 5, 4, 9)),
                          ("+420444", 1, datetime(2026, 5, 4, 12), datetime(2026, 5, 4, 12))]
    assert r.total_calls == 3
    r48 = run("missed-unreturned", ReportFilter(D4, D5, hours=48), engine=pbx)
    assert _missed(r48) == [("+420444", 1, datetime(2026, 5, 4, 12), datetime(2026, 5, 4, 12))]
    ids = sorted(c[3] for c in call_rows(r, ALL, engine=pbx, tz=TZ))  # from_number
    assert ids == ["+420222", "+420222", "+420444"]


def test_missed_unreturned_scope(pbx):
    r = run("missed-unreturned", ReportFilter(D4, D5), scope=Scope.of(extensions=("101",)), engine=pbx)
    assert [m[0] for m in _missed(r)] == ["+420222"]


runner = CliRunner()


@pytest.mark.parametrize("report", ["queue-agents", "missed-unreturned"])
def test_cli_csv_equals_the_table(pbx, tmp_path, report):
    out = tmp_path / f"{report}.csv"
    res = runner.invoke(app, ["report", report, "--from", "2026-05-04", "--to", "2026-05-04",
                              "--lang", "cs", "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8") as fh:
        got = list(csv.reader(fh))
    result = run(report, ReportFilter(D4, D4))
    assert got == list(csv.reader(to_csv(result, "cs").splitlines()))
    if report == "queue-agents":
        # The summary (header + 3 agents), then the 3 sessions and the 2 pauses, each after
        # an empty line, its title and its header.
        assert len(got) == 4 + 3 + 3 + 3 + 2
        assert got[4:6] == [[], ["Přihlašovací relace"]] and got[10:12] == [[], ["Pauzy"]]
    else:
        assert len(got) == 3

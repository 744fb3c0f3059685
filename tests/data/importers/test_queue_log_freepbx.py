"""queue_log as the authority on queue calls (issue 14, rules 3, 7, 8), on FreePBX-shaped files.

fixtures/queue_log_fidelity/, times UTC (08:00 UTC = 10:00 in Prague), written by hand in the
shapes real systems write:

- freepbx_queue_cdr.csv: cdr_csv with 21 columns as Asterisk 13+ under FreePBX writes queue
  calls — the caller's leg runs Queue() in ext-queues with dstchannel
  Local/<agent>@from-queue-<n>;1, the ;2 half dials the agent's PJSIP device in from-queue;
  the caller was answered when it entered the queue, so its Queue leg's billsec = wait +
  talk; a member that rang out leaves a NO ANSWER ;2 leg and a NO ANSWER fork of the caller's
  leg; rows are written in the order legs end. The abandoned call C3 copies a production
  call published in a public FreePBX reporting project (its test data "taken from the
  live station"): 7 s greeting, the Queue leg NO ANSWER with billsec = duration, the ;2 leg
  NO ANSWER, RINGCANCELED 1334 ms in the same second as ABANDON.
- freepbx_queue_log: the pipe file — QUEUESTART / CONFIGRELOAD housekeeping, ADDMEMBER by
  CLI, FreePBX's DID line before ENTERQUEUE, members named Local/<n>@from-queue/n (FreePBX)
  or a display name with a diacritic ("Petr Dvořák"), RINGNOANSWER 0 for a member that is
  busy, a COMPLETECALLER written twice, an ENTERQUEUE with no exit before a QUEUESTART (a
  restart, as in a public `tail /var/log/asterisk/queue_log` of a FreePBX box), and calls
  still open when the file ends. freepbx_queue_log_later: the lines a later import brings.
- The same events as table exports (rule 7): queue_log_realtime_export.csv — Asterisk's
  realtime MySQL table (id, time, callid, queuename, agent, event, data1..data5, as in public
  mysqldumps of `asteriskcdrdb.queue_log`) with local times with microseconds and NULLs;
  queue_log_param_export.csv — uid, date_time, callid, queuename, agent, event,
  param1..param3, `;`-separated with Czech dates (14.09.2026 10:00:00), which loses data4/5
  (the transfers' calltime: then it comes from CONNECT -> transfer); queue_log_queuemetrics.csv
  — QueueMetrics' table (partition, time_id epochs, call_id, queue, agent, verb, data1..data5,
  serverid, unique_row_count); queue_log_data_column.tsv — the realtime table with a single
  `data` column (data1|data2|...) dumped by mysqldump --tab: tabs, \\N, no header.

The calls, worked out by hand from the legs and the queue_log (duration from the caller's
legs; ring = start to the CONNECT; answer = the CONNECT):

C1 .101 08:00:00 enters 600; 202 rings 15 s, "Petr Dvořák" busy (RINGNOANSWER 0), 201
   answers at 08:00:22 (CONNECT holdtime 22), caller hangs up at 08:02:22 (COMPLETECALLER,
   calltime 120). Duration 142 -> answered by 201, talk 120, ring 22, hung up by the caller.
C2 .110 08:05:00 202 rings 15 s, ABANDON after 38 s; the CDR's Queue leg says ANSWERED,
   billsec 38, no dstchannel -> abandoned, ring 38, talk 0, caller.
C3 .120 08:10:00 7 s greeting, enters 08:10:07, 203 rings 1.3 s, ABANDON after 2 s (a short
   abandon: 2 < 5) -> abandoned, duration 9 = ring 9, caller.
C4 .130 08:12:00 201 and 202 ring 20 s each, ABANDON after 50 s; the Queue leg says ANSWERED
   with dstchannel Local/202...;1, billsec 50 -> abandoned (not answered), ring 50, caller.
C5 .140 08:15:00 201, 202 ring 15 s each, EXITWITHTIMEOUT after 30 s, the failover is 201's
   voicemail: the caller's leg runs on into VoiceMail, 62 s in all -> voicemail (the CDR's
   outcome stands after a queue gave up), ring 30 (the voicemail began at the exit), talk 0.
C6 .150 08:20:00 EXITWITHKEY 1 after 12 s, a Playback, hang-up at 17 s -> no answer, ring 17.
C7 .160 08:25:00 EXITEMPTY after 3 s; the failover rings extension 300, answered 08:25:09,
   talk 60 (billsec) -> answered by 300 after the queue's exit: the CDR's values stay
   (answered, ring 9, talk 60), queue 600 filled in from the queue_log.
C8 .170 08:30:00 201 answers after 6 s, talks 40 s, BLINDTRANSFER to 300 at 08:30:46; 300
   rings 5 s and talks 60 s -> answered by 201, talk 40 + 60 = 100, duration 111, ring 6
   (300's 5 s of ringing is neither ring nor talk, as in the CDR), transferred to 300, hung
   up by: nobody recorded (a transfer).
C9 .180 08:35:00 202 answers after 4 s, consults 301 (a call of its own, .184), ATTENDEDTRANSFER
   (BRIDGE) at 08:36:24 after 80 s; the caller talks 90 s with 301 -> answered by 202, talk
   80 + 90 = 170, duration 174, ring 4, transferred to 301 (from the CDR: a BRIDGE id names
   no destination).
C10 .190 08:40:00 two queues: 600 rings 201 15 s, EXITWITHTIMEOUT after 20 s; 601 from
   08:40:21, 203 answers after 8 s (08:40:29), COMPLETEAGENT after 95 s -> answered by 203,
   talk 95, duration 124, ring 29, queue 600 (the first), hung up by the agent.
C11 .200 08:45:00 a device member PJSIP/204 (no Local channel): CONNECT after 10 s,
   COMPLETEAGENT after 90 s; the Queue leg's billsec 100 = wait + talk -> talk 90, ring 10.
C12 .210 08:50:00 member "Petr Dvořák" = Local/205 (his device PJSIP/205 answers in the
   CDR): CONNECT after 15 s, COMPLETECALLER 75 -> answered by 205, talk 75, ring 15.
C13 .90 07:30:00 and C14 .95 07:35:00, before the queue_log was switched on, CDR only: 201
   answered after 10 s for 60 s (answered, ring 10, talk 60); a Queue leg ANSWERED 25 s
   with no agent (abandoned, ring 25).
.184 08:36:00 the consultation 202 -> 301, internal, answered after 4 s, 20 s: no queue.
Queue passes with no CDR (the end of the data): .220 entered 08:55, Asterisk restarted 08:57
   -> ended by the restart ('unknown'), waited 120 s; .301 entered 08:58, 201 answered after
   12 s -> still talking; .310 entered 09:00 -> still waiting. The later lines: .310 ABANDON
   after 45 s, .301 COMPLETEAGENT after 240 s.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from callboard.reports.registry import run_report
from data import schema as s
from data.importers.asterisk.cdr_file import import_cdr_file
from data.importers.base import ImportFailed
from data.importers.queue_log import import_queue_log_file
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from tests.data.test_reports import TZ

FIX = Path(__file__).parent / "fixtures" / "queue_log_fidelity"
CDR = FIX / "freepbx_queue_cdr.csv"
QLOG = FIX / "freepbx_queue_log"
DAY = date(2026, 9, 14)
D = datetime

FIELDS = ("status", "queue", "answered_by", "extension", "duration_s", "ring_s", "talk_s", "hangup_by",
          "transferred_to")
EXPECTED = {
    "1789371000.90": ("answered", "600", "201", "201", 70, 10, 60, None, None),  # C13, CDR only
    "1789371300.95": ("abandoned", "600", None, None, 25, 25, 0, None, None),  # C14, CDR only
    "1789372800.101": ("answered", "600", "201", "201", 142, 22, 120, "caller", None),  # C1
    "1789373100.110": ("abandoned", "600", None, "202", 38, 38, 0, "caller", None),  # C2 (202 rang)
    "1789373400.120": ("abandoned", "600", None, "203", 9, 9, 0, "caller", None),  # C3
    "1789373520.130": ("abandoned", "600", None, "201", 50, 50, 0, "caller", None),  # C4 (201 rang first)
    "1789373700.140": ("voicemail", "600", None, "201", 62, 30, 0, None, None),  # C5
    "1789374000.150": ("no_answer", "600", None, None, 17, 17, 0, None, None),  # C6
    "1789374300.160": ("answered", "600", "300", "300", 69, 9, 60, None, None),  # C7
    "1789374600.170": ("answered", "600", "201", "201", 111, 6, 100, None, "300"),  # C8
    "1789374900.180": ("answered", "600", "202", "202", 174, 4, 170, None, "301"),  # C9
    "1789374960.184": ("answered", None, "301", "202", 24, 4, 20, None, None),  # the consultation
    "1789375200.190": ("answered", "600", "203", "203", 124, 29, 95, "agent", None),  # C10
    "1789375500.200": ("answered", "600", "204", "204", 100, 10, 90, "agent", None),  # C11
    "1789375800.210": ("answered", "600", "205", "205", 90, 15, 75, "caller", None),  # C12
}
# The answer time is the CONNECT (for C7, C13 and the consultation the CDR's answering leg).
ANSWERED_AT = {
    "1789371000.90": D(2026, 9, 14, 7, 30, 10), "1789372800.101": D(2026, 9, 14, 8, 0, 22),
    "1789374300.160": D(2026, 9, 14, 8, 25, 9), "1789374600.170": D(2026, 9, 14, 8, 30, 6),
    "1789374900.180": D(2026, 9, 14, 8, 35, 4), "1789374960.184": D(2026, 9, 14, 8, 36, 4),
    "1789375200.190": D(2026, 9, 14, 8, 40, 29), "1789375500.200": D(2026, 9, 14, 8, 45, 10),
    "1789375800.210": D(2026, 9, 14, 8, 50, 15),
}
# Queue passes: (callid, queue) -> outcome, wait, talk, agent, hung up by. None = not known yet.
PASSES = {
    ("1789372800.101", "600"): ("answered", 22, 120, "201", "caller"),
    ("1789373100.110", "600"): ("abandoned", 38, 0, None, "caller"),
    ("1789373400.120", "600"): ("abandoned", 2, 0, None, "caller"),
    ("1789373520.130", "600"): ("abandoned", 50, 0, None, "caller"),
    ("1789373700.140", "600"): ("timeout", 30, 0, None, None),
    ("1789374000.150", "600"): ("exit_key", 12, 0, None, None),
    ("1789374300.160", "600"): ("no_agents", 3, 0, None, None),
    ("1789374600.170", "600"): ("answered", 6, 40, "201", None),
    ("1789374900.180", "600"): ("answered", 4, 80, "202", None),
    ("1789375200.190", "600"): ("timeout", 20, 0, None, None),
    ("1789375200.190", "601"): ("answered", 8, 95, "203", "agent"),
    ("1789375500.200", "600"): ("answered", 10, 90, "204", "agent"),
    ("1789375800.210", "600"): ("answered", 15, 75, "Petr Dvořák", "caller"),
    ("1789376100.220", "600"): ("unknown", 120, None, None, None),  # ended by the 08:57 restart
    ("1789376280.301", "600"): ("answered", 12, None, "201", None),  # still talking
    ("1789376400.310", "600"): ("waiting", None, None, None, None),  # still waiting
}

PERF = ("calls", "offered", "answered", "abandoned", "short_abandons", "timed_out", "exit_key", "no_agents",
        "service_level", "abandon_rate", "asa_s", "wait_max_s", "avg_talk_s", "waiting", "talking")
# Queue 600 on 14 September, at the end of the data (by hand, from PASSES):
# 15 passes; still waiting 1 (.310), short abandons 1 (C3, 2 s < 5) -> offered 15 - 1 - 1 = 13;
# answered C1 C8 C9 C11 C12 and .301 (still talking, its wait is known) = 6; abandoned C2 C3
# C4 = 3, 2 without the short one; timed out C5 C10 = 2; by key C6; no agents C7.
# SL: answered within 20 s: C8 6, C9 4, C11 10, C12 15, .301 12 (C1 waited 22) = 5 -> 5/13 =
# 0.385; abandon rate 2/13 = 0.154; ASA (22+6+4+10+15+12)/6 = 69/6 = 11.5; longest wait 120
# (the restart); average talk of the calls that ended: (120+40+80+90+75)/5 = 81.0 — the call
# still talking is not a talk of 0 (that would give 405/6 = 67.5).
Q600_OPEN = (15, 13, 6, 2, 1, 2, 1, 1, 0.385, 0.154, 11.5, 120, 81.0, 1, 1)
# Queue 601: C10's second pass, answered after 8 s, 95 s: SL 1/1, ASA 8.0, talk 95.0.
Q601 = (1, 1, 1, 0, 0, 0, 0, 0, 1.0, 0.0, 8.0, 8, 95.0, 0, 0)
# After the later lines: .310 abandoned after 45 s (not short), .301 talked 240 s.
# offered 15 - 1 = 14; answered 6 (within 20 s still 5); abandoned 4 - 1 short = 3; SL 5/14
# = 0.357; abandon rate 3/14 = 0.214; ASA 11.5; average talk (405 + 240)/6 = 107.5.
Q600_CLOSED = (15, 14, 6, 3, 1, 2, 1, 1, 0.357, 0.214, 11.5, 120, 107.5, 0, 0)
# Average wait (all), waits known: 22+38+2+50+30+12+3+6+4+20+10+15+120+12 = 344 over the 14
# calls not still waiting = 24.57 -> 24.6; after the later lines (344 + 45)/15 = 25.93 -> 25.9.
WAIT_ALL_OPEN, WAIT_ALL_CLOSED = 24.6, 25.9


def _import(engine, cdr_first: bool, qlog: Path = QLOG) -> None:
    steps = [lambda: import_cdr_file(engine, CDR, source_tz="UTC"), lambda: import_queue_log_file(engine, qlog)]
    for step in steps if cdr_first else steps[::-1]:
        step()


def calls(engine) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r.call_uid: r for r in conn.execute(sa.select(s.call))}


def passes(engine) -> dict[tuple, tuple]:
    with engine.connect() as conn:
        return {(r.call_uid, r.queue): (r.outcome, r.wait_s, r.talk_s, r.agent, r.hangup_by)
                for r in conn.execute(sa.select(s.queue_call))}


def perf(engine, path: str) -> dict[str, tuple]:
    result = run_report("queue-performance", Scope.everything(), ReportFilter(DAY, DAY, by="queue"), engine=engine,
                        tz=TZ, path=path)
    return {r["queue"]: tuple(r[k] for k in PERF) for r in result.df.to_dict("records")}


def wait_all(engine, path: str) -> float:
    result = run_report("queue-wait-talk", Scope.everything(), ReportFilter(DAY, DAY, by="day", queues=("600",)),
                        engine=engine, tz=TZ, path=path)
    return result.df.to_dict("records")[0]["avg_wait_all_s"]


@pytest.mark.parametrize("cdr_first", [True, False], ids=["cdr-first", "queue-log-first"])
def test_freepbx_queue_calls_call_by_call(engine, cdr_first, tmp_path):
    _import(engine, cdr_first)
    got = calls(engine)
    assert {uid: tuple(getattr(r, f) for f in FIELDS) for uid, r in got.items()} == EXPECTED
    assert {uid: r.answer_utc for uid, r in got.items() if r.answer_utc is not None} == ANSWERED_AT
    assert passes(engine) == PASSES
    with engine.connect() as conn:
        linked = {r.call_uid for r in conn.execute(sa.select(s.queue_call).where(s.queue_call.c.call_id.is_not(None)))}
        kept = conn.execute(sa.select(sa.func.count()).select_from(s.call_cdr_view)).scalar()
    # Every pass with a CDR call is linked; the three at the end have none (no CDR yet).
    assert linked == {uid for uid, _q in PASSES} - {"1789376100.220", "1789376280.301", "1789376400.310"}
    # What the CDR alone said is kept for the calls the queue_log changed: C1 (answer time),
    # C2 C3 C4 (hung up by), C5 (ring), C6 (no answer), C7 (queue), C10, C11 (talk), C12 —
    # 10; C8 and C9 the CDR already had right.
    assert kept == 10
    for path in ("aggregate", "facts"):
        assert perf(engine, path) == {"600": Q600_OPEN, "601": Q601}
        assert wait_all(engine, path) == WAIT_ALL_OPEN
    # Both files again (copies: no remembered position) change nothing.
    before = calls(engine)
    st_cdr = import_cdr_file(engine, shutil.copy(CDR, tmp_path / "again.csv"), source_tz="UTC")
    st_q = import_queue_log_file(engine, shutil.copy(QLOG, tmp_path / "again_queue_log"))
    assert (st_cdr.calls_added, st_q.calls_added, st_q.cdr_calls_updated) == (0, 0, 0)
    assert calls(engine) == before


def test_open_calls_are_closed_by_a_later_import(engine, tmp_path):
    """The queue_log grows: the calls open at its end get their exits (incremental import)."""
    grown = tmp_path / "queue_log"
    shutil.copy(QLOG, grown)
    _import(engine, True, grown)
    assert perf(engine, "facts")["600"] == Q600_OPEN
    grown.write_bytes(QLOG.read_bytes() + (FIX / "freepbx_queue_log_later").read_bytes())
    st = import_queue_log_file(engine, grown)
    assert (st.lines_read, st.calls_added, st.calls_updated) == (2, 0, 2)
    got = passes(engine)
    assert got[("1789376400.310", "600")] == ("abandoned", 45, 0, None, "caller")
    assert got[("1789376280.301", "600")] == ("answered", 12, 240, "201", "agent")
    for path in ("aggregate", "facts"):
        assert perf(engine, path) == {"600": Q600_CLOSED, "601": Q601}
        assert wait_all(engine, path) == WAIT_ALL_CLOSED


def test_queue_log_split_mid_call_gives_the_same_calls(engine, tmp_path):
    """A queue_log imported in two parts — cut after C8's CONNECT, before its transfer — ends
    as the whole file: C8 is answered but still talking after the first part (its talk is
    the CDR's then), the transfer's figures after the second."""
    lines = QLOG.read_bytes().splitlines(keepends=True)
    cut = next(i for i, x in enumerate(lines) if b"1789374600.170|600|Local/201@from-queue/n|CONNECT" in x) + 1
    part = tmp_path / "queue_log"
    part.write_bytes(b"".join(lines[:cut]))
    import_cdr_file(engine, CDR, source_tz="UTC")
    import_queue_log_file(engine, part)
    c8 = calls(engine)["1789374600.170"]
    assert (c8.status, c8.answered_by, c8.answer_utc) == ("answered", "201", D(2026, 9, 14, 8, 30, 6))
    assert passes(engine)[("1789374600.170", "600")] == ("answered", 6, None, "201", None)
    part.write_bytes(b"".join(lines))
    import_queue_log_file(engine, part)
    got = calls(engine)
    assert {uid: tuple(getattr(r, f) for f in FIELDS) for uid, r in got.items()} == EXPECTED
    assert passes(engine) == PASSES


EXPORTS = ["queue_log_realtime_export.csv", "queue_log_param_export.csv", "queue_log_queuemetrics.csv",
           "queue_log_data_column.tsv"]


@pytest.mark.parametrize("name", EXPORTS)
def test_table_exports_give_the_same_queue_calls(engine, name):
    st = import_queue_log_file(engine, FIX / name, source_tz="Europe/Prague")
    assert (st.lines_rejected, st.calls_added) == (0, 16), st.rejects
    assert "table export" in st.layout
    assert passes(engine) == PASSES
    import_cdr_file(engine, CDR, source_tz="UTC")
    assert {uid: tuple(getattr(r, f) for f in FIELDS) for uid, r in calls(engine).items()} == EXPECTED
    with engine.connect() as conn:
        attempts = sorted(tuple(r) for r in conn.execute(
            sa.select(s.queue_attempt.c.agent, s.queue_attempt.c.ring_ms, s.queue_attempt.c.result)))
    # C1 202 15 s + Petr Dvořák busy, C2 202, C3 203 cancelled 1334 ms, C4 201 + 202, C5 201 + 202, C10 201.
    assert attempts == sorted([("202", 15000, "ring_no_answer"), ("Petr Dvořák", 0, "unavailable"),
                               ("202", 15000, "ring_no_answer"), ("203", 1334, "ring_cancelled"),
                               ("201", 20000, "ring_no_answer"), ("202", 20000, "ring_no_answer"),
                               ("201", 15000, "ring_no_answer"), ("202", 15000, "ring_no_answer"),
                               ("201", 15000, "ring_no_answer")])


def test_queuemetrics_table_from_a_database(engine, tmp_path):
    """--from-db on QueueMetrics' queue_log table (time_id epochs, call_id, verb, data1..data5,
    partition / serverid / unique_row_count) gives the same queue calls; a table without the
    columns says which it expected and which it has."""
    from data.importers.queue_log import import_queue_log_db

    url = f"sqlite:///{tmp_path / 'qm.sqlite'}"
    src = sa.create_engine(url)
    rows = list(csv.DictReader(io.StringIO((FIX / "queue_log_queuemetrics.csv").read_text(encoding="utf-8"))))
    md = sa.MetaData()
    t = sa.Table("queue_log", md, *(sa.Column(k, sa.Integer if k in ("time_id", "unique_row_count") else sa.String(80))
                                    for k in rows[0]))
    other = sa.Table("agents_only", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("time", sa.String(30)),
                     sa.Column("agent", sa.String(80)))
    md.create_all(src)
    with src.begin() as conn:
        conn.execute(t.insert(), [{k: (int(v) if k in ("time_id", "unique_row_count") else v) for k, v in r.items()}
                                  for r in rows])
    st = import_queue_log_db(engine, url)
    assert (st.lines_rejected, st.calls_added) == (0, 16)
    assert passes(engine) == PASSES
    with pytest.raises(ImportFailed, match=r"expected the columns time, callid, queuename, agent, event and "
                                           r"data1\.\.data5.*it has id, time, agent \(missing callid, queue, event"):
        import_queue_log_db(engine, url, table="agents_only")
    src.dispose()


def test_an_unreadable_header_names_what_it_expected_and_found(engine):
    with pytest.raises(ImportFailed) as err:
        import_queue_log_file(engine, FIX / "queue_log_bad_header.csv")
    msg = str(err.value)
    assert "queue_log_bad_header.csv:1:" in msg
    assert "time, callid, queuename, agent, event and data1..data5" in msg  # expected
    assert "id, time, callid, queue, who, what, data1" in msg  # found
    assert "missing agent, event" in msg
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.queue_call)).scalar() == 0


def test_hung_up_by_in_the_call_list_and_every_export(engine):
    """hangup_by from COMPLETEAGENT / COMPLETECALLER / ABANDON, translated on the page and in
    the CSV, XLSX and PDF of the call records."""
    import dash

    if not dash.page_registry:  # the page module registers itself with the app
        import app

        app.create_app()
    from dashboards.records import _row
    from data import db
    from data.queries.calls import ALL_COLUMNS, CallFilter, list_calls
    from data.timebuckets import local_day_bounds_utc
    from exporters.files import build_cdr_file
    from tests.exporters.test_files import pdf_pages, sheet_rows

    _import(engine, True)
    flt = CallFilter(*local_day_bounds_utc(DAY, DAY, TZ))
    cols = ["start", "status", "call_uid", "hangup"]
    rows = db.fetch_all(list_calls(Scope.everything(), flt, ALL_COLUMNS, limit=None))
    cells = {r.call_uid: _row(r, "cs")["hangup"] for r in rows}
    assert (cells["1789375200.190"], cells["1789372800.101"], cells["1789374600.170"]) == ("Operátor", "Volající", "")
    made = build_cdr_file(flt, fmt="csv", lang="en", scope=Scope.everything(), tz=TZ, columns=cols)
    table = list(csv.reader(io.StringIO(made.content.decode("utf-8-sig"))))
    who = {r[table[0].index("Call ID")]: r[table[0].index("Hung up by")] for r in table[1:] if len(r) > 3}
    assert (who["1789375200.190"], who["1789373100.110"], who["1789374900.180"]) == ("Agent", "Caller", "")
    made = build_cdr_file(flt, fmt="xlsx", lang="cs", scope=Scope.everything(), tz=TZ, columns=cols)
    _top, header, data = sheet_rows(made.content)
    who = {r[header.index("ID hovoru")]: r[header.index("Zavěsil")] for r in data}
    assert (who["1789375500.200"], who["1789375800.210"], who["1789374000.150"]) == ("Operátor", "Volající", None)
    made = build_cdr_file(flt, fmt="pdf", lang="en", scope=Scope.everything(), tz=TZ, columns=cols)
    lines = "\n".join(pdf_pages(made.content)).splitlines()
    # pypdf gives each cell a line of its own: the call id, then who hung up (when anyone).
    after = {lines[i]: lines[i + 1] for i in range(len(lines) - 1) if lines[i].startswith("17893")}
    assert (after["1789375200.190"], after["1789372800.101"]) == ("Agent", "Caller")
    assert after["1789374600.170"].startswith("14/09/2026")  # a transfer: no one


def test_cli_reads_a_table_export_in_its_time_zone(db_url, tmp_path):
    """`callboard import queue-log FILE --source-tz` on the Czech spreadsheet export: the same
    queue calls as the pipe file (10:00 in Prague = 08:00 UTC)."""
    from typer.testing import CliRunner

    from callboard.cli import app
    from data import db

    res = CliRunner().invoke(app, ["import", "queue-log", str(FIX / "queue_log_param_export.csv"), "--source-tz",
                                   "Europe/Prague", "--rejects", str(tmp_path / "r"), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "queue calls added 16" in res.output and "semicolon-separated" in res.output
    assert passes(db.get_engine(db_url)) == PASSES

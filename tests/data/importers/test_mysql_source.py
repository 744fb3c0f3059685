"""`--from-db` against a real MariaDB: FreePBX's asteriskcdrdb ``cdr`` table and Asterisk's
realtime ``queue_log`` table, imported into SQLite and PostgreSQL.

Worked out by hand (PBX local time Europe/Prague, CEST = UTC+2 on 2026-05-04):

- 1777878000.30: 0607777777 calls our DID 0212345670 at 10:00:00 local (08:00:00 UTC) and
  enters queue 600; 102 rings 5 s without answering; 101 (a Local-channel member: the ``;2``
  half is the second row) answers at 10:00:10 and talks 120 s. FreePBX's table has no
  answer/end columns: end = calldate + duration = 08:02:10 UTC, answer = end - billsec =
  08:00:10 UTC. -> one answered inbound call, 10 s ring, 120 s talk, queue 600, by 101.
- 1777878600.40: 0608888888 at 10:10:00 local, queue 600, hangs up after 25 s without an
  agent (the PBX answered the queue: disposition ANSWERED, no destination channel)
  -> abandoned, ring 25 s, no talk.
- 1777879200.50 arrives later (10:20:00, 102 -> 0777000111 outbound, NO ANSWER, 12 s).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from data import schema as s
from data.importers.asterisk.cdr_db import import_cdr_db
from data.importers.queue_log import import_queue_log_db
from tests.data.importers.asterisk.test_cdr_file import assert_aggregates_match_calls, calls, count

D = datetime

FREEPBX_CDR_DDL = """
CREATE TABLE `cdr` (
  `calldate` datetime NOT NULL,
  `clid` varchar(80) NOT NULL DEFAULT '',
  `src` varchar(80) NOT NULL DEFAULT '',
  `dst` varchar(80) NOT NULL DEFAULT '',
  `dcontext` varchar(80) NOT NULL DEFAULT '',
  `channel` varchar(80) NOT NULL DEFAULT '',
  `dstchannel` varchar(80) NOT NULL DEFAULT '',
  `lastapp` varchar(80) NOT NULL DEFAULT '',
  `lastdata` varchar(80) NOT NULL DEFAULT '',
  `duration` int(11) NOT NULL DEFAULT 0,
  `billsec` int(11) NOT NULL DEFAULT 0,
  `disposition` varchar(45) NOT NULL DEFAULT '',
  `amaflags` int(11) NOT NULL DEFAULT 0,
  `accountcode` varchar(20) NOT NULL DEFAULT '',
  `uniqueid` varchar(32) NOT NULL DEFAULT '',
  `userfield` varchar(255) NOT NULL DEFAULT '',
  `did` varchar(50) NOT NULL DEFAULT '',
  `recordingfile` varchar(255) NOT NULL DEFAULT '',
  `cnum` varchar(80) NOT NULL DEFAULT '',
  `cnam` varchar(80) NOT NULL DEFAULT '',
  `outbound_cnum` varchar(80) NOT NULL DEFAULT '',
  `outbound_cnam` varchar(80) NOT NULL DEFAULT '',
  `dst_cnam` varchar(80) NOT NULL DEFAULT '',
  `linkedid` varchar(32) NOT NULL DEFAULT '',
  `peeraccount` varchar(80) NOT NULL DEFAULT '',
  `sequence` int(11) NOT NULL DEFAULT 0,
  KEY `calldate` (`calldate`),
  KEY `dst` (`dst`),
  KEY `accountcode` (`accountcode`),
  KEY `uniqueid` (`uniqueid`)
) DEFAULT CHARSET=utf8mb4
"""

QUEUE_LOG_DDL = """
CREATE TABLE `queue_log` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `time` datetime(6) DEFAULT NULL,
  `callid` varchar(80) DEFAULT NULL,
  `queuename` varchar(256) DEFAULT NULL,
  `agent` varchar(80) DEFAULT NULL,
  `event` varchar(32) DEFAULT NULL,
  `data1` varchar(100) DEFAULT NULL,
  `data2` varchar(100) DEFAULT NULL,
  `data3` varchar(100) DEFAULT NULL,
  `data4` varchar(100) DEFAULT NULL,
  `data5` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`)
) DEFAULT CHARSET=utf8mb4
"""

CDR_COLS = ("calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "duration",
            "billsec", "disposition", "uniqueid", "did", "recordingfile", "cnum", "linkedid", "sequence")
CDR_ROWS = [
    ("2026-05-04 10:00:08", '"Caller" <0607777777>', "0607777777", "600", "from-queue",
     "Local/101@from-queue-00000031;2", "PJSIP/101-00000032", "Dial", "PJSIP/101,,tr", 122, 120, "ANSWERED",
     "1777878000.31", "", "", "0607777777", "1777878000.30", 31),
    ("2026-05-04 10:00:00", '"Caller" <0607777777>', "0607777777", "600", "ext-queues",
     "PJSIP/provider-00000030", "Local/101@from-queue-00000031;1", "Queue", "600,t,,,300", 130, 120, "ANSWERED",
     "1777878000.30", "0212345670", "q-600-0607777777-20260504-100000-1777878000.30.wav", "0607777777",
     "1777878000.30", 30),
    ("2026-05-04 10:10:00", '"Other" <0608888888>', "0608888888", "600", "ext-queues", "PJSIP/provider-00000040",
     "", "Queue", "600,t,,,300", 25, 25, "ANSWERED", "1777878600.40", "0212345670", "", "0608888888",
     "1777878600.40", 40),
]
LATE_ROW = ("2026-05-04 10:20:00", '"Eva" <102>', "102", "0777000111", "from-internal", "PJSIP/102-00000050",
            "PJSIP/provider-00000051", "Dial", "PJSIP/0777000111@provider", 12, 0, "NO ANSWER", "1777879200.50", "",
            "", "102", "1777879200.50", 50)

QUEUE_LOG_ROWS = [  # (time local, callid, queuename, agent, event, data1..data5)
    ("2026-05-04 10:00:00", "1777878000.30", "600", "NONE", "ENTERQUEUE", "", "0607777777", "1", None, None),
    ("2026-05-04 10:00:05", "1777878000.30", "600", "PJSIP/102", "RINGNOANSWER", "5000", None, None, None, None),
    ("2026-05-04 10:00:10", "1777878000.30", "600", "PJSIP/101", "CONNECT", "10", "1777878000.31", "3", None, None),
    ("2026-05-04 10:02:10", "1777878000.30", "600", "PJSIP/101", "COMPLETECALLER", "10", "120", "1", None, None),
    ("2026-05-04 10:05:00", "NONE", "600", "PJSIP/103", "ADDMEMBER", "", None, None, None, None),
    ("2026-05-04 10:10:00", "1777878600.40", "600", "NONE", "ENTERQUEUE", "", "0608888888", "1", None, None),
    ("2026-05-04 10:10:25", "1777878600.40", "600", "NONE", "ABANDON", "1", "1", "25", None, None),
]


def _fill(url: str) -> sa.Engine:
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql(FREEPBX_CDR_DDL)
        conn.exec_driver_sql(QUEUE_LOG_DDL)
        _insert_cdr(conn, CDR_ROWS)
        conn.execute(sa.text("INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3, "
                             "data4, data5) VALUES (:t, :c, :q, :a, :e, :d1, :d2, :d3, :d4, :d5)"),
                     [dict(zip(("t", "c", "q", "a", "e", "d1", "d2", "d3", "d4", "d5"), r)) for r in QUEUE_LOG_ROWS])
    return eng


def _insert_cdr(conn, rows) -> None:
    names = ", ".join(f"`{c}`" for c in CDR_COLS)
    params = ", ".join(f":{c}" for c in CDR_COLS)
    conn.execute(sa.text(f"INSERT INTO cdr ({names}) VALUES ({params})"), [dict(zip(CDR_COLS, r)) for r in rows])


def test_freepbx_mariadb_cdr_and_queue_log(engine, mysql_url):
    src = _fill(mysql_url)
    st = import_cdr_db(engine, mysql_url, source_tz="Europe/Prague")
    assert (st.lines_read, st.calls_added, st.lines_rejected, st.layout) == (3, 2, 0, "CDR table cdr (26 columns)")
    got = calls(engine)
    q = got["1777878000.30"]
    assert (q.start_utc, q.answer_utc, q.end_utc) == (D(2026, 5, 4, 8), D(2026, 5, 4, 8, 0, 10),
                                                      D(2026, 5, 4, 8, 2, 10))
    assert (q.direction, q.status, q.ring_s, q.talk_s, q.queue, q.answered_by, q.did, q.from_number,
            q.has_recording) == ("inbound", "answered", 10, 120, "600", "101", "0212345670", "0607777777", True)
    a = got["1777878600.40"]
    assert (a.status, a.ring_s, a.talk_s, a.queue, a.answered_by) == ("abandoned", 25, 0, "600", None)
    assert count(engine, s.call_leg) == 3

    st = import_queue_log_db(engine, mysql_url, source_tz="Europe/Prague")
    assert (st.lines_read, st.calls_added, st.sessions, st.lines_rejected) == (7, 2, 1, 0)
    with engine.connect() as conn:
        qc = {r.call_uid: r for r in conn.execute(sa.select(s.queue_call))}
        call_ids = dict(conn.execute(sa.select(s.call.c.call_uid, s.call.c.id)).all())
        attempts = conn.execute(sa.select(s.queue_attempt.c.agent, s.queue_attempt.c.ring_ms,
                                          s.queue_attempt.c.result)).all()
    one, two = qc["1777878000.30"], qc["1777878600.40"]
    assert (one.outcome, one.agent, one.wait_s, one.talk_s, one.enter_utc, one.call_id) == (
        "answered", "101", 10, 120, D(2026, 5, 4, 8), call_ids["1777878000.30"])
    assert (two.outcome, two.wait_s, two.exit_utc, two.call_id) == ("abandoned", 25, D(2026, 5, 4, 8, 10, 25),
                                                                    call_ids["1777878600.40"])
    assert attempts == [("102", 5000, "ring_no_answer")]

    # The PBX writes one more CDR; no key column: the recent rows are read again and skipped.
    with src.begin() as conn:
        _insert_cdr(conn, [LATE_ROW])
    st = import_cdr_db(engine, mysql_url, source_tz="Europe/Prague")
    assert (st.lines_read, st.calls_added, st.duplicates_skipped) == (4, 1, 3)
    late = calls(engine)["1777879200.50"]
    assert (late.direction, late.status, late.extension, late.to_number, late.ring_s) == (
        "outbound", "no_answer", "102", "0777000111", 12)
    # The queue_log table has an id: nothing new, nothing read.
    st = import_queue_log_db(engine, mysql_url, source_tz="Europe/Prague")
    assert (st.lines_read, st.calls_added) == (0, 0)
    assert count(engine, s.call) == 3 and count(engine, s.queue_call) == 2
    assert_aggregates_match_calls(engine)
    src.dispose()

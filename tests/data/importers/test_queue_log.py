"""queue_log import on SQLite and PostgreSQL against a hand-written fixture (times UTC).

fixtures/queue_log, by hand:
- 1780000000.1: entered 600 at 07:00:02, 101 rang 5 s without answer, "Jana Novak" was
  unavailable (RINGNOANSWER 0), 103 (Local channel member) answered after 13 s hold, 104's
  ringing was cancelled after 8 s, caller hung up after 180 s of talk.
- q2 abandoned after 25 s (the ABANDON line appears twice); q3 never left (no exit line, and
  the log ends: still waiting); q4 answered by 104 after 4 s, blind-transferred to 200 after 60 s; q5 left
  with key 5 after 10 s; q6 answered by 101 after 3 s, attended transfer (LINK form) after 47 s.
- 101 was a member of 600 06:50-08:00 and paused (all queues) 07:55-07:58 for Lunch;
  Agent/1141 logged in at 06:55 and never out; Jana Novak paused in 600 at 07:05 (still).
- Lines 13 (epoch not a number) and 28 (too few fields) are bad; 29 housekeeping (3, the
  restart, closes nothing: no queue call was open);
  18 blank.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from data import schema as s
from data.importers.asterisk.cdr_file import import_cdr_file
from data.importers.base import ImportFailed
from data.importers.queue_log import import_queue_log_file

FIX = Path(__file__).parent / "fixtures"
D = datetime


def queue_calls(engine) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r.call_uid: r for r in conn.execute(sa.select(s.queue_call))}


def rows(engine, stmt) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def test_queue_log_builds_queue_calls_attempts_sessions_pauses(engine, tmp_path):
    rejects = tmp_path / "rej"
    st = import_queue_log_file(engine, FIX / "queue_log", rejects_path=rejects)
    assert (st.lines_read, st.calls_added, st.lines_rejected, st.skipped, st.blank_lines) == (29, 6, 2, 1, 1)
    assert sorted(dict(st.rejects)) == [13, 28]
    assert b"queue_log:13: time is not a Unix epoch" in rejects.read_bytes()
    qc = queue_calls(engine)
    a = qc["1780000000.1"]
    assert (a.outcome, a.agent, a.wait_s, a.talk_s) == ("answered", "103", 13, 180)
    assert (a.enter_utc, a.exit_utc, a.caller_number, a.orig_position) == (D(2026, 6, 1, 7, 0, 2),
                                                                            D(2026, 6, 1, 7, 3, 15), "0601111111", 1)
    q2 = qc["q2"]
    assert (q2.outcome, q2.wait_s, q2.position, q2.orig_position, q2.exit_utc) == ("abandoned", 25, 2, 1,
                                                                                   D(2026, 6, 1, 7, 10, 25))
    q3 = qc["q3"]
    # Issue 14 rule 8: still waiting at the end of the data is 'waiting' with its wait not
    # known yet (was 'unknown' with a wait of 0, averaged in as 0).
    assert (q3.outcome, q3.exit_utc, q3.wait_s, q3.talk_s) == ("waiting", None, None, None)
    q4 = qc["q4"]
    assert (q4.outcome, q4.agent, q4.wait_s, q4.talk_s, q4.transferred_to) == ("answered", "104", 4, 60, "200")
    q5 = qc["q5"]
    assert (q5.outcome, q5.exit_key, q5.wait_s) == ("exit_key", "5", 10)
    q6 = qc["q6"]
    # Transferred to the endpoint of the LINK's second channel (issue 14: was the channel name
    # "PJSIP/300-00000002", which a user cannot read as a destination).
    assert (q6.outcome, q6.agent, q6.wait_s, q6.talk_s, q6.transferred_to) == ("answered", "101", 3, 47, "300")
    qa = s.queue_attempt
    assert sorted(rows(engine, sa.select(qa.c.agent, qa.c.ring_ms, qa.c.result, qa.c.queue))) == [
        ("101", 5000, "ring_no_answer", "600"), ("104", 8000, "ring_cancelled", "600"),
        ("Jana Novak", 0, "unavailable", "600")]
    ses = s.agent_session
    assert sorted(rows(engine, sa.select(ses.c.agent, ses.c.queue, ses.c.login_utc, ses.c.logout_utc)),
                  key=lambda r: r[0]) == [
        ("101", "600", D(2026, 6, 1, 6, 50), D(2026, 6, 1, 8, 0)), ("1141", None, D(2026, 6, 1, 6, 55), None)]
    pau = s.agent_pause
    assert sorted(rows(engine, sa.select(pau.c.agent, pau.c.queue, pau.c.start_utc, pau.c.end_utc, pau.c.reason)),
                  key=lambda r: r[0]) == [
        ("101", None, D(2026, 6, 1, 7, 55), D(2026, 6, 1, 7, 58), "Lunch"),
        ("Jana Novak", "600", D(2026, 6, 1, 7, 5), None, "Break")]
    # Queue aggregates for 07:00-08:00 UTC, worked out from the list above.
    aq = s.agg_queue_hour
    got = rows(engine, sa.select(aq.c.outcome, aq.c.calls, aq.c.wait_s, aq.c.talk_s, aq.c.within_sl,
                                 aq.c.short_abandons).where(aq.c.queue == "600").order_by(aq.c.outcome))
    # q3 (still waiting) is its own 'waiting' row, with no wait (issue 14: it was 'unknown', 0 s).
    assert [tuple(int(x) if not isinstance(x, str) else x for x in r) for r in got] == [
        ("abandoned", 1, 25, 0, 0, 0), ("answered", 3, 20, 287, 3, 0), ("exit_key", 1, 10, 0, 0, 0),
        ("waiting", 1, 0, 0, 0, 0)]
    got = rows(engine, sa.select(aq.c.outcome, aq.c.talked, aq.c.open_calls).where(aq.c.queue == "600")
               .order_by(aq.c.outcome))
    assert [tuple(r) for r in got] == [("abandoned", 0, 0), ("answered", 3, 0), ("exit_key", 0, 0), ("waiting", 0, 1)]


def test_queue_log_reimport_and_incremental(engine, tmp_path):
    lines = (FIX / "queue_log").read_bytes().splitlines(keepends=True)
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(lines[:8]))  # up to and including the CONNECT of the first call
    st1 = import_queue_log_file(engine, path)
    assert st1.calls_added == 1
    assert (queue_calls(engine)["1780000000.1"].outcome, queue_calls(engine)["1780000000.1"].exit_utc) == (
        "answered", None)
    path.write_bytes(b"".join(lines))
    st2 = import_queue_log_file(engine, path)
    assert st2.lines_read == len(lines) - 8 and st2.calls_added == 5
    a = queue_calls(engine)["1780000000.1"]
    assert (a.talk_s, a.exit_utc) == (180, D(2026, 6, 1, 7, 3, 15))
    # A copy (no remembered position) adds nothing.
    other = tmp_path / "copy"
    shutil.copy(path, other)
    st3 = import_queue_log_file(engine, other)
    assert (st3.calls_added, st3.calls_updated) == (0, 0)
    with engine.connect() as conn:
        n = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
             for t in (s.queue_call, s.queue_attempt, s.agent_session, s.agent_pause)}
    assert n == {"queue_call": 6, "queue_attempt": 3, "agent_session": 2, "agent_pause": 2}


@pytest.mark.parametrize("cdr_first", [True, False])
def test_queue_calls_link_to_their_cdr_either_order(engine, cdr_first):
    if cdr_first:
        import_cdr_file(engine, FIX / "csv21_local.csv")
        import_queue_log_file(engine, FIX / "queue_log")
    else:
        import_queue_log_file(engine, FIX / "queue_log")
        import_cdr_file(engine, FIX / "csv21_local.csv")
    qc, c = s.queue_call, s.call
    linked = rows(engine, sa.select(qc.c.call_uid, c.c.call_uid).join(c, c.c.id == qc.c.call_id))
    assert linked == [("1780000000.1", "1780000000.1")]


def test_not_a_queue_log_writes_nothing(engine, tmp_path):
    with pytest.raises(ImportFailed, match="not a queue_log"):
        import_queue_log_file(engine, FIX / "csv16_local.csv")
    with pytest.raises(ImportFailed, match="no such file"):
        import_queue_log_file(engine, tmp_path / "missing")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.source)).scalar() == 0


def test_cli_queue_log(db_url, tmp_path):
    from callboard.cli import app

    res = CliRunner().invoke(app, ["import", "queue-log", str(FIX / "queue_log"), "--rejects", str(tmp_path / "r"),
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "queue calls added 6" in res.output and "lines rejected 2" in res.output
    res = CliRunner().invoke(app, ["import", "queue-log", str(tmp_path / "none"), "--no-progress"])
    assert res.exit_code == 2


@pytest.mark.parametrize("single_data_column", [False, True])
def test_queue_log_realtime_table(engine, tmp_path, single_data_column):
    """The same events as fixtures/queue_log, from a realtime table with local (Prague) times."""
    from zoneinfo import ZoneInfo

    from data.importers.queue_log import import_queue_log_db

    url = f"sqlite:///{tmp_path / 'rt.sqlite'}"
    src = sa.create_engine(url)
    md = sa.MetaData()
    data_cols = ([sa.Column("data", sa.String(200))] if single_data_column
                 else [sa.Column(f"data{i}", sa.String(80)) for i in range(1, 6)])
    t = sa.Table("queue_log", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("time", sa.String(26)),
                 sa.Column("callid", sa.String(80)), sa.Column("queuename", sa.String(32)),
                 sa.Column("agent", sa.String(80)), sa.Column("event", sa.String(32)), *data_cols)
    md.create_all(src)
    prague = ZoneInfo("Europe/Prague")
    rows = []
    for line in (FIX / "queue_log").read_text().splitlines():
        p = line.split("|")
        if len(p) < 5 or not p[0].isdigit():
            continue
        local = datetime.fromtimestamp(int(p[0]), prague).replace(tzinfo=None)
        r = dict(time=local.isoformat(sep=" ") + ".000000", callid=p[1], queuename=p[2], agent=p[3], event=p[4])
        if single_data_column:
            r["data"] = "|".join(p[5:])
        else:
            for i in range(5):
                r[f"data{i + 1}"] = p[5 + i] if 5 + i < len(p) else ""
            if len(p) > 10:  # overflow goes into data5
                r["data5"] = "|".join(p[9:])
        rows.append(r)
    with src.begin() as conn:
        conn.execute(t.insert(), rows)
    st = import_queue_log_db(engine, url, source_tz="Europe/Prague")
    assert (st.calls_added, st.lines_rejected) == (6, 0)
    qc = queue_calls(engine)
    assert (qc["1780000000.1"].enter_utc, qc["1780000000.1"].talk_s) == (D(2026, 6, 1, 7, 0, 2), 180)
    assert qc["q6"].transferred_to == "300"
    assert qc["q3"].outcome == "waiting"  # still waiting at the end (issue 14; was 'unknown')
    again = import_queue_log_db(engine, url, source_tz="Europe/Prague")
    assert (again.lines_read, again.calls_added) == (0, 0)
    src.dispose()


def test_cli_queue_log_needs_a_file_or_a_database(db_url, tmp_path):
    from callboard.cli import app

    res = CliRunner().invoke(app, ["import", "queue-log", "--no-progress"])
    assert res.exit_code == 2 and "either a queue_log file or --from-db" in res.output
    url = f"sqlite:///{tmp_path / 'none.sqlite'}"
    res = CliRunner().invoke(app, ["import", "queue-log", "--from-db", url, "--no-progress"])
    assert res.exit_code == 2 and "no table 'queue_log'" in res.output

"""Callboard's own call-records CSV back in: the round trip, and a hand-written Czech Excel file.

fixtures/callboard_export_cs.csv (Czech headers and labels, BOM, ``;``, CRLF), by hand —
2026-03-29 is the day Prague moves from CET (UTC+1) to CEST (UTC+2) at 02:00:

- line 2: rt-1 at 01:30 local = 00:30 UTC (still CET), from +420601000001 (the export wrote
  ``'+420...``: formula neutralisation, taken off again), inbound on DID 0212345670 via trunk
  provider, answered: ring 5, talk 60, duration 65 -> answer 00:30:05, end 00:31:05 UTC.
- line 3: rt-2 at 03:10 local = 01:10 UTC (CEST), 101 -> 00420777000111 outbound, no answer
  after 20 s, outbound caller ID 0212345600, trunk provider, phone 10.0.0.5, PIN 1234
  -> extension 101.
- line 4 impossible date (Feb 30), line 5 an unknown status, line 6 three cells, line 9
  ring + talk longer than the duration: rejected with their line numbers. Line 7 blank.
- line 8: no call ID (-> a stable hash), 09:00 local = 07:00 UTC, internal 101 -> 102 (Eva),
  answered after 10 s, 20 s talk -> extension 101, peer and answered by 102.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from data import db
from data import schema as s
from data.importers.asterisk.cdr_file import import_cdr_file
from data.importers.base import ImportFailed
from data.importers.callboard_csv import import_callboard_csv
from data.queries.calls import ALL_COLUMNS, CallFilter
from data.scope import Scope
from exporters.csv_export import write_cdr_csv
from tests.data.importers.asterisk.test_cdr_file import FIX, assert_aggregates_match_calls, calls, count

D = datetime
PRAGUE = ZoneInfo("Europe/Prague")


def _export(engine, path: Path, lang: str, excel: bool) -> bytes:
    write_cdr_csv(path, Scope.everything(), CallFilter(), ALL_COLUMNS, lang=lang, excel=excel, engine=engine,
                  tz=PRAGUE)
    return path.read_bytes()


@pytest.mark.parametrize("lang,excel", [("en", False), ("cs", True)])
def test_export_import_export_gives_the_same_file(engine, tmp_path, request, lang, excel):
    import_cdr_file(engine, FIX / "csv21_local.csv")
    import_cdr_file(engine, FIX / "csv21_queue_outcomes.csv", source_tz="UTC")
    first = _export(engine, tmp_path / "first.csv", lang, excel)
    n = count(engine, s.call)

    # Into another (SQLite) Callboard, then out again.
    other_path = tmp_path / "other.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), other_path)
    other = db.get_engine(f"sqlite:///{other_path}")
    st = import_callboard_csv(other, tmp_path / "first.csv")
    assert (st.calls_added, st.lines_rejected, st.lines_read) == (n, 0, n + 1)
    assert _export(other, tmp_path / "second.csv", lang, excel) == first
    assert_aggregates_match_calls(other)
    # The transfer targets (test_queue_outcomes: .5 to 200, .9 to 103) came along.
    moved = {uid: r.transferred_to for uid, r in calls(other).items() if r.transferred_to}
    assert moved == {"1780389000.5": "200", "1780389600.9": "103"}

    # Into the one it came from: every call is already there.
    st = import_callboard_csv(engine, tmp_path / "first.csv")
    assert (st.calls_added, st.duplicates_skipped) == (0, n)
    assert count(engine, s.call) == n


def test_czech_excel_export_by_hand(engine, tmp_path):
    rejects = tmp_path / "rejects"
    st = import_callboard_csv(engine, FIX / "callboard_export_cs.csv", rejects_path=rejects)
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (9, 3, 4)
    assert dict(st.rejects) == {
        4: "impossible start time '2026-02-30 10:00:00'",
        5: "unknown status 'Snad'",
        6: "wrong column count 3 (the header has 19)",
        9: "ring 8 s + talk 5 s longer than the duration 10 s",
    }
    assert b"callboard_export_cs.csv:5: unknown status 'Snad'" in rejects.read_bytes()
    got = calls(engine)
    one = got["rt-1"]
    assert (one.start_utc, one.answer_utc, one.end_utc) == (D(2026, 3, 29, 0, 30), D(2026, 3, 29, 0, 30, 5),
                                                            D(2026, 3, 29, 0, 31, 5))
    assert (one.from_number, one.from_name, one.to_number, one.did, one.src_trunk, one.direction, one.status,
            one.ring_s, one.talk_s, one.extension) == ("+420601000001", "Jan", "0212345670", "0212345670",
                                                       "provider", "inbound", "answered", 5, 60, None)
    two = got["rt-2"]
    assert (two.start_utc, two.answer_utc, two.end_utc, two.direction, two.status, two.extension, two.outbound_cid,
            two.dst_trunk, two.caller_ip, two.pin, two.ring_s) == (
        D(2026, 3, 29, 1, 10), None, D(2026, 3, 29, 1, 10, 20), "outbound", "no_answer", "101", "0212345600",
        "provider", "10.0.0.5", "1234", 20)
    (uid,) = [u for u in got if u.startswith("csv-")]
    three = got[uid]
    assert (three.start_utc, three.direction, three.extension, three.peer_extension, three.answered_by,
            three.to_name, three.talk_s) == (D(2026, 3, 29, 7), "internal", "101", "102", "102", "Eva", 20)
    assert_aggregates_match_calls(engine)
    again = import_callboard_csv(engine, FIX / "callboard_export_cs.csv")
    assert (again.lines_read, again.calls_added) == (0, 0)  # nothing new in the file


def test_not_an_export_writes_nothing(engine, tmp_path):
    with pytest.raises(ImportFailed, match="not a call-records CSV exported by Callboard"):
        import_callboard_csv(engine, FIX / "csv21_local.csv")
    with pytest.raises(ImportFailed, match="no such file"):
        import_callboard_csv(engine, tmp_path / "missing.csv")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.source)).scalar() == 0


def test_cli_import_callboard_csv(db_url, tmp_path):
    from callboard.cli import app

    res = CliRunner().invoke(app, ["import", "callboard-csv", str(FIX / "callboard_export_cs.csv"),
                                   "--rejects", str(tmp_path / "r"), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "calls added 3" in res.output and "lines rejected 4" in res.output
    assert "callboard_export_cs.csv:5: unknown status 'Snad'" in res.output
    res = CliRunner().invoke(app, ["import", "callboard-csv", str(FIX / "queue_log")])
    assert res.exit_code == 2 and "not a call-records CSV" in res.output

"""Asterisk CDR import on SQLite and PostgreSQL, against hand-written fixtures.

Every expected value below is worked out by hand from the fixture lines (times: Prague is
UTC+1 in winter, UTC+2 from 29 March to 25 October 2026).
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

FIX = Path(__file__).parent.parent / "fixtures"
D = datetime


def calls(engine) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r.call_uid: r for r in conn.execute(sa.select(s.call).order_by(s.call.c.start_utc))}


def legs(engine, uid: str) -> list[sa.Row]:
    c, cl = s.call, s.call_leg
    with engine.connect() as conn:
        return list(conn.execute(
            sa.select(cl).join(c, c.c.id == cl.c.call_id).where(c.c.call_uid == uid).order_by(cl.c.seq)
        ))


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def assert_aggregates_match_calls(engine) -> None:
    """agg_call_hour (owner rows) holds exactly the calls, per direction and status."""
    c, a = s.call, s.agg_call_hour
    with engine.connect() as conn:
        facts = {
            (r.direction, r.status): (r.n, r.dur, r.talk)
            for r in conn.execute(
                sa.select(c.c.direction, c.c.status, sa.func.count().label("n"),
                          sa.func.sum(c.c.duration_s).label("dur"), sa.func.sum(c.c.talk_s).label("talk"))
                .group_by(c.c.direction, c.c.status)
            )
        }
        aggs = {
            (r.direction, r.status): (r.n, r.dur, r.talk)
            for r in conn.execute(
                sa.select(a.c.direction, a.c.status, sa.func.sum(a.c.calls).label("n"),
                          sa.func.sum(a.c.duration_s).label("dur"), sa.func.sum(a.c.talk_s).label("talk"))
                .where(a.c.party == "owner").group_by(a.c.direction, a.c.status)
            )
        }
    assert {k: tuple(int(x) for x in v) for k, v in aggs.items()} == {
        k: tuple(int(x) for x in v) for k, v in facts.items()
    }


def copy_fixture(name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copy(FIX / name, dst)
    return dst


# --------------------------------------------------------------------------- layouts


def test_csv16_local_time(engine):
    st = import_cdr_file(engine, FIX / "csv16_local.csv", source_tz="Europe/Prague")
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (3, 3, 0)
    assert st.layout.startswith("cdr_csv")
    got = sorted(calls(engine).values(), key=lambda r: r.start_utc)
    inbound, outbound, internal = got
    # 10:00 CEST = 08:00 UTC; 5 s ringing, 60 s talk.
    assert (inbound.direction, inbound.status) == ("inbound", "answered")
    assert (inbound.start_utc, inbound.answer_utc, inbound.end_utc) == (D(2026, 5, 4, 8), D(2026, 5, 4, 8, 0, 5),
                                                                       D(2026, 5, 4, 8, 1, 5))
    assert (inbound.duration_s, inbound.ring_s, inbound.talk_s) == (65, 5, 60)
    assert (inbound.extension, inbound.did, inbound.src_trunk) == ("101", "0212345678", "provider")
    assert (inbound.from_number, inbound.from_name) == ("0601234567", "Alice")
    assert (outbound.direction, outbound.status, outbound.start_utc) == ("outbound", "busy", D(2026, 5, 4, 9, 30))
    assert (outbound.extension, outbound.dst_trunk, outbound.to_number) == ("101", "provider", "00420777111222")
    assert (outbound.duration_s, outbound.ring_s, outbound.talk_s, outbound.answer_utc) == (10, 10, 0, None)
    assert (internal.direction, internal.status) == ("internal", "no_answer")
    assert (internal.extension, internal.peer_extension, internal.did) == ("101", "102", None)
    assert_aggregates_match_calls(engine)


def test_csv18_gmt_parallel_ring_legs_and_cancel(engine):
    st = import_cdr_file(engine, FIX / "csv18_gmt.csv", source_tz="UTC")
    assert (st.lines_read, st.calls_added, st.legs_added) == (4, 3, 4)
    got = calls(engine)
    carol = got["1767600000.1"]
    # usegmtime: the file's times are stored unchanged.
    assert (carol.start_utc, carol.end_utc, carol.talk_s, carol.ring_s) == (D(2026, 1, 5, 8), D(2026, 1, 5, 8, 2, 10),
                                                                            120, 10)
    assert (carol.direction, carol.extension, carol.did) == ("inbound", "102", "0212345678")
    # Two parallel ring legs (101 no answer, 102 answered) are one call.
    dave = got["1767603600.5"]
    assert (dave.status, dave.extension, dave.answered_by) == ("answered", "102", "102")
    assert (dave.answer_utc, dave.duration_s, dave.ring_s, dave.talk_s) == (D(2026, 1, 5, 9, 0, 8), 60, 8, 52)
    dl = legs(engine, "1767603600.5")
    assert [(x.extension, x.status, x.ring_s, x.talk_s) for x in dl] == [("101", "no_answer", 8, 0),
                                                                          ("102", "answered", 8, 52)]
    eve = got["1767607200.7"]
    assert (eve.direction, eve.status, eve.extension) == ("outbound", "no_answer", "102")
    assert legs(engine, "1767607200.7")[0].status == "cancelled"
    assert_aggregates_match_calls(engine)


def test_same_file_local_time_shifts_by_the_zone(engine):
    """The --source-tz decides: read as Prague time (CET, UTC+1) the same line is an hour earlier."""
    import_cdr_file(engine, FIX / "csv18_gmt.csv", source_tz="Europe/Prague")
    assert calls(engine)["1767600000.1"].start_utc == D(2026, 1, 5, 7)


def test_csv21_local_halves_voicemail_out_of_order_duplicates(engine):
    st = import_cdr_file(engine, FIX / "csv21_local.csv")  # default zone: CALLBOARD_TIMEZONE = Prague
    assert (st.lines_read, st.blank_lines, st.calls_added, st.duplicates_skipped, st.lines_rejected) == (7, 1, 3, 1, 0)
    got = calls(engine)
    assert count(engine, s.call) == 3
    frank = got["1780000000.1"]  # queue call answered by 103 through a Local channel
    assert (frank.direction, frank.status, frank.queue, frank.destination_type) == ("inbound", "answered", "600",
                                                                                    "queue")
    assert (frank.start_utc, frank.answer_utc, frank.end_utc) == (D(2026, 6, 1, 7), D(2026, 6, 1, 7, 0, 15),
                                                                  D(2026, 6, 1, 7, 3, 15))
    assert (frank.duration_s, frank.ring_s, frank.talk_s) == (195, 15, 180)
    assert (frank.extension, frank.answered_by, frank.src_trunk, frank.from_name) == ("103", "103", "provider", "Frank")
    fl = legs(engine, "1780000000.1")
    assert [(x.channel, x.via_type) for x in fl] == [
        ("PJSIP/provider-00000001", "queue"), ("Local/103@from-queue-00000001;2", "direct")]
    gina = got["1780000100.1"]  # rang 104 for 20 s, then voicemail answered at 10:00:21
    assert (gina.status, gina.extension, gina.destination_type, gina.destination) == ("voicemail", "104",
                                                                                      "voicemail", "104")
    assert (gina.duration_s, gina.ring_s, gina.talk_s, gina.answer_utc) == (51, 21, 0, None)
    bob = got["1780000200.1"]
    assert (bob.direction, bob.extension, bob.peer_extension, bob.talk_s) == ("internal", "101", "102", 30)
    assert_aggregates_match_calls(engine)
    # Internal calls add a 'peer' row for the callee.
    a = s.agg_call_hour
    with engine.connect() as conn:
        peer = conn.execute(sa.select(a.c.extension, a.c.calls).where(a.c.party == "peer")).all()
    assert [tuple(r) for r in peer] == [("102", 1)]


def test_cdr_custom_quoted_empty_answer(engine):
    st = import_cdr_file(engine, FIX / "custom.csv", source_tz="Europe/Prague")
    assert (st.layout, st.calls_added) == ("cdr_custom", 2)
    got = calls(engine)
    hana = got["1772456400.11"]  # 14:00 CET = 13:00 UTC, answer written as ""
    assert (hana.start_utc, hana.answer_utc, hana.status, hana.ring_s) == (D(2026, 3, 2, 13), None, "no_answer", 25)
    assert (hana.direction, hana.extension, hana.did) == ("inbound", "105", "0212345678")
    ivan = got["1772460000.13"]
    assert (ivan.direction, ivan.status, ivan.account_code, ivan.dst_trunk) == ("outbound", "answered", "sales",
                                                                                "provider")
    assert (ivan.answer_utc, ivan.duration_s, ivan.ring_s, ivan.talk_s) == (D(2026, 3, 2, 14, 0, 7), 307, 7, 300)
    assert_aggregates_match_calls(engine)


def test_freepbx_export_header_null_literals_numeric_disposition(engine):
    st = import_cdr_file(engine, FIX / "freepbx_export.csv", source_tz="Europe/Prague")
    assert st.layout.startswith("CDR table export")
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (5, 4, 0)
    got = calls(engine)
    jan = got["1777878000.20"]  # only calldate: end = start + 70 s, answer = end - 62 s
    assert (jan.start_utc, jan.answer_utc, jan.end_utc) == (D(2026, 5, 4, 7), D(2026, 5, 4, 7, 0, 8),
                                                            D(2026, 5, 4, 7, 1, 10))
    assert (jan.ring_s, jan.talk_s, jan.did, jan.has_recording, jan.account_code) == (8, 62, "0212345670", True, None)
    bob = got["1777878600.22"]  # disposition 4 = BUSY, outbound caller ID from outbound_cnum
    assert (bob.direction, bob.status, bob.outbound_cid, bob.extension) == ("outbound", "busy", "0212345600", "101")
    karel = got["1777879200.24"]  # broken quoting around the caller ID still imports
    assert (karel.status, karel.from_number, karel.from_name, karel.did) == ("no_answer", "0605555555", "Karel",
                                                                             "0212345671")
    lida = got["1777879800.26"]  # disposition 8 = ANSWERED; NULL dstchannel: IVR only, no extension
    # Issue 14: BackGround ANSWERED without a called party is the PBX answering, not a
    # person — she hung up in the menu: abandoned, talk 0 (was "answered", talk 40). The IVR
    # answered straight in from-trunk is named by the number called.
    assert (lida.status, lida.extension, lida.to_number, lida.talk_s, lida.ring_s) == (
        "abandoned", None, "0212345678", 0, 40)
    assert (lida.ivr, lida.destination_type) == ("0212345678", "ivr")
    assert legs(engine, "1777879800.26")[0].dst_channel is None
    assert_aggregates_match_calls(engine)


# --------------------------------------------------------------------------- bad input


def test_bad_lines_rejected_with_line_numbers_rest_imported(engine, tmp_path):
    rejects = tmp_path / "rejects.txt"
    st = import_cdr_file(engine, FIX / "bad_lines.csv", source_tz="UTC", rejects_path=rejects)
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (7, 3, 4)
    reasons = dict(st.rejects)
    assert sorted(reasons) == [2, 3, 5, 7]
    assert "wrong column count 19" in reasons[2]
    assert "impossible start time" in reasons[3]
    assert "wrong column count 1 " in reasons[5]
    assert "broken quoting" in reasons[7]
    text = rejects.read_bytes()
    assert b"bad_lines.csv:3: impossible start time" in text
    assert b"hello world\n" in text
    got = calls(engine)
    assert set(got) == {"1770019200.101", "1770020100.107", "1770020400.109"}
    # Non-UTF-8 bytes (Latin-1 e-acute) are replaced, the line is kept.
    assert got["1770020100.107"].from_name == "Ren\ufffd"
    assert got["1770020100.107"].status == "busy"
    assert_aggregates_match_calls(engine)


def test_unknown_layout_and_unreadable_file_write_nothing(engine, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_text("name,age\nalice,3\nbob,4\n")
    with pytest.raises(ImportFailed, match="unknown CDR layout"):
        import_cdr_file(engine, junk)
    with pytest.raises(ImportFailed, match="no such file"):
        import_cdr_file(engine, tmp_path / "missing.csv")
    with pytest.raises(ImportFailed, match="directory"):
        import_cdr_file(engine, tmp_path)
    for table in (s.call, s.source, s.import_state, s.agg_call_hour):
        assert count(engine, table) == 0


# --------------------------------------------------------------------------- idempotent, incremental


def test_reimport_adds_nothing(engine, tmp_path):
    path = copy_fixture("csv21_local.csv", tmp_path)
    import_cdr_file(engine, path)
    again = import_cdr_file(engine, path)
    assert (again.lines_read, again.calls_added) == (0, 0)  # nothing new since the last import
    # A copy elsewhere (no remembered position) is read whole, and adds nothing either.
    other = tmp_path / "copy.csv"
    shutil.copy(path, other)
    st = import_cdr_file(engine, other)
    assert (st.lines_read, st.calls_added, st.calls_updated, st.duplicates_skipped) == (7, 0, 0, 6)
    assert count(engine, s.call) == 3 and count(engine, s.call_leg) == 5
    assert_aggregates_match_calls(engine)


def test_appended_lines_import_incrementally_and_merge_into_known_calls(engine, tmp_path):
    lines = (FIX / "csv21_local.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "Master.csv"
    # First import: Bob's call and the Local ;2 half of Frank's call (its caller row comes later).
    path.write_bytes(b"".join(lines[:2]))
    st1 = import_cdr_file(engine, path)
    assert (st1.lines_read, st1.calls_added) == (2, 2)
    assert calls(engine)["1780000000.1"].extension == "103"
    # The PBX appends the rest.
    path.write_bytes(b"".join(lines))
    st2 = import_cdr_file(engine, path)
    assert st2.resumed_at == len(lines[0]) + len(lines[1])
    assert (st2.lines_read, st2.calls_added, st2.calls_updated, st2.duplicates_skipped) == (5, 1, 1, 1)
    frank = calls(engine)["1780000000.1"]
    # Merged: now starts with the caller's row, inbound from the trunk, through queue 600.
    assert (frank.start_utc, frank.direction, frank.queue, frank.from_name) == (D(2026, 6, 1, 7), "inbound", "600",
                                                                                 "Frank")
    assert (frank.duration_s, frank.ring_s, frank.talk_s, frank.extension) == (195, 15, 180, "103")
    assert len(legs(engine, "1780000000.1")) == 2
    assert count(engine, s.call) == 3
    assert_aggregates_match_calls(engine)
    # The per-file position is remembered.
    with engine.connect() as conn:
        st = conn.execute(sa.select(s.import_state)).one()
    assert (st.kind, st.position, st.lines) == ("asterisk-cdr", path.stat().st_size, 7)


def test_rotated_file_starts_over(engine, tmp_path):
    path = tmp_path / "Master.csv"
    shutil.copy(FIX / "csv16_local.csv", path)
    import_cdr_file(engine, path)
    # logrotate: a new file with other content under the same name.
    shutil.copy(FIX / "csv18_gmt.csv", path)
    st = import_cdr_file(engine, path, source_tz="UTC")
    assert st.restarted and st.resumed_at == 0
    assert (st.lines_read, st.calls_added) == (4, 3)
    assert count(engine, s.call) == 6


def test_small_batches_commit_separately_and_merge_across_batches(engine, tmp_path):
    st = import_cdr_file(engine, FIX / "csv21_local.csv", batch_lines=2)
    assert st.batches == 4
    assert count(engine, s.call) == 3 and count(engine, s.call_leg) == 5
    frank = calls(engine)["1780000000.1"]
    assert (frank.direction, frank.duration_s, frank.extension, frank.queue) == ("inbound", 195, "103", "600")
    assert_aggregates_match_calls(engine)


def test_sources_keep_calls_apart(engine):
    import_cdr_file(engine, FIX / "csv18_gmt.csv", source="prague", source_tz="UTC")
    import_cdr_file(engine, FIX / "csv18_gmt.csv", source="brno", source_tz="UTC")
    with engine.connect() as conn:
        per = dict(conn.execute(
            sa.select(s.source.c.name, sa.func.count()).join(s.call, s.call.c.source_id == s.source.c.id)
            .group_by(s.source.c.name)
        ).all())
    assert per == {"prague": 3, "brno": 3}


def test_rules_file_changes_extension_pattern(engine, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('extension_pattern = "^1[0-9]{2}$"\ntrunks = ["101"]\n')
    import_cdr_file(engine, FIX / "csv16_local.csv", source_tz="Europe/Prague", rules=rules)
    by_start = sorted(calls(engine).values(), key=lambda r: r.start_utc)
    # 101 is declared a trunk: the first call is inbound with no extension known.
    assert by_start[0].extension is None


# --------------------------------------------------------------------------- CLI


def test_cli_import_summary_rejects_and_exit_codes(db_url, tmp_path):
    from callboard.cli import app

    runner = CliRunner()
    rejects = tmp_path / "r.txt"
    res = runner.invoke(app, ["import", "asterisk-cdr", str(FIX / "bad_lines.csv"), "--source-tz", "UTC",
                              "--rejects", str(rejects), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "calls added 3" in res.output and "lines rejected 4" in res.output
    assert "bad_lines.csv:3: impossible start time" in res.output
    assert rejects.exists()
    res = runner.invoke(app, ["import", "asterisk-cdr", str(tmp_path / "nope.csv"), "--no-progress"])
    assert res.exit_code == 2
    assert "no such file" in res.output
    junk = tmp_path / "junk.txt"
    junk.write_text("just some text\n")
    res = runner.invoke(app, ["import", "asterisk-cdr", str(junk), "--no-progress"])
    assert res.exit_code == 2 and "unknown CDR layout" in res.output


# --------------------------------------------------------------------------- grouping without linkedid


def test_local_halves_without_linkedid_join_the_dialling_call(engine):
    """18 columns (no linkedid): the ;2 row has its own uniqueid but joins the call that
    dialled its ;1 half."""
    st = import_cdr_file(engine, FIX / "csv18_local_halves.csv", source_tz="UTC")
    assert (st.calls_added, st.legs_added) == (1, 2)
    zed = calls(engine)["1767693600.11"]
    assert (zed.direction, zed.status, zed.extension, zed.queue) == ("inbound", "answered", "105", "600")
    assert (zed.start_utc, zed.duration_s, zed.ring_s, zed.talk_s) == (D(2026, 1, 6, 10), 68, 8, 60)


def test_parallel_legs_without_uniqueid_are_one_call_and_reimport_adds_nothing(engine, tmp_path):
    """16 columns (no uniqueid): legs of the same caller channel and start are one call."""
    st = import_cdr_file(engine, FIX / "csv16_parallel.csv", source_tz="UTC")
    assert (st.calls_added, st.legs_added) == (1, 2)
    (dave,) = calls(engine).values()
    assert dave.call_uid.startswith("h")
    assert (dave.status, dave.extension, dave.talk_s, dave.ring_s) == ("answered", "102", 52, 8)
    again = import_cdr_file(engine, copy_fixture("csv16_parallel.csv", tmp_path), source_tz="UTC")
    assert (again.calls_added, again.duplicates_skipped) == (0, 2)


def test_unknown_source_zone_is_refused(engine):
    with pytest.raises(ImportFailed, match="unknown time zone"):
        import_cdr_file(engine, FIX / "csv16_parallel.csv", source_tz="Mars/Olympus")


def test_local_times_around_dst_changes():
    from zoneinfo import ZoneInfo

    from data.importers.asterisk.parse import make_time_parser

    parse = make_time_parser(ZoneInfo("Europe/Prague"))
    assert parse("2026-03-29 01:59:59") == D(2026, 3, 29, 0, 59, 59)  # CET
    assert parse("2026-03-29 03:00:00") == D(2026, 3, 29, 1, 0, 0)  # CEST
    # 02:30 on 25 October happens twice; a CDR cannot say which: the first (CEST) is taken.
    assert parse("2026-10-25 02:30:00") == D(2026, 10, 25, 0, 30)
    assert parse("2026-10-25 03:30:00") == D(2026, 10, 25, 2, 30)
    assert parse("2026-10-25T02:30:00+01:00") == D(2026, 10, 25, 1, 30)  # explicit offsets win


def test_example_rules_file_equals_the_defaults():
    from data.importers.rules import DEFAULTS, load_rules

    example = Path(__file__).resolve().parents[4] / "data" / "importers" / "asterisk_rules.example.toml"
    loaded = load_rules(example)
    assert {k: getattr(loaded, k) for k in DEFAULTS} == DEFAULTS
    r = loaded
    # (kind, name, sure): sure is False when only the extension pattern decided (issue 14:
    # the call's own legs may still show a non-numeric phone or a numeric trunk).
    assert r.channel("PJSIP/101-0000001a") == ("ext", "101", False)
    assert r.channel("PJSIP/my-provider-00000012") == ("trunk", "my-provider", False)
    assert r.channel("DAHDI/1-1") == ("trunk", "DAHDI/1", True)
    assert r.channel("Motif/google-1") == ("trunk", "Motif/google", True)
    assert r.channel("Local/600@from-queue-00000003;2") == ("local", "600@from-queue-00000003", True)
    with pytest.raises(ValueError, match="unknown rule"):
        import json as _json
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            _json.dump({"extension_patern": "x"}, fh)
        load_rules(fh.name)


def test_queue_left_without_agent_is_abandoned_and_queue_timeout_to_voicemail(engine):
    """Only the PBX answered (Queue, no destination channel): Olga hung up in the queue
    (abandoned); Petr's queue timed out to voicemail."""
    import_cdr_file(engine, FIX / "csv21_queue_exits.csv")
    got = calls(engine)
    olga = got["1780000300.1"]  # 12:00 CEST = 10:00 UTC
    assert (olga.status, olga.queue, olga.answer_utc, olga.start_utc) == ("abandoned", "600", None, D(2026, 6, 1, 10))
    assert (olga.duration_s, olga.ring_s, olga.talk_s, olga.extension) == (41, 41, 0, None)
    petr = got["1780000400.1"]
    assert (petr.status, petr.queue, petr.answer_utc) == ("voicemail", "600", None)
    assert (petr.duration_s, petr.ring_s, petr.talk_s) == (90, 61, 0)
    assert_aggregates_match_calls(engine)


def test_follow_imports_what_is_appended_between_rounds(engine, tmp_path):
    from data.importers.base import follow

    lines = (FIX / "csv21_local.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "Master.csv"
    path.write_bytes(lines[0])
    seen = []

    def pbx_writes_more(_seconds):  # stands in for time.sleep: the PBX appends once meanwhile
        if path.stat().st_size == len(lines[0]):
            with open(path, "ab") as fh:
                fh.write(b"".join(lines[1:]))

    n = follow(lambda: import_cdr_file(engine, path), 5, rounds=3, on_stats=seen.append, sleep=pbx_writes_more)
    assert n == 3
    assert [(st.lines_read, st.calls_added) for st in seen] == [(1, 1), (6, 2), (0, 0)]
    assert count(engine, s.call) == 3

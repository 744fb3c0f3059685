"""Issue 14 (rules 1, 2, 4, 5, 6): numbers a manager can reproduce from the PBX's own CDR, on
SQLite and PostgreSQL. Fixtures in fixtures/issue14/, written by hand in the shapes real
systems write (numbers and times changed, each file's header comment below says whence):

- stadion_csv21.csv: the shapes of a public Asterisk 21-column Master.csv (GitHub
  mineevburyat/dj-asterisk-cdr, Master.csv — the file of the issue: "31 of 36 answered where a
  person picked up 24"): Hangup-only ANSWERED legs, Dial(SIP/301&SIP/200@stadionpbx) to a
  phone and another PBX over a trunk, numeric trunk peers (SIP/211553) in a custom inbound
  context, Dial rows of an already answered caller (NO ANSWER with answer = start and
  billsec = duration), Local/ch1@TimeDelay ;1/;2 halves with the caller bridged straight to
  the phone afterwards, uniqueids with a system-name prefix.
- kely_custom19.csv: the shapes of a public cdr_custom file (GitHub KelySaina/cdr,
  Master.csv): clid first, every field quoted, durations quoted, non-numeric endpoints
  PJSIP/client1 <-> PJSIP/client2 in context default, timestamps that disagree with duration
  by a second.
- freepbx_csv21.csv: FreePBX 16/17 shapes (ext-queues with Local/...@from-queue halves whose
  ;2 runs macro-dial-one and dials PJSIP_DIAL_CONTACTS, ext-group ring groups with
  Local/...@from-internal/n, ivr-3 menus, Stasis, ConfBridge, *97, from-did-direct BUSY then
  VoiceMail, a loopback Local/...@from-trunk trunk), queue calls WITHOUT a queue_log.

Every expected value is worked out by hand from the legs in the comment next to it:
duration = max over legs (leg start - call start + leg duration); ring = (answering party
leg start - call start) + its duration - billsec; talk = sum of billsec of the answered
party legs (dstchannel a device or trunk, not a Local/ half).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from callboard.reports.registry import run_report
from data import schema as s
from data.importers import rules as rules_mod
from data.importers.asterisk.cdr_file import import_cdr_file
from data.importers.asterisk.rederive import rebuild_calls, rederive_for
from data.importers.rules import NUMBER, PEER
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from tests.data.importers.asterisk.test_cdr_file import assert_aggregates_match_calls, calls, count, legs

FIX = Path(__file__).parent.parent / "fixtures" / "issue14"
ALL = Scope.everything()
KEYS = ("direction", "status", "duration_s", "ring_s", "talk_s", "extension", "peer_extension", "answered_by")


def facts(row) -> tuple:
    return tuple(getattr(row, k) for k in KEYS)


def answered(engine) -> tuple[int, int]:
    got = calls(engine).values()
    return sum(1 for r in got if r.status == "answered"), len(got)


# --------------------------------------------------------------------------- stadion (real Asterisk shapes)


def test_stadion_answered_only_when_a_person_picked_up(engine):
    st = import_cdr_file(engine, FIX / "stadion_csv21.csv", source_tz="UTC")
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (18, 8, 0)
    got = calls(engine)
    # Hangup ANSWERED 27/27, no dstchannel: the PBX answered (a message), nobody picked up.
    # Before issue 14: answered, talk 27.
    a = got["1770714000.0"]
    assert facts(a) == ("inbound", "no_answer", 27, 27, 0, None, None, None)
    assert (a.src_trunk, a.did, a.answer_utc) == ("211474", "211474", None)
    # The example: Dial(301) NO ANSWER 60/60, Dial(stadionpbx) NO ANSWER 30/30 (the
    # caller was answered before the Dial: billsec = duration on NO ANSWER rows), Hangup
    # ANSWERED 0/0 at +60 -> not answered; duration max(60, 30, 60 + 0) = 60, ring 60, talk 0;
    # 301 rang (extension 301); a Dial of two channels: ring group 211553 (its dst).
    b = got["1770714600.6"]
    assert facts(b) == ("inbound", "no_answer", 60, 60, 0, "301", None, None)
    assert (b.ring_group, b.dst_trunk, b.destination_type) == ("211553", "stadionpbx", "ring_group")
    assert [(x.status, x.ring_s, x.talk_s) for x in legs(engine, "1770714600.6")] == [
        ("no_answer", 30, 0), ("no_answer", 60, 0), ("answered", 0, 0)]  # a NO ANSWER leg never talks
    # Local/ch1@TimeDelay ;2 -> SIP/301 ANSWERED 6/0 at +0, the caller bridged to SIP/301
    # after the Local channel went away: ANSWERED 17/17 at +6. Party legs: those two (the
    # ;1 legs are halves). First answered: the ;2 leg: ring 0 + 6 - 0 = 6; talk 0 + 17 = 17;
    # duration max(6, 6 + 17) = 23.
    c = got["1770715200.50"]
    assert facts(c) == ("inbound", "answered", 23, 6, 17, "301", None, "301")
    # Nobody answered the TimeDelay group: the longest leg ends at +23.
    d = got["1770716000.30"]
    assert facts(d) == ("inbound", "no_answer", 23, 23, 0, "301", None, None)
    assert d.dst_trunk == "stadionpbx"
    # SIP/301 ANSWERED 48/43 — the timestamps say 49 and 44 (cut to seconds): the fields win.
    e = got["1770716600.93"]
    assert facts(e) == ("inbound", "answered", 48, 5, 43, "301", None, "301")
    # 301 NO ANSWER 5, the other PBX over the stadionpbx trunk ANSWERED 36/30: answered, but by
    # nobody of ours: no extension (before: 301 was credited with it).
    f = got["mainserverdss-1770717200.0"]
    assert facts(f) == ("inbound", "answered", 36, 6, 30, None, None, None)
    assert f.dst_trunk == "stadionpbx"
    g = got["mainserverdss-1770718000.100"]  # BUSY on the trunk alone, 0 s
    assert facts(g) == ("inbound", "busy", 0, 0, 0, None, None, None)
    h = got["1770718600.76"]  # Hangup ANSWERED 10/10 again
    assert facts(h) == ("inbound", "no_answer", 10, 10, 0, None, None, None)
    # 3 of 8 answered (before issue 14: 6 of 8 — A, B and H counted as answered).
    assert answered(engine) == (3, 8)
    assert_aggregates_match_calls(engine)
    # Learned: the trunk (dialled SIP/200@stadionpbx), the phone (dialled bare SIP/301), the
    # numbers rung as ring groups. A numeric peer in a custom context with outside caller
    # IDs (211553) is a trunk by the fallback and is not recorded as learned.
    with engine.connect() as conn:
        known = rules_mod.load_known(conn, 1)
    assert {k: v.cls for k, v in known.items()} == {
        (PEER, "stadionpbx"): "trunk", (PEER, "301"): "extension",
        (NUMBER, "211553"): "ring_group", (NUMBER, "211474"): "ring_group"}


def test_stadion_reports_extension_statistics_and_pbx_activity(engine):
    import_cdr_file(engine, FIX / "stadion_csv21.csv", source_tz="UTC")
    day = date(2026, 2, 10)  # 09:00-10:17 UTC = 10:00-11:17 in Prague
    es = run_report("extension-statistics", ALL, ReportFilter(day, day), engine=engine)
    rows = {r["extension"]: r for r in es.df.to_dict("records")}
    # 301's calls: B no answer, C answered, D no answer, E answered (F was answered over the
    # trunk, not by 301): 4 calls, 2 answered, talk 17 + 43 = 60.
    assert set(rows) == {"301"}
    assert (rows["301"]["calls"], rows["301"]["answered"], rows["301"]["no_answer"], rows["301"]["talk_s"]) == (
        4, 2, 2, 60)
    pa = run_report("pbx-activity", ALL, ReportFilter(day, day, by="day"), engine=engine)
    tot = pa.df.iloc[0]
    # 8 inbound calls: answered C, E, F; unanswered A, B, D, G, H.
    assert (tot["inbound"], tot["calls"], tot["answered"], tot["unanswered"]) == (8, 8, 3, 5)


# --------------------------------------------------------------------------- cdr_custom, non-numeric phones


def test_kely_custom_non_numeric_devices_are_internal(engine):
    st = import_cdr_file(engine, FIX / "kely_custom19.csv", source_tz="UTC")
    assert (st.layout, st.calls_added) == ("cdr_custom", 4)
    got = calls(engine)
    # PJSIP/client1 (caller ID client1) -> PJSIP/client2 (dialled bare): two phones, internal.
    # "31","13": duration 31, billsec 13 -> ring 18 (timestamps say 32 and 14).
    assert facts(got["1770774692.2"]) == ("internal", "answered", 31, 18, 13, "client1", "client2", "client2")
    assert facts(got["1770774731.5"]) == ("internal", "no_answer", 30, 30, 0, "client2", "client1", None)
    assert facts(got["1770774859.8"]) == ("internal", "answered", 17, 4, 13, "client2", "client1", "client1")
    # "13","7": ring 6 (timestamps: 5 and 8).
    assert facts(got["1770777561.3"]) == ("internal", "answered", 13, 6, 7, "client1", "client2", "client2")
    assert all(r.src_trunk is None and r.dst_trunk is None for r in got.values())
    # Before issue 14: both endpoints were trunks (not 2-5 digits): four inbound calls
    # without an extension, durations 32/31/17/13 from the timestamps.
    assert_aggregates_match_calls(engine)


# --------------------------------------------------------------------------- FreePBX


def test_freepbx_calls_call_by_call(engine):
    st = import_cdr_file(engine, FIX / "freepbx_csv21.csv", source_tz="UTC")
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (23, 14, 0)
    got = calls(engine)
    # ivr-3 BackGround ANSWERED 18/18, nothing after: hung up in the menu (abandoned).
    q1 = got["1770883200.101"]
    assert facts(q1) == ("inbound", "abandoned", 18, 18, 0, None, None, None)
    assert (q1.ivr, q1.destination_type, q1.src_trunk, q1.to_number) == ("ivr-3", "ivr", "o2-trunk", "")
    # Queue 600: Local/104 ;2 NO ANSWER 8 (its ;1 row: answer = start, billsec 8 — the caller
    # was answered by FreePBX before the queue), Local/103 ;2 -> PJSIP/103 ANSWERED 184/180
    # at +8; the caller's Queue leg ANSWERED 192/192 holds the wait. ring = 8 + 184 - 180 =
    # 12 (wait + ring), talk = 180 (not 192), duration max(192, 8 + 184) = 192.
    q3 = got["1770883800.110"]
    assert facts(q3) == ("inbound", "answered", 192, 12, 180, "103", None, "103")
    assert (q3.queue, q3.destination_type) == ("600", "queue")
    # Queue 600 without an agent (no queue_log): the caller left; agent 103 rang 15 s.
    q4 = got["1770884100.114"]
    assert facts(q4) == ("inbound", "abandoned", 40, 40, 0, "103", None, None)
    assert q4.queue == "600"
    # Ring group 700 through Local/20x@from-internal/n halves: the conversation with 202 is
    # both the ;1 leg (97/90) and the ;2 leg (97/90): counted once, talk 90, ring 7.
    q5 = got["1770884400.120"]
    assert facts(q5) == ("inbound", "answered", 97, 7, 90, "202", None, "202")
    assert q5.ring_group == "700"
    # Extension 201 calls queue 600, agent 103 answers (;2 at +3, 62/60): ring 3 + 2 = 5.
    q6 = got["1770885000.130"]
    assert facts(q6) == ("internal", "answered", 65, 5, 60, "201", "103", "103")
    assert q6.queue == "600"
    # Out through PJSIP/0777123456@o2-trunk (a non-numeric trunk): outbound.
    q7 = got["1770885600.140"]
    assert facts(q7) == ("outbound", "answered", 129, 9, 120, "201", None, None)
    assert q7.dst_trunk == "o2-trunk"
    # ConfBridge 800 alone: the PBX answered; 800 is a conference room, not an extension.
    q8 = got["1770886200.150"]
    assert facts(q8) == ("internal", "no_answer", 300, 300, 0, "201", None, None)
    assert (q8.destination_type, q8.destination) == ("other", "800")
    # *97 VoiceMailMain: a feature code into voicemail.
    q9 = got["1770886800.160"]
    assert facts(q9) == ("internal", "voicemail", 40, 0, 0, "201", None, None)
    # 201 BUSY (0 s), then VoiceMail(201,b) 31/30: voicemail, ring 0 + 31 - 30 = 1.
    q10 = got["1770887400.170"]
    assert facts(q10) == ("inbound", "voicemail", 31, 1, 0, "201", None, None)
    # Stasis(callboard-ivr,en) answered by the application: an IVR named by the application.
    q11 = got["1770888000.180"]
    assert facts(q11) == ("inbound", "abandoned", 25, 25, 0, None, None, None)
    assert (q11.ivr, q11.did) == ("callboard-ivr", "0212345678")
    # ivr-3, dst i (invalid key), Playback(invalid): an IVR visit (Playback in an IVR context).
    q12 = got["1770888600.190"]
    assert facts(q12) == ("inbound", "abandoned", 14, 14, 0, None, None, None)
    assert (q12.ivr, q12.to_number, q12.did) == ("ivr-3", "", None)
    # A menu context that dials itself (ivr-main, key 1 -> PJSIP/202 ANSWERED 72/60).
    q13 = got["1770889200.1a0"]
    assert facts(q13) == ("inbound", "answered", 72, 12, 60, "202", None, "202")
    assert q13.ivr == "ivr-main"
    # app-announcement Hangup 9/9: the PBX answered.
    q14 = got["1770890400.1a8"]
    assert facts(q14) == ("inbound", "no_answer", 9, 9, 0, None, None, None)
    # Dialling out through a Local channel into from-trunk (no ;2 half in the CDR): outbound.
    q15 = got["1770891000.1b0"]
    assert facts(q15) == ("outbound", "answered", 65, 5, 60, "201", None, None)
    assert q15.dst_trunk == "Local/from-trunk"
    # 6 of 14 answered by a person (before issue 14: 11 — the IVR, ConfBridge, Stasis,
    # Playback and Hangup legs counted as answered).
    assert answered(engine) == (6, 14)
    # No queue, IVR, ring-group or conference number in an extension column.
    for r in got.values():
        assert {r.extension, r.peer_extension, r.answered_by} & {"600", "700", "800", "ivr-3"} == set()
    assert_aggregates_match_calls(engine)


def test_freepbx_ivr_report(engine):
    import_cdr_file(engine, FIX / "freepbx_csv21.csv", source_tz="UTC")
    with engine.connect() as conn:
        ch = sorted(tuple(r) for r in conn.execute(
            sa.select(s.call.c.call_uid, s.ivr_choice.c.ivr, s.ivr_choice.c.option, s.ivr_choice.c.next_dest)
            .join(s.call, s.call.c.id == s.ivr_choice.c.call_id)))
    assert ch == [("1770883200.101", "ivr-3", "-", "hangup"),  # no key shown, hung up in the menu
                  ("1770888000.180", "callboard-ivr", "-", "hangup"),
                  ("1770888600.190", "ivr-3", "invalid", "hangup"),  # dst i
                  ("1770889200.1a0", "ivr-main", "1", "extension:202")]  # dst 1, dialled from the menu
    day = date(2026, 2, 12)
    for path in ("aggregate", "facts"):
        r = run_report("ivr", ALL, ReportFilter(day, day), engine=engine, path=path)
        rows = {x["ivr"]: x for x in r.df.to_dict("records")}
        assert {k: (v["entered"], v["opt:invalid"], v["opt:1"], v["hangup"]) for k, v in rows.items()} == {
            "callboard-ivr": (1, 0, 0, 1), "ivr-3": (2, 1, 0, 2), "ivr-main": (1, 0, 1, 0)}, path
        nxt = {(x["ivr"], x["next_type"], x["next"]): x["calls"] for x in r.sections[0].df.to_dict("records")}
        assert nxt == {("callboard-ivr", "hangup", ""): 1, ("ivr-3", "hangup", ""): 2,
                       ("ivr-main", "extension", "202"): 1}, path


def test_learned_classes_of_the_freepbx_file(engine):
    import_cdr_file(engine, FIX / "freepbx_csv21.csv", source_tz="UTC")
    with engine.connect() as conn:
        known = {k: v.cls for k, v in rules_mod.load_known(conn, 1).items()}
    assert known[(NUMBER, "600")] == "queue"
    assert known[(NUMBER, "700")] == "ring_group"
    assert known[(NUMBER, "800")] == "conference"
    assert known[(NUMBER, "*97")] == "feature"
    assert known[("context", "ivr-3")] == "ivr"  # BackGround ran there
    assert known[(PEER, "o2-trunk")] == "trunk"  # dialled as PJSIP/0777123456@o2-trunk
    assert known[(PEER, "103")] == known[(PEER, "201")] == "extension"


# --------------------------------------------------------------------------- learning across calls


QUEUE_CALL = ('"","0601000301","600","ext-queues","""Olga"" <0601000301>","PJSIP/o2-trunk-00000300","",'
              '"Queue","600,t,,,300","2026-02-13 09:00:00","2026-02-13 09:00:00","2026-02-13 09:00:30",30,30,'
              '"ANSWERED","DOCUMENTATION","1770973200.300","","","1770973200.300",30\n')
# 201 dials 600 and hangs up during an announcement played in a custom context: nothing in
# this call says 600 is a queue — by the pattern alone it is an extension.
HOLD_CALL = ('"","201","600","custom-hold","""Eva"" <201>","PJSIP/201-00000310","","Playback",'
             '"queue-periodic-announce","2026-02-13 08:00:00","2026-02-13 08:00:00","2026-02-13 08:00:12",12,12,'
             '"ANSWERED","DOCUMENTATION","1770969600.310","","","1770969600.310",31\n')


def test_a_number_learned_as_a_queue_in_one_call_is_a_queue_in_the_others(engine, tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(HOLD_CALL + QUEUE_CALL)
    # One line a batch: the hold call is built before the queue call shows what 600 is; at
    # the end of the import it is derived again with what was learned.
    st = import_cdr_file(engine, path, source_tz="UTC", batch_lines=1)
    assert (st.calls_added, st.calls_rederived) == (2, 1)
    hold = calls(engine)["1770969600.310"]
    assert (hold.direction, hold.status, hold.extension, hold.peer_extension, hold.queue) == (
        "internal", "abandoned", "201", None, "600")
    assert_aggregates_match_calls(engine)


def test_learned_classes_carry_over_to_the_next_import(engine, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(QUEUE_CALL)
    second.write_text(HOLD_CALL)
    import_cdr_file(engine, first, source_tz="UTC")
    st = import_cdr_file(engine, second, source_tz="UTC")
    assert (st.calls_added, st.calls_rederived) == (1, 0)  # known from the table: right at once
    hold = calls(engine)["1770969600.310"]
    assert (hold.peer_extension, hold.queue, hold.status) == (None, "600", "abandoned")


# --------------------------------------------------------------------------- the user's word, re-derivation


def test_user_rename_and_reclassify_then_rederive(engine, tmp_path):
    import_cdr_file(engine, FIX / "freepbx_csv21.csv", source_tz="UTC")
    with engine.begin() as conn:
        before = rules_mod.set_class(conn, 1, PEER, "o2-trunk", label="O2 SIP")
        assert before.cls == "trunk" and not before.user
        # The user knows 800 is an extension (a phone that auto-answers into a bridge).
        rules_mod.set_class(conn, 1, NUMBER, "800", kind="extension")
    n = rederive_for(engine, 1, ["o2-trunk", "800"])
    got = calls(engine)
    assert n == 11  # the 10 calls over o2-trunk (9 in, 1 out) and the ConfBridge call
    assert got["1770883800.110"].src_trunk == "O2 SIP"
    assert got["1770885600.140"].dst_trunk == "O2 SIP"
    assert got["1770886200.150"].peer_extension == "800"
    assert_aggregates_match_calls(engine)
    # A later import does not relearn what the user set.
    again = tmp_path / "again.csv"
    shutil.copy(FIX / "freepbx_csv21.csv", again)
    import_cdr_file(engine, again, source_tz="UTC")
    with engine.connect() as conn:
        known = rules_mod.load_known(conn, 1)
    assert known[(NUMBER, "800")] == rules_mod.KnownClass("extension", None, True)
    assert known[(PEER, "o2-trunk")] == rules_mod.KnownClass("trunk", "O2 SIP", True)


def test_rebuild_calls_gives_what_a_fresh_import_gives_and_is_transactional(engine, monkeypatch):
    from data.importers.asterisk import rederive

    import_cdr_file(engine, FIX / "freepbx_csv21.csv", source_tz="UTC")
    cols = [c for c in s.call.c if c.name != "id"]
    with engine.connect() as conn:
        fresh = sorted(tuple(r) for r in conn.execute(sa.select(*cols)))
        fresh_legs = count(engine, s.call_leg)
    assert rebuild_calls(engine) == 14
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(sa.select(*cols))) == fresh
    assert count(engine, s.call_leg) == fresh_legs
    assert_aggregates_match_calls(engine)
    # A rebuild that fails half-way changes nothing.
    with engine.begin() as conn:
        rules_mod.set_class(conn, 1, PEER, "o2-trunk", label="O2 SIP")
    real = rederive.rederive_calls

    def dies(conn, source_id, ids, rules):
        real(conn, source_id, ids, rules)
        raise RuntimeError("disk full")

    monkeypatch.setattr(rederive, "rederive_calls", dies)
    with pytest.raises(RuntimeError):
        rebuild_calls(engine)
    assert calls(engine)["1770883800.110"].src_trunk == "o2-trunk"


def test_cli_rebuild_calls(db_url):
    from typer.testing import CliRunner

    from callboard.cli import app
    from data import db

    runner = CliRunner()
    res = runner.invoke(app, ["db", "rebuild-calls", "--no-progress"])
    assert res.exit_code == 2 and "no calls imported yet" in res.output
    engine = db.get_engine(db_url)
    import_cdr_file(engine, FIX / "kely_custom19.csv", source_tz="UTC")
    res = runner.invoke(app, ["db", "rebuild-calls", "--source", "main", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "calls rebuilt 4" in res.output
    res = runner.invoke(app, ["db", "rebuild-calls", "--source", "nope", "--no-progress"])
    assert res.exit_code == 2 and "no source 'nope'" in res.output


def test_freepbx17_cdr_table_export_with_header(engine):
    """The FreePBX 17 asteriskcdrdb.cdr columns (did after userfield, recordingfile after the
    caller-name columns), calldate only: end = start + duration, answer = end - billsec."""
    st = import_cdr_file(engine, FIX / "freepbx17_cdr_header.csv", source_tz="UTC")
    assert st.layout.startswith("CDR table export") and (st.calls_added, st.lines_rejected) == (3, 0)
    got = calls(engine)
    # As the FreePBX Master.csv queue call: ring 8 + 184 - 180 = 12, talk 180 (the Queue
    # leg's 192 holds the wait), duration max(192, 8 + 184) = 192; DID from the did column.
    q = got["1771056600.410"]
    assert facts(q) == ("inbound", "answered", 192, 12, 180, "103", None, "103")
    assert (q.queue, q.did, q.has_recording, q.src_trunk) == ("600", "0212345678", True, "o2-trunk")
    ivr = got["1771059600.401"]  # hung up in ivr-3's menu
    assert facts(ivr) == ("inbound", "abandoned", 18, 18, 0, None, None, None)
    assert (ivr.ivr, ivr.did) == ("ivr-3", "0212345678")
    msg = got["1771063200.4a8"]  # an announcement, then Hangup: the PBX answered
    assert facts(msg) == ("inbound", "no_answer", 9, 9, 0, None, None, None)
    assert msg.did == "0212345679"
    assert answered(engine) == (1, 3)  # before issue 14: 3 of 3
    assert_aggregates_match_calls(engine)


def test_a_very_long_dialled_string_is_not_learned(engine, tmp_path):
    # A SIP URI of 90 characters dialled as a feature code (*...): no class row, no error.
    long_dst = "*" + "9" * 89
    line = (f'"","201","{long_dst}","from-internal","""Eva"" <201>","PJSIP/201-00000500","","Playback","x",'
            '"2026-02-15 08:00:00","2026-02-15 08:00:00","2026-02-15 08:00:05",5,5,"ANSWERED","DOCUMENTATION",'
            '"1771142400.500","","","1771142400.500",1\n')
    path = tmp_path / "Master.csv"
    path.write_text(line)
    st = import_cdr_file(engine, path, source_tz="UTC")
    assert (st.calls_added, st.lines_rejected) == (1, 0)
    with engine.connect() as conn:
        names = {k[1] for k in rules_mod.load_known(conn, 1)}
    assert long_dst not in names and "201" in names

"""The queue_log's outcome on the CDR call (either import order), transfers, restarts.

fixtures/csv21_queue_outcomes.csv + fixtures/queue_log_outcomes, times UTC, 2026-06-02,
worked out by hand:

- 1780387200.1 (08:00:00): into queue 600; the CDR has only the Queue leg to a Local
  channel (answered 08:00:12, end 08:01:52), so it cannot say who answered. queue_log:
  101 (Local/101@from-queue/n) connected after 12 s, talked 100 s -> answered by 101,
  extension 101, ring 12, talk 100.
- 1780387800.3 (08:10:00): queue ringing (NO ANSWER, 40 s) -> the CDR says no answer; the
  queue_log says the caller hung up after 40 s (ABANDON) -> abandoned.
- 1780388400.4 (08:20:00): the PBX answered the queue (MOH), nobody took it; the CDR alone
  calls that abandoned; queue_log: EXITWITHTIMEOUT after 60 s and nothing after -> no answer.
- 1780389000.5 (08:30:00): 102 answered via the queue at 08:30:05 and blind-transferred the
  caller to 200 at 08:30:55 (a new CDR row of the caller's channel, in from-internal-xfer),
  200 answered 08:31:00, hung up 08:33:00 -> answered by 102, transferred to 200; talk =
  102's part (queue_log calltime 50) + 200's talk after the transfer (08:31:00-08:33:00,
  120) = 170, ring = the 5 s wait (200's 5 s of ringing is neither); its third leg is a transfer leg;
  the queue call says transferred to 200 too.
- 1780389600.9 (08:40:00, no queue): 101 -> 102 answered 08:40:05; 102 (its channel)
  called 103 at 08:41:00, answered 08:41:04, and handed the call over (attended transfer)
  -> internal, answered by 102, transferred to 103, ring 5, talk 175.
- queue_log only: 1780390200.11 entered at 08:50:00, Asterisk restarted at 08:52:00
  (QUEUESTART) -> closed as unknown, exit 08:52:00, waited 120 s. 1780390380.12 entered at
  08:53:00, after the restart, and the log ends -> still waiting (no exit, wait unknown).
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from data import schema as s
from data.importers.asterisk.cdr_file import import_cdr_file
from data.importers.queue_log import import_queue_log_file
from tests.data.importers.asterisk.test_cdr_file import FIX, assert_aggregates_match_calls, calls, legs

D = datetime
CALL_FIELDS = ("status", "direction", "queue", "answered_by", "extension", "ring_s", "talk_s", "transferred_to",
               "hangup_by")
EXPECTED = {
    # hangup_by (issue 14): COMPLETECALLER / ABANDON -> the caller; a transfer or a timeout says nobody.
    "1780387200.1": ("answered", "inbound", "600", "101", "101", 12, 100, None, "caller"),
    "1780387800.3": ("abandoned", "inbound", "600", None, None, 40, 0, None, "caller"),
    "1780388400.4": ("no_answer", "inbound", "600", None, None, 60, 0, None, None),
    # Issue 14 rule 3: the agent's part (50 s) + 200's talk after the transfer (120 s); was
    # 175 (answer-to-end, counting 200's 5 s of ringing as talk).
    "1780389000.5": ("answered", "inbound", "600", "102", "102", 5, 170, "200", None),
    "1780389600.9": ("answered", "internal", None, "102", "101", 5, 175, "103", None),
}


def _import(engine, cdr_first: bool) -> int:
    """Both files; returns how many calls the queue_log changed (over both imports)."""
    steps = [lambda: import_cdr_file(engine, FIX / "csv21_queue_outcomes.csv", source_tz="UTC"),
             lambda: import_queue_log_file(engine, FIX / "queue_log_outcomes")]
    return sum(step().cdr_calls_updated for step in (steps if cdr_first else steps[::-1]))


@pytest.mark.parametrize("cdr_first", [True, False], ids=["cdr-first", "queue-log-first"])
def test_queue_outcome_on_calls_in_either_order(engine, cdr_first):
    # Changed by the queue_log: 1780387200.1 (agent), .3 (abandoned), .4 (no answer); .5
    # already says what the queue_log says (the CDR's party legs give the same 50 + 120 s).
    # Queue log first: the same three, as the CDR lands.
    assert _import(engine, cdr_first) == 3
    got = {uid: tuple(getattr(r, f) for f in CALL_FIELDS) for uid, r in calls(engine).items()}
    assert got == EXPECTED
    assert calls(engine)["1780387200.1"].answer_utc == D(2026, 6, 2, 8, 0, 12)
    with engine.connect() as conn:
        qc = {r.call_uid: r for r in conn.execute(sa.select(s.queue_call))}
    assert (qc["1780389000.5"].outcome, qc["1780389000.5"].transferred_to) == ("answered", "200")
    assert all(qc[uid].call_id is not None for uid in EXPECTED if uid in qc)
    restarted, after = qc["1780390200.11"], qc["1780390380.12"]
    assert (restarted.outcome, restarted.exit_utc, restarted.wait_s) == ("unknown", D(2026, 6, 2, 8, 52), 120)
    # Still waiting when the log ends (issue 14 rule 8: 'waiting', wait not known; was 'unknown').
    assert (after.outcome, after.exit_utc, after.wait_s) == ("waiting", None, None)
    assert_aggregates_match_calls(engine)
    # Importing both again (as copies: no remembered position) changes nothing.
    before = calls(engine)
    assert _import(engine, not cdr_first) == 0
    assert calls(engine) == before


def test_transfer_legs_are_marked(engine):
    import_cdr_file(engine, FIX / "csv21_queue_outcomes.csv", source_tz="UTC")
    blind = [(lg.via_type, lg.via, lg.extension) for lg in legs(engine, "1780389000.5")]
    # Issue 14: the caller's Queue leg to Local/102@from-queue;1 names the extension it rang
    # (102; was None), as a ring group's Local/202@from-internal legs name their member.
    assert blind == [("queue", "600", "102"), ("direct", None, "102"), ("transfer", "200", "200")]
    attended = [(lg.via_type, lg.via, lg.extension) for lg in legs(engine, "1780389600.9")]
    assert attended == [("direct", None, "102"), ("transfer", "103", "103")]
    # Not transfers: the Local halves of the queue calls, the queue legs nobody answered.
    for uid, r in calls(engine).items():
        if uid not in ("1780389000.5", "1780389600.9"):
            assert r.transferred_to is None

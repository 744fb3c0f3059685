"""What the queue_log knows about a call, written onto its CDR call (either import order).

The CDR sees a queue call as legs; the queue_log says what happened in the queue. Applied
after every write of a call or of its queue calls, from what is stored (so the result is
the same whichever file came first, and applying it twice changes nothing):

- the call's queue (and destination) is the first queue it entered, when the CDR had none;
- answered by an agent in a queue (CONNECT and after) -> status answered, answered by that
  agent (the CDR's answering extension wins when it has one), an inbound call without an
  extension belongs to the agent; a call the CDR saw unanswered gets its talk time from the
  queue_log (answer = end - talk);
- otherwise the last queue it was in decides an unanswered call: ABANDON -> abandoned (the
  caller hung up waiting); EXITWITHTIMEOUT / EXITEMPTY / EXITWITHKEY with nothing answering
  afterwards -> no answer (the queue gave up, not the caller). Voicemail, busy or failed
  calls keep their CDR status; a queue call still 'unknown' changes nothing;
- transferred_to from a queue TRANSFER / BLINDTRANSFER / ATTENDEDTRANSFER when the CDR had
  no transfer leg.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from data import schema as s

_CALL_FIELDS = ("status", "queue", "destination_type", "destination", "answered_by", "extension", "answer_utc",
                "ring_s", "talk_s", "transferred_to")
GAVE_UP = {"timeout", "no_agents", "exit_key"}


def _in(col, values: list, pg: bool):
    if pg:
        return col == sa.func.any(sa.bindparam(None, values, type_=sa.ARRAY(sa.BigInteger)))
    return col.in_(values)


def overlay(call: dict, queue_calls: list) -> dict:
    """The call's new values (a copy of `call`), given its queue calls ordered by entry."""
    new = dict(call)
    if not queue_calls:
        return new
    if new["queue"] is None:
        new["queue"] = queue_calls[0].queue
        new["destination_type"], new["destination"] = "queue", queue_calls[0].queue
    answered = next((q for q in queue_calls if q.outcome == "answered"), None)
    if answered is not None:
        if new["status"] != "answered":
            duration = call["duration_s"]
            talk = min(max(call["talk_s"], answered.talk_s or 0), duration)
            new["status"], new["talk_s"], new["ring_s"] = "answered", talk, duration - talk
            new["answer_utc"] = call["end_utc"] - timedelta(seconds=talk)
        agent = (answered.agent or "")[:32] or None
        if new["answered_by"] is None:
            new["answered_by"] = agent
        if call["direction"] == "inbound" and new["extension"] is None and agent and agent.isdigit():
            new["extension"] = agent
    else:
        last = queue_calls[-1].outcome
        if last == "abandoned" and new["status"] in ("no_answer", "abandoned"):
            new["status"] = "abandoned"
        elif last in GAVE_UP and new["status"] == "abandoned":
            new["status"] = "no_answer"
    if new["transferred_to"] is None:
        new["transferred_to"] = next((q.transferred_to[:64] for q in queue_calls if q.transferred_to), None)
    return new


def apply(conn: sa.Connection, call_ids: list[int]) -> tuple[datetime | None, datetime | None, int]:
    """Write the queue_log's view onto these calls; (first, last) start of the calls changed,
    for the caller's aggregate refresh, and how many changed."""
    if not call_ids:
        return None, None, 0
    pg = conn.dialect.name == "postgresql"
    qc, c = s.queue_call, s.call
    step = 20_000 if pg else 500
    by_call: dict[int, list] = {}
    for i in range(0, len(call_ids), step):
        part = call_ids[i : i + step]
        for r in conn.execute(sa.select(qc.c.call_id, qc.c.queue, qc.c.outcome, qc.c.agent, qc.c.talk_s,
                                        qc.c.transferred_to)
                              .where(_in(qc.c.call_id, part, pg)).order_by(qc.c.call_id, qc.c.enter_utc, qc.c.id)):
            by_call.setdefault(r.call_id, []).append(r)
    if not by_call:
        return None, None, 0
    ids = sorted(by_call)
    updates: list[dict] = []
    lo = hi = None
    for i in range(0, len(ids), step):
        cols = [c.c[k] for k in _CALL_FIELDS]
        for r in conn.execute(sa.select(c.c.id, c.c.start_utc, c.c.end_utc, c.c.duration_s, c.c.direction, *cols)
                              .where(_in(c.c.id, ids[i : i + step], pg))):
            call = dict(r._mapping)
            new = overlay(call, by_call[r.id])
            if any(new[k] != call[k] for k in _CALL_FIELDS):
                updates.append({"_id": r.id, **{"_" + k: new[k] for k in _CALL_FIELDS}})
                lo = r.start_utc if lo is None or r.start_utc < lo else lo
                hi = r.start_utc if hi is None or r.start_utc > hi else hi
    if updates:
        conn.execute(c.update().where(c.c.id == sa.bindparam("_id"))
                     .values({k: sa.bindparam("_" + k) for k in _CALL_FIELDS}), updates)
    return lo, hi, len(updates)

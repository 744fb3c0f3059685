"""What the queue_log knows about a call, written onto its CDR call (either import order).

The CDR sees a queue call as legs; the queue_log says what happened in the queue, and it is
the authority there. ``apply`` runs after every write of calls or of their queue calls and
computes the call's values from two stored things only — what the CDR alone said (the
call's own columns right after the CDR importer built them, kept in ``call_cdr_view`` once
the overlay changed them) and the call's queue passes (``queue_call``, by entry time) — so
the result is the same whichever file came first, and applying it again changes nothing.

Rules (issue 14, rule 3; the CDR side is data.importers.asterisk.classify.build_call):

- some pass CONNECTed -> answered. answer_utc = the first CONNECT (kept within the call's
  start..end); talk = the agents' parts (calltime of COMPLETECALLER / COMPLETEAGENT /
  TRANSFER / BLINDTRANSFER / ATTENDEDTRANSFER, summed over the passes: a call passing two
  queues talked in both), plus, when the last answered pass ended in a transfer, the talk
  the CDR's party legs had after it (the transfer target's conversation); ring = start to
  the CONNECT (at most duration - talk). A pass still talking at the end of the data (or cut by a PBX restart) has no
  calltime: then the CDR's talk stays (or CONNECT -> end of the call when the CDR saw no
  answer). answered_by = the CDR's answering extension, else the queue_log agent when it is
  an extension number; an inbound call belongs to that extension.
- no pass answered and the last pass was left by ABANDON -> abandoned (the caller hung up
  waiting), by EXITWITHTIMEOUT / EXITEMPTY / EXITWITHKEY -> no answer (the queue gave up)
  — even when the CDR's Queue leg says ANSWERED with billsec = the wait. Unless the CDR says
  voicemail, or a person answered at or after that exit (the queue's failover
  destination): then the CDR's values stay.
- the last pass still waiting, or ended only by a restart (outcome 'unknown'): the queue_log
  has not decided, the CDR's values stay.
- hangup_by: COMPLETEAGENT -> agent, COMPLETECALLER / ABANDON -> caller (of the last pass),
  else the CDR's. queue (and destination) = the first queue entered when the CDR had none;
  transferred_to from a queue transfer when the CDR had none.

Never changed here: direction, start/end, duration_s, ivr, ring group, trunks, DID.
Queue calls with no queue_log at all keep the CDR's outcome (nothing to overlay).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from data import schema as s

# The call columns the overlay may replace; call_cdr_view holds the CDR's own values of them.
VIEW_FIELDS = ("status", "answer_utc", "ring_s", "talk_s", "answered_by", "extension", "hangup_by", "queue",
               "destination_type", "destination", "transferred_to")
UNDECIDED = {"waiting", "unknown"}  # no exit seen (yet): still waiting / ended by a restart
SECOND = timedelta(seconds=1)


def _in(col, values: list, pg: bool):
    if pg:
        return col == sa.func.any(sa.bindparam(None, values, type_=sa.ARRAY(sa.BigInteger)))
    return col.in_(values)


def _secs(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds()))


def transfer_end(passes: list) -> datetime | None:
    """When the call's last answered pass ended in a transfer (its exit), else None: the
    talk after that moment is the transfer target's, which only the CDR's legs know."""
    answered = [p for p in passes if p.outcome == "answered"]
    if not answered:
        return None
    last = answered[-1]
    # Ended by a TRANSFER / BLINDTRANSFER / ATTENDEDTRANSFER: a calltime and no hang-up side
    # (COMPLETEAGENT / COMPLETECALLER set one). connect_utc: recorded since migration 0011.
    if last.exit_utc is None or last.talk_s is None or last.hangup_by is not None or last.connect_utc is None:
        return None
    if any(p.enter_utc > last.enter_utc for p in passes if p.outcome != "answered"):
        return None  # transferred into another queue: that pass says what happened next
    return last.exit_utc


def talk_after(legs: list, at: datetime) -> int:
    """Seconds the call's party legs (answered, to a device or trunk — not a Local/ half)
    were talking after `at`."""
    total = 0
    for leg in legs:
        if leg.answer_utc is None or not leg.dst_channel or leg.dst_channel[:6].lower() == "local/":
            continue
        total += min(int(leg.talk_s or 0), _secs(max(leg.answer_utc, at), leg.end_utc))
    return total


def overlay(call: dict, base: dict, passes: list, after_transfer_s: int = 0) -> dict:
    """The call's values (VIEW_FIELDS) given the CDR's own (`base`), its queue passes ordered
    by entry and, for a call transferred by its agent, the CDR talk after the transfer."""
    new = {k: base[k] for k in VIEW_FIELDS}
    if not passes:
        return new
    if new["queue"] is None:
        new["queue"] = passes[0].queue[:32]
        if new["destination_type"] != "external":  # an outside number stays where it is
            new["destination_type"], new["destination"] = "queue", passes[0].queue[:64]
    if new["transferred_to"] is None:
        new["transferred_to"] = next((p.transferred_to[:64] for p in passes if p.transferred_to), None)
    start, end, duration = call["start_utc"], call["end_utc"], int(call["duration_s"] or 0)
    last = passes[-1]
    answered = [p for p in passes if p.outcome == "answered"]
    if answered:
        first = answered[0]
        connect = first.connect_utc or first.enter_utc + timedelta(seconds=first.wait_s or 0)
        connect = min(max(connect, start), end)
        talks = [p.talk_s for p in answered]
        if any(t is None for t in talks):  # still talking / cut by a restart: no calltime
            talk = base["talk_s"] if base["status"] == "answered" else _secs(connect, end)
        else:
            talk = sum(talks) + after_transfer_s
        talk = max(0, min(talk, duration))
        agent = (first.agent or "")[:32]
        # Ring: until a person answered (IVR, wait, the agent's ringing), as the CDR counts it;
        # a transfer target's ringing later in the call is neither ring nor talk.
        ring = min(_secs(start, connect), duration - talk)
        new.update(status="answered", answer_utc=connect, talk_s=talk, ring_s=ring,
                   answered_by=base["answered_by"] or (agent if agent.isdigit() else None))
        if call["direction"] == "inbound" and new["answered_by"]:
            new["extension"] = new["answered_by"]
    elif last.outcome not in UNDECIDED:
        exit_at = last.exit_utc
        failover = base["status"] == "voicemail" or (
            base["status"] == "answered" and base["answer_utc"] is not None and exit_at is not None
            and base["answer_utc"] >= exit_at - SECOND)
        if not failover:
            new.update(status="abandoned" if last.outcome == "abandoned" else "no_answer", answer_utc=None,
                       talk_s=0, ring_s=duration, answered_by=None)
        elif base["status"] == "voicemail" and exit_at is not None:
            # The caller's CDR often runs on from the queue into VoiceMail with the answer time
            # of the queue: the voicemail began when the queue gave up, not earlier.
            new["ring_s"] = min(duration, max(base["ring_s"], _secs(start, exit_at)))
    if last.hangup_by:
        new["hangup_by"] = last.hangup_by
    return new


def _chunks(seq: list, n: int):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def apply(conn: sa.Connection, call_ids: list[int], *, cdr_fresh: bool = True
          ) -> tuple[datetime | None, datetime | None, int]:
    """Write the queue_log's view onto these calls; (first, last) start of the calls changed,
    for the caller's aggregate refresh, and how many changed.

    `cdr_fresh`: the calls' columns were just written from their legs (the CDR importer,
    rebuilding calls) and are the CDR's own view — it replaces any kept one. False (the
    queue_log importer): the columns may hold an earlier overlay; the CDR's view is the kept
    one where there is one."""
    if not call_ids:
        return None, None, 0
    pg = conn.dialect.name == "postgresql"
    qc, c, v, leg = s.queue_call, s.call, s.call_cdr_view, s.call_leg
    step = 20_000 if pg else 500
    if cdr_fresh:
        for part in _chunks(call_ids, step):
            conn.execute(v.delete().where(_in(v.c.call_id, part, pg)))
    by_call: dict[int, list] = {}
    for part in _chunks(call_ids, step):
        for r in conn.execute(sa.select(qc.c.call_id, qc.c.queue, qc.c.enter_utc, qc.c.exit_utc, qc.c.outcome,
                                        qc.c.agent, qc.c.wait_s, qc.c.talk_s, qc.c.connect_utc, qc.c.hangup_by,
                                        qc.c.transferred_to)
                              .where(_in(qc.c.call_id, part, pg)).order_by(qc.c.call_id, qc.c.enter_utc, qc.c.id)):
            by_call.setdefault(r.call_id, []).append(r)
    if not by_call:
        return None, None, 0
    ids = sorted(by_call)
    views: dict[int, dict] = {}
    if not cdr_fresh:
        for part in _chunks(ids, step):
            for r in conn.execute(sa.select(v).where(_in(v.c.call_id, part, pg))):
                views[r.call_id] = dict(r._mapping)
    transferred = {i: t for i, t in ((i, transfer_end(by_call[i])) for i in ids) if t is not None}
    legs: dict[int, list] = {}
    for part in _chunks(sorted(transferred), step):
        for r in conn.execute(sa.select(leg.c.call_id, leg.c.answer_utc, leg.c.end_utc, leg.c.talk_s,
                                        leg.c.dst_channel)
                              .where(_in(leg.c.call_id, part, pg), leg.c.status == "answered")):
            legs.setdefault(r.call_id, []).append(r)

    updates: list[dict] = []
    new_views: list[dict] = []
    stale_views: list[int] = []
    lo = hi = None
    cols = [c.c[k] for k in VIEW_FIELDS]
    for part in _chunks(ids, step):
        for r in conn.execute(sa.select(c.c.id, c.c.start_utc, c.c.end_utc, c.c.duration_s, c.c.direction, *cols)
                              .where(_in(c.c.id, part, pg))):
            call = dict(r._mapping)
            kept = views.get(r.id)
            base = kept or {k: call[k] for k in VIEW_FIELDS}
            at = transferred.get(r.id)
            new = overlay(call, base, by_call[r.id], talk_after(legs.get(r.id, ()), at) if at else 0)
            if any(new[k] != call[k] for k in VIEW_FIELDS):
                updates.append({"_id": r.id, **{"_" + k: new[k] for k in VIEW_FIELDS}})
                lo = r.start_utc if lo is None or r.start_utc < lo else lo
                hi = r.start_utc if hi is None or r.start_utc > hi else hi
            differs = any(new[k] != base[k] for k in VIEW_FIELDS)
            if differs and kept is None:
                new_views.append({"call_id": r.id, **base})
            elif not differs and kept is not None:
                stale_views.append(r.id)
    if updates:
        conn.execute(c.update().where(c.c.id == sa.bindparam("_id"))
                     .values({k: sa.bindparam("_" + k) for k in VIEW_FIELDS}), updates)
    if new_views:
        conn.execute(v.insert(), new_views)
    for part in _chunks(stale_views, step):
        conn.execute(v.delete().where(_in(v.c.call_id, part, pg)))
    return lo, hi, len(updates)

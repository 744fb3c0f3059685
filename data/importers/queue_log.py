"""Asterisk queue_log (pipe format) -> queue_call, queue_attempt, agent_session, agent_pause.

Line: ``epoch|callid|queue|agent|event|data1|data2|...`` (epoch in UTC seconds). Events:

- ENTERQUEUE opens a queue call (outcome 'unknown' until an exit arrives: a call whose exit
  never comes, e.g. after a PBX restart, stays 'unknown' instead of being dropped);
  CONNECT (holdtime) answers it; COMPLETECALLER / COMPLETEAGENT (holdtime, calltime),
  TRANSFER / BLINDTRANSFER (extension, context, holdtime, calltime), ATTENDEDTRANSFER
  (BRIDGE|id / APP|app / LINK|chan1|chan2, holdtime, calltime) end an answered call;
  ABANDON / EXITWITHTIMEOUT / EXITEMPTY (position, origposition, waittime) and
  EXITWITHKEY (key, position, origposition, waittime) end an unanswered one.
- RINGNOANSWER (ms; 0 = member unavailable) and RINGCANCELED (ms) are attempts.
- AGENTLOGIN / AGENTLOGOFF, AGENTCALLBACKLOGIN / LOGOFF, ADDMEMBER / REMOVEMEMBER open
  and close agent sessions; PAUSE / UNPAUSE, PAUSEALL / UNPAUSEALL open and close pauses.
- ``NONE|NONE|NONE`` housekeeping (QUEUESTART, CONFIGRELOAD), DID, INFO and the other
  informational events are read and skipped.

Queue calls are linked to their CDR call by callid = call_uid. Idempotent (a queue call is
(source, callid, queue, enter time); attempts, sessions and pauses are matched on their
times) and incremental like the CDR import; each batch commits with its aggregate refresh.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from data import aggregates
from data import schema as s
from data.importers import queue_link
from data.importers.rules import learn_classes
from data.importers.base import (
    FINGERPRINT_BYTES,
    ImportFailed,
    ImportStats,
    RejectWriter,
    ensure_source,
    find_source,
    gc_paused,
    get_state,
    location_of,
    open_binary,
    save_state,
    source_lock,
    source_name,
    start_file_import,
)

KIND = "queue-log"
DEFAULT_BATCH_LINES = 50_000
# From this many new lines on, the aggregates are refreshed once at the end of the import.
LARGE_IMPORT_LINES = 200_000

CALL_EVENTS = {"ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT",
               "EXITEMPTY", "EXITWITHKEY", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER", "RINGNOANSWER",
               "RINGCANCELED"}
AGENT_EVENTS = {"AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "ADDMEMBER",
                "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"}
INFO_EVENTS = {"CONFIGRELOAD", "DID", "INFO", "PENALTY", "RINGINUSE", "WITHDRAW", "OUTCALL",
               "AGENTDUMP", "SYSCOMPAT", "SYSCOMPAT", "CALLERONHOLD", "CALLEROFFHOLD", "QUEUEPAUSE",
               "ENTERQUEUEAGAIN"}
# Asterisk (app_queue) started: every call that was waiting in a queue is gone.
RESTART_EVENTS = {"QUEUESTART"}
EXIT_OUTCOME = {"ABANDON": "abandoned", "EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "no_agents",
                "EXITWITHKEY": "exit_key"}


class BadLine(ValueError):
    pass


def _int(v: str | None) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(float(v))
    except ValueError:
        return None


def agent_name(agent: str) -> str:
    """`PJSIP/101`, `SIP/101`, `Local/101@from-queue/n`, `Agent/101` -> '101'; names stay."""
    a = agent.strip()
    slash = a.find("/")
    if slash > 0 and " " not in a:
        rest = a[slash + 1 :]
        rest = rest.split("@", 1)[0].split("/", 1)[0]
        if rest.isdigit():
            return rest[:64]
    return a[:64]


def channel_peer(channel: str) -> str:
    """'PJSIP/300-00000002' / 'SIP/300-0a1b' / 'Local/300@from-internal-00000a;1' -> '300' (the
    endpoint a channel belongs to); anything else as it is (at most 64 characters)."""
    ch = channel.strip()
    slash = ch.find("/")
    if slash > 0:
        rest = ch[slash + 1 :]
        name = rest.split("@", 1)[0] if ch[:6].lower() == "local/" else rest.rsplit("-", 1)[0]
        if name:
            return name[:64]
    return ch[:64]


class Event:
    __slots__ = ("lineno", "at", "callid", "queue", "agent", "event", "data")


_EPOCH_MIN, _EPOCH_MAX = 31_536_000, 32_503_680_000  # 1971 .. 3000


def make_event(at: datetime, callid: str, queue: str, agent: str, event: str, data: list[str],
               lineno: int) -> Event | None:
    """An Event from fields already split (naive UTC time), None for a line to skip, or BadLine."""
    ev = event.upper()
    if not ev:
        raise BadLine("missing event")
    if ev not in CALL_EVENTS and ev not in AGENT_EVENTS and ev not in RESTART_EVENTS:
        if ev in INFO_EVENTS or ev.isalpha():
            return None  # housekeeping / informational
        raise BadLine(f"unknown event {event[:30]!r}")
    if ev in CALL_EVENTS and (callid in ("", "NONE") or queue in ("", "NONE")):
        raise BadLine(f"{ev} without a call id or queue")
    if len(callid) > 80:
        raise BadLine("call id longer than 80 characters")
    e = Event()
    e.lineno = lineno
    e.at = at
    e.callid, e.queue, e.agent, e.event = callid, queue[:32], agent, ev
    e.data = data
    return e


def epoch_time(epoch_s: str) -> datetime:
    """'1780297202' (UTC seconds, fractions allowed) -> naive UTC, or BadLine."""
    try:
        epoch = float(epoch_s)
    except ValueError:
        raise BadLine(f"time is not a Unix epoch: {epoch_s[:30]!r}") from None
    if not (_EPOCH_MIN <= epoch < _EPOCH_MAX):
        raise BadLine(f"impossible time {epoch_s[:30]!r}")
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def parse_line(line: str, lineno: int) -> Event | None:
    """A pipe line (epoch|callid|queue|agent|event|data...): an Event, None to skip, or BadLine."""
    parts = line.split("|")
    if len(parts) < 5:
        raise BadLine(f"too few fields ({len(parts)}, expected at least 5: epoch|callid|queue|agent|event)")
    return make_event(epoch_time(parts[0].strip()), parts[1].strip(), parts[2].strip(), parts[3].strip(),
                      parts[4].strip(), [p.strip() for p in parts[5:]], lineno)


def _d(e: Event, i: int) -> str | None:
    return e.data[i] if len(e.data) > i else None


# ----------------------------------------------------------------------------- applying events

QC_COLS = ("call_uid", "queue", "enter_utc", "exit_utc", "wait_s", "outcome", "agent", "talk_s", "position",
           "orig_position", "exit_key", "caller_number", "transferred_to", "connect_utc", "hangup_by")
END_EVENTS = ("COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")


def _secs(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds()))


def _apply_call_event(qc: dict, e: Event) -> None:
    """One event on its queue call (a dict of QC_COLS). Open states: outcome 'waiting' (no
    exit yet: wait_s None) and 'answered' without exit_utc (still talking: talk_s None)."""
    ev = e.event
    if ev == "CONNECT":  # holdtime|member uniqueid|ringtime (older: holdtime|uniqueid)
        qc["outcome"] = "answered"
        qc["agent"] = agent_name(e.agent) if e.agent not in ("", "NONE") else qc["agent"]
        hold = _int(_d(e, 0))
        qc["wait_s"] = hold if hold is not None else _secs(qc["enter_utc"], e.at)
        if qc["connect_utc"] is None or e.at < qc["connect_utc"]:
            qc["connect_utc"] = e.at
        return
    if ev in END_EVENTS:
        qc["outcome"] = "answered"
        if e.agent not in ("", "NONE"):
            qc["agent"] = agent_name(e.agent)
        if ev in ("COMPLETECALLER", "COMPLETEAGENT"):  # holdtime|calltime|origposition
            hold, talk = _int(_d(e, 0)), _int(_d(e, 1))
            if _int(_d(e, 2)) is not None:
                qc["orig_position"] = _int(_d(e, 2))
            qc["hangup_by"] = "agent" if ev == "COMPLETEAGENT" else "caller"
        elif ev == "ATTENDEDTRANSFER":
            method = (_d(e, 0) or "").upper()
            if method == "LINK":  # LINK|chan1|chan2|holdtime|calltime|origpos: chan2 leads to the target
                qc["transferred_to"] = channel_peer(_d(e, 2) or _d(e, 1) or "") or None
                hold, talk = _int(_d(e, 3)), _int(_d(e, 4))
            else:  # BRIDGE|bridge id|... or APP|app|...: names no destination (the CDR's legs do)
                hold, talk = _int(_d(e, 2)), _int(_d(e, 3))
        else:  # TRANSFER / BLINDTRANSFER: extension|context|holdtime|calltime|origpos
            qc["transferred_to"] = (_d(e, 0) or "")[:64] or None
            hold, talk = _int(_d(e, 2)), _int(_d(e, 3))
        if hold is not None:
            qc["wait_s"] = hold
        elif qc["wait_s"] is None:
            qc["wait_s"] = _secs(qc["enter_utc"], qc["connect_utc"] or e.at)
        if talk is None:  # an older layout without calltime: from the CONNECT on
            talk = _secs(qc["connect_utc"], e.at) if qc["connect_utc"] is not None else None
        qc["talk_s"] = talk
        if qc["connect_utc"] is None and talk is not None:  # the CONNECT line is missing
            qc["connect_utc"] = e.at - timedelta(seconds=talk)
        qc["exit_utc"] = e.at
        return
    outcome = EXIT_OUTCOME.get(ev)
    if outcome is not None:
        qc["outcome"] = outcome
        qc["exit_utc"] = e.at
        qc["talk_s"] = 0
        if ev == "ABANDON":
            qc["hangup_by"] = "caller"
        if ev == "EXITWITHKEY":
            qc["exit_key"] = (_d(e, 0) or "")[:4] or None
            pos, orig, wait = _int(_d(e, 1)), _int(_d(e, 2)), _int(_d(e, 3))
        else:
            pos, orig, wait = _int(_d(e, 0)), _int(_d(e, 1)), _int(_d(e, 2))
        if pos is not None:
            qc["position"] = pos
        if orig is not None:
            qc["orig_position"] = orig
        qc["wait_s"] = wait if wait is not None else _secs(qc["enter_utc"], e.at)


def _in(col, values: list, pg: bool):
    if pg:
        return col == sa.func.any(sa.bindparam(None, values, type_=sa.ARRAY(sa.String)))
    return col.in_(values)


def stored_all(stored: dict) -> list[dict]:
    return [d for lst in stored.values() for d in lst]


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def write_batch(conn: sa.Connection, source_id: int, events: list[Event], stats: ImportStats, *,
                refresh: bool = True):
    """The batch's queue calls, attempts, agent sessions and pauses, merged with what is
    stored; with `refresh` the aggregates of the hours touched too. Returns those hours'
    (first, last) start, or (None, None)."""
    qc_t, qa_t = s.queue_call, s.queue_attempt
    call_events = [e for e in events if e.event in CALL_EVENTS]
    agent_events = [e for e in events if e.event in AGENT_EVENTS]

    # Queue calls already stored for the call ids of this batch.
    callids = sorted({e.callid for e in call_events})
    pg = conn.dialect.name == "postgresql"
    stored: dict[tuple[str, str], list[dict]] = {}
    call_ids: dict[str, int] = {}  # CDR calls of these call ids: queue calls link to them
    c = s.call
    for part in _chunks(callids, 20_000 if pg else 500):
        for r in conn.execute(sa.select(qc_t).where(qc_t.c.source_id == source_id, _in(qc_t.c.call_uid, part, pg))):
            stored.setdefault((r.call_uid, r.queue), []).append(dict(r._mapping))
        for uid, cid in conn.execute(sa.select(c.c.call_uid, c.c.id).where(c.c.source_id == source_id,
                                                                           _in(c.c.call_uid, part, pg))):
            call_ids[uid] = cid
    for lst in stored.values():
        lst.sort(key=lambda d: d["enter_utc"])
    known_attempts: set[tuple] = set()
    ids = [d["id"] for lst in stored.values() for d in lst]
    for part in _chunks(ids, 500):
        for r in conn.execute(sa.select(qa_t.c.queue_call_id, qa_t.c.agent, qa_t.c.at_utc, qa_t.c.result)
                              .where(qa_t.c.queue_call_id.in_(part))):
            known_attempts.add((r.queue_call_id, r.agent, r.at_utc, r.result))

    current: dict[tuple[str, str], dict] = {}  # the queue call each (callid, queue) is in now
    new_qcs: list[dict] = []
    new_by_enter: dict[tuple, dict] = {}
    dirty: dict[int, dict] = {}
    attempts: list[tuple[dict, dict]] = []  # (queue call, attempt row)

    def find(key, at) -> dict | None:
        qc = current.get(key)
        if qc is not None and qc["enter_utc"] <= at + timedelta(seconds=1):
            return qc
        best = None
        for d in stored.get(key, ()):
            if d["enter_utc"] <= at + timedelta(seconds=1):
                best = d
        return best

    for e in call_events:
        key = (e.callid, e.queue)
        if e.event == "ENTERQUEUE":
            same = new_by_enter.get((e.callid, e.queue, e.at))
            if same is None:
                same = next((d for d in stored.get(key, ()) if d["enter_utc"] == e.at), None)
            if same is not None:
                stats.duplicates_skipped += 1
                current[key] = same
                continue
            qc = dict(call_uid=e.callid, queue=e.queue, enter_utc=e.at, exit_utc=None, wait_s=None, outcome="waiting",
                      agent=None, talk_s=None, position=None, orig_position=_int(_d(e, 2)), exit_key=None,
                      caller_number=(_d(e, 1) or "")[:64] or None, transferred_to=None, connect_utc=None,
                      hangup_by=None)
            new_qcs.append(qc)
            new_by_enter[(e.callid, e.queue, e.at)] = qc
            current[key] = qc
            continue
        qc = find(key, e.at)
        if qc is None:
            stats.orphans += 1  # an event of a queue call whose ENTERQUEUE was never seen
            continue
        if e.event in ("RINGNOANSWER", "RINGCANCELED"):
            ms = _int(_d(e, 0)) or 0
            result = "ring_cancelled" if e.event == "RINGCANCELED" else ("unavailable" if ms == 0 else "ring_no_answer")
            attempts.append((qc, dict(queue=e.queue, agent=agent_name(e.agent) or "?", at_utc=e.at,
                                      ring_ms=max(0, min(ms, 2_000_000_000)), result=result)))
            continue
        before = dict(qc)
        _apply_call_event(qc, e)
        if "id" in qc and qc != before:
            dirty[qc["id"]] = qc

    # Link to the CDR calls of the same source (callid = call_uid).
    for d in stored_all(stored):
        if d["call_id"] is None and d["call_uid"] in call_ids:
            d["call_id"] = call_ids[d["call_uid"]]
            dirty[d["id"]] = d
    for d in new_qcs:
        d["call_id"] = call_ids.get(d["call_uid"])

    # Write queue calls.
    if new_qcs:
        cols = ("source_id", "call_id") + QC_COLS
        if pg:
            from data.bulk import copy_rows, next_ids

            ids = next_ids(conn, "queue_call", len(new_qcs))
            copy_rows(conn, qc_t, ("id",) + cols,
                      ((i, source_id) + tuple(d[k] for k in cols[1:]) for i, d in zip(ids, new_qcs)))
        else:
            res = conn.execute(
                qc_t.insert().returning(qc_t.c.id, sort_by_parameter_order=True),
                [dict(source_id=source_id, **{k: d[k] for k in cols[1:]}) for d in new_qcs],
            )
            ids = list(res.scalars())
        for d, new_id in zip(new_qcs, ids):
            d["id"] = new_id
        stats.calls_added += len(new_qcs)
    if dirty:
        cols = [c for c in QC_COLS if c not in ("call_uid", "queue", "enter_utc")] + ["call_id"]
        stmt = qc_t.update().where(qc_t.c.id == sa.bindparam("_id")).values({c: sa.bindparam("_" + c) for c in cols})
        conn.execute(stmt, [{"_id": i, **{"_" + c: d[c] for c in cols}} for i, d in dirty.items()])
        stats.calls_updated += len(dirty)
    rows = []
    for qc, att in attempts:
        k = (qc["id"], att["agent"], att["at_utc"], att["result"])
        if k in known_attempts:
            stats.duplicates_skipped += 1
            continue
        known_attempts.add(k)
        rows.append(dict(queue_call_id=qc["id"], **att))
    if rows:
        if pg:
            from data.bulk import copy_rows

            acols = ("queue_call_id", "queue", "agent", "at_utc", "ring_ms", "result")
            copy_rows(conn, qa_t, acols, (tuple(r[k] for k in acols) for r in rows))
        else:
            conn.execute(qa_t.insert(), rows)

    _write_agent_events(conn, source_id, agent_events, stats)
    # The numbers queues have are queues (data.importers.rules: number classes for the CDR).
    learn_classes(conn, source_id, {q: "queue" for q in {e.queue for e in call_events}})

    closed = _close_at_restarts(conn, source_id, [e.at for e in events if e.event in RESTART_EVENTS])
    # The calls of these queue calls: status, queue, agent, transfer (data.importers.queue_link).
    linked = sorted({d["call_id"] for d in new_qcs if d["call_id"] is not None}
                    | {d["call_id"] for d in dirty.values() if d["call_id"] is not None}
                    | {d["call_id"] for d in closed if d["call_id"] is not None})
    first, last, changed = queue_link.apply(conn, linked, cdr_fresh=False)
    stats.cdr_calls_updated += changed
    enters = [d["enter_utc"] for d in new_qcs] + [d["enter_utc"] for d in dirty.values()]
    enters += [t for t in (first, last) if t is not None] + [d["enter_utc"] for d in closed]
    if not enters:
        return None, None
    if refresh:
        aggregates.refresh(conn, min(enters), max(enters))
    return min(enters), max(enters)


def _close_at_restarts(conn: sa.Connection, source_id: int, restarts: list[datetime]) -> list[dict]:
    """A queue call still open when Asterisk restarted (QUEUESTART) never gets an exit line:
    it ends at the restart — closed, not dropped. A caller still waiting becomes 'unknown'
    (no exit event) having waited until the restart; a call still talking keeps 'answered'
    with its talk unknown (NULL: left out of the averages). Returns the queue calls closed."""
    qc_t = s.queue_call
    closed: list[dict] = []
    for at in sorted(restarts):
        rows = conn.execute(sa.select(qc_t.c.id, qc_t.c.call_id, qc_t.c.enter_utc, qc_t.c.outcome, qc_t.c.wait_s)
                            .where(qc_t.c.source_id == source_id, qc_t.c.exit_utc.is_(None),
                                   qc_t.c.enter_utc < at)).all()
        params = []
        for r in rows:
            waiting = r.outcome == "waiting"
            params.append({"_id": r.id, "_exit": at, "_outcome": "unknown" if waiting else r.outcome,
                           "_wait": _secs(r.enter_utc, at) if waiting else r.wait_s})
            closed.append(dict(r._mapping))
        if params:
            conn.execute(qc_t.update().where(qc_t.c.id == sa.bindparam("_id"))
                         .values(exit_utc=sa.bindparam("_exit"), wait_s=sa.bindparam("_wait"),
                                 outcome=sa.bindparam("_outcome")), params)
    return closed


def _write_agent_events(conn: sa.Connection, source_id: int, events: list[Event], stats: ImportStats) -> None:
    """Sessions and pauses of a batch, applied in memory to what is open, written in bulk."""
    if not events:
        return
    ses, pau = s.agent_session, s.agent_pause
    pg = conn.dialect.name == "postgresql"
    items = []
    for e in events:
        agent = agent_name(e.agent)
        if agent and agent != "NONE":
            items.append((e, agent, None if e.queue in ("", "NONE") else e.queue))
    if not items:
        return
    agents = sorted({a for _, a, _ in items})
    lo = min(e.at for e, _, _ in items)
    # What is stored: open rows (to close) and rows starting inside this batch (duplicates).
    sessions: list[dict] = []
    pauses: list[dict] = []
    for part in _chunks(agents, 20_000 if pg else 500):
        sessions += [dict(r._mapping) for r in conn.execute(sa.select(ses).where(
            ses.c.source_id == source_id, _in(ses.c.agent, part, pg),
            sa.or_(ses.c.logout_utc.is_(None), ses.c.login_utc >= lo)))]
        pauses += [dict(r._mapping) for r in conn.execute(sa.select(pau).where(
            pau.c.source_id == source_id, _in(pau.c.agent, part, pg),
            sa.or_(pau.c.end_utc.is_(None), pau.c.start_utc >= lo)))]
    seen_s = {(d["agent"], d["queue"], d["login_utc"]) for d in sessions}
    seen_p = {(d["agent"], d["queue"], d["start_utc"]) for d in pauses}
    open_s: dict[tuple, list[dict]] = {}
    open_p: dict[str, list[dict]] = {}
    for d in sorted(sessions, key=lambda d: d["login_utc"]):
        if d["logout_utc"] is None:
            open_s.setdefault((d["agent"], d["queue"]), []).append(d)
    for d in sorted(pauses, key=lambda d: d["start_utc"]):
        if d["end_utc"] is None:
            open_p.setdefault(d["agent"], []).append(d)
    new_s: list[dict] = []
    new_p: list[dict] = []
    changed_s: dict[int, dict] = {}
    changed_p: dict[int, dict] = {}
    for e, agent, queue in items:
        ev = e.event
        if ev in ("AGENTLOGIN", "AGENTCALLBACKLOGIN", "ADDMEMBER"):
            k = (agent, queue, e.at)
            if k in seen_s:
                stats.duplicates_skipped += 1
                continue
            seen_s.add(k)
            d = dict(source_id=source_id, agent=agent, queue=queue, login_utc=e.at, logout_utc=None, logout_reason=None)
            new_s.append(d)
            open_s.setdefault((agent, queue), []).append(d)
            stats.sessions += 1
        elif ev in ("AGENTLOGOFF", "AGENTCALLBACKLOGOFF", "REMOVEMEMBER"):
            stack = [d for d in open_s.get((agent, queue), []) if d["login_utc"] <= e.at]
            if stack:
                d = stack[-1]
                open_s[(agent, queue)].remove(d)
                d["logout_utc"] = e.at
                d["logout_reason"] = ((_d(e, 2) if ev == "AGENTCALLBACKLOGOFF" else None) or ev.lower())[:64]
                if "id" in d:
                    changed_s[d["id"]] = d
        elif ev in ("PAUSE", "PAUSEALL"):
            q = None if ev == "PAUSEALL" else queue
            k = (agent, q, e.at)
            if k in seen_p:
                stats.duplicates_skipped += 1
                continue
            seen_p.add(k)
            d = dict(source_id=source_id, agent=agent, queue=q, start_utc=e.at, end_utc=None,
                     reason=(_d(e, 0) or "")[:64] or None)
            new_p.append(d)
            open_p.setdefault(agent, []).append(d)
            stats.pauses += 1
        elif ev in ("UNPAUSE", "UNPAUSEALL"):
            keep = []
            for d in open_p.get(agent, []):
                if d["start_utc"] <= e.at and (ev == "UNPAUSEALL" or queue is None or d["queue"] in (queue, None)):
                    d["end_utc"] = e.at
                    if "id" in d:
                        changed_p[d["id"]] = d
                else:
                    keep.append(d)
            open_p[agent] = keep
    if new_s:
        conn.execute(ses.insert(), new_s)
    if new_p:
        conn.execute(pau.insert(), new_p)
    if changed_s:
        conn.execute(ses.update().where(ses.c.id == sa.bindparam("_id")).values(
            logout_utc=sa.bindparam("_out"), logout_reason=sa.bindparam("_why")),
            [{"_id": i, "_out": d["logout_utc"], "_why": d["logout_reason"]} for i, d in changed_s.items()])
    if changed_p:
        conn.execute(pau.update().where(pau.c.id == sa.bindparam("_id")).values(end_utc=sa.bindparam("_end")),
                     [{"_id": i, "_end": d["end_utc"]} for i, d in changed_p.items()])


# ----------------------------------------------------------------------------- the import

def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    return text.replace("\x00", "").rstrip("\r\n")


def _looks_like_queue_log(lines: list[str]) -> bool:
    ok = 0
    for line in lines:
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) >= 5 and parts[0].strip().replace(".", "", 1).isdigit():
            ok += 1
    return ok > 0


# ----------------------------------------------------------------------------- table exports
# A queue_log table exported to CSV (mysqldump --tab, phpMyAdmin, psql \copy, a spreadsheet):
# Asterisk's realtime table (time, callid, queuename, agent, event, data1..data5 or one `data`
# column), QueueMetrics' (partition, time_id, call_id, queue, agent, verb, data1..data5,
# serverid, unique_row_count), home-grown ones (uid, date_time, callid, queuename, agent,
# event, param1..param3); with or without a header, `,` `;` tab or `|` separated, NULL
# literals, times as epochs, ISO or local formats. Columns are found by name (aliases below),
# extra columns (ids, position, hold/talk time, server) are ignored.

COLUMN_ALIASES = {
    "time": ("time", "date_time", "datetime", "time_id", "timestamp", "event_time", "eventtime", "time_stamp",
             "calldate", "date", "created", "created_at"),
    "callid": ("callid", "call_id", "uniqueid", "unique_id", "call_uid", "ast_call_id", "uid"),
    "queue": ("queuename", "queue", "queue_name", "qname"),
    "agent": ("agent", "agent_name", "membername", "member", "qagent", "agentdev", "interface"),
    "event": ("event", "verb", "qevent", "action", "event_type", "eventtype"),
}
REQUIRED = ("time", "callid", "queue", "agent", "event")
DATA_PREFIXES = ("data", "param", "info", "arg")
SINGLE_DATA = ("data", "params", "parameters", "args", "arguments")
NULLS = {"NULL", "null", "\\N", "(null)"}
EXPECTED = ("time, callid, queuename, agent, event and data1..data5 (or param1..paramN, or one data column "
            "holding data1|data2|...)")
ALL_EVENTS = CALL_EVENTS | AGENT_EVENTS | RESTART_EVENTS | INFO_EVENTS | {"QUEUESTART", "ENTERQUEUE"}


def _norm(name: str) -> str:
    return name.strip().strip("\ufeff").strip().strip('"`[]\'').strip().lower().replace(" ", "_").replace("-", "_")


def resolve_columns(names: list[str]) -> tuple[dict[str, int], list[int], int | None]:
    """Positions of the queue_log columns in a header (any of COLUMN_ALIASES, first alias
    found wins): ({role: index}, data columns in order, the single `data` column or None)."""
    normed = [_norm(n) for n in names]
    found: dict[str, int] = {}
    for role, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in normed and normed.index(alias) not in found.values():
                found[role] = normed.index(alias)
                break
    numbered: dict[str, list[tuple[int, int]]] = {}
    for i, n in enumerate(normed):
        for prefix in DATA_PREFIXES:
            rest = n[len(prefix):].lstrip("_") if n.startswith(prefix) else ""
            if rest.isdigit() and i not in found.values():
                numbered.setdefault(prefix, []).append((int(rest), i))
    data = sorted(max(numbered.values(), key=len)) if numbered else []
    single = next((normed.index(n) for n in SINGLE_DATA if n in normed and normed.index(n) not in found.values()), None)
    return found, [i for _, i in data], single


_LOCAL_TIME = re.compile(r"^(\d{1,4})([./-])(\d{1,2})[./-](\d{2,4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
                         r"\s*([AaPp]\.?[Mm]\.?)?$")


class TimeReader:
    """Times of a table export -> naive UTC: Unix epochs (UTC), ISO 8601 (with an offset, or
    local in `tz`) and local formats — 05.02.2023 00:09:13, 5/2/2023 0:09, 2/5/2023 12:09:13 AM,
    2023/02/05 00:09:13. Day or month first is decided once from the file's sample: a first
    number over 12 means day first, a second one over 12 month first; otherwise dots mean day
    first, AM/PM month first (US), anything else day first."""

    def __init__(self, tz, samples: list[str]) -> None:
        from data.importers.asterisk.parse import make_time_parser

        self.iso = make_time_parser(tz)
        self.tz = tz
        self.offsets: dict[tuple, timedelta] = {}
        firsts = seconds = 0
        dots = ampm = False
        for v in samples:
            m = _LOCAL_TIME.match(v.strip())
            if m and len(m.group(1)) <= 2:
                firsts += int(m.group(1)) > 12
                seconds += int(m.group(3)) > 12
                dots |= m.group(2) == "."
                ampm |= m.group(9) is not None
        self.day_first = True if firsts else False if seconds else (dots or not ampm)

    def __call__(self, v: str) -> datetime:
        v = v.strip()
        if not v:
            raise BadLine("no time")
        if v.replace(".", "", 1).isdigit():
            return epoch_time(v)
        try:
            return self.iso(v)
        except ValueError:
            pass
        m = _LOCAL_TIME.match(v)
        if m is None:
            raise BadLine(f"time not understood: {v[:30]!r}")
        a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if len(m.group(1)) == 4:
            y, mo, d = a, b, c
        else:
            (d, mo), y = ((a, b) if self.day_first else (b, a)), (c + 2000 if c < 100 else c)
        hh, mm, ss = int(m.group(5) or 0), int(m.group(6) or 0), int(m.group(7) or 0)
        frac = m.group(8)
        if m.group(9):
            pm = m.group(9)[0] in "Pp"
            if not 1 <= hh <= 12:
                raise BadLine(f"time not understood: {v[:30]!r}")
            hh = hh % 12 + (12 if pm else 0)
        try:
            local = datetime(y, mo, d, hh, mm, ss, int((frac or "0")[:6].ljust(6, "0")))
        except ValueError:
            raise BadLine(f"time not understood: {v[:30]!r}") from None
        key = (y, mo, d, hh)
        off = self.offsets.get(key)
        if off is None:
            off = local.replace(tzinfo=self.tz).utcoffset() or timedelta(0)
            self.offsets[key] = off
        return local - off


class TableLayout:
    """Where the queue_log fields are in the rows of a table export."""

    def __init__(self, delimiter: str, cols: dict[str, int], data: list[int], single: int | None,
                 header_lineno: int | None, names: list[str]) -> None:
        self.delimiter, self.cols, self.data, self.single = delimiter, cols, data, single
        self.header_lineno = header_lineno  # None: no header row
        self.names = names
        self.width = max([*cols.values(), *data, *([single] if single is not None else [])]) + 1
        self.reader: TimeReader | None = None

    @property
    def label(self) -> str:
        sep = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[self.delimiter]
        return f"queue_log table export ({sep}-separated, {'header' if self.header_lineno else 'no header'})"

    def split(self, line: str) -> list[str]:
        row = next(csv.reader([line], delimiter=self.delimiter))
        return ["" if v.strip() in NULLS else v.strip() for v in row]

    def event(self, line: str, lineno: int) -> Event | None:
        row = self.split(line)
        if len(row) < self.width:
            raise BadLine(f"{len(row)} columns, expected {self.width} ({', '.join(self.names) or 'by position'})")
        c = self.cols
        data = [row[i] for i in self.data]
        if self.single is not None and not any(data) and row[self.single]:
            data = [p.strip() for p in row[self.single].split("|")]
        while data and data[-1] == "":
            data.pop()
        return make_event(self.reader(row[c["time"]]), row[c["callid"]], row[c["queue"]], row[c["agent"]],
                          row[c["event"]], data, lineno)


def _split_csv(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def detect_table_layout(lines: list[str], where: str) -> TableLayout | None:
    """The layout of a table export from the first lines of a file; None when the file is
    the pipe queue_log (or not a table at all). A header naming some queue_log columns but
    not all raises ImportFailed naming what it expected and what it found (file:line)."""
    first = next(((i, x) for i, x in enumerate(lines) if x.strip()), None)
    if first is None:
        return None
    i0, head = first
    head = head.lstrip("\ufeff")
    if _looks_like_queue_log([head]):
        return None
    best = None
    for delim in (",", ";", "\t", "|"):
        names = _split_csv(head, delim)
        if len(names) < 2:
            continue
        cols, data, single = resolve_columns(names)
        score = len(cols) + bool(data or single is not None)
        if best is None or score > best[0]:
            best = (score, delim, names, cols, data, single)
    if best is not None and best[0] >= 3:
        _score, delim, names, cols, data, single = best
        missing = [r for r in REQUIRED if r not in cols] + ([] if data or single is not None else ["data1..data5"])
        if missing:
            raise ImportFailed(f"{where}:{i0 + 1}: not a queue_log table the import can read: expected the "
                               f"columns {EXPECTED}; the header has {', '.join(n.strip() for n in names)} "
                               f"(missing {', '.join(missing)}); nothing imported")
        return TableLayout(delim, cols, data, single, i0 + 1, names)
    # No header: find the event column by its values; the realtime table's order around it.
    rows = [x for x in lines[i0:] if x.strip()]
    for delim in (",", ";", "\t"):
        split = [_split_csv(x, delim) for x in rows]
        width = min((len(r) for r in split), default=0)
        for k in range(4, width):
            hits = sum(1 for r in split if r[k].strip().upper() in ALL_EVENTS)
            if hits * 10 >= len(split) * 8 and hits:
                cols = {"time": k - 4, "callid": k - 3, "queue": k - 2, "agent": k - 1, "event": k}
                rest = list(range(k + 1, width))
                single = rest[0] if len(rest) == 1 else None
                return TableLayout(delim, cols, [] if single is not None else rest, single, None, [])
    return None


def _zone(source_tz: str | None):
    from zoneinfo import ZoneInfo

    from callboard.core.settings import get_settings

    try:
        return get_settings().tz if source_tz is None else ZoneInfo(source_tz)
    except Exception:
        raise ImportFailed(f"unknown time zone {source_tz!r} (use an IANA name such as Europe/Prague or UTC)")


@gc_paused()
def import_queue_log_file(
    engine: sa.Engine,
    path: str | Path,
    *,
    source: str | None = None,
    rejects_path: str | Path | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    progress: bool = False,
    on_events=None,
    defer_aggregates: bool | None = None,
    source_tz: str | None = None,
) -> ImportStats:
    """Import (the new part of) an Asterisk queue_log file — the pipe file, or a queue_log
    table exported to CSV (detect_table_layout); ImportFailed writes nothing.
    on_events(conn, source_id, events): called in each batch's transaction (``--follow``
    drives the live state with data.live.apply_queue_log_events).
    `defer_aggregates`: refresh the aggregates once at the end (each batch marks its hours
    pending, see data.aggregates.mark_pending); None = for 200,000 new lines or more.
    `source_tz`: time zone of a table export's local times (default CALLBOARD_TIMEZONE;
    epochs and times with an offset need none)."""
    import hashlib

    path = Path(path)
    stats = ImportStats(path=str(path), layout="queue_log", noun="queue calls")
    location = location_of(path)
    with open_binary(path) as fh:
        try:
            size = fh.seek(0, io.SEEK_END)
            fh.seek(0)
            head = fh.read(FINGERPRINT_BYTES)
            fh.seek(0)
            sample = [_decode(fh.readline()) for _ in range(50)]
        except OSError as exc:
            raise ImportFailed(f"{path}: cannot read: {exc}") from exc
        if not any(x.strip() for x in sample):
            return stats
        table = detect_table_layout(sample, str(path))
        if table is not None:
            table.reader = TimeReader(_zone(source_tz), [table.split(x)[table.cols["time"]] for x in sample
                                                         if x.strip() and len(table.split(x)) >= table.width])
            stats.layout = table.label
        elif not _looks_like_queue_log(sample):
            first = next((i + 1, x) for i, x in enumerate(sample) if x.strip())
            raise ImportFailed(f"{path}:{first[0]}: not a queue_log: expected pipe lines "
                               f"epoch|callid|queue|agent|event|data... or a table export with the columns "
                               f"{EXPECTED}; found {first[1][:80]!r}; nothing imported")
        parse = parse_line if table is None else table.event
        skip_to = (table.header_lineno or 0) if table is not None else 0
        source_id, position, lineno = start_file_import(engine, fh, size, source, KIND, location, stats)
        if source_id is None:
            return stats
        aggregates.refresh_pending(engine)  # what an import that died left behind
        if defer_aggregates is None:
            line_bytes = max(1, sum(len(x) + 1 for x in sample) // max(1, len(sample)))
            defer_aggregates = (size - position) // line_bytes >= LARGE_IMPORT_LINES
        rejects = RejectWriter(rejects_path, str(path), stats)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=size - position, unit="B", unit_scale=True, desc=path.name, leave=False)

        def fp(pos: int) -> str:
            part = head[: min(len(head), pos)]
            return f"{len(part)}:{hashlib.sha256(part).hexdigest()}"

        try:
            fh.seek(position)
            events: list[Event] = []
            bad: list[tuple[int, str, bytes]] = []
            count = nbytes = 0
            for raw in fh:
                lineno += 1
                position += len(raw)
                nbytes += len(raw)
                count += 1
                line = _decode(raw)
                if not line.strip():
                    stats.blank_lines += 1
                elif lineno <= skip_to:
                    stats.skipped += 1  # the header row
                else:
                    try:
                        e = parse(line, lineno)
                        if e is None:
                            stats.skipped += 1
                        else:
                            events.append(e)
                    except BadLine as exc:
                        bad.append((lineno, str(exc), raw))
                if count >= batch_lines:
                    _commit(engine, source_id, events, stats, location, fp(position), position, lineno, on_events,
                            defer_aggregates)
                    stats.lines_read += count
                    for b in bad:
                        rejects.reject(*b)
                    rejects.flush()
                    events, bad, count = [], [], 0
                    if bar is not None:
                        bar.update(nbytes)
                        nbytes = 0
            if count:
                _commit(engine, source_id, events, stats, location, fp(position), position, lineno, on_events,
                            defer_aggregates)
                stats.lines_read += count
                for b in bad:
                    rejects.reject(*b)
        finally:
            rejects.close()
            if bar is not None:
                bar.close()
        if defer_aggregates:
            aggregates.refresh_pending(engine)
    return stats


def _commit(engine, source_id, events, stats, location, fp, position, lineno, on_events=None,
            defer_aggregates: bool = False) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")  # see asterisk.load._commit_batch
        lo, hi = write_batch(conn, source_id, events, stats, refresh=not defer_aggregates)
        if defer_aggregates and lo is not None:
            aggregates.mark_pending(conn, lo, hi)
        if on_events is not None:
            on_events(conn, source_id, events)
        save_state(conn, source_id, KIND, location, fp, position, lineno)
    stats.batches += 1


# ----------------------------------------------------------------------------- realtime table

@gc_paused()
def import_queue_log_db(
    engine: sa.Engine,
    url: str,
    *,
    table: str = "queue_log",
    source: str | None = None,
    source_tz: str | None = None,
    batch_rows: int = DEFAULT_BATCH_LINES,
    overlap: timedelta = timedelta(hours=6),
    progress: bool = False,
) -> ImportStats:
    """The realtime ``queue_log`` table (time, callid, queuename, agent, event, data1..data5 or
    a single ``data`` column). `time` is local (`source_tz`, default CALLBOARD_TIMEZONE) unless
    it carries an offset or is a Unix epoch. Incremental on ``id`` when there is one, else by
    time with an overlap (re-read rows are skipped)."""
    from zoneinfo import ZoneInfo

    from callboard.core.settings import get_settings
    from data.importers.asterisk.parse import make_time_parser

    try:
        tz = get_settings().tz if source_tz is None else ZoneInfo(source_tz)
    except Exception:
        raise ImportFailed(f"unknown time zone {source_tz!r} (use an IANA name such as Europe/Prague or UTC)")
    parse_time = make_time_parser(tz)
    read_text_time = TimeReader(tz, [])
    try:
        safe_url = sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception as exc:
        raise ImportFailed(f"not a database URL: {exc}") from None
    location = f"{safe_url}#{table}"[:500]
    stats = ImportStats(path=location, layout=f"queue_log table {table}", noun="queue calls")
    try:
        src_engine = sa.create_engine(url)
    except ModuleNotFoundError as exc:
        raise ImportFailed(f"{safe_url}: the database driver is not installed ({exc.name}); "
                           "e.g. pip install pymysql for mysql+pymysql:// URLs") from None
    except Exception as exc:
        raise ImportFailed(f"{safe_url}: cannot open: {exc}") from None
    held = ExitStack()
    try:
        try:
            t = sa.Table(table, sa.MetaData(), autoload_with=src_engine)
        except sa.exc.NoSuchTableError:
            raise ImportFailed(f"{safe_url}: no table {table!r}; nothing imported") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ImportFailed(f"{safe_url}: cannot read: {str(exc).splitlines()[0]}") from None
        columns = list(t.columns)
        found, data_idx, single = resolve_columns([c.name for c in columns])
        missing = [r for r in REQUIRED if r not in found] + ([] if data_idx or single is not None else ["data1..data5"])
        if missing:
            raise ImportFailed(f"{safe_url}: table {table!r} is not a queue_log table the import can read: expected "
                               f"the columns {EXPECTED}; it has {', '.join(c.name for c in columns)} "
                               f"(missing {', '.join(missing)}); nothing imported")
        need = [columns[found[r]] for r in REQUIRED]
        # data1..dataN, else the single data column (Asterisk writes one or the other).
        data_cols = [columns[i] for i in data_idx] or [columns[single]]
        time_col = need[0]
        cols = {c.name.lower(): c for c in columns}
        key_col = cols.get("id") if "id" in cols and isinstance(cols["id"].type, sa.Integer) else None

        with engine.connect() as conn:
            name = source_name(conn, source)
        held.enter_context(source_lock(engine, name))  # one import into a source at a time
        with engine.connect() as conn:
            source_id = find_source(conn, source)
            state = get_state(conn, source_id, KIND, location) if source_id is not None else None
        position = int(state["position"]) if state else 0
        done = int(state["lines"]) if state else 0
        stats.resumed_at = position
        stmt = sa.select(*need, *data_cols, *([key_col] if key_col is not None else []))
        if key_col is not None:
            stmt = stmt.where(key_col > position).order_by(key_col)
        else:
            stmt = stmt.order_by(time_col)
            if position:
                stmt = stmt.where(time_col >= datetime(1970, 1, 1) + timedelta(seconds=position) - overlap)
        if source_id is None:
            with engine.begin() as conn:
                source_id = ensure_source(conn, source)

        def epoch_of(v) -> float | None:
            if v is None:
                return None
            if isinstance(v, (int, float)):
                return float(v)
            if isinstance(v, datetime):
                utc = v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else parse_time(v.isoformat())
            else:
                text = str(v).strip()
                try:
                    return float(text)
                except ValueError:
                    pass
                try:
                    utc = read_text_time(text)  # ISO, or a local format in a text column
                except BadLine:
                    return None
            return (utc - datetime(1970, 1, 1)).total_seconds()

        with src_engine.connect() as sconn:
            result = sconn.execution_options(stream_results=True, yield_per=batch_rows).execute(stmt)
            for part in result.partitions(batch_rows):
                events: list[Event] = []
                for row in part:
                    done += 1
                    ep = epoch_of(row[0])
                    if key_col is not None:
                        position = max(position, int(row[-1]))
                    elif ep is not None:
                        position = max(position, int(ep))
                    data = [("" if v is None else str(v).strip()) for v in row[5 : 5 + len(data_cols)]]
                    if len(data) == 1 and "|" in data[0]:  # the single `data` column
                        data = [p.strip() for p in data[0].split("|")]
                    while data and data[-1] == "":
                        data.pop()
                    callid, queue, agent, event = ("" if v is None else str(v).strip() for v in row[1:5])
                    try:
                        if ep is None:
                            raise BadLine(f"time not understood: {str(row[0])[:30]!r}")
                        e = make_event(epoch_time(repr(ep)), callid, queue, agent, event, data, done)
                    except BadLine as exc:
                        stats.lines_rejected += 1
                        if len(stats.rejects) < 1000:
                            stats.rejects.append((done, str(exc)))
                        continue
                    if e is None:
                        stats.skipped += 1
                    else:
                        events.append(e)
                _commit(engine, source_id, events, stats, location, "db", position, done)
                stats.lines_read += len(part)
    finally:
        held.close()
        src_engine.dispose()
    return stats

"""From a day's drawn rows (day-local indexes as references) to table rows: ids handed out
here (max(id) + n, in day order, so child rows need no round trip) and foreign keys,
call UIDs "<start epoch>.<n>", leg channels and unique ids, recording paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data import schema as s
from data.demo.call_centre import SOURCE_ID
from data.demo.columns import filled, objects

FACT_TABLES = ["call", "call_leg", "queue_call", "queue_attempt", "ivr_choice", "callback", "survey_answer",
           "recording", "agent_session", "agent_pause", "chat_session", "chat_message", "chat_event"]


class IdAllocator:
    def __init__(self, conn):
        self.next = {}
        for name in FACT_TABLES:
            t = s.metadata.tables[name]
            self.next[name] = (conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1

    def take(self, name: str, n: int) -> np.ndarray:
        first = self.next[name]
        self.next[name] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def call_uids(start: np.ndarray, seqno: np.ndarray) -> np.ndarray:
    return (pd.Series(start).astype(str) + "." + pd.Series(seqno).astype(str)).to_numpy(dtype=object)


def rows_for_day(day_tables, ids: IdAllocator, rec_ctx) -> dict[str, dict[str, np.ndarray]]:
    """Day-local rows -> table rows with global ids and foreign keys."""
    out: dict[str, dict[str, np.ndarray]] = {}
    c = day_tables["call"]
    n = len(c["start"])
    call_id = ids.take("call", n)
    uid = call_uids(c["start"], c["seqno"])
    out["call"] = {
        "id": call_id, "source_id": np.full(n, SOURCE_ID, np.int64), "call_uid": uid,
        "start_utc": c["start"], "answer_utc": c["answer"], "end_utc": c["end"],
        **{k: c[k] for k in ("from_number", "from_name", "to_number", "to_name", "direction", "status",
                             "duration_s", "ring_s", "talk_s", "hold_s", "hangup_by", "hangup_cause",
                             "src_trunk", "dst_trunk", "did", "outbound_cid", "caller_ip", "pin",
                             "account_code", "extension", "peer_extension", "answered_by",
                             "destination_type", "destination", "queue", "ring_group", "ivr",
                             "transferred_to", "has_recording")},
    }
    legs = day_tables.get("call_leg")
    if legs:
        order = np.lexsort((legs["seq"], legs["start"], legs["call"]))
        legs = {k: v[order] for k, v in legs.items()}
        # renumber seq 0..k-1 within each call in time order
        call = legs["call"]
        first = np.r_[True, call[1:] != call[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(len(call)), 0))
        seq = np.arange(len(call)) - grp_start
        m = len(call)
        direction, leg_ext = c["direction"][call], legs["extension"]
        caller = pd.Series(c["from_number"][call])
        chan = np.where(direction == "inbound", ("PJSIP/" + pd.Series(c["src_trunk"][call])).to_numpy(object),
                        ("PJSIP/" + caller).to_numpy(object))
        dst = np.where(leg_ext == None, ("PJSIP/" + pd.Series(c["dst_trunk"][call])).to_numpy(object),  # noqa: E711
                       ("PJSIP/" + pd.Series(leg_ext)).to_numpy(object))
        out["call_leg"] = {
            "id": ids.take("call_leg", m), "call_id": call_id[call], "seq": seq,
            "extension": leg_ext, "number": legs["number"], "via_type": legs["via_type"],
            "via": legs["via"], "start_utc": legs["start"], "answer_utc": legs["answer"], "end_utc": legs["end"],
            "ring_s": legs["ring"], "talk_s": legs["talk"], "status": legs["status"],
            "channel": chan, "dst_channel": dst,
            "uniqueid": (pd.Series(uid[call]) + "-" + pd.Series(seq).astype(str)).to_numpy(dtype=object),
        }
    qc = day_tables.get("queue_call")
    qc_id = None
    if qc:
        m = len(qc["call"])
        qc_id = ids.take("queue_call", m)
        out["queue_call"] = {
            "id": qc_id, "source_id": np.full(m, SOURCE_ID, np.int64), "call_id": call_id[qc["call"]],
            "call_uid": uid[qc["call"]], "queue": qc["queue"], "enter_utc": qc["enter"], "exit_utc": qc["exit"],
            "wait_s": qc["wait"], "outcome": qc["outcome"], "agent": qc["agent"], "talk_s": qc["talk"],
            "position": qc["position"], "orig_position": qc["orig_position"], "exit_key": qc["exit_key"],
            "caller_number": qc["caller"], "transferred_to": qc["transferred_to"],
        }
    qa = day_tables.get("queue_attempt")
    if qa:
        m = len(qa["qidx"])
        out["queue_attempt"] = {
            "id": ids.take("queue_attempt", m), "queue_call_id": qc_id[qa["qidx"]], "queue": qa["queue"],
            "agent": qa["agent"], "at_utc": qa["at"], "ring_ms": qa["ring_ms"], "result": qa["result"],
        }
    iv = day_tables.get("ivr_choice")
    if iv:
        m = len(iv["call"])
        out["ivr_choice"] = {"id": ids.take("ivr_choice", m), "call_id": call_id[iv["call"]], "ivr": iv["ivr"],
                             "at_utc": iv["at"], "seq": iv["seq"], "option": iv["option"], "next_dest": iv["next"]}
    cb = day_tables.get("callback")
    if cb:
        m = len(cb["call"])
        out["callback"] = {
            "id": ids.take("callback", m), "source_id": np.full(m, SOURCE_ID, np.int64),
            "call_id": call_id[cb["call"]], "queue": cb["queue"], "number": cb["number"],
            "requested_utc": cb["requested"], "attempted_utc": cb["attempted"], "completed_utc": cb["completed"],
            "status": cb["status"], "attempts": cb["attempts"].astype(np.int64), "agent": cb["agent"],
            "result_call_id": filled(m, None),
        }
    sv = day_tables.get("survey_answer")
    if sv:
        m = len(sv["call"])
        out["survey_answer"] = {"id": ids.take("survey_answer", m), "call_id": call_id[sv["call"]],
                                "queue": sv["queue"], "agent": sv["agent"], "at_utc": sv["at"],
                                "score_key": sv["key"], "points": sv["points"]}
    rec = day_tables.get("recording")
    if rec:
        m = len(rec["call"])
        clips = rec_ctx["clips"]
        rel = objects([f"{rec_ctx['day_dir']}/{u}.wav" for u in uid[rec["call"]]])
        out["recording"] = {
            "id": ids.take("recording", m), "call_id": call_id[rec["call"]], "path": rel,
            "format": filled(m, "wav"),
            "size_bytes": np.array([clips[i].size_bytes for i in rec["clip"]], np.int64),
            "duration_s": np.array([clips[i].duration_s for i in rec["clip"]], np.int64),
            "created_utc": rec["created"],
        }
        out["_files"] = {"path": rel, "clip": rec["clip"]}
    a = day_tables.get("agent_session")
    if a:
        m = len(a["agent"])
        out["agent_session"] = {"id": ids.take("agent_session", m), "source_id": np.full(m, SOURCE_ID, np.int64),
                                "agent": a["agent"], "queue": filled(m, None), "login_utc": a["login"],
                                "logout_utc": a["logout"], "logout_reason": a["reason"]}
    p = day_tables.get("agent_pause")
    if p:
        m = len(p["agent"])
        out["agent_pause"] = {"id": ids.take("agent_pause", m), "source_id": np.full(m, SOURCE_ID, np.int64),
                              "agent": p["agent"], "queue": filled(m, None), "start_utc": p["start"],
                              "end_utc": p["end"], "reason": p["reason"]}
    cs = day_tables.get("chat_session")
    if cs:
        m = len(cs["uid"])
        sid = ids.take("chat_session", m)
        out["chat_session"] = {
            "id": sid, "source_id": np.full(m, SOURCE_ID, np.int64), "session_uid": cs["uid"],
            "channel_type": cs["channel"], "channel_number": cs["ours"], "external_number": cs["external"],
            "sender": cs["sender"], "recipient": cs["recipient"], "agent": cs["agent"],
            "created_utc": cs["created"], "last_active_utc": cs["last"], "closed_utc": cs["closed"],
            "status": cs["status"], "message_count": cs["count"],
        }
        cm, ce = day_tables["chat_message"], day_tables["chat_event"]
        out["chat_message"] = {"id": ids.take("chat_message", len(cm["session"])), "session_id": sid[cm["session"]],
                               "sent_utc": cm["sent"], "direction": cm["direction"], "sender": cm["sender"],
                               "body": cm["body"]}
        out["chat_event"] = {"id": ids.take("chat_event", len(ce["session"])), "session_id": sid[ce["session"]],
                             "at_utc": ce["at"], "event": ce["event"], "agent": ce["agent"]}
    return out

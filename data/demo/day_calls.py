"""The calls of one demo day, drawn column-wise with numpy: arrivals with the day's hourly
and weekday seasonality, the direction mix, outbound calls (outbound caller ID, trunk,
sometimes a PIN), internal calls, and inbound calls from DIDs through IVR menus
(``data.demo.ivr_choices``) to queues (``data.demo.queue_calls``), ring groups, extensions
or voicemail, with a call leg for every extension that rang; then the call rows
themselves (hangup side and cause, hold, recordings). Rows refer to each other by
day-local indexes; ``data.demo.fact_rows`` turns them into ids."""

from __future__ import annotations

import numpy as np

from data.demo.call_centre import (
    DIDS,
    EXT_NAMES,
    EXTS,
    HOUR_PROFILE,
    OUTBOUND_CIDS,
    QUEUES,
    RING_GROUPS,
    TRUNKS,
    WEEKDAY_FACTOR,
)
from data.demo.columns import NULL_T, choice, concat_columns, filled, lognormal, objects
from data.demo.day import DayContext
from data.demo.ivr_choices import draw_ivr_choices
from data.demo.queue_calls import draw_queue_calls
from data.demo.status_codes import ABAND, ANS, BUSY, CONGEST, DIRS, FAILED, HANGUP_CAUSE, NOANS, STATUS, VM

EXT_ARR = objects(EXTS)
EXT_NAME_ARR = objects([EXT_NAMES[e] for e in EXTS])
CALLER_IP = objects([f"10.20.{1 + i // 20}.{11 + i % 20}" for i in range(40)])
PINS = objects([str(1000 + (i * 7919) % 9000) for i in range(40)])


class DayCalls:
    """The call rows of one local day (and their legs, queue calls, IVR choices, surveys,
    callbacks and recordings), column-wise, with day-local indexes as references."""

    def __init__(self, ctx: DayContext, calls_per_day: int, customers, with_audio: bool, clips):
        self.ctx, self.rng = ctx, ctx.rng
        self.calls_per_day = calls_per_day
        self.cust_num, self.cust_name = customers
        self.with_audio, self.clips = with_audio, clips
        self.tables: dict[str, dict[str, np.ndarray]] = {}
        self.legs: list[dict] = []
        self.qcalls: list[dict] = []
        self.ivr_rows: list[dict] = []
        self.attempts: list[dict] = []
        self.surveys: list[dict] = []
        self.callbacks: list[dict] = []
        self.qcount = 0  # queue calls so far: their day-local index

    def build(self) -> dict[str, dict[str, np.ndarray]]:
        rng, ctx = self.rng, self.ctx
        wd = ctx.day.weekday()
        n = int(rng.poisson(self.calls_per_day * WEEKDAY_FACTOR[wd]))
        hour = rng.choice(24, size=n, p=HOUR_PROFILE)
        start = ctx.hour_epoch[hour] + rng.integers(0, 3600, n)
        order = np.argsort(start, kind="stable")
        hour, start = hour[order], start[order]
        if ctx.cutoff is not None:
            keep = start <= ctx.cutoff - 1800  # calls still in progress are not CDRs yet
            hour, start = hour[keep], start[keep]
            n = len(start)
        self.n, self.hour, self.start = n, hour, start
        business = (hour >= 8) & (hour < 18)
        self.staffed = ((hour >= 7) & (hour < 20)) if not ctx.weekend else ((hour >= 9) & (hour < 17))
        p_in = np.where(business, 0.56, 0.85)
        p_out = np.where(business, 0.30, 0.10)
        u = rng.random(n)
        direction = np.where(u < p_in, 0, np.where(u < p_in + p_out, 1, 2))

        # call columns (object arrays hold strings / None)
        self.c = c = {
            "direction": direction,
            "status": np.zeros(n, dtype=np.int64),
            "pre_s": np.zeros(n, dtype=np.int64),  # IVR + queue wait / ringing before talk
            "ring_s": np.zeros(n, dtype=np.int64),
            "talk_s": np.zeros(n, dtype=np.int64),
            "post_s": np.zeros(n, dtype=np.int64),  # voicemail message
            "hold_s": np.zeros(n, dtype=np.int64),
        }
        for k in ("from_number", "from_name", "to_number", "to_name", "src_trunk", "dst_trunk", "did",
                  "outbound_cid", "caller_ip", "pin", "account_code", "extension", "peer_extension",
                  "answered_by", "destination_type", "destination", "queue", "ring_group", "ivr", "transferred_to"):
            c[k] = filled(n, None)
        self.recordable = np.zeros(n, dtype=bool)

        self._outbound(np.flatnonzero(direction == 1))
        self._internal(np.flatnonzero(direction == 2))
        self._inbound(np.flatnonzero(direction == 0))
        self._finish_calls()
        return self.tables

    def _outbound(self, idx):
        rng, c, m = self.rng, self.c, len(idx)
        if not m:
            return
        w = np.array([0.6] * 20 + [3.0] * 12 + [0.8] * 8)
        ext = rng.choice(40, size=m, p=w / w.sum())
        known = rng.random(m) < 0.7
        to = np.where(known, self.cust_num[rng.integers(0, len(self.cust_num), m)],
                      objects(["+420" + str(x) for x in rng.integers(200_000_000, 800_000_000, m)]))
        status = choice(rng, [ANS, NOANS, BUSY, FAILED, CONGEST], [0.68, 0.19, 0.08, 0.04, 0.01], m).astype(np.int64)
        ring = np.where(status == ANS, rng.integers(3, 25, m),
                        np.where(status == NOANS, rng.integers(15, 45, m),
                                 np.where(status == BUSY, rng.integers(1, 4, m), 0)))
        talk = np.where(status == ANS, np.maximum(3, lognormal(rng, 150, 0.9, m)).astype(np.int64), 0)
        sales = ext >= 20
        c["status"][idx] = status
        c["pre_s"][idx] = ring
        c["ring_s"][idx] = ring
        c["talk_s"][idx] = talk
        c["extension"][idx] = EXT_ARR[ext]
        c["from_number"][idx] = EXT_ARR[ext]
        c["from_name"][idx] = EXT_NAME_ARR[ext]
        c["to_number"][idx] = to
        c["caller_ip"][idx] = CALLER_IP[ext]
        with_pin = rng.random(m) < 0.25
        c["pin"][idx] = np.where(with_pin, PINS[ext], None)
        c["account_code"][idx] = np.where(with_pin, np.where(sales, "OBCHOD", "PODPORA"), None)
        c["outbound_cid"][idx] = np.where(sales, OUTBOUND_CIDS[0][0], DIDS[0][0])
        c["dst_trunk"][idx] = choice(rng, [t[0] for t in TRUNKS], [0.7, 0.25, 0.05], m)
        c["destination_type"][idx] = "external"
        c["destination"][idx] = to
        self.recordable[idx] = (status == ANS) & (rng.random(m) < 0.9)
        self.leg(idx, None, to, "direct", None, 0, ring, talk, status == ANS,
                  np.where(status == BUSY, "busy", np.where(status == ANS, "answered",
                                                           np.where(status == NOANS, "no_answer", "failed"))))

    def _internal(self, idx):
        rng, c, m = self.rng, self.c, len(idx)
        if not m:
            return
        a = rng.integers(0, 40, m)
        b = (a + rng.integers(1, 40, m)) % 40
        status = choice(rng, [ANS, NOANS, BUSY, VM], [0.78, 0.12, 0.06, 0.04], m).astype(np.int64)
        ring = np.where(status == BUSY, 1, rng.integers(2, 18, m))
        ring = np.where(np.isin(status, [NOANS, VM]), rng.integers(15, 30, m), ring)
        talk = np.where(status == ANS, np.maximum(2, lognormal(rng, 90, 0.9, m)).astype(np.int64), 0)
        c["status"][idx] = status
        c["pre_s"][idx] = ring
        c["ring_s"][idx] = ring
        c["talk_s"][idx] = talk
        c["post_s"][idx] = np.where(status == VM, rng.integers(5, 40, m), 0)
        c["extension"][idx] = EXT_ARR[a]
        c["peer_extension"][idx] = EXT_ARR[b]
        c["answered_by"][idx] = np.where(status == ANS, EXT_ARR[b], None)
        c["from_number"][idx] = EXT_ARR[a]
        c["from_name"][idx] = EXT_NAME_ARR[a]
        c["to_number"][idx] = EXT_ARR[b]
        c["to_name"][idx] = EXT_NAME_ARR[b]
        c["caller_ip"][idx] = CALLER_IP[a]
        c["destination_type"][idx] = np.where(status == VM, "voicemail", "extension")
        c["destination"][idx] = EXT_ARR[b]
        self.recordable[idx] = (status == ANS) & (rng.random(m) < 0.4)
        self.leg(idx, EXT_ARR[b], None, "direct", None, 0, ring, talk, status == ANS,
                  np.where(status == ANS, "answered", np.where(status == BUSY, "busy", "no_answer")))

    def _inbound(self, idx):
        rng, c, m = self.rng, self.c, len(idx)
        if not m:
            return
        di = rng.choice(len(DIDS), size=m, p=np.array([d[5] for d in DIDS]) / sum(d[5] for d in DIDS))
        did = objects([d[0] for d in DIDS])[di]
        cust = rng.integers(0, len(self.cust_num), m)
        # a few heavy repeat callers
        cust = np.where(rng.random(m) < 0.1, cust % 300, cust)
        c["from_number"][idx] = self.cust_num[cust]
        c["from_name"][idx] = self.cust_name[cust]
        c["to_number"][idx] = did
        c["did"][idx] = did
        c["src_trunk"][idx] = objects([d[3] for d in DIDS])[di]
        route = objects([d[4] for d in DIDS])[di]

        draw_ivr_choices(self, idx, route)

        hang = route == "hangup"
        calls = idx[hang]
        c["status"][calls] = ABAND
        c["destination_type"][calls] = "ivr"
        c["destination"][calls] = c["ivr"][calls]

        kinds = objects([r.split(":")[0] for r in route])
        targets = objects([r.split(":")[-1] for r in route])
        for q in QUEUES:
            draw_queue_calls(self, idx[(kinds == "queue") & (targets == q)], q)
        for g in RING_GROUPS:
            self._ring_group(idx[(kinds == "ring_group") & (targets == g)], g)
        sel = kinds == "extension"
        self._direct(idx[sel], targets[sel])
        sel = kinds == "voicemail"
        self.voicemail(idx[sel], targets[sel])

    def voicemail(self, calls, mailbox):
        c, m = self.c, len(calls)
        if not m:
            return
        c["status"][calls] = VM
        c["destination_type"][calls] = "voicemail"
        c["destination"][calls] = mailbox
        c["extension"][calls] = mailbox
        c["post_s"][calls] = self.rng.integers(5, 60, m)

    def _direct(self, calls, ext):
        rng, c, m = self.rng, self.c, len(calls)
        if not m:
            return
        staffed = self.staffed[calls]
        u = rng.random(m)
        p_ans = np.where(staffed, 0.78, 0.15)
        status = np.where(u < p_ans, ANS, np.where(u < p_ans + 0.05, BUSY, NOANS))
        ring = np.where(status == ANS, rng.integers(3, 20, m), np.where(status == BUSY, 1, 25))
        talk = np.where(status == ANS, np.maximum(3, lognormal(rng, 140, 0.9, m)).astype(np.int64), 0)
        c["pre_s"][calls] += ring
        c["ring_s"][calls] = ring
        c["talk_s"][calls] = talk
        c["status"][calls] = status
        c["extension"][calls] = ext
        c["answered_by"][calls] = np.where(status == ANS, ext, None)
        c["to_name"][calls] = objects([EXT_NAMES[e] for e in ext])
        c["destination_type"][calls] = "extension"
        c["destination"][calls] = ext
        self.recordable[calls] = status == ANS
        self.leg(calls, ext, None, "direct", None, c["pre_s"][calls] - ring, ring, talk, status == ANS,
                  np.where(status == ANS, "answered", np.where(status == BUSY, "busy", "no_answer")))
        to_vm = (status == NOANS) & (rng.random(m) < 0.7)
        self.voicemail(calls[to_vm], ext[to_vm])

    def _ring_group(self, calls, number):
        rng, c, m = self.rng, self.c, len(calls)
        if not m:
            return
        _, strategy, ring_time, members = RING_GROUPS[number]
        k = len(members)
        mem = objects(members)
        answered = rng.random(m) < np.where(self.staffed[calls], 0.82, 0.1)
        offset = c["pre_s"][calls].copy()
        talk = np.where(answered, np.maximum(3, lognormal(rng, 160, 0.8, m)).astype(np.int64), 0)
        c["ring_group"][calls] = number
        c["destination_type"][calls] = "ring_group"
        c["destination"][calls] = number
        if strategy == "ringall":
            who = rng.integers(0, k, m)
            ring = np.where(answered, rng.integers(3, 20, m), ring_time)
            rep = np.repeat(np.arange(m), k)
            pos = np.tile(np.arange(k), m)
            won = answered[rep] & (pos == who[rep])
            status = np.where(won, "answered", np.where(answered[rep], "cancelled", "no_answer"))
            self.leg(calls[rep], mem[pos], None, "ring_group", number, offset[rep], ring[rep],
                      np.where(won, talk[rep], 0), won, status, seq=pos)
        else:  # hunt: members one after another, 10 s each
            step = ring_time // k
            who = rng.integers(0, k, m)
            last_ring = rng.integers(3, step, m)
            nlegs = np.where(answered, who + 1, k)
            rep = np.repeat(np.arange(m), nlegs)
            pos = np.arange(len(rep)) - np.repeat(np.cumsum(nlegs) - nlegs, nlegs)
            won = answered[rep] & (pos == who[rep])
            lring = np.where(won, last_ring[rep], step)
            self.leg(calls[rep], mem[pos], None, "ring_group", number, offset[rep] + pos * step, lring,
                      np.where(won, talk[rep], 0), won, np.where(won, "answered", "no_answer"), seq=pos)
            ring = np.where(answered, who * step + last_ring, ring_time)
        agent = np.where(answered, mem[who], None)
        c["pre_s"][calls] += ring
        c["ring_s"][calls] = ring
        c["talk_s"][calls] = talk
        c["status"][calls] = np.where(answered, ANS, NOANS)
        c["answered_by"][calls] = agent
        c["extension"][calls] = agent
        c["to_name"][calls] = np.where(answered, objects([EXT_NAMES.get(a) for a in agent]), None)
        self.recordable[calls] = answered
        to_vm = ~answered & (rng.random(m) < 0.5)
        self.voicemail(calls[to_vm], filled(to_vm.sum(), members[0]))

    def leg(self, calls, ext, number, via_type, via, offset, ring, talk, answered, status, seq=None):
        m = len(calls)
        if not m:
            return
        start = self.start[calls] + offset
        self.legs.append({
            "call": calls, "seq": np.zeros(m, np.int64) if seq is None else np.asarray(seq, np.int64),
            "extension": ext if isinstance(ext, np.ndarray) else filled(m, ext),
            "number": number if isinstance(number, np.ndarray) else filled(m, number),
            "via_type": filled(m, via_type), "via": filled(m, via),
            "start": start, "answer": np.where(answered, start + ring, NULL_T), "end": start + ring + talk,
            "ring": np.asarray(ring, np.int64), "talk": np.asarray(talk, np.int64),
            "status": np.asarray(status, dtype=object),
        })

    # -- assemble the call rows
    def _finish_calls(self):
        rng, c, n = self.rng, self.c, self.n
        status = c["status"]
        duration = c["pre_s"] + c["talk_s"] + c["post_s"]
        answered = status == ANS
        hold = np.where(answered & (c["talk_s"] > 60) & (rng.random(n) < 0.2),
                        np.minimum(c["talk_s"] // 3, rng.integers(5, 90, n)), 0)
        hangup_by = np.where(answered, np.where(rng.random(n) < 0.5, "caller", "callee"),
                             np.where(status == BUSY, "callee",
                                      np.where(np.isin(status, [FAILED, CONGEST]), "system",
                                               np.where((status == NOANS) & (rng.random(n) < 0.4), "system",
                                                        "caller"))))
        # A queue call's answering party is an agent: 'agent', as the queue_log import writes
        # for COMPLETEAGENT (same random draw, so the rest of the day is unchanged).
        in_queue = np.array([q is not None for q in c["queue"]], dtype=bool)
        hangup_by = np.where(answered & in_queue & (hangup_by == "callee"), "agent", hangup_by)
        cause = HANGUP_CAUSE[status]
        cause = np.where((status == NOANS) & (hangup_by == "system"), "NO_ANSWER", cause)
        cause = np.where((status == FAILED) & (rng.random(n) < 0.3), "UNALLOCATED_NUMBER", cause)
        has_rec = self.recordable & answered & (c["talk_s"] >= 3) & self.with_audio
        t = {
            "seqno": np.arange(n),
            "start": self.start,
            "answer": np.where(answered, self.start + c["pre_s"], NULL_T),
            "end": self.start + duration,
            "direction": DIRS[c["direction"]],
            "status": STATUS[status],
            "duration_s": duration, "ring_s": c["ring_s"], "talk_s": c["talk_s"], "hold_s": hold,
            "hangup_by": hangup_by.astype(object), "hangup_cause": cause,
            "has_recording": has_rec,
        }
        for k in ("from_number", "from_name", "to_number", "to_name", "src_trunk", "dst_trunk", "did",
                  "outbound_cid", "caller_ip", "pin", "account_code", "extension", "peer_extension",
                  "answered_by", "destination_type", "destination", "queue", "ring_group", "ivr", "transferred_to"):
            t[k] = c[k]
        self.tables["call"] = t
        self.tables["call_leg"] = concat_columns(self.legs)
        self.tables["ivr_choice"] = concat_columns(self.ivr_rows)
        qc = concat_columns(self.qcalls)
        if qc:
            order = np.argsort(qc["qidx"])
            qc = {k: v[order] for k, v in qc.items()}
        self.tables["queue_call"] = qc
        self.tables["queue_attempt"] = concat_columns(self.attempts)
        self.tables["survey_answer"] = concat_columns(self.surveys)
        self.tables["callback"] = concat_columns(self.callbacks)
        rec = np.flatnonzero(has_rec)
        if len(rec):
            clip = rng.integers(0, len(self.clips), len(rec)) if self.clips else np.zeros(len(rec), np.int64)
            self.tables["recording"] = {"call": rec, "clip": clip, "created": t["end"][rec] + 2}

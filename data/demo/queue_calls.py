"""The queue part of the demo day's inbound calls: waits growing with the hour's load,
outcomes (answered / abandoned with abandonment growing with the wait / timeout /
exit_key / no_agents), positions, ring-no-answer attempts while waiting, a few answered
calls blind-transferred to a colleague of the queue, surveys after answered calls and
callbacks after exit_key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from data.demo.call_centre import EXT_NAMES, HOUR_LOAD, QUEUE_MAX_WAIT_S, QUEUES
from data.demo.columns import NULL_T, choice, filled, lognormal, objects
from data.demo.status_codes import ABAND, ANS, NOANS, Q_ABAND, Q_ANS, Q_EXIT, Q_NOAGENTS, Q_TIMEOUT, QUEUE_OUTCOMES

if TYPE_CHECKING:
    from data.demo.day_calls import DayCalls

# Share of answered queue calls (talking 40 s or more) the agent hands on to a colleague
# of the same queue (a blind transfer: call.transferred_to, a transfer leg).
TRANSFER_SHARE = 0.06


def draw_queue_calls(day: DayCalls, calls: np.ndarray, number: str) -> None:
    """The inbound calls ``calls`` of ``day`` entering queue ``number``: their queue calls,
    attempts, legs, surveys and callbacks, and what happens to the call."""
    rng, c, m = day.rng, day.c, len(calls)
    if not m:
        return
    _, _, _, _, members, base_wait = QUEUES[number]
    mem, k = objects(members), len(members)
    hour = day.hour[calls]
    staffed = day.staffed[calls]
    mean_wait = base_wait * (0.4 + 1.6 * HOUR_LOAD[hour]) * (0.6 if day.ctx.weekend else 1.0)
    service = rng.exponential(mean_wait)
    patience = rng.exponential(160.0, m) + 2
    wants_cb = (rng.random(m) < 0.04) & (service > 40)
    exit_at = np.maximum(10, (rng.random(m) * np.minimum(service, patience)).astype(np.int64))
    outcome = np.where(service <= patience, Q_ANS, Q_ABAND)
    wait = np.where(outcome == Q_ANS, service, patience)
    timed_out = np.minimum(service, patience) > QUEUE_MAX_WAIT_S
    outcome = np.where(timed_out, Q_TIMEOUT, outcome)
    wait = np.where(timed_out, QUEUE_MAX_WAIT_S, wait)
    outcome = np.where(wants_cb & ~timed_out, Q_EXIT, outcome)
    wait = np.where(outcome == Q_EXIT, exit_at, wait)
    outcome = np.where(staffed, outcome, Q_NOAGENTS)
    wait = np.where(staffed, wait, rng.integers(0, 3, m)).astype(np.int64)
    enter = day.start[calls] + c["pre_s"][calls]
    answered = outcome == Q_ANS
    talk = np.where(answered, np.maximum(5, lognormal(rng, 210, 0.8, m)).astype(np.int64), 0)
    agent_i = rng.integers(0, k, m)
    agent = np.where(answered, mem[agent_i], None)
    orig_pos = 1 + rng.poisson(mean_wait / 25.0)
    position = np.where(answered, 1, np.maximum(1, orig_pos - wait // 40))
    ring_at_agent = np.where(answered, np.minimum(wait, rng.integers(2, 9, m)), 0)
    # Blind transfers: the agent talks `agent_talk`, the colleague rings `xfer_ring` and
    # talks the rest; the call's talk time stays the caller's whole talk (as the CDR
    # importer counts it), the queue call's the agent's part (as the queue_log says).
    xr = day.ctx.transfer_rng
    xfer = answered & (talk >= 40) & (xr.random(m) < TRANSFER_SHARE) & (k > 1)
    colleague = mem[(agent_i + 1 + xr.integers(0, max(1, k - 1), m)) % k]
    agent_talk = np.where(xfer, (talk * xr.uniform(0.3, 0.6, m)).astype(np.int64), talk)
    xfer_ring = xr.integers(2, 7, m)
    target = np.where(xfer, colleague, None)

    qi = day.qcount
    day.qcount += m
    day.qcalls.append({
        "call": calls, "queue": filled(m, number), "enter": enter, "exit": enter + wait, "wait": wait,
        "outcome": QUEUE_OUTCOMES[outcome], "agent": agent, "talk": agent_talk, "position": position,
        "orig_position": orig_pos, "exit_key": np.where(outcome == Q_EXIT, "1", None),
        "caller": c["from_number"][calls], "qidx": np.arange(qi, qi + m), "transferred_to": target,
    })
    # ring-no-answer attempts while waiting
    n_att = np.where(staffed, rng.poisson(np.minimum(2.0, wait / 30.0)), 0)
    n_att = np.minimum(n_att, (wait - ring_at_agent) // 16)
    n_att = np.maximum(n_att, 0)
    rep = np.repeat(np.arange(m), n_att)
    if len(rep):
        pos = np.arange(len(rep)) - np.repeat(np.cumsum(n_att) - n_att, n_att)
        ring_ms = rng.integers(8000, 15001, len(rep))
        at = enter[rep] + pos * 16 + 1
        a_agent = mem[(agent_i[rep] + 1 + pos) % k]
        day.attempts.append({"qidx": qi + rep, "queue": filled(len(rep), number), "agent": a_agent,
                              "at": at, "ring_ms": ring_ms,
                              "result": filled(len(rep), "ring_no_answer")})
        day.leg(calls[rep], a_agent, None, "queue", number, c["pre_s"][calls][rep] + pos * 16 + 1,
                  ring_ms // 1000, np.zeros(len(rep), np.int64), np.zeros(len(rep), bool),
                  filled(len(rep), "no_answer"), seq=pos)
    sel = np.flatnonzero(answered)
    if len(sel):
        day.leg(calls[sel], agent[sel], None, "queue", number,
                  c["pre_s"][calls][sel] + wait[sel] - ring_at_agent[sel], ring_at_agent[sel], agent_talk[sel],
                  np.ones(len(sel), bool), filled(len(sel), "answered"), seq=n_att[sel])
    sel = np.flatnonzero(xfer)
    if len(sel):
        day.leg(calls[sel], colleague[sel], None, "transfer", colleague[sel],
                  c["pre_s"][calls][sel] + wait[sel] + agent_talk[sel], xfer_ring[sel],
                  talk[sel] - agent_talk[sel] - xfer_ring[sel], np.ones(len(sel), bool),
                  filled(len(sel), "answered"), seq=n_att[sel] + 1)
    c["queue"][calls] = number
    c["transferred_to"][calls] = target
    c["destination_type"][calls] = "queue"
    c["destination"][calls] = number
    c["pre_s"][calls] += wait
    c["ring_s"][calls] = wait
    c["talk_s"][calls] = talk
    c["answered_by"][calls] = agent
    c["extension"][calls] = agent
    c["to_name"][calls] = np.where(answered, objects([EXT_NAMES.get(a) for a in agent]), None)
    status = np.where(answered, ANS, np.where((outcome == Q_ABAND) | (outcome == Q_EXIT), ABAND, NOANS))
    c["status"][calls] = status
    day.recordable[calls] = answered & (rng.random(m) < 0.95)
    to_vm = np.isin(outcome, [Q_TIMEOUT, Q_NOAGENTS]) & (rng.random(m) < 0.6)
    day.voicemail(calls[to_vm], filled(to_vm.sum(), members[0]))
    # surveys after answered calls, callbacks after exit_key
    sv = answered & (rng.random(m) < 0.3)
    points = choice(rng, [5, 4, 3, 2, 1], [0.5, 0.25, 0.12, 0.06, 0.07], sv.sum()).astype(np.int64)
    day.surveys.append({"call": calls[sv], "queue": filled(sv.sum(), number), "agent": agent[sv],
                         "at": day.start[calls[sv]] + c["pre_s"][calls][sv] + talk[sv] + 3,
                         "key": objects([str(p) for p in points]), "points": points})
    cb = outcome == Q_EXIT
    nb = int(cb.sum())
    if nb:
        req = enter[cb] + wait[cb]
        st = choice(rng, ["completed", "failed", "requested"], [0.75, 0.12, 0.13], nb)
        delay = rng.integers(120, 3600, nb)
        att = np.where(st == "requested", NULL_T, req + delay)
        done = np.where(st == "completed", att + rng.integers(20, 400, nb), NULL_T)
        day.callbacks.append({
            "call": calls[cb], "queue": filled(nb, number), "number": c["from_number"][calls[cb]],
            "requested": req, "attempted": att, "completed": done, "status": st,
            "attempts": np.where(st == "requested", 0, np.where(st == "failed", 3, rng.integers(1, 3, nb))),
            "agent": np.where(st == "requested", None, mem[rng.integers(0, k, nb)]),
        })

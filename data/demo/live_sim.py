"""The demo call centre in real time (``callboard simulate --live``): calls arrive in the
demo queues, wait, get answered or abandon; agents log in and out by shift and pause with
reasons. It writes the live state (data.live) and the finished records (call, queue_call,
agent_session, agent_pause, with data.aggregates.refresh of the touched hours), both in
one transaction per flush.

Determinism: the world advances in one-second ticks; each tick draws from its own RNG
seeded with (seed, tick epoch), and every per-call / per-pause quantity (patience, talk
time, pause length) is drawn from an RNG seeded with (seed, call uid / agent + start).
So nothing lives only in memory: ``LiveSimulator.load`` rebuilds the simulator from the
live tables and the stored clock, and a restarted simulator continues exactly as one that
never stopped (a test checks that). The clock is injected (``step(now)``); ``run_forever``
feeds it the wall clock.

Restart without double counting: finished records, the live state and the clock
(settings_kv ``live.sim.<source>``) commit together, and call uids are unique per
(source, uid), so a crash between flushes only loses the unflushed seconds, which are
then simulated again from the same state.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time as _time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import aggregates, live
from data import schema as s
from data.demo.call_centre import (
    AGENTS,
    DIDS,
    EXT_NAMES,
    HOUR_PROFILE,
    PAUSE_REASONS,
    QUEUE_MAX_WAIT_S,
    QUEUES,
    SOURCE_ID,
    WEEKDAY_FACTOR,
)
from data.demo.dimensions import ensure_dimensions

log = logging.getLogger(__name__)
SECOND = timedelta(seconds=1)
CLOCK_KEY = "live.sim.{source}"
# Share of the day's calls that reach each queue (inbound through IVRs and DIDs).
QUEUE_SHARE = {"600": 0.26, "601": 0.16, "602": 0.10}
QUEUE_DID = {"600": DIDS[0][0], "601": DIDS[2][0], "602": DIDS[1][0]}
PAUSE_LENGTH_S = {"Lunch": (1500, 2100), "Break": (240, 720), "Training": (1800, 3600), "Meeting": (900, 1800)}
PAUSE_PER_S = 1 / 3000  # an available agent pauses about every 50 minutes
NIGHT_CREW = {"100", "120"}
WRAP_UP_S = 20  # after-call work before the next queue call  # keep queues 600/602 and 601/602 staffed around the clock


@dataclass
class SimConfig:
    seed: int = 1
    calls_per_day: int = 800
    # Floor of arrivals per hour across all queues, so a demo at night still moves.
    min_calls_per_hour: float = 0.0
    source_id: int = SOURCE_ID
    max_catch_up: timedelta = timedelta(hours=1)  # after a longer stop, skip ahead


@dataclass
class Agent:
    ext: str
    queues: tuple[str, ...]
    state: str = live.LOGGED_OUT
    since: datetime | None = None
    reason: str | None = None
    call_uid: str | None = None


@dataclass
class QueueCall:
    uid: str
    queue: str
    enter: datetime
    caller: str
    answer: datetime | None = None
    agent: str | None = None


@dataclass
class Pending:
    """What a flush writes: finished calls and agent session / pause changes, in order."""

    calls: list[dict] = field(default_factory=list)
    agent_ops: list[tuple] = field(default_factory=list)

    def clear(self) -> None:
        self.calls.clear()
        self.agent_ops.clear()


def _rng(*parts) -> random.Random:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _epoch(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds())


def agent_queues() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for number, (_name, _strategy, _sl, _short, members, _wait) in QUEUES.items():
        for ext in members:
            out.setdefault(ext, []).append(number)
    return {ext: tuple(sorted(qs)) for ext, qs in out.items() if ext in AGENTS}


def on_shift(ext: str, local: datetime) -> bool:
    """The demo rota: a third of the agents take queue calls each weekday (rotating; the
    others do back-office work), in three overlapping shifts; a small weekend crew; two
    agents around the clock. Sized so callers do wait at peak times."""
    if ext in NIGHT_CREW:
        return True
    i = int(ext) - 100
    minute = local.hour * 60 + local.minute
    if local.weekday() >= 5:
        return i % 8 == 0 and 9 * 60 <= minute < 17 * 60
    if (i // 3 + local.toordinal()) % 3:
        return False
    start, end = ((6 * 60, 14 * 60 + 30), (8 * 60, 16 * 60 + 30), (11 * 60, 19 * 60 + 30))[i % 3]
    return start <= minute < end


class LiveSimulator:
    def __init__(self, cfg: SimConfig, tz: ZoneInfo):
        self.cfg, self.tz = cfg, tz
        self.agents = {ext: Agent(ext, qs) for ext, qs in agent_queues().items()}
        self.calls: dict[str, QueueCall] = {}
        self.clock: datetime | None = None  # last simulated second (naive UTC)
        self.pending = Pending()
        self.caller_pool = [f"+420{700000000 + (i * 7919) % 99999999}" for i in range(500)]

    # -- per-call / per-pause draws (a pure function of the seed and the thing)
    def patience_s(self, uid: str) -> float:
        return _rng(self.cfg.seed, "patience", uid).expovariate(1 / 90)

    def talk_s(self, uid: str) -> int:
        return int(min(1800, 20 + _rng(self.cfg.seed, "talk", uid).lognormvariate(4.9, 0.6)))

    def pause_s(self, ext: str, since: datetime, reason: str) -> int:
        lo, hi = PAUSE_LENGTH_S.get(reason, (300, 900))
        return _rng(self.cfg.seed, "pause", ext, _epoch(since)).randint(lo, hi)

    def arrival_rate(self, t: datetime, queue: str) -> float:
        local = t.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.tz)
        per_hour = self.cfg.calls_per_day * WEEKDAY_FACTOR[local.weekday()] * HOUR_PROFILE[local.hour]
        per_hour = max(per_hour * sum(QUEUE_SHARE.values()), self.cfg.min_calls_per_hour)
        return per_hour * QUEUE_SHARE[queue] / sum(QUEUE_SHARE.values()) / 3600

    # -- the world, one second at a time
    def step(self, now: datetime) -> int:
        """Advance to `now` (naive UTC); returns the number of seconds simulated."""
        now = now.replace(microsecond=0)
        if self.clock is None:
            self.clock = now
            return 0
        if now - self.clock > self.cfg.max_catch_up:
            self.clock = now - self.cfg.max_catch_up
        n = 0
        while self.clock < now:
            self.clock += SECOND
            self._tick(self.clock)
            n += 1
        return n

    def _tick(self, t: datetime) -> None:
        rng = _rng(self.cfg.seed, "tick", _epoch(t))
        local = t.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.tz)
        for ext in sorted(self.agents):
            self._agent_tick(self.agents[ext], t, local, rng)
        for uid in sorted(self.calls):  # answered calls that end now
            c = self.calls[uid]
            if c.answer is not None and t >= c.answer + timedelta(seconds=self.talk_s(uid)):
                self._finish(c, "answered", t)
        for queue in sorted(QUEUE_SHARE):
            lam = self.arrival_rate(t, queue)
            if rng.random() < lam:  # at most one arrival per queue and second (lam << 1)
                uid = f"sim-{_epoch(t)}-{queue}"
                caller = self.caller_pool[rng.randrange(len(self.caller_pool))]
                self.calls[uid] = QueueCall(uid, queue, t, caller)
                if not self._staffed(queue):
                    self._finish(self.calls[uid], "no_agents", t)
        for uid in sorted(self.calls):  # waiting callers who give up
            c = self.calls.get(uid)
            if c is None or c.answer is not None:
                continue
            waited = (t - c.enter).total_seconds()
            if waited >= QUEUE_MAX_WAIT_S:
                self._finish(c, "timeout", t)
            elif waited >= self.patience_s(uid):
                self._finish(c, "abandoned", t)
        self._assign(t)

    def _staffed(self, queue: str) -> bool:
        return any(queue in a.queues and a.state != live.LOGGED_OUT for a in self.agents.values())

    def _set(self, a: Agent, state: str, t: datetime, reason: str | None = None, call_uid: str | None = None) -> None:
        a.state, a.since, a.reason, a.call_uid = state, t, reason, call_uid

    def _agent_tick(self, a: Agent, t: datetime, local: datetime, rng: random.Random) -> None:
        working = on_shift(a.ext, local)
        if a.state == live.LOGGED_OUT:
            if working:
                self._set(a, live.AVAILABLE, t)
                self.pending.agent_ops.append(("login", a.ext, t))
            return
        if a.state == live.PAUSED and t >= a.since + timedelta(seconds=self.pause_s(a.ext, a.since, a.reason)):
            self.pending.agent_ops.append(("unpause", a.ext, t))
            self._set(a, live.AVAILABLE, t)
        if not working and a.state in (live.AVAILABLE, live.PAUSED):
            if a.state == live.PAUSED:
                self.pending.agent_ops.append(("unpause", a.ext, t))
            self.pending.agent_ops.append(("logout", a.ext, t))
            self._set(a, live.LOGGED_OUT, t)
            return
        if a.state == live.AVAILABLE and rng.random() < PAUSE_PER_S:
            reason = PAUSE_REASONS[rng.randrange(len(PAUSE_REASONS))]
            if reason == "Lunch" and not 11 <= local.hour < 14:
                reason = "Break"
            self._set(a, live.PAUSED, t, reason=reason)
            self.pending.agent_ops.append(("pause", a.ext, t, reason))

    def _assign(self, t: datetime) -> None:
        waiting = sorted((c for c in self.calls.values() if c.answer is None), key=lambda c: (c.enter, c.uid))
        for c in waiting:
            free = [a for a in self.agents.values() if a.state == live.AVAILABLE and c.queue in a.queues
                    and a.since <= t - timedelta(seconds=WRAP_UP_S)]
            if not free:
                continue
            a = min(free, key=lambda a: (a.since, a.ext))  # longest idle first
            c.answer, c.agent = t, a.ext
            self._set(a, live.ON_CALL, t, call_uid=c.uid)

    def _finish(self, c: QueueCall, outcome: str, t: datetime) -> None:
        del self.calls[c.uid]
        wait_s = int(((c.answer or t) - c.enter).total_seconds())
        talk_s = int((t - c.answer).total_seconds()) if c.answer is not None else 0
        if c.agent is not None:
            a = self.agents[c.agent]
            if a.call_uid == c.uid:
                self._set(a, live.AVAILABLE, t)
        self.pending.calls.append({"uid": c.uid, "queue": c.queue, "enter": c.enter, "answer": c.answer, "end": t,
                                   "wait_s": wait_s, "talk_s": talk_s, "outcome": outcome, "agent": c.agent,
                                   "caller": c.caller})

    # -- persistence
    def live_rows(self) -> tuple[list[dict], list[dict]]:
        # Agents never seen logged in have no state worth a row.
        agents = [{"agent": a.ext, "state": a.state, "since_utc": a.since, "queues": ",".join(a.queues),
                   "reason": a.reason, "call_uid": a.call_uid, "updated_utc": self.clock}
                  for a in sorted(self.agents.values(), key=lambda a: a.ext) if a.since is not None]
        calls = [{"call_uid": c.uid, "queue": c.queue, "enter_utc": c.enter, "caller_number": c.caller,
                  "position": None, "answer_utc": c.answer, "agent": c.agent}
                 for c in sorted(self.calls.values(), key=lambda c: c.uid)]
        return agents, calls

    def flush(self, conn: sa.Connection) -> int:
        """Write finished records, agent sessions / pauses, the live state and the clock in
        the caller's transaction. Returns the number of finished calls written."""
        src = self.cfg.source_id
        written = _write_calls(conn, src, self.pending.calls)
        _write_agent_ops(conn, src, self.pending.agent_ops)
        if self.pending.calls:
            starts = [c["enter"] for c in self.pending.calls]
            aggregates.refresh(conn, min(starts), max(starts))
        agents, calls = self.live_rows()
        live.replace_source_state(conn, src, agents, calls)
        kv = s.settings_kv
        key = CLOCK_KEY.format(source=src)
        conn.execute(kv.delete().where(kv.c.key == key))
        conn.execute(kv.insert().values(key=key, value={"clock": self.clock.isoformat(), "seed": self.cfg.seed}))
        self.pending.clear()
        return written

    @classmethod
    def load(cls, conn: sa.Connection, cfg: SimConfig, tz: ZoneInfo) -> "LiveSimulator":
        """The simulator as last flushed (live tables + clock); on a first start, the agents
        the demo data left logged in / paused (open agent sessions and pauses)."""
        sim = cls(cfg, tz)
        src = cfg.source_id
        ensure_dimensions(conn)
        kv = s.settings_kv
        stored = conn.execute(sa.select(kv.c.value).where(kv.c.key == CLOCK_KEY.format(source=src))).scalar()
        if stored:
            sim.clock = datetime.fromisoformat(stored["clock"])
            qa, qc = s.live_agent_state, s.live_queue_call
            for r in conn.execute(sa.select(qa).where(qa.c.source_id == src)):
                if r.agent in sim.agents:
                    a = sim.agents[r.agent]
                    a.state, a.since, a.reason, a.call_uid = r.state, r.since_utc, r.reason, r.call_uid
            for r in conn.execute(sa.select(qc).where(qc.c.source_id == src)):
                sim.calls[r.call_uid] = QueueCall(r.call_uid, r.queue, r.enter_utc, r.caller_number or "",
                                                  r.answer_utc, r.agent)
            return sim
        ss, ps = s.agent_session, s.agent_pause
        for r in conn.execute(sa.select(ss.c.agent, sa.func.max(ss.c.login_utc))
                              .where(ss.c.source_id == src, ss.c.logout_utc.is_(None)).group_by(ss.c.agent)):
            if r[0] in sim.agents:
                sim.agents[r[0]].state, sim.agents[r[0]].since = live.AVAILABLE, r[1]
        for r in conn.execute(sa.select(ps.c.agent, ps.c.start_utc, ps.c.reason)
                              .where(ps.c.source_id == src, ps.c.end_utc.is_(None))):
            a = sim.agents.get(r.agent)
            if a is not None and a.state != live.LOGGED_OUT:
                a.state, a.since, a.reason = live.PAUSED, r.start_utc, r.reason or "Break"
        return sim


def _write_calls(conn: sa.Connection, source_id: int, finished: list[dict]) -> int:
    if not finished:
        return 0
    c, qc = s.call, s.queue_call
    uids = [f["uid"] for f in finished]
    have = {r[0] for r in conn.execute(sa.select(c.c.call_uid).where(c.c.source_id == source_id,
                                                                     c.c.call_uid.in_(uids)))}
    rows = []
    for f in finished:
        if f["uid"] in have:
            continue  # written before a crash and simulated again: never twice
        answered = f["outcome"] == "answered"
        rows.append({
            "source_id": source_id, "call_uid": f["uid"], "start_utc": f["enter"], "answer_utc": f["answer"],
            "end_utc": f["end"], "from_number": f["caller"], "to_number": QUEUE_DID[f["queue"]],
            "to_name": QUEUES[f["queue"]][0], "direction": "inbound",
            "status": "answered" if answered else "abandoned",
            "duration_s": int((f["end"] - f["enter"]).total_seconds()), "ring_s": f["wait_s"],
            "talk_s": f["talk_s"], "hangup_by": "caller", "hangup_cause": "NORMAL_CLEARING",
            "src_trunk": "O2 SIP", "did": QUEUE_DID[f["queue"]], "extension": f["agent"],
            "answered_by": f["agent"], "destination_type": "queue", "destination": f["queue"],
            "queue": f["queue"],
        })
        if answered:
            rows[-1]["to_name"] = EXT_NAMES.get(f["agent"])
    if not rows:
        return 0
    conn.execute(c.insert(), rows)
    ids = {r.call_uid: r.id for r in conn.execute(
        sa.select(c.c.call_uid, c.c.id).where(c.c.source_id == source_id,
                                              c.c.call_uid.in_([r["call_uid"] for r in rows])))}
    conn.execute(qc.insert(), [{
        "source_id": source_id, "call_id": ids[f["uid"]], "call_uid": f["uid"], "queue": f["queue"],
        "enter_utc": f["enter"], "exit_utc": f["end"], "wait_s": f["wait_s"], "outcome": f["outcome"],
        "agent": f["agent"], "talk_s": f["talk_s"], "caller_number": f["caller"],
    } for f in finished if f["uid"] in ids])
    return len(rows)


def _write_agent_ops(conn: sa.Connection, source_id: int, ops: list[tuple]) -> None:
    ss, ps = s.agent_session, s.agent_pause
    for op in ops:
        kind, ext, t = op[0], op[1], op[2]
        if kind == "login":
            conn.execute(ss.insert().values(source_id=source_id, agent=ext, queue=None, login_utc=t))
        elif kind == "logout":
            conn.execute(ss.update().where(ss.c.source_id == source_id, ss.c.agent == ext,
                                           ss.c.logout_utc.is_(None)).values(logout_utc=t, logout_reason="shift end"))
        elif kind == "pause":
            conn.execute(ps.insert().values(source_id=source_id, agent=ext, queue=None, start_utc=t, reason=op[3]))
        elif kind == "unpause":
            conn.execute(ps.update().where(ps.c.source_id == source_id, ps.c.agent == ext,
                                           ps.c.end_utc.is_(None)).values(end_utc=t))


def run_forever(engine: sa.Engine, cfg: SimConfig, tz: ZoneInfo, *, flush_every_s: float = 2.0,
                stop=None, on_flush=None, clock=None, sleep=_time.sleep) -> None:
    """Keep the simulator in step with the wall clock until `stop` (threading.Event) is set.
    A flush that fails (database away) is retried from the reloaded state."""
    clock = clock or live.utcnow
    sim = None
    while stop is None or not stop.is_set():
        try:
            if sim is None:
                with engine.begin() as conn:
                    sim = LiveSimulator.load(conn, cfg, tz)
            sim.step(clock())
            with engine.begin() as conn:
                written = sim.flush(conn)
            if on_flush is not None:
                on_flush(sim, written)
        except sa.exc.DBAPIError as exc:  # database away or a write refused: keep going
            log.warning("live simulator: %s; reloading the committed state", exc.__class__.__name__)
            sim = None  # reload what was committed and simulate the lost seconds again
        if stop is not None:
            if stop.wait(flush_every_s):
                break
        else:
            sleep(flush_every_s)

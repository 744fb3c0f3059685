"""Live state: what is happening now (calls waiting or being talked in each queue, each
agent's state), driven by live events — the simulator (data.demo.live_sim) and
``callboard import queue-log --follow`` — not by finished-call records.

Tables: ``live_queue_call`` (a row per queue call from ENTERQUEUE until it ends; waiting
while ``answer_utc`` is NULL) and ``live_agent_state`` (a row per agent, its state since
when). Writers change them in the same transaction as the finished records they produce,
so a restart picks up exactly where the committed state is (nothing counted twice).
Applying queue_log events is idempotent: an event older than an agent's current state is
ignored, and a replayed ENTERQUEUE is followed by its replayed exit.

Readers: pure statement builders taking a Scope (``queue_now``, ``agent_counts``,
``agents_now``), and ``wallboard_snapshot`` which runs them plus the queue report's
"today" sums (data.queries.queues.queue_stats — the same metric definitions as the
reports) and caches the result for a few seconds per scope + queues, so fifty wall
displays refreshing at once cost one set of queries.
"""

from __future__ import annotations

import threading
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import metrics
from data import schema as s
from data.scope import Scope, extension_clause, queue_clause

LOGGED_OUT, AVAILABLE, RINGING, ON_CALL, PAUSED = s.AGENT_STATES
# queue_log call events older than this are history, not live (a first --follow round over
# a long file must not leave months-old ENTERQUEUEs "waiting").
LIVE_HORIZON = timedelta(hours=12)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _queues_text(queues) -> str | None:
    items = sorted({str(q) for q in queues if q})
    return ",".join(items) if items else None


# --------------------------------------------------------------------------- writing


def enter_queue(conn: sa.Connection, *, call_uid: str, queue: str, enter_utc: datetime,
                caller_number: str | None = None, position: int | None = None, source_id: int = 1) -> None:
    """A caller entered a queue and waits (replaces a row of the same call_uid)."""
    t = s.live_queue_call
    conn.execute(t.delete().where(t.c.call_uid == call_uid))
    conn.execute(t.insert().values(source_id=source_id, call_uid=call_uid, queue=str(queue), enter_utc=enter_utc,
                                   position=position, caller_number=caller_number))


def leave_queue(conn: sa.Connection, call_uid: str) -> None:
    """The queue call ended (answered call hung up, abandon, timeout, ...)."""
    t = s.live_queue_call
    conn.execute(t.delete().where(t.c.call_uid == call_uid))


def set_agent(conn: sa.Connection, *, agent: str, state: str, since_utc: datetime, queues=(),
              reason: str | None = None, call_uid: str | None = None, source_id: int = 1,
              now_utc: datetime | None = None) -> None:
    """An agent's state from `since_utc` on (replaces the agent's row)."""
    if state not in s.AGENT_STATES:
        raise ValueError(f"agent state must be one of {', '.join(s.AGENT_STATES)}, not {state!r}")
    t = s.live_agent_state
    conn.execute(t.delete().where(t.c.agent == agent))
    conn.execute(t.insert().values(source_id=source_id, agent=agent, state=state, since_utc=since_utc,
                                   queues=_queues_text(queues), reason=reason, call_uid=call_uid,
                                   updated_utc=now_utc or since_utc))


def replace_source_state(conn: sa.Connection, source_id: int, agents: list[dict], queue_calls: list[dict]) -> None:
    """The whole live state of one source at once (the simulator's flush)."""
    qa, qc = s.live_agent_state, s.live_queue_call
    conn.execute(qa.delete().where(qa.c.source_id == source_id))
    conn.execute(qc.delete().where(qc.c.source_id == source_id))
    if agents:
        conn.execute(qa.insert(), [dict(a, source_id=source_id) for a in agents])
    if queue_calls:
        conn.execute(qc.insert(), [dict(q, source_id=source_id) for q in queue_calls])


# --------------------------------------------------------------------------- queue_log events

_CALL_END = {"COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER", "ABANDON",
             "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"}
_ANSWERED_END = {"COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
_LOGIN = {"AGENTLOGIN", "AGENTCALLBACKLOGIN", "ADDMEMBER"}
_LOGOFF = {"AGENTLOGOFF", "AGENTCALLBACKLOGOFF"}


def apply_queue_log_events(conn: sa.Connection, source_id: int, events, now: datetime | None = None) -> None:
    """Drive the live state from parsed queue_log events (data.importers.queue_log.Event:
    at, callid, queue, agent, event, data), in the import's transaction."""
    from data.importers.queue_log import agent_name

    now = now or utcnow()
    events = sorted(events, key=lambda e: (e.at, e.lineno))
    if not events:
        return
    qa, qc = s.live_agent_state, s.live_queue_call
    names = {agent_name(e.agent) for e in events if e.agent and e.agent != "NONE"}
    callids = {e.callid for e in events if e.callid and e.callid != "NONE"}
    agents = {r.agent: dict(r._mapping) for r in conn.execute(sa.select(qa).where(qa.c.agent.in_(sorted(names))))}
    calls = {r.call_uid: dict(r._mapping) for r in conn.execute(sa.select(qc).where(qc.c.call_uid.in_(sorted(callids))))}
    touched_agents: set[str] = set()
    touched_calls: set[str] = set()
    oldest_live = now - LIVE_HORIZON

    def agent_row(name: str, at: datetime) -> dict | None:
        row = agents.get(name)
        if row is not None and row["since_utc"] > at:
            return None  # an older event than what we know: replayed, ignore
        if row is None:
            row = agents[name] = {"source_id": source_id, "agent": name, "state": LOGGED_OUT, "since_utc": at,
                                  "queues": None, "reason": None, "call_uid": None, "updated_utc": now}
        touched_agents.add(name)
        return row

    def move(row: dict, state: str, at: datetime, *, reason=None, call_uid=None) -> None:
        if row["state"] != state or row["reason"] != reason or row["call_uid"] != call_uid:
            row["since_utc"] = at
        row.update(state=state, reason=reason, call_uid=call_uid, updated_utc=now)

    for e in events:
        ev = e.event
        name = agent_name(e.agent) if e.agent and e.agent != "NONE" else None
        if ev == "ENTERQUEUE":
            if e.at < oldest_live:
                continue
            data = e.data
            calls[e.callid] = {"source_id": source_id, "call_uid": e.callid, "queue": e.queue, "enter_utc": e.at,
                               "position": _int(data[2]) if len(data) > 2 else None,
                               "caller_number": (data[1] or None)[:64] if len(data) > 1 and data[1] else None,
                               "answer_utc": None, "agent": None}
            touched_calls.add(e.callid)
        elif ev == "CONNECT":
            call = calls.get(e.callid)
            if call is not None:
                call.update(answer_utc=e.at, agent=name)
                touched_calls.add(e.callid)
            if name and e.at >= oldest_live and (row := agent_row(name, e.at)) is not None:
                move(row, ON_CALL, e.at, call_uid=e.callid)
                if e.queue:
                    row["queues"] = _queues_text((row["queues"] or "").split(",") + [e.queue])
        elif ev in _CALL_END:
            calls.pop(e.callid, None)
            touched_calls.add(e.callid)
            if ev in _ANSWERED_END and name and (row := agent_row(name, e.at)) is not None:
                if row["state"] == ON_CALL and row["call_uid"] in (e.callid, None):
                    move(row, AVAILABLE, e.at)
        elif ev in _LOGIN and name:
            if (row := agent_row(name, e.at)) is not None:
                row["queues"] = _queues_text((row["queues"] or "").split(",") + [e.queue])
                if row["state"] == LOGGED_OUT:
                    move(row, AVAILABLE, e.at)
        elif (ev in _LOGOFF or ev == "REMOVEMEMBER") and name:
            if (row := agent_row(name, e.at)) is not None:
                left = [q for q in (row["queues"] or "").split(",") if q and q != e.queue]
                if ev in _LOGOFF or not left:
                    row["queues"] = None
                    move(row, LOGGED_OUT, e.at)
                else:
                    row["queues"] = _queues_text(left)
        elif ev in ("PAUSE", "PAUSEALL") and name:
            if (row := agent_row(name, e.at)) is not None:
                move(row, PAUSED, e.at, reason=((e.data[0] if e.data else "") or None))
        elif ev in ("UNPAUSE", "UNPAUSEALL") and name:
            if (row := agent_row(name, e.at)) is not None and row["state"] == PAUSED:
                move(row, AVAILABLE, e.at)
    if touched_calls:
        conn.execute(qc.delete().where(qc.c.call_uid.in_(sorted(touched_calls))))
        rows = [calls[u] for u in sorted(touched_calls) if u in calls]
        if rows:
            conn.execute(qc.insert(), rows)
    if touched_agents:
        conn.execute(qa.delete().where(qa.c.agent.in_(sorted(touched_agents))))
        conn.execute(qa.insert(), [agents[a] for a in sorted(touched_agents)])


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- reading


def queue_now(scope: Scope, queues=()) -> sa.Select:
    """Per queue with live calls: waiting (not yet answered), oldest waiting enter time,
    talking (answered, not yet ended)."""
    t = s.live_queue_call
    waiting = t.c.answer_utc.is_(None)
    return (
        sa.select(
            t.c.queue,
            sa.func.sum(sa.case((waiting, 1), else_=0)).label("waiting"),
            sa.func.min(sa.case((waiting, t.c.enter_utc), else_=None)).label("oldest_enter_utc"),
            sa.func.sum(sa.case((waiting, 0), else_=1)).label("talking"),
        )
        .where(queue_clause(scope, t.c.queue), t.c.queue.in_(list(queues)) if queues else sa.true())
        .group_by(t.c.queue)
    )


def _serves(queue: str):
    """live_agent_state rows of agents logged into `queue` (queues is a comma list)."""
    t = s.live_agent_state
    return (sa.literal(",") + sa.func.coalesce(t.c.queues, "") + sa.literal(",")).like(f"%,{queue},%")


def agent_counts(scope: Scope, queues) -> sa.Select:
    """Per queue asked for: agents logged in / available / ringing / on a call / paused."""
    t = s.live_agent_state
    parts = []
    for q in queues:
        parts.append(
            sa.select(
                sa.literal(str(q)).label("queue"),
                sa.func.count().label("logged_in"),
                *[sa.func.sum(sa.case((t.c.state == st, 1), else_=0)).label(st) for st in (AVAILABLE, RINGING,
                                                                                          ON_CALL, PAUSED)],
            ).where(_serves(str(q)), t.c.state != LOGGED_OUT, queue_clause(scope, sa.literal(str(q))))
        )
    if not parts:
        return sa.select(sa.literal("").label("queue")).where(sa.false())
    return sa.union_all(*parts) if len(parts) > 1 else parts[0]


def agents_now(scope: Scope) -> sa.Select:
    """Every agent the scope may see with a live state: agent, name, state, since, reason,
    queues, call. Visible: the agent's extension is in scope or it serves a scoped queue."""
    t, e = s.live_agent_state, s.extension
    visible = extension_clause(scope, t.c.agent)
    if not scope.all and scope.queues:
        visible = sa.or_(visible, *[_serves(q) for q in sorted(scope.queues)])
    name = sa.select(sa.func.max(e.c.name)).where(e.c.number == t.c.agent).scalar_subquery()
    return (
        sa.select(t.c.agent, name.label("name"), t.c.state, t.c.since_utc, t.c.reason, t.c.queues, t.c.call_uid)
        .where(visible)
        .order_by(t.c.agent)
    )


def calls_by_hour(scope: Scope, day: date, tz: ZoneInfo) -> sa.Select:
    """Calls per local hour of one local day (period = hour 0-23, calls, answered): the
    PBX activity report's query, so "today" counts as the reports count."""
    from data.queries.pbx import pbx_activity
    from data.queries.report_filter import ReportFilter

    return pbx_activity(scope, ReportFilter(first_day=day, last_day=day, by="hour_of_day"), tz)


# --------------------------------------------------------------------------- the wallboard snapshot


@dataclass(frozen=True)
class QueueTile:
    queue: str
    name: str
    waiting: int
    oldest_wait_s: float | None  # of the longest-waiting caller, at `as_of`
    talking: int
    logged_in: int
    available: int
    on_call: int
    paused: int
    offered: int
    answered: int
    abandoned: int
    service_level: float | None
    avg_wait_s: float | None


@dataclass(frozen=True)
class Snapshot:
    as_of: datetime  # naive UTC
    tiles: tuple[QueueTile, ...]


def visible_queues(scope: Scope, engine=None) -> list[tuple[str, str]]:
    """(number, name) of every queue the scope may see."""
    from data import db
    from data.queries.queues import queue_options

    return [(r.number, r.name or r.number) for r in db.fetch_all(queue_options(scope), engine)]


def today_bounds(tz: ZoneInfo, now: datetime) -> date:
    return now.replace(tzinfo=timezone.utc).astimezone(tz).date()


def build_snapshot(scope: Scope, queues, tz: ZoneInfo, *, now: datetime | None = None, engine=None,
                   path: str | None = None) -> Snapshot:
    """Run the wallboard's queries now (no cache): live tables + today's queue sums."""
    from data import db
    from data.queries.queues import queue_names, queue_stats
    from data.queries.report_filter import ReportFilter

    now = now or utcnow()
    queues = [str(q) for q in queues]
    if not queues:
        queues = [q for q, _ in visible_queues(scope, engine)]
    if not scope.all:
        queues = [q for q in queues if q in scope.queues]
    if not queues:
        return Snapshot(now, ())
    day = today_bounds(tz, now)
    flt = ReportFilter(first_day=day, last_day=day, by="queue", queues=tuple(queues))
    with db.connect(engine) as conn:
        names = {r[0]: r[1] for r in conn.execute(queue_names(queues))}
        live = {r.queue: r for r in conn.execute(queue_now(scope, queues))}
        agents = {r.queue: r for r in conn.execute(agent_counts(scope, queues))}
        today = {r.queue: r for r in conn.execute(queue_stats(scope, flt, tz, path=path))}
    tiles = []
    for q in queues:
        lv, ag, td = live.get(q), agents.get(q), today.get(q)
        oldest = lv.oldest_enter_utc if lv is not None else None
        if isinstance(oldest, str):  # SQLite hands MIN() of a CASE back as text
            oldest = datetime.fromisoformat(oldest)
        calls, short, waiting = (td.calls, td.short_abandons, td.waiting) if td is not None else (0, 0, 0)
        offered = metrics.offered(calls, short, waiting)
        tiles.append(QueueTile(
            queue=q, name=names.get(q) or q,
            waiting=int(lv.waiting or 0) if lv is not None else 0,
            oldest_wait_s=max(0.0, (now - oldest).total_seconds()) if oldest is not None else None,
            talking=int(lv.talking or 0) if lv is not None else 0,
            logged_in=int(ag.logged_in or 0) if ag is not None else 0,
            available=int(ag.available or 0) if ag is not None else 0,
            on_call=int(ag.on_call or 0) if ag is not None else 0,
            paused=int(ag.paused or 0) if ag is not None else 0,
            offered=offered,
            answered=int(td.answered or 0) if td is not None else 0,
            abandoned=metrics.abandoned_excl_short(td.abandoned, short) if td is not None else 0,
            service_level=metrics.service_level(td.within_sl, offered) if td is not None else None,
            avg_wait_s=metrics.avg_wait_all_s(td.wait_s, metrics.closed_calls(calls, waiting)) if td is not None else None,
        ))
    return Snapshot(now, tuple(tiles))


class SnapshotCache:
    """Snapshots kept `ttl_s` seconds per (scope, queues); one computation at a time per key
    (the others wait for it instead of running the same queries)."""

    def __init__(self, ttl_s: float = 2.0):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, Snapshot]] = {}
        self._key_locks: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute) -> Snapshot:
        now = _time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                return hit[1]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                hit = self._entries.get(key)
                if hit is not None and _time.monotonic() - hit[0] < self.ttl_s:
                    return hit[1]
            snap = compute()
            with self._lock:
                self._entries[key] = (_time.monotonic(), snap)
                if len(self._entries) > 500:  # displays that went away: drop the stale ones
                    cutoff = _time.monotonic() - self.ttl_s
                    for k in [k for k, (t, _) in self._entries.items() if t < cutoff]:
                        self._entries.pop(k, None)
                        self._key_locks.pop(k, None)
            return snap

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = SnapshotCache()


def wallboard_snapshot(scope: Scope, queues, tz: ZoneInfo, *, engine=None) -> Snapshot:
    """The cached snapshot for this scope and these queues (at most ~2 s old)."""
    key = (scope.key(), tuple(str(q) for q in queues), str(tz), id(engine) if engine is not None else None)
    return _cache.get(key, lambda: build_snapshot(scope, queues, tz, engine=engine))

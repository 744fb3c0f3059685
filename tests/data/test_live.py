"""Live state (data.live) and the live simulator (data.demo.live_sim), on SQLite and PostgreSQL.

queue_log follow, worked out by hand (T = ten minutes ago, seconds after T):

    +0   ADDMEMBER 600 101     101 available, queues 600
    +0   ADDMEMBER 601 101     101 queues 600,601
    +1   ADDMEMBER 600 102     102 available, queues 600
    +5   c1 ENTERQUEUE 600     c1 waiting
    +6   c2 ENTERQUEUE 600     c2 waiting
    +10  c1 CONNECT 101        c1 talking with 101; 101 on_call since +10 (call c1)
    +12  PAUSE 102 Lunch       102 paused since +12, reason Lunch
    +20  c3 ENTERQUEUE 601     c3 waiting
    +25  c3 ABANDON            c3 gone
  (second batch, appended to the file)
    +40  c1 COMPLETECALLER     c1 gone; 101 available since +40
    +50  UNPAUSE 102           102 available since +50
    +55  REMOVEMEMBER 601 101  101 queues 600

After batch 1: queue 600 waiting 1 (c2, oldest since +6), talking 1; 600 agents logged in 2,
on call 1, paused 1, available 0; 601: logged in 1 (101, on call), waiting 0.
After batch 2: 600 waiting 1, talking 0, agents 2 available; 601 has no agent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import live
from data import schema as s
from data.demo.live_sim import LiveSimulator, SimConfig
from data.importers.queue_log import import_queue_log_file
from data.queries.queues import queue_stats
from data.queries.report_filter import ReportFilter
from data.scope import Scope

TZ = ZoneInfo("Europe/Prague")
ALL = Scope.everything()
# Tuesday 2026-11-24 09:30 local (08:30 UTC): a busy morning.
T0 = datetime(2026, 11, 24, 8, 30)


def _agents(conn):
    t = s.live_agent_state
    return {r.agent: (r.state, r.since_utc, r.queues, r.reason, r.call_uid) for r in conn.execute(sa.select(t))}


def _queue_calls(conn):
    t = s.live_queue_call
    return {r.call_uid: (r.queue, r.enter_utc, r.answer_utc, r.agent) for r in conn.execute(sa.select(t))}


def test_queue_log_follow_drives_live_state(engine, tmp_path):
    now = datetime.utcnow().replace(microsecond=0)
    base = now - timedelta(minutes=10)
    e0 = int((base - datetime(1970, 1, 1)).total_seconds())
    at = lambda sec: base + timedelta(seconds=sec)  # noqa: E731
    first = [
        f"{e0}|NONE|600|PJSIP/101|ADDMEMBER|",
        f"{e0}|NONE|601|PJSIP/101|ADDMEMBER|",
        f"{e0 + 1}|NONE|600|PJSIP/102|ADDMEMBER|",
        f"{e0 + 5}|c1|600|NONE|ENTERQUEUE||+420777111222|1",
        f"{e0 + 6}|c2|600|NONE|ENTERQUEUE||+420777333444|2",
        f"{e0 + 10}|c1|600|PJSIP/101|CONNECT|5|c1.1|3",
        f"{e0 + 12}|NONE|600|PJSIP/102|PAUSE|Lunch",
        f"{e0 + 20}|c3|601|NONE|ENTERQUEUE||+420777555666|1",
        f"{e0 + 25}|c3|601|NONE|ABANDON|1|1|5",
    ]
    second = [
        f"{e0 + 40}|c1|600|PJSIP/101|COMPLETECALLER|5|30|1",
        f"{e0 + 50}|NONE|600|PJSIP/102|UNPAUSE|",
        f"{e0 + 55}|NONE|601|PJSIP/101|REMOVEMEMBER|",
    ]
    path = tmp_path / "queue_log"
    path.write_text("\n".join(first) + "\n")
    import_queue_log_file(engine, path, on_events=live.apply_queue_log_events)
    with engine.connect() as conn:
        assert _queue_calls(conn) == {
            "c1": ("600", at(5), at(10), "101"),
            "c2": ("600", at(6), None, None),
        }
        assert _agents(conn) == {
            "101": ("on_call", at(10), "600,601", None, "c1"),
            "102": ("paused", at(12), "600", "Lunch", None),
        }
    snap = live.build_snapshot(ALL, ["600", "601"], TZ, now=now, engine=engine)
    q600, q601 = snap.tiles
    assert (q600.waiting, q600.talking, q600.logged_in, q600.on_call, q600.paused, q600.available) == (1, 1, 2, 1, 1, 0)
    assert q600.oldest_wait_s == 600 - 6
    assert (q601.waiting, q601.logged_in, q601.on_call, q601.oldest_wait_s) == (0, 1, 1, None)

    with path.open("a") as fh:
        fh.write("\n".join(second) + "\n")
    import_queue_log_file(engine, path, on_events=live.apply_queue_log_events)
    expected_calls = {"c2": ("600", at(6), None, None)}
    expected_agents = {"101": ("available", at(40), "600", None, None), "102": ("available", at(50), "600", None, None)}
    with engine.connect() as conn:
        assert _queue_calls(conn) == expected_calls
        assert _agents(conn) == expected_agents
    q600, q601 = live.build_snapshot(ALL, ["600", "601"], TZ, now=now, engine=engine).tiles
    assert (q600.waiting, q600.talking, q600.logged_in, q600.available) == (1, 0, 2, 2)
    assert (q601.waiting, q601.logged_in) == (0, 0)

    # A restart that replays the whole stream (live state kept) ends in the same state.
    from data.importers.queue_log import parse_line

    events = [parse_line(line, i) for i, line in enumerate(first + second, 1)]
    with engine.begin() as conn:
        live.apply_queue_log_events(conn, 1, [e for e in events if e is not None], now=now)
    with engine.connect() as conn:
        assert _queue_calls(conn) == expected_calls
        assert _agents(conn) == expected_agents


def test_scope_narrows_live_reads(engine):
    with engine.begin() as conn:
        conn.execute(s.source.insert().values(id=1, name="main"))
        live.enter_queue(conn, call_uid="a", queue="600", enter_utc=T0)
        live.enter_queue(conn, call_uid="b", queue="601", enter_utc=T0)
        live.set_agent(conn, agent="101", state="available", since_utc=T0, queues=["600"])
        live.set_agent(conn, agent="120", state="available", since_utc=T0, queues=["601"])
    only_600 = Scope.of(queues=["600"])
    with engine.connect() as conn:
        assert [r.queue for r in conn.execute(live.queue_now(only_600))] == ["600"]
        assert [r.agent for r in conn.execute(live.agents_now(only_600))] == ["101"]
        assert list(conn.execute(live.queue_now(Scope.nothing()))) == []
    snap = live.build_snapshot(only_600, ["600", "601"], TZ, now=T0, engine=engine)
    assert [t.queue for t in snap.tiles] == ["600"]


def _run(sim: LiveSimulator, *times):
    for t in times:
        sim.step(t)


def test_simulator_is_deterministic():
    cfg = SimConfig(seed=7)
    a, b = LiveSimulator(cfg, TZ), LiveSimulator(cfg, TZ)
    times = [T0, T0 + timedelta(minutes=20), T0 + timedelta(minutes=45)]
    _run(a, *times)
    _run(b, T0, T0 + timedelta(minutes=45))  # a different stepping, the same world
    assert a.live_rows() == b.live_rows()
    assert a.pending.calls == b.pending.calls
    assert len(a.pending.calls) > 10
    c = LiveSimulator(SimConfig(seed=8), TZ)
    _run(c, *times)
    assert c.pending.calls != a.pending.calls


def test_restart_rebuilds_the_same_state(engine):
    """A simulator that stopped and restarted (state reloaded from the database) writes the
    same calls and ends in the same live state as one that ran through."""
    cfg = SimConfig(seed=3)
    t1, t2 = T0 + timedelta(minutes=35), T0 + timedelta(minutes=70)
    through = LiveSimulator(cfg, TZ)
    _run(through, T0, t1, t2)

    with engine.begin() as conn:
        first = LiveSimulator.load(conn, cfg, TZ)
    _run(first, T0, t1)
    in_flight = len(first.calls)
    with engine.begin() as conn:
        first.flush(conn)
    with engine.begin() as conn:
        second = LiveSimulator.load(conn, cfg, TZ)
    assert second.clock == t1 and len(second.calls) == in_flight > 0
    _run(second, t2)
    with engine.begin() as conn:
        second.flush(conn)

    qc = s.queue_call
    with engine.connect() as conn:
        stored = sorted((r.call_uid, r.queue, r.outcome, r.wait_s, r.talk_s, r.agent)
                        for r in conn.execute(sa.select(qc)))
        assert conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar() == len(stored)
        agents, calls = through.live_rows()
        assert _agents(conn) == {a["agent"]: (a["state"], a["since_utc"], a["queues"], a["reason"], a["call_uid"])
                                 for a in agents}
        assert _queue_calls(conn) == {c["call_uid"]: (c["queue"], c["enter_utc"], c["answer_utc"], c["agent"])
                                      for c in calls}
        # Today's queue numbers from the aggregates equal the facts (refresh ran per flush).
        day = live.today_bounds(TZ, t2)
        flt = ReportFilter(first_day=day, last_day=day, by="queue")
        agg = [tuple(r) for r in conn.execute(queue_stats(ALL, flt, TZ, path="aggregate"))]
        facts = [tuple(r) for r in conn.execute(queue_stats(ALL, flt, TZ, path="facts"))]
        assert agg == facts
    expected = sorted((f["uid"], f["queue"], f["outcome"], f["wait_s"], f["talk_s"], f["agent"])
                      for f in through.pending.calls)
    assert stored == expected

    # A second flush of the same state writes nothing twice.
    with engine.begin() as conn:
        again = LiveSimulator.load(conn, cfg, TZ)
        again.flush(conn)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(qc)).scalar() == len(stored)

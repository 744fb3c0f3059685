"""The hourly aggregates equal hand-computed counts and sums, and stay exact under
partial refreshes, deletes and threshold changes (SQLite and PostgreSQL).

All times are naive UTC. Europe/Prague is UTC+1 in winter, UTC+2 in summer; 2026-10-25
is the 25-hour day (01:00 UTC: 03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from data import aggregates
from data import schema as s

T = datetime


def sec(n: float) -> timedelta:
    return timedelta(seconds=n)


# id, source, start, direction, status, extension, peer, duration, ring, talk, hold, recorded
CALLS = [
    (1, 1, T(2026, 3, 29, 8, 5), "inbound", "answered", "101", None, 100, 10, 90, 5, True),
    (2, 1, T(2026, 3, 29, 8, 10), "inbound", "answered", "101", None, 60, 5, 55, 0, False),
    (3, 1, T(2026, 3, 29, 8, 20), "inbound", "no_answer", "102", None, 30, 30, 0, 0, False),
    (4, 1, T(2026, 3, 29, 8, 30), "outbound", "busy", "101", None, 3, 3, 0, 0, False),
    (5, 1, T(2026, 3, 29, 8, 40), "outbound", "failed", "103", None, 0, 0, 0, 0, False),
    (6, 1, T(2026, 3, 29, 8, 50), "inbound", "voicemail", "102", None, 40, 20, 0, 0, False),
    (7, 1, T(2026, 3, 29, 8, 59, 59, 500000), "inbound", "abandoned", None, None, 25, 0, 0, 0, False),
    (8, 1, T(2026, 3, 29, 8, 15), "inbound", "congestion", None, None, 0, 0, 0, 0, False),
    (9, 1, T(2026, 3, 29, 8, 45), "internal", "answered", "101", "102", 70, 4, 66, 0, True),
    (10, 1, T(2026, 3, 29, 9, 0, 0), "internal", "no_answer", "102", "103", 15, 15, 0, 0, False),
    (11, 1, T(2026, 3, 29, 9, 30), "internal", "answered", "103", "", 20, 2, 18, 0, False),
    (12, 2, T(2026, 3, 29, 8, 25), "inbound", "answered", "101", None, 10, 2, 8, 0, False),
    # The 25-hour day: 02:30 CEST, 02:30 CET, and 23:59 CET (its very last minute).
    (13, 1, T(2026, 10, 25, 0, 30), "inbound", "answered", "104", None, 30, 3, 27, 0, False),
    (14, 1, T(2026, 10, 25, 1, 30), "inbound", "no_answer", "104", None, 20, 20, 0, 0, False),
    (15, 1, T(2026, 10, 25, 22, 59), "inbound", "answered", "101", None, 50, 5, 45, 0, False),
]

H08, H09 = T(2026, 3, 29, 8), T(2026, 3, 29, 9)
# (bucket, source, direction, status, extension, party): (calls, duration, ring, talk, hold, recorded)
EXPECTED_CALL_AGG = {
    (H08, 1, "inbound", "answered", "101", "owner"): (2, 160, 15, 145, 5, 1),  # calls 1+2
    (H08, 1, "inbound", "no_answer", "102", "owner"): (1, 30, 30, 0, 0, 0),
    (H08, 1, "outbound", "busy", "101", "owner"): (1, 3, 3, 0, 0, 0),
    (H08, 1, "outbound", "failed", "103", "owner"): (1, 0, 0, 0, 0, 0),
    (H08, 1, "inbound", "voicemail", "102", "owner"): (1, 40, 20, 0, 0, 0),
    (H08, 1, "inbound", "abandoned", "", "owner"): (1, 25, 0, 0, 0, 0),  # 08:59:59.5 stays in 08
    (H08, 1, "inbound", "congestion", "", "owner"): (1, 0, 0, 0, 0, 0),
    (H08, 1, "internal", "answered", "101", "owner"): (1, 70, 4, 66, 0, 1),
    (H08, 1, "internal", "answered", "102", "peer"): (1, 70, 4, 66, 0, 1),
    (H08, 2, "inbound", "answered", "101", "owner"): (1, 10, 2, 8, 0, 0),  # other PBX
    (H09, 1, "internal", "no_answer", "102", "owner"): (1, 15, 15, 0, 0, 0),  # 09:00:00 is in 09
    (H09, 1, "internal", "no_answer", "103", "peer"): (1, 15, 15, 0, 0, 0),
    (H09, 1, "internal", "answered", "103", "owner"): (1, 20, 2, 18, 0, 0),  # empty peer: no peer row
    (T(2026, 10, 25, 0), 1, "inbound", "answered", "104", "owner"): (1, 30, 3, 27, 0, 0),
    (T(2026, 10, 25, 1), 1, "inbound", "no_answer", "104", "owner"): (1, 20, 20, 0, 0, 0),
    (T(2026, 10, 25, 22), 1, "inbound", "answered", "101", "owner"): (1, 50, 5, 45, 0, 0),
}

# queue, sl_target_s, short_abandon_s ('602' has no queue row: the defaults 20 / 5 apply)
QUEUES = [("600", None, None), ("601", 10, 3)]

# id, queue, enter, wait, outcome, talk
QUEUE_CALLS = [
    (1, "600", T(2026, 3, 29, 8, 1), 20, "answered", 90),   # exactly at the 20 s target: within
    (2, "600", T(2026, 3, 29, 8, 2), 21, "answered", 30),   # one second over: not within
    (3, "600", T(2026, 3, 29, 8, 3), 4, "abandoned", 0),    # below 5 s: short
    (4, "600", T(2026, 3, 29, 8, 4), 5, "abandoned", 0),    # at 5 s: not short
    (5, "600", T(2026, 3, 29, 8, 59), 60, "timeout", 0),    # exits at 09:00, counted at entry
    (6, "600", T(2026, 3, 29, 8, 6), 8, "exit_key", 0),
    (7, "600", T(2026, 3, 29, 8, 7), 0, "no_agents", 0),
    (8, "600", T(2026, 3, 29, 8, 8), 0, "full", 0),
    (9, "600", T(2026, 3, 29, 8, 9), 3, "unknown", 0),      # short, but not an abandon
    (10, "601", T(2026, 3, 29, 8, 10), 10, "answered", 40),  # custom target 10: within
    (11, "601", T(2026, 3, 29, 8, 11), 11, "answered", 50),  # over 10 (within the default 20)
    (12, "601", T(2026, 3, 29, 8, 12), 2, "abandoned", 0),   # custom 3 s: short
    (13, "601", T(2026, 3, 29, 8, 13), 3, "abandoned", 0),   # at 3 s: not short (short by default)
    (14, "602", T(2026, 3, 29, 9, 14), 20, "answered", 10),
    (15, "602", T(2026, 3, 29, 9, 15), 4, "abandoned", 0),
]

# (bucket, source, queue, outcome): (calls, short_abandons, within_sl, wait_s, wait_max_s, talk_s)
# The last two: talked (answered calls with a known talk) and open_calls (no exit yet), added
# by issue 14 rule 8; every queue call here has ended, so talked = the answered calls, open 0.
EXPECTED_QUEUE_AGG = {
    (H08, 1, "600", "answered"): (2, 0, 1, 41, 21, 120, 2, 0),
    (H08, 1, "600", "abandoned"): (2, 1, 0, 9, 5, 0, 0, 0),
    (H08, 1, "600", "timeout"): (1, 0, 0, 60, 60, 0, 0, 0),
    (H08, 1, "600", "exit_key"): (1, 0, 0, 8, 8, 0, 0, 0),
    (H08, 1, "600", "no_agents"): (1, 0, 0, 0, 0, 0, 0, 0),
    (H08, 1, "600", "full"): (1, 0, 0, 0, 0, 0, 0, 0),
    (H08, 1, "600", "unknown"): (1, 0, 0, 3, 3, 0, 0, 0),
    (H08, 1, "601", "answered"): (2, 0, 1, 21, 11, 90, 2, 0),
    (H08, 1, "601", "abandoned"): (2, 1, 0, 5, 3, 0, 0, 0),
    (H09, 1, "602", "answered"): (1, 0, 1, 20, 20, 10, 1, 0),
    (H09, 1, "602", "abandoned"): (1, 1, 0, 4, 4, 0, 0, 0),
}

EVERYTHING = (T(2026, 3, 1), T(2026, 11, 1))


def _call_row(c):
    i, src, start, direction, status, ext, peer, dur, ring, talk, hold, rec = c
    return {"id": i, "source_id": src, "call_uid": f"c{i}", "start_utc": start,
            "answer_utc": start + sec(ring) if talk else None, "end_utc": start + sec(dur),
            "direction": direction, "status": status, "extension": ext, "peer_extension": peer,
            "duration_s": dur, "ring_s": ring, "talk_s": talk, "hold_s": hold, "has_recording": rec}


def _queue_call_row(q):
    i, queue, enter, wait, outcome, talk = q
    return {"id": i, "source_id": 1, "call_uid": f"q{i}", "queue": queue, "enter_utc": enter,
            "exit_utc": enter + sec(wait), "wait_s": wait, "outcome": outcome, "talk_s": talk,
            "agent": "101" if outcome == "answered" else None}


def _setup_dimensions(conn):
    conn.execute(s.source.insert(), [{"id": 1, "name": "pbx-a"}, {"id": 2, "name": "pbx-b"}])
    for i, (number, sl, short) in enumerate(QUEUES, 1):
        row = {"id": i, "source_id": 1, "number": number, "name": f"Queue {number}"}
        if sl is not None:
            row.update(sl_target_s=sl, short_abandon_s=short)
        conn.execute(s.queue.insert().values(**row))


def load(engine, calls=CALLS, queue_calls=QUEUE_CALLS, refresh=True):
    with engine.begin() as conn:
        _setup_dimensions(conn)
        if calls:
            conn.execute(s.call.insert(), [_call_row(c) for c in calls])
        if queue_calls:
            conn.execute(s.queue_call.insert(), [_queue_call_row(q) for q in queue_calls])
        if refresh:
            aggregates.refresh(conn, *EVERYTHING)


def call_agg(conn) -> dict:
    a = s.agg_call_hour
    rows = conn.execute(sa.select(a).order_by(*a.primary_key.columns)).all()
    return {tuple(r[:6]): tuple(int(x) for x in r[6:]) for r in rows}


def queue_agg(conn) -> dict:
    a = s.agg_queue_hour
    rows = conn.execute(sa.select(a).order_by(*a.primary_key.columns)).all()
    return {tuple(r[:4]): tuple(int(x) for x in r[4:]) for r in rows}


def all_aggregates(conn) -> dict:
    """Every agg_* table of the schema as a sorted list of rows."""
    out = {}
    for table in s.metadata.sorted_tables:
        if table.name.startswith("agg_"):
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(int(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, float) else v
                                            for v in r) for r in rows), key=repr)
    assert out["agg_call_hour"], "fixture produced no aggregate rows"
    return out


# --------------------------------------------------------------------------- tests


def test_refresh_gives_hand_computed_call_rows(engine):
    load(engine)
    with engine.connect() as conn:
        assert call_agg(conn) == EXPECTED_CALL_AGG
        a = s.agg_call_hour
        owner, peer = conn.execute(sa.select(
            sa.func.sum(sa.case((a.c.party == "owner", a.c.calls), else_=0)),
            sa.func.sum(sa.case((a.c.party == "peer", a.c.calls), else_=0)))).one()
        assert (owner, peer) == (15, 2)  # every call once as owner; calls 9 and 10 have a peer


def test_refresh_gives_hand_computed_queue_rows(engine):
    load(engine)
    with engine.connect() as conn:
        assert queue_agg(conn) == EXPECTED_QUEUE_AGG


def test_refresh_fills_time_hour_and_dst_night_buckets(engine):
    load(engine)
    a, th = s.agg_call_hour, s.time_hour
    with engine.connect() as conn:
        # Every aggregate hour has its time_hour row.
        orphans = conn.execute(sa.select(sa.func.count()).select_from(
            a.outerjoin(th, th.c.bucket_utc == a.c.bucket_utc)).where(th.c.bucket_utc.is_(None))).scalar()
        assert orphans == 0
        per_day = conn.execute(
            sa.select(th.c.local_day, th.c.local_hour, sa.func.sum(a.c.calls))
            .join(th, th.c.bucket_utc == a.c.bucket_utc)
            .where(a.c.party == "owner", th.c.local_day == date(2026, 10, 25))
            .group_by(th.c.local_day, th.c.local_hour, a.c.bucket_utc).order_by(a.c.bucket_utc)).all()
    # 00:30 UTC = 02:30 CEST, 01:30 UTC = 02:30 CET, 22:59 UTC = 23:59 CET — all on the 25th.
    assert [tuple(r) for r in per_day] == [(date(2026, 10, 25), 2, 1), (date(2026, 10, 25), 2, 1),
                                           (date(2026, 10, 25), 23, 1)]


def test_refresh_of_one_hour_after_delete_updates_exactly_that_hour(engine):
    load(engine)
    with engine.begin() as conn:
        conn.execute(s.call.delete().where(s.call.c.id.in_([2, 10])))  # one at 08:10, one at 09:00
        conn.execute(s.queue_call.delete().where(s.queue_call.c.id.in_([1, 14])))
        # Before any refresh the aggregates still hold the deleted calls.
        assert call_agg(conn) == EXPECTED_CALL_AGG
        aggregates.refresh(conn, T(2026, 3, 29, 8, 10), T(2026, 3, 29, 8, 10))  # hour 08 only
    want_calls = dict(EXPECTED_CALL_AGG)
    want_calls[(H08, 1, "inbound", "answered", "101", "owner")] = (1, 100, 10, 90, 5, 1)  # call 1 alone
    want_queue = dict(EXPECTED_QUEUE_AGG)
    want_queue[(H08, 1, "600", "answered")] = (1, 0, 0, 21, 21, 30, 1, 0)  # queue call 2 alone
    with engine.connect() as conn:
        assert call_agg(conn) == want_calls  # hour 09 still stale: untouched
        assert queue_agg(conn) == want_queue
    with engine.begin() as conn:
        aggregates.refresh(conn, H09, T(2026, 3, 29, 9, 30))
    del want_calls[(H09, 1, "internal", "no_answer", "102", "owner")]
    del want_calls[(H09, 1, "internal", "no_answer", "103", "peer")]
    del want_queue[(H09, 1, "602", "answered")]
    with engine.connect() as conn:
        assert call_agg(conn) == want_calls
        assert queue_agg(conn) == want_queue


def test_incremental_refresh_equals_rebuild_all(engine):
    """Load in three pieces, refreshing each piece's range (one overlapping twice)."""
    pieces = [(CALLS[:6], QUEUE_CALLS[:5]), (CALLS[6:11], QUEUE_CALLS[5:12]), (CALLS[11:], QUEUE_CALLS[12:])]
    with engine.begin() as conn:
        _setup_dimensions(conn)
    for calls, qcalls in pieces:
        with engine.begin() as conn:
            conn.execute(s.call.insert(), [_call_row(c) for c in calls])
            conn.execute(s.queue_call.insert(), [_queue_call_row(q) for q in qcalls])
            times = [c[2] for c in calls] + [q[2] for q in qcalls]
            aggregates.refresh(conn, min(times), max(times))  # end is inclusive of its hour
    with engine.connect() as conn:
        incremental = call_agg(conn), queue_agg(conn)
    assert incremental == (EXPECTED_CALL_AGG, EXPECTED_QUEUE_AGG)
    with engine.connect() as conn:
        every_incremental = all_aggregates(conn)
    with engine.begin() as conn:
        aggregates.rebuild_all(conn)
    with engine.connect() as conn:
        assert (call_agg(conn), queue_agg(conn)) == incremental
        # Every aggregate table (rollups included), row for row.
        assert all_aggregates(conn) == every_incremental


def test_rebuild_all_on_empty_facts_clears_aggregates(engine):
    load(engine)
    with engine.begin() as conn:
        conn.execute(s.queue_call.delete())
        conn.execute(s.call.delete())
        aggregates.rebuild_all(conn)
        assert call_agg(conn) == {} and queue_agg(conn) == {}
        assert aggregates.fact_range(conn) == (None, None)


def test_fact_range_spans_calls_and_queue_calls(engine):
    load(engine)
    with engine.connect() as conn:
        assert aggregates.fact_range(conn) == (T(2026, 3, 29, 8, 1), T(2026, 10, 25, 22, 59))


def test_refresh_queue_after_threshold_change(engine):
    load(engine)
    with engine.begin() as conn:
        # 601: target 10 -> 11 s, short abandon 3 -> 5 s; 600 keeps its defaults.
        conn.execute(s.queue.update().where(s.queue.c.number == "601").values(sl_target_s=11, short_abandon_s=5))
        aggregates.refresh_queue(conn, "601")
    want = dict(EXPECTED_QUEUE_AGG)
    want[(H08, 1, "601", "answered")] = (2, 0, 2, 21, 11, 90, 2, 0)  # waits 10 and 11 both within 11
    want[(H08, 1, "601", "abandoned")] = (2, 2, 0, 5, 3, 0, 0, 0)    # waits 2 and 3 both below 5
    with engine.connect() as conn:
        assert queue_agg(conn) == want
    with engine.begin() as conn:
        # 600 gets a 21 s target: queue call 2 (21 s) is now within too.
        conn.execute(s.queue.update().where(s.queue.c.number == "600").values(sl_target_s=21))
        aggregates.refresh_queue(conn, "600")
    want[(H08, 1, "600", "answered")] = (2, 0, 2, 41, 21, 120, 2, 0)
    with engine.connect() as conn:
        assert queue_agg(conn) == want


def test_refresh_end_on_an_hour_boundary_includes_that_hour(engine):
    """refresh(min(start), max(start)) after a load: a last call at exactly 09:00:00 counts."""
    with engine.begin() as conn:
        _setup_dimensions(conn)
        conn.execute(s.call.insert(), [_call_row(c) for c in CALLS if c[0] in (1, 10)])  # 08:05, 09:00:00
        conn.execute(s.queue_call.insert(), [_queue_call_row(QUEUE_CALLS[0])])
        conn.execute(s.queue_call.insert().values(
            _queue_call_row((99, "600", H09, 30, "answered", 5))))
        aggregates.refresh(conn, T(2026, 3, 29, 8, 5), H09)
    with engine.connect() as conn:
        assert call_agg(conn) == {
            (H08, 1, "inbound", "answered", "101", "owner"): (1, 100, 10, 90, 5, 1),
            (H09, 1, "internal", "no_answer", "102", "owner"): (1, 15, 15, 0, 0, 0),
            (H09, 1, "internal", "no_answer", "103", "peer"): (1, 15, 15, 0, 0, 0),
        }
        assert queue_agg(conn) == {
            # + talked, open_calls (issue 14): both ended.
            (H08, 1, "600", "answered"): (1, 0, 1, 20, 20, 90, 1, 0),
            (H09, 1, "600", "answered"): (1, 0, 0, 30, 30, 5, 1, 0),
        }
        # Both hours are in time_hour, and so is the rest of their local day (the day
        # rollup is recomputed whole): 29 March 2026 is the 23-hour DST day in Prague.
        hours = {r[0] for r in conn.execute(sa.select(s.time_hour.c.bucket_utc))}
        assert {H08, H09} <= hours
        assert len(hours) == 23

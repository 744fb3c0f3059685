"""Rollup aggregates (agg_call_total_hour, agg_call_day, agg_number_hour) against
hand-counted fixtures, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from data import aggregates
from data import schema as s

T = datetime


def _call(uid, start, direction, status, ext, peer=None, did=None, cid=None, talk=0):
    return dict(call_uid=uid, start_utc=start, end_utc=start + timedelta(seconds=talk + 5), direction=direction,
                status=status, extension=ext, peer_extension=peer, did=did, outbound_cid=cid, talk_s=talk,
                duration_s=talk + 5, ring_s=5)


# Prague: 2026-10-24 is a 24-hour day (CEST, UTC+2), 2026-10-25 has 25 hours.
CALLS = [
    _call("a", T(2026, 10, 24, 21, 59), "inbound", "answered", "101", did="222000111", talk=60),  # 23:59 local, 24th
    _call("b", T(2026, 10, 24, 22, 0), "inbound", "no_answer", "101", did="222000111"),  # 00:00 local, 25th
    _call("c", T(2026, 10, 25, 0, 30), "internal", "answered", "101", peer="102", talk=30),  # 02:30 CEST, 25th
    _call("d", T(2026, 10, 25, 1, 30), "outbound", "answered", "102", cid="222000999", talk=120),  # 02:30 CET, 25th
    _call("e", T(2026, 10, 25, 1, 45), "outbound", "busy", "102", cid="222000999"),
    _call("f", T(2026, 10, 25, 1, 50), "inbound", "answered", "103", did="222000112", talk=10),
]


def _load(conn):
    conn.execute(s.source.insert().values(id=1, name="main"))
    conn.execute(s.call.insert(), CALLS)
    aggregates.refresh(conn, min(c["start_utc"] for c in CALLS), max(c["start_utc"] for c in CALLS))


def _rows(conn, table, keys, measures):
    cols = [table.c[k] for k in keys] + [table.c[m] for m in measures]
    return {tuple(r[: len(keys)]): tuple(r[len(keys):]) for r in conn.execute(sa.select(*cols))}


def test_total_hour_counts_every_call_once(engine):
    with engine.begin() as conn:
        _load(conn)
        got = _rows(conn, s.agg_call_total_hour, ["bucket_utc", "direction", "status"], ["calls", "talk_s"])
    assert got == {
        (T(2026, 10, 24, 21), "inbound", "answered"): (1, 60),
        (T(2026, 10, 24, 22), "inbound", "no_answer"): (1, 0),
        (T(2026, 10, 25, 0), "internal", "answered"): (1, 30),  # the internal call once, not twice
        (T(2026, 10, 25, 1), "outbound", "answered"): (1, 120),
        (T(2026, 10, 25, 1), "outbound", "busy"): (1, 0),
        (T(2026, 10, 25, 1), "inbound", "answered"): (1, 10),
    }


def test_day_rollup_buckets_by_local_day(engine):
    with engine.begin() as conn:
        _load(conn)
        got = _rows(conn, s.agg_call_day, ["local_day", "direction", "status", "extension", "party"], ["calls", "talk_s"])
    d24, d25 = date(2026, 10, 24), date(2026, 10, 25)
    assert got == {
        (d24, "inbound", "answered", "101", "owner"): (1, 60),
        (d25, "inbound", "no_answer", "101", "owner"): (1, 0),
        (d25, "internal", "answered", "101", "owner"): (1, 30),
        (d25, "internal", "answered", "102", "peer"): (1, 30),
        (d25, "outbound", "answered", "102", "owner"): (1, 120),
        (d25, "outbound", "busy", "102", "owner"): (1, 0),
        (d25, "inbound", "answered", "103", "owner"): (1, 10),
    }


def test_number_hour_by_did_and_caller_id(engine):
    with engine.begin() as conn:
        _load(conn)
        got = _rows(conn, s.agg_number_hour, ["bucket_utc", "kind", "number", "status"], ["calls", "talk_s"])
    assert got == {
        (T(2026, 10, 24, 21), "did", "222000111", "answered"): (1, 60),
        (T(2026, 10, 24, 22), "did", "222000111", "no_answer"): (1, 0),
        (T(2026, 10, 25, 1), "did", "222000112", "answered"): (1, 10),
        (T(2026, 10, 25, 1), "dod", "222000999", "answered"): (1, 120),
        (T(2026, 10, 25, 1), "dod", "222000999", "busy"): (1, 0),
    }


def test_deleting_a_call_and_refreshing_its_hour_updates_every_rollup(engine):
    with engine.begin() as conn:
        _load(conn)
        conn.execute(s.call.delete().where(s.call.c.call_uid == "d"))
        aggregates.refresh(conn, T(2026, 10, 25, 1, 30), T(2026, 10, 25, 1, 30))
        day = _rows(conn, s.agg_call_day, ["local_day", "direction", "status", "extension"], ["calls"])
        total = _rows(conn, s.agg_call_total_hour, ["bucket_utc", "direction", "status"], ["calls"])
        numbers = _rows(conn, s.agg_number_hour, ["kind", "number", "status"], ["calls"])
    assert (date(2026, 10, 25), "outbound", "answered", "102") not in day
    assert day[(date(2026, 10, 24), "inbound", "answered", "101")] == (1,)  # other day untouched
    assert (T(2026, 10, 25, 1), "outbound", "answered") not in total
    assert ("dod", "222000999", "answered") not in numbers and numbers[("dod", "222000999", "busy")] == (1,)


def test_incremental_refreshes_equal_a_full_rebuild(engine):
    tables = (s.agg_call_total_hour, s.agg_call_day, s.agg_number_hour)
    with engine.begin() as conn:
        conn.execute(s.source.insert().values(id=1, name="main"))
        for row in CALLS:  # one call at a time, as an importer's batches would
            conn.execute(s.call.insert(), [row])
            aggregates.refresh(conn, row["start_utc"], row["start_utc"])
        incremental = [sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in tables]
        aggregates.rebuild_all(conn)
        rebuilt = [sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in tables]
    assert incremental == rebuilt
    assert all(incremental)

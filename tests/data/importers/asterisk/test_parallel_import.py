"""The large-import path: batches prepared in worker processes, written by binary COPY,
aggregates refreshed once at the end. It must give exactly what the one-process path gives,
and an import that dies half-way must leave nothing inconsistent behind."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from data import aggregates
from data import db
from data import schema as s
from data.importers import parallel
from data.importers.asterisk import load
from data.importers.asterisk.cdr_file import import_cdr_file
from data.importers.asterisk.load import KnownCalls
from data.importers.asterisk.parse import decode_block
from tests.data.importers.asterisk.test_cdr_file import FIX

AGG_TABLES = [s.agg_call_hour, s.agg_queue_hour, s.agg_call_total_hour, s.agg_call_day, s.agg_number_hour,
              s.agg_call_scope_hour, s.agg_ring_group_hour, s.agg_ring_group_member_hour, s.agg_agent_hour,
              s.agg_ivr_hour, s.agg_ivr_scope_hour]
CDR_FIXTURES = ["csv16_local.csv", "csv16_parallel.csv", "csv18_gmt.csv", "csv18_local_halves.csv",
                "csv21_local.csv", "csv21_queue_exits.csv", "csv21_queue_outcomes.csv", "custom.csv",
                "freepbx_export.csv", "bad_lines.csv",
                # issue 14: real shapes with IVR visits, learned classes and calls derived again
                "issue14/stadion_csv21.csv", "issue14/kely_custom19.csv", "issue14/freepbx_csv21.csv"]


def snapshot(engine) -> dict:
    """Every call (by uid, without its id), its legs, and every aggregate row."""
    c, cl = s.call, s.call_leg
    out: dict = {}
    with engine.connect() as conn:
        out["calls"] = {r.call_uid: tuple(v for k, v in r._mapping.items() if k != "id")
                        for r in conn.execute(sa.select(c))}
        out["legs"] = sorted(
            (r.call_uid,) + tuple(v for k, v in r._mapping.items() if k not in ("id", "call_id", "call_uid"))
            for r in conn.execute(sa.select(cl, c.c.call_uid).join(c, c.c.id == cl.c.call_id)))
        ch = s.ivr_choice
        out["ivr_choice"] = sorted(
            (r.call_uid,) + tuple(v for k, v in r._mapping.items() if k not in ("id", "call_id", "call_uid"))
            for r in conn.execute(sa.select(ch, c.c.call_uid).join(c, c.c.id == ch.c.call_id)))
        nc = s.number_class  # what was learned (the sightings count depends on the batches)
        out["number_class"] = sorted((r.namespace, r.name, r.kind, r.origin) for r in conn.execute(sa.select(nc)))
        for t in AGG_TABLES:
            out[t.name] = sorted(tuple(r) for r in conn.execute(sa.select(t)))
    return out


def _wipe(engine) -> None:
    with engine.begin() as conn:
        for t in reversed(s.metadata.sorted_tables):
            if t.name not in ("time_hour", "alembic_version"):
                conn.execute(t.delete())


@pytest.mark.parametrize("name", CDR_FIXTURES)
def test_workers_and_deferred_aggregates_give_what_one_process_gives(pg_only_url, tmp_path, name):
    engine = db.get_engine(pg_only_url)
    rejects_a, rejects_b = tmp_path / "a.rej", tmp_path / "b.rej"
    one = import_cdr_file(engine, FIX / name, source_tz="Europe/Prague", workers=0, defer_aggregates=False,
                          rejects_path=rejects_a)
    expected = snapshot(engine)
    _wipe(engine)
    # Two workers, three lines a batch: calls straddle batches and are merged by the writer.
    par = import_cdr_file(engine, FIX / name, source_tz="Europe/Prague", workers=2, defer_aggregates=True,
                          batch_lines=3, rejects_path=rejects_b)
    assert snapshot(engine) == expected
    assert (par.lines_read, par.calls_added, par.lines_rejected, par.rejects) == \
        (one.lines_read, one.calls_added, one.lines_rejected, one.rejects)
    assert (rejects_b.read_bytes() if rejects_b.exists() else b"") == \
        (rejects_a.read_bytes() if rejects_a.exists() else b"")
    with engine.connect() as conn:
        assert aggregates.pending(conn) is None
    assert expected["calls"], "the fixture produced calls"


def test_a_deferred_import_that_dies_leaves_its_hours_marked_and_the_next_import_refreshes_them(
        pg_only_url, monkeypatch):
    engine = db.get_engine(pg_only_url)
    import_cdr_file(engine, FIX / "csv21_local.csv", source_tz="Europe/Prague", workers=0,
                    defer_aggregates=False)
    expected = snapshot(engine)
    _wipe(engine)

    real = load.write_encoded_batch
    written = []

    def dies_on_the_third_batch(*args, **kwargs):
        if len(written) == 2:
            raise RuntimeError("the power went out")
        written.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(load, "write_encoded_batch", dies_on_the_third_batch)
    with pytest.raises(RuntimeError, match="power"):
        import_cdr_file(engine, FIX / "csv21_local.csv", source_tz="Europe/Prague", workers=0,
                        defer_aggregates=True, batch_lines=2)
    with engine.connect() as conn:
        assert aggregates.pending(conn) is not None
        calls_now = conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar()
        aggregated = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(s.agg_call_total_hour.c.calls), 0))).scalar()
    assert calls_now > 0 and aggregated == 0  # two batches landed, their aggregates are pending

    monkeypatch.setattr(load, "write_encoded_batch", real)
    import_cdr_file(engine, FIX / "csv21_local.csv", source_tz="Europe/Prague", workers=0)
    assert snapshot(engine) == expected
    with engine.connect() as conn:
        assert aggregates.pending(conn) is None


def test_pending_ranges_widen_and_refresh_once(engine):
    from datetime import datetime

    with engine.begin() as conn:
        aggregates.mark_pending(conn, datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))
        aggregates.mark_pending(conn, datetime(2026, 3, 1, 23), datetime(2026, 3, 2, 9, 30))
        aggregates.mark_pending(conn, datetime(2026, 3, 2, 9), datetime(2026, 3, 4, 1))
    with engine.connect() as conn:
        assert aggregates.pending(conn) == (datetime(2026, 3, 1, 23), datetime(2026, 3, 4, 1))
    assert aggregates.refresh_pending(engine) == (datetime(2026, 3, 1, 23), datetime(2026, 3, 4, 1))
    assert aggregates.refresh_pending(engine) is None


def test_known_calls_only_sends_possible_repeats_to_the_database():
    known = KnownCalls(complete=True)
    assert known.candidates(["a", "b"]) == []
    known.add(["a", "c"])
    known.add(["e"])
    assert known.candidates(["a", "b", "c", "d", "e"]) == ["a", "c", "e"]
    # A source that held calls before: everything must be looked up.
    assert KnownCalls(complete=False).candidates(["x", "y"]) == ["x", "y"]


def test_decode_block_splits_like_reading_line_by_line():
    block = b'a,b\r\n\r\n"x\xff",y\nlast\x00 line'
    assert decode_block(block) == ["a,b", "", '"x\ufffd",y', "last line"]
    assert decode_block(b"one\ntwo\n") == ["one", "two"]
    # Only \n ends a line: other separators that str.splitlines knows stay inside.
    assert decode_block("a\x1cb\u2028c\n".encode()) == ["a\x1cb\u2028c"]


def _square(x: int) -> int:
    if x == 5:
        raise ValueError("five")
    return x * x


def test_ordered_map_keeps_order_bounds_read_ahead_and_raises_in_place():
    consumed = []

    def jobs():
        for i in range(8):
            consumed.append(i)
            yield i

    got = []
    it = parallel.ordered_map(_square, jobs(), workers=2, depth=2)
    got.append(next(it))
    assert len(consumed) <= 3  # never more than `depth` jobs ahead of the consumer
    with pytest.raises(ValueError, match="five"):
        for v in it:
            got.append(v)
    assert got == [0, 1, 4, 9, 16]
    assert list(parallel.ordered_map(_square, range(5), workers=0)) == [0, 1, 4, 9, 16]


def test_the_cli_runs_workers_from_its_own_process(pg_only_url, tmp_path):
    """`callboard import asterisk-cdr --workers 2` as a user runs it: the worker processes are
    spawned from the console script (which must not run again in them)."""
    import subprocess
    import sys
    from pathlib import Path

    engine = db.get_engine(pg_only_url)
    import_cdr_file(engine, FIX / "csv21_local.csv", source_tz="Europe/Prague", workers=0)
    expected = snapshot(engine)
    _wipe(engine)
    cli = Path(sys.executable).with_name("callboard")
    out = subprocess.run([str(cli), "import", "asterisk-cdr", str(FIX / "csv21_local.csv"), "--workers", "2",
                          "--batch-lines", "2", "--source-tz", "Europe/Prague", "--no-progress",
                          "--rejects", str(tmp_path / "r.rej"), "--database-url", pg_only_url],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"calls added {len(expected['calls'])}" in out.stdout + out.stderr
    assert snapshot(engine) == expected


def test_the_scheduler_leaves_a_range_being_added_to_and_refreshes_an_abandoned_one(engine):
    from datetime import datetime, timedelta

    kv = s.settings_kv
    with engine.begin() as conn:
        aggregates.mark_pending(conn, datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))
    # An import added to it just now: it may still be running.
    assert aggregates.refresh_pending(engine, older_than=timedelta(minutes=15)) is None
    with engine.begin() as conn:
        value = dict(conn.execute(sa.select(kv.c.value).where(kv.c.key == aggregates.PENDING_KEY)).scalar())
        value["at"] = (datetime.utcnow() - timedelta(minutes=16)).isoformat()
        conn.execute(kv.update().where(kv.c.key == aggregates.PENDING_KEY).values(value=value))
    assert aggregates.refresh_pending(engine, older_than=timedelta(minutes=15)) == \
        (datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))
    with engine.connect() as conn:
        assert aggregates.pending(conn) is None


@pytest.mark.parametrize("name", ["queue_log", "queue_log_outcomes"])
def test_a_queue_log_with_deferred_aggregates_gives_what_per_batch_refreshes_give(engine, name):
    from data.importers.queue_log import import_queue_log_file

    def queue_rows():
        with engine.connect() as conn:
            return sorted(tuple(v for k, v in r._mapping.items() if k not in ("id", "call_id"))
                          for r in conn.execute(sa.select(s.queue_call)))

    import_cdr_file(engine, FIX / "csv21_queue_outcomes.csv", source_tz="Europe/Prague", workers=0)
    import_queue_log_file(engine, FIX / name, defer_aggregates=False)
    expected = snapshot(engine), queue_rows()
    _wipe(engine)
    import_cdr_file(engine, FIX / "csv21_queue_outcomes.csv", source_tz="Europe/Prague", workers=0)
    import_queue_log_file(engine, FIX / name, defer_aggregates=True, batch_lines=3)
    assert (snapshot(engine), queue_rows()) == expected
    assert expected[1], "the fixture produced queue calls"
    with engine.connect() as conn:
        assert aggregates.pending(conn) is None


def _die_on_three(x: int) -> int:
    if x == 3:
        import os

        os._exit(9)  # as if the kernel killed the worker for memory
    return x


def test_a_worker_that_dies_fails_the_import_instead_of_hanging_it():
    from concurrent.futures.process import BrokenProcessPool

    got = []
    with pytest.raises(BrokenProcessPool):
        for v in parallel.ordered_map(_die_on_three, range(8), workers=2, depth=2):
            got.append(v)
    assert got == [0, 1, 2][:len(got)] and len(got) <= 3

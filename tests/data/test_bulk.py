"""Bulk mode (PostgreSQL): secondary indexes and the legs' foreign key are dropped for a large
import and built again afterwards; the result is the same as row-by-row."""

from __future__ import annotations

import sqlalchemy as sa

from data import db
from data import bulk
from data.importers.asterisk.cdr_file import import_cdr_file
from tests.data.importers.asterisk.test_cdr_file import FIX, assert_aggregates_match_calls, calls, legs


def _snapshot(engine) -> tuple:
    got = calls(engine)
    return ({uid: tuple(r._mapping[k] for k in r._mapping if k != "id") for uid, r in got.items()},
            {uid: [(lg.seq, lg.extension, lg.status, lg.start_utc, lg.talk_s) for lg in legs(engine, uid)]
             for uid in got})


def _objects(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('call', 'call_leg') "
            "UNION ALL SELECT conname FROM pg_constraint WHERE conrelid IN ('call_leg'::regclass, 'call'::regclass)"
        )).scalars())


def test_bulk_load_equals_row_by_row_and_rebuilds_everything(pg_only_url):
    engine = db.get_engine(pg_only_url)
    before = _objects(engine)
    assert {"ix_call_from_number", "ix_call_leg_extension_start", "fk_call_leg_call_id_call"} <= before
    import_cdr_file(engine, FIX / "csv21_local.csv", bulk_load=False)
    expected = _snapshot(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE call, call_leg, import_state, source RESTART IDENTITY CASCADE")

    st = import_cdr_file(engine, FIX / "csv21_local.csv", bulk_load=True)
    assert st.calls_added == len(expected[0]) and "bulk load" in st.summary()
    assert _snapshot(engine) == expected
    assert _objects(engine) == before
    assert_aggregates_match_calls(engine)


def test_restore_after_an_interrupted_bulk_load(pg_only_url):
    engine = db.get_engine(pg_only_url)
    before = _objects(engine)
    bulk.drop_indexes(engine)  # as if the import died right after dropping
    dropped = before - _objects(engine)
    assert {"ix_call_to_number", "fk_call_leg_call_id_call", "fk_call_source_id_source"} <= dropped
    assert "ix_call_start_utc" not in dropped and "uq_call_source_id_call_uid" not in dropped
    # The next import (even a small one) puts everything back first.
    import_cdr_file(engine, FIX / "csv16_local.csv")
    assert _objects(engine) == before
    assert bulk.restore_indexes(engine) == 0


def test_small_imports_never_use_bulk_mode(pg_only_url):
    engine = db.get_engine(pg_only_url)
    with engine.connect() as conn:
        assert not bulk.worth_dropping_indexes(conn, bulk.BULK_MIN_LINES - 1)
        assert bulk.worth_dropping_indexes(conn, bulk.BULK_MIN_LINES)  # empty tables


def test_a_load_that_refreshes_at_the_end_drops_the_start_index_too_and_gets_it_back(pg_only_url):
    engine = db.get_engine(pg_only_url)
    before = _objects(engine)
    bulk.drop_indexes(engine, keep_start_index=False)
    dropped = before - _objects(engine)
    assert "ix_call_start_utc" in dropped and "ix_call_leg_call_id" not in dropped
    assert bulk.restore_indexes(engine) == len(dropped)
    assert _objects(engine) == before

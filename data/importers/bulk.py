"""Large imports into PostgreSQL: build the secondary indexes once instead of row by row.

Measured on the 2-core test VM (608k calls / 1M legs of bench/make_master_csv.py): inserting
the calls takes 0.7 s into a bare `call` table and 8.1 s with its indexes; the legs 1.5 s
bare, 7.4 s with their indexes and 17.5 s with the foreign key's per-row check (a row lock on
`call` for every leg). A sorted CREATE INDEX afterwards costs well under a second per index.
So, like pg_restore, an import that is larger than what the tables already hold drops the
indexes it does not need while loading, loads, and builds them again at the end.

Kept while loading: primary keys and unique constraints (idempotence looks calls up by
(source, call_uid)), ``ix_call_start_utc`` (each batch's aggregate refresh reads calls by
hour; dropped too when the aggregates are refreshed only at the end) and
``ix_call_leg_call_id`` (merging new legs into stored calls). The foreign keys (legs to
calls, calls to their source) are dropped as well: each is checked row by row otherwise.
Every batch still commits atomically; readers meanwhile get correct but slower answers.

If the process dies in between, the next import on that database (any size) and
`restore()` put back whatever is missing, comparing with the metadata in data.schema. (So
a second import started during a bulk load rebuilds the indexes early: the bulk load goes
on correctly, only slower.)
"""

from __future__ import annotations

import sqlalchemy as sa

from data import schema as s

# A load below this many lines is never worth an index rebuild.
BULK_MIN_LINES = 200_000
KEEP_WHILE_LOADING = {"ix_call_start_utc", "ix_call_leg_call_id"}


def _indexes(keep: set[str] = KEEP_WHILE_LOADING) -> list[sa.Index]:
    return [ix for t in (s.call, s.call_leg) for ix in sorted(t.indexes, key=lambda i: i.name)
            if not ix.unique and ix.name not in keep]


def _fks() -> list[sa.ForeignKeyConstraint]:
    """Foreign keys checked row by row on load: the legs' call and the calls' source (each
    check locks the referenced row; on 608k calls the source check alone took 3 s)."""
    leg = next(fk for fk in s.call_leg.foreign_key_constraints if fk.referred_table is s.call)
    src = next(fk for fk in s.call.foreign_key_constraints if fk.referred_table is s.source)
    return [leg, src]


def worth_it(conn: sa.Connection, incoming_lines: int) -> bool:
    """Bulk mode when the import is large and larger than the legs already stored."""
    if conn.dialect.name != "postgresql" or incoming_lines < BULK_MIN_LINES:
        return False
    stored = conn.execute(sa.text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'call_leg'")
                          ).scalar() or 0
    return incoming_lines > stored


def _missing(conn: sa.Connection) -> tuple[list[sa.Index], list[sa.ForeignKeyConstraint]]:
    names = set(conn.execute(sa.text(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename IN ('call', 'call_leg')")).scalars())
    fks = set(conn.execute(sa.text(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('call'::regclass, "
        "'call_leg'::regclass)")).scalars())
    return [ix for ix in _indexes(set()) if ix.name not in names], [fk for fk in _fks() if fk.name not in fks]


def drop(engine: sa.Engine, *, keep_start_index: bool = True) -> None:
    """Drop the secondary indexes and the foreign keys. `keep_start_index=False` drops the
    calls' start-time index too, for an import that refreshes the aggregates (which read
    calls by start time) only at its end, after restore()."""
    keep = KEEP_WHILE_LOADING if keep_start_index else KEEP_WHILE_LOADING - {"ix_call_start_utc"}
    with engine.begin() as conn:
        missing, fks_missing = _missing(conn)
        for fk in _fks():
            if fk not in fks_missing:
                conn.execute(sa.schema.DropConstraint(fk))
        for ix in _indexes(keep):
            if ix not in missing:
                conn.execute(sa.schema.DropIndex(ix))


def analyze(engine: sa.Engine) -> None:
    """Fresh planner statistics for call and call_leg (PostgreSQL). A bulk load grows them far
    faster than autovacuum notices: planned on the empty tables' statistics, an aggregate
    refresh over the new rows (the ring-group rollup joins legs to calls) chose nested loops
    over the whole batch and ran past the statement timeout. Samples ~30k rows a table."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE call, call_leg")


def _create(engine: sa.Engine, indexes: list[sa.Index]) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem TO '256MB'")
        for ix in indexes:
            conn.execute(sa.schema.CreateIndex(ix, if_not_exists=True))


def restore(engine: sa.Engine) -> int:
    """Build what `drop` removed (and only that); returns how many objects were rebuilt.

    The indexes are built by two connections at once (CREATE INDEX takes a SHARE lock, which
    another CREATE INDEX does not wait for), the foreign keys afterwards."""
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as conn:
        missing, fks_missing = _missing(conn)
    if not missing and not fks_missing:
        return 0
    if len(missing) > 1:
        from concurrent.futures import ThreadPoolExecutor

        # Largest first, alternating, so the two connections finish at about the same time.
        by_size = sorted(missing, key=lambda ix: ix.table is s.call_leg, reverse=True)
        halves = [by_size[0::2], by_size[1::2]]
        with ThreadPoolExecutor(2) as pool:
            for f in [pool.submit(_create, engine, h) for h in halves]:
                f.result()
    elif missing:
        _create(engine, missing)
    if fks_missing:
        with engine.begin() as conn:
            for fk in fks_missing:
                conn.execute(sa.schema.AddConstraint(fk))
    return len(missing) + len(fks_missing)

"""Large imports into PostgreSQL: build the secondary indexes once instead of row by row.

Measured on the 2-core test VM (608k calls / 1M legs of bench/make_master_csv.py): inserting
the calls takes 0.7 s into a bare `call` table and 8.1 s with its indexes; the legs 1.5 s
bare, 7.4 s with their indexes and 17.5 s with the foreign key's per-row check (a row lock on
`call` for every leg). A sorted CREATE INDEX afterwards costs well under a second per index.
So, like pg_restore, an import that is larger than what the tables already hold drops the
indexes it does not need while loading, loads, and builds them again at the end.

Kept while loading: primary keys and unique constraints (idempotence looks calls up by
(source, call_uid)), ``ix_call_start_utc`` (each batch's aggregate refresh reads calls by
hour) and ``ix_call_leg_call_id`` (merging new legs into stored calls). Every batch still
commits atomically; readers meanwhile get correct but slower answers.

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


def _indexes() -> list[sa.Index]:
    return [ix for t in (s.call, s.call_leg) for ix in sorted(t.indexes, key=lambda i: i.name)
            if not ix.unique and ix.name not in KEEP_WHILE_LOADING]


def _leg_fk() -> sa.ForeignKeyConstraint:
    return next(fk for fk in s.call_leg.foreign_key_constraints if fk.referred_table is s.call)


def worth_it(conn: sa.Connection, incoming_lines: int) -> bool:
    """Bulk mode when the import is large and larger than the legs already stored."""
    if conn.dialect.name != "postgresql" or incoming_lines < BULK_MIN_LINES:
        return False
    stored = conn.execute(sa.text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'call_leg'")
                          ).scalar() or 0
    return incoming_lines > stored


def _missing(conn: sa.Connection) -> tuple[list[sa.Index], bool]:
    names = set(conn.execute(sa.text(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename IN ('call', 'call_leg')")).scalars())
    fk_present = conn.execute(sa.text(
        "SELECT count(*) FROM pg_constraint WHERE conname = :n"), {"n": _leg_fk().name}).scalar() > 0
    return [ix for ix in _indexes() if ix.name not in names], not fk_present


def drop(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        fk = _leg_fk()
        missing, fk_missing = _missing(conn)
        if not fk_missing:
            conn.execute(sa.schema.DropConstraint(fk))
        for ix in _indexes():
            if ix not in missing:
                conn.execute(sa.schema.DropIndex(ix))


def restore(engine: sa.Engine) -> int:
    """Build what `drop` removed (and only that); returns how many objects were rebuilt."""
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as conn:
        missing, fk_missing = _missing(conn)
    if not missing and not fk_missing:
        return 0
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem TO '256MB'")
        for ix in missing:
            conn.execute(sa.schema.CreateIndex(ix, if_not_exists=True))
        if fk_missing:
            conn.execute(sa.schema.AddConstraint(_leg_fk()))
    return len(missing) + int(fk_missing)

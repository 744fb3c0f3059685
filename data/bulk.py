"""Bulk loading into PostgreSQL: COPY, the ids of the rows it loads, and the indexes of a
large import built once at its end instead of row by row. Every loader of many rows (the CDR
and queue_log importers, the demo generator, the import bench) goes through here.

COPY, in the format that suits the caller:

- ``copy_rows``: Python values in binary format (PostgreSQL parses no text: about a third less
  server CPU than text COPY), types taken from the table's columns;
- ``binary_row_encoder`` + ``copy_encoded_rows``: rows encoded to the binary row format
  beforehand, without a connection (the CDR import's worker processes), and streamed as they
  are — ``kept_rows`` cuts rows out of such a blob;
- ``copy_csv``: CSV text made elsewhere (the demo generator builds it column-wise with numpy,
  which beats encoding row by row there).

COPY draws no ids the way INSERT ... RETURNING does: ``next_ids`` takes n ids from a table's
sequence, ``reserve_ids`` n consecutive ones under a short lock.

Indexes of a large import (``worth_dropping_indexes``, ``drop_indexes``,
``restore_indexes``). Measured on the 2-core test VM (608k calls / 1M legs of
bench/make_master_csv.py): inserting the calls takes 0.7 s into a bare `call` table and
8.1 s with its indexes; the legs 1.5 s bare, 7.4 s with their indexes and 17.5 s with the
foreign key's per-row check (a row lock on `call` for every leg). A sorted CREATE INDEX
afterwards costs well under a second per index. So, like pg_restore, an import that is
larger than what the tables already hold drops the indexes it does not need while loading,
loads, and builds them again at the end.

Kept while loading: primary keys and unique constraints (idempotence looks calls up by
(source, call_uid)), ``ix_call_start_utc`` (each batch's aggregate refresh reads calls by
hour; dropped too when the aggregates are refreshed only at the end) and
``ix_call_leg_call_id`` (merging new legs into stored calls). The foreign keys (legs to
calls, calls to their source) are dropped as well: each is checked row by row otherwise.
Every batch still commits atomically; readers meanwhile get correct but slower answers.

If the process dies in between, the next import on that database (any size) and
`restore_indexes()` put back whatever is missing, comparing with the metadata in
data.schema. (So a second import started during a bulk load rebuilds the indexes early: the
bulk load goes on correctly, only slower.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect

from data import schema as s

# ----------------------------------------------------------------------------- COPY

_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_BINARY_TRAILER = b"\xff\xff"
CSV_WRITE_BYTES = 1 << 20  # copy_csv hands the driver this much at a time


def _copy_type(col: sa.Column) -> str:
    """The PostgreSQL type name a binary COPY sends the column's values as."""
    ty = col.type.dialect_impl(pg_dialect.dialect())
    if isinstance(ty, sa.BigInteger):
        return "int8"
    if isinstance(ty, sa.Integer):
        return "int4"
    if isinstance(ty, sa.Boolean):
        return "bool"
    if isinstance(ty, sa.DateTime):
        return "timestamp"
    return "text"


@contextmanager
def _copy_in(conn: sa.Connection, table: sa.Table | str, cols: Iterable[str], fmt: str) -> Iterator:
    """psycopg's Copy object of COPY table (cols) FROM STDIN in format `fmt`, on the
    connection's driver connection (in the connection's transaction)."""
    prep = conn.dialect.identifier_preparer
    name = prep.format_table(table) if isinstance(table, sa.Table) else prep.quote(table)
    names = ", ".join(prep.quote(c) for c in cols)
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY {name} ({names}) FROM STDIN (FORMAT {fmt})") as cp:
            yield cp


def copy_rows(conn: sa.Connection, table: sa.Table, cols: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """COPY rows (tuples of Python values in `cols` order) in binary format."""
    with _copy_in(conn, table, cols, "BINARY") as cp:
        cp.set_types([_copy_type(table.c[c]) for c in cols])
        for r in rows:
            cp.write_row(r)


def binary_row_encoder(table: sa.Table, cols: tuple[str, ...]) -> Callable[[tuple, bytearray], None]:
    """encode(row, out): appends the row (values in `cols` order) to `out` in COPY's binary
    row format, as copy_rows would send it. Needs no connection: a worker process encodes,
    the importing process streams the bytes with copy_encoded_rows."""
    from psycopg._cmodule import _psycopg
    from psycopg.adapt import Transformer
    from psycopg.postgres import types as pg_types
    from psycopg.pq import Format

    tx = Transformer()
    tx.set_dumper_types([pg_types[_copy_type(table.c[c])].oid for c in cols], Format.BINARY)
    fmt = _psycopg.format_row_binary

    def encode(row: tuple, out: bytearray) -> None:
        fmt(row, tx, out)

    return encode


def copy_encoded_rows(conn: sa.Connection, table: sa.Table, cols: tuple[str, ...], parts: Iterable) -> None:
    """COPY rows already in the binary row format (parts: bytes or memoryviews of whole rows,
    as binary_row_encoder makes them; the file's signature and trailer are added here)."""
    with _copy_in(conn, table, cols, "BINARY") as cp:
        cp.write(_BINARY_SIGNATURE)
        for part in parts:
            cp.write(part)
        cp.write(_BINARY_TRAILER)


def kept_rows(blob: bytes, ends, keep: list[bool]) -> list[memoryview]:
    """Slices of `blob` (encoded rows, row i ending at ends[i]) holding the rows whose keep
    flag is set: the parts for copy_encoded_rows, one per run of kept rows."""
    view = memoryview(blob)
    parts = []
    run = None
    prev_end = 0
    for i, k in enumerate(keep):
        if k and run is None:
            run = prev_end
        elif not k and run is not None:
            parts.append(view[run:prev_end])
            run = None
        prev_end = ends[i]
    if run is not None:
        parts.append(view[run:prev_end])
    return parts


def copy_csv(conn: sa.Connection, table: sa.Table | str, cols: Iterable[str], data: bytes) -> None:
    """COPY CSV text (one line per row, fields in `cols` order; an unquoted empty field is
    NULL), handed to the driver in CSV_WRITE_BYTES pieces."""
    with _copy_in(conn, table, cols, "csv") as cp:
        for i in range(0, len(data), CSV_WRITE_BYTES):
            cp.write(data[i : i + CSV_WRITE_BYTES])


# ----------------------------------------------------------------------------- ids

def next_ids(conn: sa.Connection, table: str, n: int) -> list[int] | range:
    """n ids from the table's sequence. Usually nobody else takes ids meanwhile and they
    are consecutive: then only their bounds cross the wire (fetching 600k ids one row each
    took 3.5 s)."""
    # On the driver's cursor: SQLAlchemy's row processing cost more than the query.
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(f"SELECT min(v), max(v) FROM (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS v "
                    "FROM generate_series(1, %s)) AS t", (n,))
        lo, hi = cur.fetchone()
        if lo is not None and hi - lo + 1 == n:
            return range(lo, hi + 1)
        cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", (n,))
        return [r[0] for r in cur.fetchall()]


def reserve_ids(conn: sa.Connection, table: str, n: int) -> int:
    """The first of n consecutive ids of `table` (call or call_leg), taken from its sequence.
    Every writer of the table takes ROW EXCLUSIVE on it before its INSERT draws ids, and
    SHARE ROW EXCLUSIVE (to the end of this short transaction; readers are not blocked)
    keeps them all out while the sequence is moved on by n: one statement instead of n
    nextval calls (2.5 s a million calls) and no nextval per COPY row either."""
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"nextval(pg_get_serial_sequence('{table}', 'id')) + %s - 1)", (n,))
        return cur.fetchone()[0] - n + 1


# ----------------------------------------------------------------------------- indexes of a large import

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


def worth_dropping_indexes(conn: sa.Connection, incoming_lines: int) -> bool:
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


def drop_indexes(engine: sa.Engine, *, keep_start_index: bool = True) -> None:
    """Drop the secondary indexes and the foreign keys. `keep_start_index=False` drops the
    calls' start-time index too, for an import that refreshes the aggregates (which read
    calls by start time) only at its end, after restore_indexes()."""
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


def restore_indexes(engine: sa.Engine) -> int:
    """Build what `drop_indexes` removed (and only that); returns how many objects were rebuilt.

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

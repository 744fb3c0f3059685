"""Writing the generated facts to the database: clearing a range before it is generated
again, dropping and restoring secondary indexes and keys around a big PostgreSQL load,
and the two writers (COPY on PostgreSQL, executemany on SQLite)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from data import bulk
from data import schema as s
from data.demo.call_centre import SOURCE_ID
from data.demo.columns import NULL_T

def clear_range(conn: sa.Connection, lo: datetime, hi: datetime, recordings_dir: Path) -> None:
    """Delete the facts of source 1 in [lo, hi) (and their recording files)."""
    c, r = s.call, s.recording
    in_range = sa.and_(c.c.source_id == SOURCE_ID, c.c.start_utc >= lo, c.c.start_utc < hi)
    if conn.execute(sa.select(c.c.id).where(in_range).limit(1)).first() is not None:
        for (path,) in conn.execute(sa.select(r.c.path).select_from(r.join(c, r.c.call_id == c.c.id)).where(in_range)):
            try:
                (recordings_dir / path).unlink()
            except OSError:
                pass
        conn.execute(s.callback.delete().where(s.callback.c.source_id == SOURCE_ID,
                                               s.callback.c.requested_utc >= lo, s.callback.c.requested_utc < hi))
        conn.execute(c.delete().where(in_range))
    qc = s.queue_call
    conn.execute(qc.delete().where(qc.c.source_id == SOURCE_ID, qc.c.enter_utc >= lo, qc.c.enter_utc < hi))
    for t, col in ((s.agent_session, "login_utc"), (s.agent_pause, "start_utc"), (s.chat_session, "created_utc")):
        conn.execute(t.delete().where(t.c.source_id == SOURCE_ID, t.c[col] >= lo, t.c[col] < hi))


# --------------------------------------------------------------------------- bulk-load helpers (PostgreSQL)


# Indexes whose keys arrive in random order (phone numbers). All other indexes of the fact
# tables grow at one or a few "right edges" in our insert order (ids, times per queue /
# extension / IVR), which PostgreSQL maintains cheaply during COPY.
_RANDOM_KEY_INDEXES = {"ix_call_from_number", "ix_call_to_number"}
_KEEP_APPEND_INDEXES = True


def drop_secondary(conn: sa.Connection, tables: list[str]) -> list[str]:
    """Drop foreign keys, unique constraints and plain indexes of ``tables`` (not primary
    keys); return the statements that restore them, in a valid order. Building an index
    or validating a foreign key once over the loaded table is much cheaper than
    maintaining it row by row during COPY. All of it runs inside the load's transaction."""
    fks, uniques, indexes = [], [], []
    for table in tables:
        for name, kind, definition in conn.exec_driver_sql(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %(t)s::regclass AND contype IN ('f', 'u')", {"t": f'"{table}"'}
        ):
            target = fks if kind == "f" else uniques
            target.append((table, name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
        for name, definition in conn.exec_driver_sql(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %(t)s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            {"t": f'"{table}"'},
        ):
            indexes.append((table, name, definition))
    if _KEEP_APPEND_INDEXES:
        uniques = []
        indexes = [i for i in indexes if i[1] in _RANDOM_KEY_INDEXES]
    for table, name, _ in fks + uniques:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [d for _, _, d in uniques] + [d for _, _, d in indexes] + [d for _, _, d in fks]


# --------------------------------------------------------------------------- writers


def _is_time(col: str) -> bool:
    return col.endswith("_utc")


def _time_strings(values: np.ndarray, sqlite: bool) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    if sqlite:
        text = np.char.add(np.char.replace(text, "T", " "), ".000000")
    out = text.astype(object)
    out[values == NULL_T] = None
    return out


_SMALL_INTS = np.array([str(i) for i in range(20_000)], dtype=object)


def _csv_column(name: str, values: np.ndarray) -> list[str]:
    """One column as CSV fields: '' (unquoted) is NULL; text with separators is quoted."""
    if _is_time(name):
        text = np.datetime_as_string(np.asarray(values, np.int64).astype("datetime64[s]"), unit="s")
        out = text.tolist()
        if (values == NULL_T).any():
            for i in np.flatnonzero(values == NULL_T).tolist():
                out[i] = ""
        return out
    if values.dtype == bool:
        return np.where(values, "t", "f").tolist()
    if values.dtype != object:
        if len(values) and 0 <= values.min() and values.max() < len(_SMALL_INTS):
            return _SMALL_INTS[values].tolist()  # lookup beats int -> str conversion
        return values.astype(str).tolist()
    out = ["" if x is None else str(x) for x in values.tolist()]
    joined = "\x00".join(out)
    if "," in joined or '"' in joined or "\n" in joined or "\r" in joined or "\\" in joined:
        out = ["" if x is None else '"' + str(x).replace('"', '""') + '"' for x in values.tolist()]
    elif "" in out and any(x == "" for x in values.tolist()):  # a real empty string, not NULL
        out = ['""' if x == "" else y for x, y in zip(values.tolist(), out)]
    return out


def _csv_bytes(cols: dict[str, np.ndarray]) -> bytes:
    fields = [_csv_column(k, v) for k, v in cols.items()]
    return ("\n".join(map(",".join, zip(*fields))) + "\n").encode()


class PgWriter:
    """COPY ... FROM STDIN (CSV) on a writer thread, so PostgreSQL ingests one chunk while
    the next one is generated. Only the writer thread touches the connection until
    ``close()``."""

    def __init__(self, conn: sa.Connection):
        import queue
        import threading

        self.conn = conn
        self.queue: queue.Queue = queue.Queue(maxsize=6)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain
            table, names, data = item
            try:
                bulk.copy_csv(self.conn, table, names, data)
            except BaseException as exc:  # noqa: BLE001 - re-raised in close()
                self.error = exc

    def write(self, table: str, cols: dict[str, np.ndarray]) -> None:
        if self.error is not None:
            self.close()
        data = _csv_bytes(cols)
        self.queue.put((table, list(cols), data))

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


class SqliteWriter:
    def __init__(self, conn: sa.Connection):
        self.raw = conn.connection.driver_connection

    def close(self) -> None:
        pass

    def write(self, table: str, cols: dict[str, np.ndarray]) -> None:
        lists = []
        for k, v in cols.items():
            if _is_time(k):
                v = _time_strings(v, True)
            lists.append(v.tolist())
        names = ", ".join(f'"{k}"' for k in cols)
        marks = ", ".join("?" for _ in cols)
        cur = self.raw.cursor()
        cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(zip(*lists)))
        cur.close()

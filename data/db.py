"""The one place that executes statements: engines, timeouts, row caps, DataFrames.

Query functions elsewhere in ``data`` are pure (arguments in, SQLAlchemy statement out);
pages, exporters, the scheduler and the CLI hand those statements to this module.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from callboard.core.settings import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class ResultTooLarge(RuntimeError):
    """A query returned more rows than the cap; callers should narrow it or stream."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the app) do not block the writer (imports)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str | None = None, *, statement_timeout_s: float | None = None) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    timeout = settings.query_timeout_s if statement_timeout_s is None else statement_timeout_s
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        connect_args = {}
        if timeout:
            connect_args["options"] = f"-c statement_timeout={int(timeout * 1000)}"
        engine = sa.create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args
        )
    return engine


def get_engine(url: str | None = None) -> Engine:
    """A process-wide engine per URL (the app, CLI and scheduler share this)."""
    url = url or get_settings().database_url
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def connect(engine: Engine | None = None) -> Iterator[Connection]:
    with (engine or get_engine()).connect() as conn:
        yield conn


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """A connection in one transaction: committed on success, rolled back on error."""
    with (engine or get_engine()).begin() as conn:
        yield conn


def fetch_df(stmt: sa.sql.Executable, engine: Engine | None = None, *, max_rows: int | None = None) -> pd.DataFrame:
    """Run a (small) result set into a DataFrame; refuse past the row cap."""
    cap = max_rows or get_settings().max_result_rows
    with connect(engine) as conn:
        result = conn.execute(stmt)
        rows = result.fetchmany(cap + 1)
        if len(rows) > cap:
            raise ResultTooLarge(f"query returned more than {cap} rows")
        return pd.DataFrame(rows, columns=list(result.keys()))


def fetch_all(stmt: sa.sql.Executable, engine: Engine | None = None) -> list[sa.Row]:
    with connect(engine) as conn:
        return list(conn.execute(stmt))


def fetch_scalar(stmt: sa.sql.Executable, engine: Engine | None = None):
    with connect(engine) as conn:
        return conn.execute(stmt).scalar()


def stream_rows(stmt: sa.sql.Executable, engine: Engine | None = None, *, batch: int = 5000) -> Iterator[sa.Row]:
    """Server-side cursor: memory stays flat however many rows match (exports)."""
    with connect(engine) as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=batch).execute(stmt)
        for part in result.partitions(batch):
            yield from part


def ping(engine: Engine | None = None) -> None:
    with connect(engine) as conn:
        conn.execute(sa.text("SELECT 1"))

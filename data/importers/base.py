"""What every file importer shares: sources, import_state, fingerprints, rejects, stats."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import io
import logging
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from data import schema as s

FINGERPRINT_BYTES = 1024
log = logging.getLogger(__name__)


class ImportFailed(Exception):
    """The input cannot be imported at all (unreadable, unknown layout); nothing was written."""


@dataclass
class ImportStats:
    path: str = ""
    layout: str = ""
    lines_read: int = 0
    blank_lines: int = 0
    lines_rejected: int = 0
    calls_added: int = 0
    calls_updated: int = 0
    legs_added: int = 0
    duplicates_skipped: int = 0
    batches: int = 0
    sessions: int = 0  # queue_log: agent sessions opened
    pauses: int = 0  # queue_log: agent pauses opened
    orphans: int = 0  # queue_log: call events whose ENTERQUEUE was never seen
    skipped: int = 0  # queue_log: housekeeping / informational lines
    cdr_calls_updated: int = 0  # calls whose status / queue / agent / transfer the queue_log changed
    calls_rederived: int = 0  # stored calls derived again: a number's class learned in this import changed them
    noun: str = "calls"
    resumed_at: int = 0  # byte offset the import started from
    restarted: bool = False  # the file was rotated / replaced: read again from the start
    bulk_load: bool = False  # PostgreSQL indexes built once at the end (data.bulk)
    rejects_path: str | None = None
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), first 1000

    def summary(self) -> str:
        parts = [
            f"{self.path}: layout {self.layout or '?'}",
            f"lines read {self.lines_read}",
            f"{self.noun} added {self.calls_added}",
            f"{self.noun} updated {self.calls_updated}",
            f"duplicates skipped {self.duplicates_skipped}",
            f"lines rejected {self.lines_rejected}",
        ]
        for name in ("sessions", "pauses", "orphans", "skipped"):
            if getattr(self, name):
                parts.append(f"{name} {getattr(self, name)}")
        if self.cdr_calls_updated:
            parts.append(f"calls updated from the queue_log {self.cdr_calls_updated}")
        if self.calls_rederived:
            parts.append(f"calls re-derived with what was learned {self.calls_rederived}")
        text = ", ".join(parts)
        if self.resumed_at:
            text += f" (continued at byte {self.resumed_at})"
        if self.restarted:
            text += " (file changed since the last import: read from the start)"
        if self.bulk_load:
            text += " (bulk load: indexes built once at the end)"
        if self.rejects_path:
            text += f"\nrejected lines written to {self.rejects_path}"
        return text


@contextmanager
def gc_paused():
    """The cyclic garbage collector off while an import runs: parsing makes millions of
    short-lived objects and the collector's passes over them were ~40 % of the parse-and-
    build CPU (measured: 6.6 -> 3.9 s per 400k CDR lines). Nothing here forms reference
    cycles that need it (freed by reference counting); it is switched back on afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class ImportFile(io.BufferedReader):
    """The file an import reads (open_binary): closing it also releases what the import
    held while reading it (the source lock of start_file_import)."""

    def __init__(self, raw) -> None:
        super().__init__(raw)
        self._on_close: list = []

    def on_close(self, release) -> None:
        self._on_close.append(release)

    def close(self) -> None:
        try:
            while self._on_close:
                self._on_close.pop()()
        finally:
            super().close()


def open_binary(path: str | Path) -> ImportFile:
    """Open for reading or raise ImportFailed with a clear reason."""
    p = Path(path)
    if not p.exists():
        raise ImportFailed(f"{p}: no such file")
    if p.is_dir():
        raise ImportFailed(f"{p}: is a directory, not a file")
    try:
        return ImportFile(io.FileIO(p, "rb"))
    except OSError as exc:
        raise ImportFailed(f"{p}: cannot read: {exc.strerror or exc}") from exc


def fingerprint(fh, length: int) -> str:
    """'<n>:<sha256 of the first n bytes>': the same file, grown, keeps its fingerprint."""
    pos = fh.tell()
    fh.seek(0)
    head = fh.read(length)
    fh.seek(pos)
    return f"{len(head)}:{hashlib.sha256(head).hexdigest()}"


def resume_position(fh, size: int, state: dict | None) -> tuple[int, int, bool]:
    """(byte offset, lines already read, restarted) for a file given its import_state row."""
    if not state or not state.get("fingerprint"):
        return 0, 0, False
    try:
        n = int(state["fingerprint"].split(":", 1)[0])
    except ValueError:
        return 0, 0, True
    if size < state["position"] or fingerprint(fh, n) != state["fingerprint"]:
        return 0, 0, True
    return int(state["position"]), int(state["lines"]), False


def location_of(path: str | Path) -> str:
    return os.path.abspath(str(path))[:500]


def get_state(conn: sa.Connection, source_id: int, kind: str, location: str) -> dict | None:
    t = s.import_state
    row = conn.execute(
        sa.select(t.c.fingerprint, t.c.position, t.c.lines).where(
            t.c.source_id == source_id, t.c.kind == kind, t.c.location == location
        )
    ).first()
    return dict(row._mapping) if row else None


def save_state(conn: sa.Connection, source_id: int, kind: str, location: str, fp: str, position: int, lines: int) -> None:
    t = s.import_state
    values = dict(fingerprint=fp, position=position, lines=lines, updated_utc=utcnow())
    updated = conn.execute(
        t.update().where(t.c.source_id == source_id, t.c.kind == kind, t.c.location == location).values(**values)
    ).rowcount
    if not updated:
        conn.execute(t.insert().values(source_id=source_id, kind=kind, location=location, **values))


def find_source(conn: sa.Connection, name: str | None) -> int | None:
    src = s.source
    if name is None:
        row = conn.execute(sa.select(src.c.id).order_by(src.c.id).limit(1)).first()
    else:
        row = conn.execute(sa.select(src.c.id).where(src.c.name == name)).first()
    return row[0] if row else None


def ensure_source(conn: sa.Connection, name: str | None) -> int:
    """The id of the named source (created when new); without a name the first source, or a
    new one called 'main'."""
    found = find_source(conn, name)
    if found is not None:
        return found
    src = s.source
    next_id = (conn.execute(sa.select(sa.func.max(src.c.id))).scalar() or 0) + 1
    conn.execute(src.insert().values(id=next_id, name=(name or "main")[:100], created_utc=utcnow()))
    return next_id


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key (PostgreSQL advisory locks) for a source name."""
    return int.from_bytes(hashlib.sha256(f"callboard-import:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def source_lock(engine: sa.Engine, name: str):
    """Held by one import into the source `name` at a time, across processes: a second one
    waits (saying so once) until the first has finished. PostgreSQL: a session advisory
    lock on a connection of its own (freed by the server if the process dies). SQLite: an
    flock on a file beside the database (freed by the kernel likewise); an in-memory
    database has no other process to wait for."""
    if engine.dialect.name == "postgresql":
        key = _lock_key(name)
        conn = engine.connect()
        try:
            if not conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar():
                log.warning("another import into source %r is running: waiting for it to finish", name)
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")  # as long as it takes
                conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
            conn.commit()  # the lock is the session's: no transaction stays open while it is held
        except BaseException:
            conn.close()
            raise
        try:
            yield
        finally:
            try:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                conn.commit()
            finally:
                conn.close()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock_path = f"{database}.import-{hashlib.sha256(name.encode()).hexdigest()[:12]}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another import into source %r is running: waiting for it to finish", name)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def source_name(conn: sa.Connection, name: str | None) -> str:
    """The name an import's source has or will have (ensure_source's choice for None)."""
    if name is not None:
        return name[:100]
    src = s.source
    first = conn.execute(sa.select(src.c.name).order_by(src.c.id).limit(1)).scalar()
    return first if first is not None else "main"


def start_file_import(engine: sa.Engine, fh, size: int, source: str | None, kind: str, location: str,
                      stats: ImportStats) -> tuple[int | None, int, int]:
    """(source id, byte offset, lines already read) to continue a file's import from; the
    source id is None when there is nothing new to read (no source is created then).

    First it takes the source's lock (source_lock) until `fh` (an ImportFile) is closed: two
    imports of the same file or source at once run one after the other, and the second
    continues where the first ended (usually with nothing new) instead of colliding with
    it on the same calls."""
    if isinstance(fh, ImportFile):
        with engine.connect() as conn:
            name = source_name(conn, source)
        held = ExitStack()
        held.enter_context(source_lock(engine, name))
        fh.on_close(held.close)
    with engine.connect() as conn:
        source_id = find_source(conn, source)
        state = get_state(conn, source_id, kind, location) if source_id is not None else None
    position, lineno, restarted = resume_position(fh, size, state)
    stats.resumed_at, stats.restarted = position, restarted
    if position >= size:
        return None, position, lineno
    if source_id is None:
        with engine.begin() as conn:
            source_id = ensure_source(conn, source)
    return source_id, position, lineno


class RejectWriter:
    """Keeps rejected lines: `# file:line: reason` then the original bytes, so a fixed file
    can be fed back (importers skip `#` lines)."""

    def __init__(self, path: str | Path | None, source_path: str, stats: ImportStats) -> None:
        self.path = Path(path) if path else None
        self.source_path = source_path
        self.stats = stats
        self._fh = None

    def reject(self, lineno: int, reason: str, raw: bytes) -> None:
        self.stats.lines_rejected += 1
        if len(self.stats.rejects) < 1000:
            self.stats.rejects.append((lineno, reason))
        if self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")
            self.stats.rejects_path = str(self.path)
        self._fh.write(f"# {self.source_path}:{lineno}: {reason}\n".encode("utf-8", "replace"))
        self._fh.write(raw if raw.endswith(b"\n") else raw + b"\n")

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def follow(run, interval_s: float, *, rounds: int | None = None, on_stats=None, sleep=None) -> int:
    """Run an incremental import again every `interval_s` seconds (``--follow``): each round
    reads only what was appended since the last. Stops after `rounds` (tests) or Ctrl-C.
    Returns the number of rounds run."""
    import time

    sleep = sleep or time.sleep
    n = 0
    try:
        while rounds is None or n < rounds:
            if n:
                sleep(interval_s)
            stats = run()
            n += 1
            if on_stats is not None:
                on_stats(stats)
    except KeyboardInterrupt:
        pass
    return n

"""Recording files and the deletes that touch them (a recording; a whole call).

Paths
    ``recording.path`` is relative to ``settings.recordings_dir``. ``resolve_path`` is the
    only way to turn it into a file: absolute paths, ``..`` parts, NUL bytes and symlinks
    leading outside the storage are refused with ``UnsafePath`` — the audio route answers
    404 for them, so no row (however it got there) can make it serve another file.

Deletes: rows and file together
    1. In one transaction: lock and read the rows (in scope), move each file to a trash
       name in its own directory (``.<name>.deleting-<random>``, an atomic rename), delete
       the rows, fix ``call.has_recording``, ``aggregates.refresh`` the call's hours, write
       the ``audit_log`` row.
    2. If anything in step 1 fails, the transaction rolls back and the files are moved back
       to their names: no dangling row, no lost file.
    3. After the commit, unlink the trash files. (A crash between commit and unlink leaves
       a ``.deleting-`` file that no row references and nothing serves; ``sweep_trash``
       — ``callboard recordings sweep-trash`` — removes such leftovers.)
    A recording or call that is gone (already deleted, or not visible to the caller)
    raises ``AlreadyDeleted`` and changes nothing. A recording whose file is already
    missing can still be deleted (the audit entry says the file was missing).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from callboard.core.i18n import N_
from callboard.core.settings import get_settings
from data import aggregates, db
from data import schema as s
from data.access import audit
from data.scope import Scope, call_clause

log = logging.getLogger(__name__)

TRASH_MARK = ".deleting-"
MIMETYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}

FILE_OK, FILE_MISSING, FILE_INVALID = "ok", "missing", "invalid"


class RecordingError(Exception):
    """A refusal with a msgid (``str(exc)`` is English), shown translated by pages."""

    msgid = N_("The recording cannot be used.")

    def __init__(self, msgid: str | None = None, **params):
        self.msgid = msgid or self.msgid
        self.params = params
        super().__init__(self.msgid.format(**params) if params else self.msgid)


class UnsafePath(RecordingError):
    msgid = N_("The recording's stored path points outside the recordings storage.")


class FileMissing(RecordingError):
    msgid = N_("The recording file is missing on disk.")


class AlreadyDeleted(RecordingError):
    msgid = N_("This recording was already deleted (or is not visible to you); nothing was changed.")


def recordings_root(root: Path | str | None = None) -> Path:
    return Path(root if root is not None else get_settings().recordings_dir).resolve()


def resolve_path(rel: str, root: Path | str | None = None) -> Path:
    """The file of a stored relative path, strictly inside the storage (else UnsafePath)."""
    text = str(rel or "")
    if not text.strip() or "\x00" in text:
        raise UnsafePath()
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive \
            or text.startswith(("/", "\\")):
        raise UnsafePath()
    parts = PureWindowsPath(text).parts  # splits on both / and \
    if any(p == ".." for p in parts):
        raise UnsafePath()
    base = recordings_root(root)
    candidate = (base / text).resolve()  # follows symlinks: one leading outside is caught below
    try:
        candidate.relative_to(base)
    except ValueError:
        raise UnsafePath() from None
    if candidate == base:
        raise UnsafePath()
    return candidate


def existing_file(rel: str, root: Path | str | None = None) -> Path:
    """The file to serve: UnsafePath or FileMissing when there is none."""
    path = resolve_path(rel, root)
    if not path.is_file():
        raise FileMissing()
    return path


def file_status(rel: str, root: Path | str | None = None) -> str:
    """ok | missing | invalid — what listings show beside a recording."""
    try:
        existing_file(rel, root)
    except UnsafePath:
        return FILE_INVALID
    except FileMissing:
        return FILE_MISSING
    return FILE_OK


def mimetype(fmt: str | None, path: Path | str = "") -> str:
    fmt = (fmt or "").lower() or Path(str(path)).suffix.lstrip(".").lower()
    return MIMETYPES.get(fmt, "application/octet-stream")


# --------------------------------------------------------------------------- deletes

@dataclass
class DeleteResult:
    kind: str  # recording | call
    object_id: int
    call_uid: str
    files_deleted: int = 0
    files_missing: int = 0
    recordings: list[int] = field(default_factory=list)


class _Trash:
    """Files moved aside during a delete: back on failure, unlinked after the commit."""

    def __init__(self, root: Path):
        self.root = root
        self.moved: list[tuple[Path, Path]] = []
        self.missing = 0

    def take(self, rel: str) -> None:
        try:
            path = resolve_path(rel, self.root)
        except UnsafePath:
            self.missing += 1  # nothing of ours to remove; the row still goes
            return
        trash = path.with_name(f".{path.name}{TRASH_MARK}{uuid.uuid4().hex[:12]}")
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            self.missing += 1
            return
        self.moved.append((path, trash))

    def restore(self) -> None:
        for path, trash in reversed(self.moved):
            try:
                os.rename(trash, path)
            except OSError:  # pragma: no cover - logged, the trash file still holds the audio
                log.exception("could not move %s back to %s", trash, path)
        self.moved.clear()

    def purge(self) -> None:
        for _path, trash in self.moved:
            try:
                trash.unlink()
            except FileNotFoundError:
                pass
            except OSError:  # pragma: no cover - sweep_trash removes it later
                log.exception("could not remove %s", trash)


def _hours_of_call(conn, call_row) -> tuple[datetime, datetime]:
    """The UTC range whose aggregate hours a call's facts fall in (call and queue passes)."""
    qc = s.queue_call
    lo, hi = conn.execute(
        sa.select(sa.func.min(qc.c.enter_utc), sa.func.max(qc.c.enter_utc)).where(qc.c.call_id == call_row.id)
    ).one()
    times = [call_row.start_utc] + [t for t in (lo, hi) if t is not None]
    return min(times), max(times)


def _run(engine: Engine | None, root: Path | str | None, body) -> DeleteResult:
    trash = _Trash(recordings_root(root))
    try:
        with db.transaction(engine) as conn:
            result = body(conn, trash)
    except BaseException:
        trash.restore()
        raise
    trash.purge()
    result.files_deleted = len(trash.moved)
    result.files_missing = trash.missing
    return result


def delete_recording(
    recording_id: int,
    *,
    scope: Scope,
    actor: dict | None = None,
    engine: Engine | None = None,
    root: Path | str | None = None,
) -> DeleteResult:
    """Delete one recording (row and file); the call stays. AlreadyDeleted when gone."""
    r, c = s.recording, s.call

    def body(conn, trash: _Trash) -> DeleteResult:
        row = conn.execute(
            sa.select(r.c.id, r.c.path, r.c.call_id, c.c.call_uid, c.c.start_utc)
            .select_from(r.join(c, c.c.id == r.c.call_id))
            .where(r.c.id == int(recording_id), call_clause(scope))
            .with_for_update(of=r)
        ).first()
        if row is None:
            raise AlreadyDeleted()
        trash.take(row.path)
        if conn.execute(sa.delete(r).where(r.c.id == row.id)).rowcount != 1:
            raise AlreadyDeleted()  # a concurrent delete won
        left = conn.execute(sa.select(sa.func.count()).where(r.c.call_id == row.call_id)).scalar_one()
        conn.execute(sa.update(c).where(c.c.id == row.call_id).values(has_recording=left > 0))
        aggregates.refresh(conn, row.start_utc, row.start_utc)
        audit.record("delete_recording", ("recording", row.id),
                     {"call_id": row.call_id, "call_uid": row.call_uid, "path": row.path,
                      "file_missing": trash.missing > 0}, actor or {}, conn=conn)
        return DeleteResult("recording", row.id, row.call_uid, recordings=[row.id])

    return _run(engine, root, body)


def delete_call(
    call_id: int,
    *,
    scope: Scope,
    actor: dict | None = None,
    engine: Engine | None = None,
    root: Path | str | None = None,
) -> DeleteResult:
    """Delete a whole call record with its legs and recordings (rows and files)."""
    r, c = s.recording, s.call

    def body(conn, trash: _Trash) -> DeleteResult:
        call = conn.execute(
            sa.select(c.c.id, c.c.call_uid, c.c.start_utc, c.c.from_number, c.c.to_number)
            .where(c.c.id == int(call_id), call_clause(scope))
            .with_for_update()
        ).first()
        if call is None:
            raise AlreadyDeleted(N_("This call was already deleted (or is not visible to you); nothing was changed."))
        recs = conn.execute(sa.select(r.c.id, r.c.path).where(r.c.call_id == call.id).order_by(r.c.id)).all()
        for rec in recs:
            trash.take(rec.path)
        start, end = _hours_of_call(conn, call)
        conn.execute(sa.delete(r).where(r.c.call_id == call.id))  # also cascaded; explicit for clarity
        if conn.execute(sa.delete(c).where(c.c.id == call.id)).rowcount != 1:
            raise AlreadyDeleted(N_("This call was already deleted (or is not visible to you); nothing was changed."))
        aggregates.refresh(conn, start, end)
        audit.record("delete_call", ("call", call.id),
                     {"call_uid": call.call_uid, "start_utc": call.start_utc.isoformat(),
                      "recordings": [rec.path for rec in recs], "files_missing": trash.missing}, actor or {}, conn=conn)
        return DeleteResult("call", call.id, call.call_uid, recordings=[rec.id for rec in recs])

    return _run(engine, root, body)


# A trash file younger than this may belong to a delete still in its transaction (it is
# moved back if that rolls back): the sweep leaves it alone.
SWEEP_MIN_AGE_S = 3600.0


def sweep_trash(root: Path | str | None = None, *, min_age_s: float = SWEEP_MIN_AGE_S,
                now: float | None = None) -> list[Path]:
    """Remove trash files a crash left behind between a commit and its unlink; returns
    the files removed.

    Only files whose last rename (their inode change time) is at least ``min_age_s`` old
    are removed, so a sweep running beside a delete never takes the file that delete
    would move back on a rollback.
    """
    removed: list[Path] = []
    base = recordings_root(root)
    if not base.is_dir():
        return removed
    now = time.time() if now is None else now
    for path in sorted(base.rglob(f".*{TRASH_MARK}*")):
        try:
            if not path.is_file() or path.is_symlink():
                continue
            if now - path.lstat().st_ctime < min_age_s:
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            log.warning("could not remove trash file %s", path, exc_info=True)
    return removed

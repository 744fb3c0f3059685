"""Retention: how long each kind of data is kept, and the daily job that removes the rest.

Kinds (``KINDS``), each "keep N days", "keep N months" or "forever" (the default — nothing
is removed until an administrator sets a period):

    calls       call records with their legs, queue paths (and ring attempts), IVR choices,
                survey answers, callbacks, and their recordings (rows and files)
    recordings  recordings only (rows and files; the call record stays)
    chats       chat sessions with their messages and events (by last activity)
    files       generated export / report files and their download rows
    audit       audit log entries

Cut-off: local midnight (PBX zone) of the day N days / months before today, so a removal
never splits a local day and the reports of every kept day are untouched.

Aggregates follow the facts: each batch that removes calls, queue passes or recordings
calls ``data.aggregates.refresh`` for the hours it touched, in the same transaction, so the
reports show exactly what remains (a removed month reports no calls) and ``callboard db
rebuild-aggregates`` stays equal to the incremental state. Aggregates do NOT keep history
beyond the call-record period; the Retention page says so.

Batches: every kind is removed in batches of ``batch_size`` rows found by a keyset walk
over an index (``start_utc, id`` and the like) with LIMIT, one short transaction each, so
no statement holds locks for long and readers are never blocked (PostgreSQL readers do not
wait for row locks; SQLite runs in WAL mode).

Files: a recording or generated file is moved to a trash name inside the batch's
transaction and unlinked after the commit (moved back if it rolls back; the pattern of
``data.recordings``). A file that cannot be moved (permissions, an immutable directory) is
reported in the summary and its row — and for call records the call — is kept, so the next
run tries again. A file already missing (or a stored path outside the storage) does not
hold its row back.

Summary: ``run_retention`` returns a ``RetentionReport`` (per kind: cut-off, rows, child
rows, files, bytes freed, files that could not be removed) and writes it to ``audit_log``
(action ``retention_run``). A dry run counts what would go and changes nothing.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, time as dtime, timezone
from pathlib import Path

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.engine import Engine

from callboard.core.i18n import N_
from callboard.core.settings import get_settings
from data import aggregates, db
from data import schema as s
from data.access import audit
from data.recordings import UnsafePath, recordings_root, resolve_path
from data.timebuckets import to_utc_naive

log = logging.getLogger(__name__)

POLICY_KEY = "retention.policy"  # settings_kv
KINDS = ("calls", "recordings", "chats", "files", "audit")
KIND_LABELS = {
    "calls": N_("Call records (with legs, queue paths, IVR choices, surveys, callbacks and their recordings)"),
    "recordings": N_("Recordings (files and rows)"),
    "chats": N_("Chats (sessions, messages, events)"),
    "files": N_("Generated export and report files"),
    "audit": N_("Audit log"),
}
UNITS = ("days", "months")
DEFAULT_BATCH = 2000


class InvalidPolicy(ValueError):
    def __init__(self, msgid: str, **params):
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


@dataclass(frozen=True)
class Keep:
    """How long one kind is kept: ``amount`` days/months, or forever (amount None)."""

    amount: int | None = None
    unit: str = "months"

    @property
    def forever(self) -> bool:
        return self.amount is None

    def to_json(self) -> dict:
        return {"amount": self.amount, "unit": self.unit}

    @classmethod
    def parse(cls, kind: str, value) -> "Keep":
        if value in (None, "forever") or (isinstance(value, dict) and value.get("amount") in (None, "")):
            return cls()
        if isinstance(value, str):  # "24m", "30d", "24 months", "30 days"
            m = re.fullmatch(r"\s*(\d+)\s*(d|days?|m|months?)\s*", value.lower())
            if not m:
                raise InvalidPolicy(N_("{kind}: the period must be a whole number of days or months, or forever."),
                                    kind=kind)
            value = {"amount": m.group(1), "unit": "days" if m.group(2).startswith("d") else "months"}
        if not isinstance(value, dict):
            raise InvalidPolicy(N_("{kind}: the period must be a whole number of days or months, or forever."),
                                kind=kind)
        amount, unit = value.get("amount"), value.get("unit")
        try:
            amount = int(amount)
        except (TypeError, ValueError):
            raise InvalidPolicy(N_("{kind}: the period must be a whole number of days or months, or forever."),
                                kind=kind) from None
        if amount < 1:
            raise InvalidPolicy(N_("{kind}: keep at least 1 day or month (or forever)."), kind=kind)
        if unit not in UNITS:
            raise InvalidPolicy(N_("{kind}: the unit must be days or months."), kind=kind)
        return cls(amount, unit)


def load_policy(engine: Engine | None = None) -> dict[str, Keep]:
    with db.connect(engine) as conn:
        stored = conn.execute(sa.select(s.settings_kv.c.value).where(s.settings_kv.c.key == POLICY_KEY)).scalar()
    stored = stored or {}
    return {kind: Keep.parse(kind, stored.get(kind)) for kind in KINDS}


def save_policy(policy: dict, *, actor: dict | None = None, engine: Engine | None = None) -> dict[str, Keep]:
    """Validate and store the periods (unknown kinds refused); audited."""
    unknown = sorted(set(policy) - set(KINDS))
    if unknown:
        raise InvalidPolicy(N_("Unknown kind of data: {kind}."), kind=", ".join(unknown))
    parsed = {kind: Keep.parse(kind, policy.get(kind)) for kind in KINDS}
    value = {kind: keep.to_json() for kind, keep in parsed.items()}
    kv = s.settings_kv
    with db.transaction(engine) as conn:
        if conn.execute(sa.update(kv).where(kv.c.key == POLICY_KEY).values(value=value)).rowcount == 0:
            conn.execute(sa.insert(kv).values(key=POLICY_KEY, value=value))
        _audit(conn, "retention_policy", value, actor)
    return parsed


def cutoff_utc(keep: Keep, now_utc: datetime, tz=None) -> datetime | None:
    """Naive UTC start of the oldest kept local day; None for forever."""
    if keep.forever:
        return None
    tz = tz or get_settings().tz
    today = now_utc.replace(tzinfo=timezone.utc).astimezone(tz).date()
    first_kept = today - (relativedelta(days=keep.amount) if keep.unit == "days" else relativedelta(months=keep.amount))
    return to_utc_naive(datetime.combine(first_kept, dtime(0)), tz)


# --------------------------------------------------------------------------- report

@dataclass
class KindResult:
    kind: str
    cutoff_utc: datetime | None
    rows: int = 0  # main rows removed (calls, recordings, sessions, files, audit entries)
    related_rows: dict[str, int] = field(default_factory=dict)  # legs, queue paths, messages...
    files: int = 0
    bytes_freed: int = 0
    files_failed: list[dict] = field(default_factory=list)  # {"path", "error"}: rows kept

    def as_json(self) -> dict:
        d = asdict(self)
        d["cutoff_utc"] = self.cutoff_utc.isoformat() if self.cutoff_utc else None
        return d


@dataclass
class RetentionReport:
    now_utc: datetime
    dry_run: bool
    kinds: dict[str, KindResult]
    seconds: float = 0.0
    batches: int = 0
    longest_batch_s: float = 0.0  # the longest single transaction (locks held until its commit)

    @property
    def files_failed(self) -> list[dict]:
        return [f for k in self.kinds.values() for f in k.files_failed]

    def as_json(self) -> dict:
        return {"now_utc": self.now_utc.isoformat(), "dry_run": self.dry_run, "seconds": round(self.seconds, 3),
                "batches": self.batches, "longest_batch_s": round(self.longest_batch_s, 3),
                "kinds": {k: v.as_json() for k, v in self.kinds.items()}}


# --------------------------------------------------------------------------- helpers

def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _audit(conn, action: str, details: dict, actor: dict | None) -> None:
    """An entry about the retention policy (its change, a run): an actor without a name is
    "retention"."""
    who = dict(actor or {})
    who["username"] = who.get("username") or "retention"
    audit.record(action, ("retention", POLICY_KEY), details, who, conn=conn)


class _Trash:
    """Files moved aside in a batch: unlinked after its commit, moved back on a rollback.
    A file that cannot be moved is recorded in ``failed`` (its row must stay)."""

    def __init__(self, result: KindResult):
        self.result = result
        self.moved: list[tuple[Path, Path, int]] = []

    def take(self, path: Path | None, shown: str) -> bool:
        """True when the row may go (file moved aside, already missing, or not ours)."""
        if path is None:
            return True
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return True
        except OSError as exc:
            self.result.files_failed.append({"path": shown, "error": exc.strerror or str(exc)})
            return False
        trash = path.with_name(f".{path.name}.deleting-{uuid.uuid4().hex[:12]}")
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            return True
        except OSError as exc:
            self.result.files_failed.append({"path": shown, "error": exc.strerror or str(exc)})
            return False
        self.moved.append((path, trash, size))
        return True

    def restore(self) -> None:
        for path, trash, _size in reversed(self.moved):
            try:
                os.rename(trash, path)
            except OSError:  # pragma: no cover
                log.exception("could not move %s back to %s", trash, path)
        self.moved.clear()

    def purge(self) -> None:
        for _path, trash, size in self.moved:
            try:
                trash.unlink()
            except OSError:  # pragma: no cover - `callboard recordings sweep-trash` removes it
                log.exception("could not remove %s", trash)
            self.result.files += 1
            self.result.bytes_freed += size
        self.moved.clear()


class _Batches:
    """Runs one batch per transaction and times it."""

    def __init__(self, engine: Engine | None, report: RetentionReport):
        self.engine, self.report = engine, report

    def run(self, result: KindResult, body) -> bool:
        """body(conn, trash) -> True while there is more to do."""
        trash = _Trash(result)
        started = time.perf_counter()
        try:
            with db.transaction(self.engine) as conn:
                more = body(conn, trash)
        except BaseException:
            trash.restore()
            raise
        elapsed = time.perf_counter() - started
        trash.purge()
        self.report.batches += 1
        self.report.longest_batch_s = max(self.report.longest_batch_s, elapsed)
        return more


def _recording_file(rel: str, root: Path) -> Path | None:
    try:
        return resolve_path(rel, root)
    except UnsafePath:
        return None  # not a file of ours: nothing to remove, the row may go


def _files_file(rel: str | None, root: Path) -> Path | None:
    if not rel:
        return None
    path = (root / rel).resolve()
    try:
        path.relative_to(root)
    except ValueError:
        return None
    return path


def _add(d: dict, key: str, n: int) -> None:
    d[key] = d.get(key, 0) + int(n or 0)


def _count_in(conn, table, column, ids) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(column.in_(ids))).scalar_one()


def _refresh_calls(conn, call_ids: list[int]) -> tuple[datetime, datetime] | None:
    """The UTC range of aggregate hours these calls touch (starts and queue passes).

    Plain rows, min/max taken here: a SQL min(start_utc) over the ids lets PostgreSQL walk
    ix_call_start_utc from its start — through every index entry the previous batches just
    deleted (seconds per batch on the bench)."""
    c, qc = s.call, s.queue_call
    times = list(conn.execute(sa.select(c.c.start_utc).where(c.c.id.in_(call_ids))).scalars())
    times += [t for t in conn.execute(sa.select(qc.c.enter_utc).where(qc.c.call_id.in_(call_ids))).scalars()]
    return (min(times), max(times)) if times else None


# --------------------------------------------------------------------------- kinds

def _remove_calls(batches: _Batches, cutoff: datetime, size: int, result: KindResult, rec_root: Path) -> None:
    c, r, qc, cb = s.call, s.recording, s.queue_call, s.callback
    last: tuple[datetime, int] | None = None

    def batch(conn, trash: _Trash) -> bool:
        nonlocal last
        stmt = sa.select(c.c.id, c.c.start_utc).where(c.c.start_utc < cutoff)
        if last is not None:  # keyset: past the previous batch (kept calls are not revisited);
            # a row comparison, so the index scan starts there, not at the deleted entries
            stmt = stmt.where(sa.tuple_(c.c.start_utc, c.c.id) > sa.tuple_(sa.literal(last[0], sa.DateTime),
                                                                            sa.literal(last[1])))
        rows = conn.execute(stmt.order_by(c.c.start_utc, c.c.id).limit(size)).all()
        if not rows:
            return False
        last = (rows[-1].start_utc, rows[-1].id)
        ids = [row.id for row in rows]
        kept = set()
        for rec in conn.execute(sa.select(r.c.id, r.c.call_id, r.c.path).where(r.c.call_id.in_(ids))).all():
            if not trash.take(_recording_file(rec.path, rec_root), rec.path):
                kept.add(rec.call_id)  # its file stays, so its row and its call stay
        ids = [i for i in ids if i not in kept]
        if not ids:
            return True
        span = _refresh_calls(conn, ids)
        rel = result.related_rows
        _add(rel, "call_legs", _count_in(conn, s.call_leg, s.call_leg.c.call_id, ids))
        _add(rel, "queue_calls", _count_in(conn, qc, qc.c.call_id, ids))
        _add(rel, "ivr_choices", _count_in(conn, s.ivr_choice, s.ivr_choice.c.call_id, ids))
        _add(rel, "survey_answers", _count_in(conn, s.survey_answer, s.survey_answer.c.call_id, ids))
        _add(rel, "recordings", _count_in(conn, r, r.c.call_id, ids))
        _add(rel, "callbacks", conn.execute(sa.delete(cb).where(cb.c.call_id.in_(ids))).rowcount)
        # Everything else hangs off the call with ON DELETE CASCADE (legs, queue paths and
        # their attempts, IVR choices, surveys, recordings); callback.result_call_id -> NULL.
        result.rows += conn.execute(sa.delete(c).where(c.c.id.in_(ids))).rowcount
        if span:
            aggregates.refresh(conn, *span)
        return True

    while batches.run(result, batch):
        pass

    # Facts not tied to a call: queue passes imported without their call, and callbacks.
    def orphan_queue(conn, _trash) -> bool:
        rows = conn.execute(sa.select(qc.c.id, qc.c.enter_utc).where(qc.c.call_id.is_(None), qc.c.enter_utc < cutoff)
                            .order_by(qc.c.id).limit(size)).all()
        if not rows:
            return False
        ids = [row.id for row in rows]
        _add(result.related_rows, "queue_calls", conn.execute(sa.delete(qc).where(qc.c.id.in_(ids))).rowcount)
        aggregates.refresh(conn, min(r_.enter_utc for r_ in rows), max(r_.enter_utc for r_ in rows))
        return True

    while batches.run(result, orphan_queue):
        pass

    def old_callbacks(conn, _trash) -> bool:
        ids = [row.id for row in conn.execute(sa.select(cb.c.id).where(cb.c.requested_utc < cutoff)
                                              .order_by(cb.c.id).limit(size))]
        if not ids:
            return False
        _add(result.related_rows, "callbacks", conn.execute(sa.delete(cb).where(cb.c.id.in_(ids))).rowcount)
        return True

    while batches.run(result, old_callbacks):
        pass


def _remove_recordings(batches: _Batches, cutoff: datetime, size: int, result: KindResult, rec_root: Path) -> None:
    r, c = s.recording, s.call
    last: tuple[datetime, int] | None = None

    def batch(conn, trash: _Trash) -> bool:
        nonlocal last
        stmt = sa.select(r.c.id, r.c.call_id, r.c.path, r.c.created_utc).where(r.c.created_utc < cutoff)
        if last is not None:
            stmt = stmt.where(sa.tuple_(r.c.created_utc, r.c.id) > sa.tuple_(sa.literal(last[0], sa.DateTime),
                                                                              sa.literal(last[1])))
        rows = conn.execute(stmt.order_by(r.c.created_utc, r.c.id).limit(size)).all()
        if not rows:
            return False
        last = (rows[-1].created_utc, rows[-1].id)
        gone = [row for row in rows if trash.take(_recording_file(row.path, rec_root), row.path)]
        if not gone:
            return True
        result.rows += conn.execute(sa.delete(r).where(r.c.id.in_([row.id for row in gone]))).rowcount
        call_ids = sorted({row.call_id for row in gone})
        still = sa.exists().where(r.c.call_id == c.c.id)
        conn.execute(sa.update(c).where(c.c.id.in_(call_ids), ~still).values(has_recording=False))
        span = _refresh_calls(conn, call_ids)  # the aggregates count recorded calls
        if span:
            aggregates.refresh(conn, *span)
        return True

    while batches.run(result, batch):
        pass


def _remove_chats(batches: _Batches, cutoff: datetime, size: int, result: KindResult) -> None:
    cs, cm, ce = s.chat_session, s.chat_message, s.chat_event

    def batch(conn, _trash) -> bool:
        ids = [row.id for row in conn.execute(sa.select(cs.c.id).where(cs.c.last_active_utc < cutoff)
                                              .order_by(cs.c.id).limit(size))]
        if not ids:
            return False
        _add(result.related_rows, "chat_messages", _count_in(conn, cm, cm.c.session_id, ids))
        _add(result.related_rows, "chat_events", _count_in(conn, ce, ce.c.session_id, ids))
        result.rows += conn.execute(sa.delete(cs).where(cs.c.id.in_(ids))).rowcount  # messages, events cascade
        return True

    while batches.run(result, batch):
        pass


def _remove_files(batches: _Batches, cutoff: datetime, size: int, result: KindResult) -> None:
    d = s.delivery
    root = Path(get_settings().files_dir).resolve()
    last_id = 0

    def batch(conn, trash: _Trash) -> bool:
        nonlocal last_id
        rows = conn.execute(sa.select(d.c.id, d.c.path).where(d.c.created_utc < cutoff, d.c.id > last_id)
                            .order_by(d.c.id).limit(size)).all()
        if not rows:
            return False
        last_id = rows[-1].id
        gone = [row.id for row in rows if trash.take(_files_file(row.path, root), row.path or "")]
        if gone:
            result.rows += conn.execute(sa.delete(d).where(d.c.id.in_(gone))).rowcount
        return True

    while batches.run(result, batch):
        pass


def _remove_audit(batches: _Batches, cutoff: datetime, size: int, result: KindResult) -> None:
    a = s.audit_log

    def batch(conn, _trash) -> bool:
        ids = [row.id for row in conn.execute(sa.select(a.c.id).where(a.c.at_utc < cutoff).order_by(a.c.id).limit(size))]
        if not ids:
            return False
        result.rows += conn.execute(sa.delete(a).where(a.c.id.in_(ids))).rowcount
        return True

    while batches.run(result, batch):
        pass


def _dry_counts(conn, kind: str, cutoff: datetime, result: KindResult) -> None:
    def count(stmt):
        return int(conn.execute(stmt).scalar_one() or 0)

    if kind == "calls":
        c, r, qc, cb = s.call, s.recording, s.queue_call, s.callback
        old = c.c.start_utc < cutoff

        def children(table):  # joined from the old calls: one index probe per call
            return count(sa.select(sa.func.count()).select_from(table.join(c, c.c.id == table.c.call_id)).where(old))

        result.rows = count(sa.select(sa.func.count()).where(old))
        result.related_rows = {
            "call_legs": children(s.call_leg),
            "queue_calls": children(qc) + count(sa.select(sa.func.count()).where(qc.c.call_id.is_(None),
                                                                                   qc.c.enter_utc < cutoff)),
            "recordings": children(r),
            # requested before the cut-off, plus later ones of an old call (no OR over an
            # IN-subquery: PostgreSQL would re-scan the old calls per callback)
            "callbacks": count(sa.select(sa.func.count()).where(cb.c.requested_utc < cutoff))
            + count(sa.select(sa.func.count()).select_from(cb.join(c, c.c.id == cb.c.call_id))
                    .where(old, cb.c.requested_utc >= cutoff)),
        }
        result.files = result.related_rows["recordings"]
        result.bytes_freed = count(sa.select(sa.func.coalesce(sa.func.sum(r.c.size_bytes), 0))
                                   .select_from(r.join(c, c.c.id == r.c.call_id)).where(old))
    elif kind == "recordings":
        r = s.recording
        result.rows = result.files = count(sa.select(sa.func.count()).where(r.c.created_utc < cutoff))
        result.bytes_freed = count(sa.select(sa.func.coalesce(sa.func.sum(r.c.size_bytes), 0)).where(r.c.created_utc < cutoff))
    elif kind == "chats":
        cs = s.chat_session
        result.rows = count(sa.select(sa.func.count()).where(cs.c.last_active_utc < cutoff))
    elif kind == "files":
        d = s.delivery
        result.rows = result.files = count(sa.select(sa.func.count()).where(d.c.created_utc < cutoff))
        result.bytes_freed = count(sa.select(sa.func.coalesce(sa.func.sum(d.c.size_bytes), 0)).where(d.c.created_utc < cutoff))
    elif kind == "audit":
        result.rows = count(sa.select(sa.func.count()).where(s.audit_log.c.at_utc < cutoff))


# --------------------------------------------------------------------------- the job

LEASE_KEY = "retention.running"  # settings_kv: one run at a time (scheduler, "Run now", CLI)
LEASE_TTL_S = 6 * 3600  # a lease older than this belonged to a run that died


class AlreadyRunning(RuntimeError):
    msgid = N_("Another retention run is in progress; try again when it has finished.")


def _take_lease(engine, now_utc: datetime) -> None:
    kv = s.settings_kv
    with db.transaction(engine) as conn:
        held = conn.execute(sa.select(kv.c.value).where(kv.c.key == LEASE_KEY).with_for_update()).scalar()
        if held is not None:
            since = datetime.fromisoformat(held.get("since_utc", "1970-01-01T00:00:00"))
            if (_now() - since).total_seconds() < LEASE_TTL_S:
                raise AlreadyRunning(AlreadyRunning.msgid)
            conn.execute(sa.delete(kv).where(kv.c.key == LEASE_KEY))
        conn.execute(sa.insert(kv).values(key=LEASE_KEY, value={"since_utc": _now().isoformat(),
                                                                "now_utc": now_utc.isoformat()}))


def _drop_lease(engine) -> None:
    with db.transaction(engine) as conn:
        conn.execute(sa.delete(s.settings_kv).where(s.settings_kv.c.key == LEASE_KEY))


def run_retention(now: datetime | None = None, dry_run: bool = False, *, engine: Engine | None = None,
                  policy: dict[str, Keep] | None = None, batch_size: int = DEFAULT_BATCH,
                  actor: dict | None = None) -> RetentionReport:
    """Remove what is older than each kind's period (what the scheduler runs daily).

    ``now``: naive UTC (or aware) "now" — tests pass a fixed clock. ``dry_run``: count what
    would go, change nothing (and write no audit entry).
    """
    started = time.perf_counter()
    now = now or _now()
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    policy = policy if policy is not None else load_policy(engine)
    report = RetentionReport(now, dry_run, {})
    for kind in KINDS:
        report.kinds[kind] = KindResult(kind, cutoff_utc(policy.get(kind, Keep()), now))
    if dry_run:
        with db.connect(engine) as conn:
            for kind, result in report.kinds.items():
                if result.cutoff_utc is not None:
                    _dry_counts(conn, kind, result.cutoff_utc, result)
        report.seconds = time.perf_counter() - started
        return report

    # One run at a time: two would walk the same rows (a unique insert decides the race).
    try:
        _take_lease(engine, now)
    except sa.exc.IntegrityError:
        raise AlreadyRunning(AlreadyRunning.msgid) from None
    try:
        _run_kinds(engine, report, batch_size)
    finally:
        _drop_lease(engine)
    report.seconds = time.perf_counter() - started
    with db.transaction(engine) as conn:
        _audit(conn, "retention_run", report.as_json(), actor)
    for failed in report.files_failed:
        log.warning("retention: could not remove %s (%s); its row is kept", failed["path"], failed["error"])
    return report


def _run_kinds(engine, report: RetentionReport, batch_size: int) -> None:
    batches = _Batches(engine, report)
    rec_root = recordings_root()
    size = max(1, int(batch_size))
    k = report.kinds
    if k["recordings"].cutoff_utc is not None:
        _remove_recordings(batches, k["recordings"].cutoff_utc, size, k["recordings"], rec_root)
    if k["calls"].cutoff_utc is not None:
        _remove_calls(batches, k["calls"].cutoff_utc, size, k["calls"], rec_root)
    if k["chats"].cutoff_utc is not None:
        _remove_chats(batches, k["chats"].cutoff_utc, size, k["chats"])
    if k["files"].cutoff_utc is not None:
        _remove_files(batches, k["files"].cutoff_utc, size, k["files"])
    if k["audit"].cutoff_utc is not None:
        _remove_audit(batches, k["audit"].cutoff_utc, size, k["audit"])

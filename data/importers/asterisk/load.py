"""Writing an Asterisk CDR import's batches: calls and legs merged with what is stored, the
import position, the aggregates, and around them the import's LoadPlan (bulk mode, deferred
aggregates).

Idempotence: a call is identified by (source, call_uid); a leg by (uniqueid, channel,
dstchannel, start, answer, end, status). Importing the same line twice adds nothing; new
legs of a known call are merged into it and the call recomputed. Each batch (calls, legs,
aggregate refresh, import position) commits in one transaction.

Large imports: the aggregates are refreshed once at the end instead of after every batch:
each batch marks its hours pending in its own transaction (aggregates.mark_pending), so an
import that dies leaves them marked and the next import refreshes them first. On
PostgreSQL the rows go in by binary COPY (data.bulk), already encoded by the worker
processes (prepare.py) with ids reserved for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from data import aggregates, bulk
from data import schema as s
from data.importers import queue_link
from data.importers.asterisk.classify import CALL_COLS, IVR_COLS, LEG_COLS, build_call
from data.importers.asterisk.legs import Leg, Prepared, legs_from_stored
from data.importers.base import ImportStats, save_state
from data.importers.rules import Rules, merge_learned

if TYPE_CHECKING:
    from data.importers.asterisk.prepare import BlockResult

KIND = "asterisk-cdr"  # import_state.kind of CDR files and CDR tables


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _existing_calls(conn: sa.Connection, source_id: int, uids: list[str], pg: bool) -> dict:
    c = s.call
    found = {}
    if pg:
        for part in chunks(uids, 20_000):
            rows = conn.execute(
                sa.select(c).where(c.c.source_id == source_id,
                                   c.c.call_uid == sa.func.any(sa.bindparam("u", part, type_=sa.ARRAY(sa.String))))
            )
            for r in rows:
                found[r.call_uid] = r
    else:
        for part in chunks(uids, 500):
            for r in conn.execute(sa.select(c).where(c.c.source_id == source_id, c.c.call_uid.in_(part))):
                found[r.call_uid] = r
    return found


class KnownCalls:
    """The call uids this import has written, as a sorted array of their hashes. When the
    source held no calls as the import began (`complete`), a uid not among them cannot be
    stored, so only the few that are (a call whose legs straddle two batches) are looked up
    in the database: looking every uid up took 3 s a million lines. Otherwise every uid is
    looked up. A hash collision only costs a lookup."""

    def __init__(self, complete: bool) -> None:
        import numpy as np

        self._np = np
        self.complete = complete
        self.hashes = np.empty(0, dtype=np.int64)

    def candidates(self, uids: list[str]) -> list[str]:
        if not self.complete:
            return uids
        np = self._np
        if not len(self.hashes) or not uids:
            return []
        h = np.fromiter(map(hash, uids), dtype=np.int64, count=len(uids))
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return list(itertools.compress(uids, (self.hashes[pos] == h).tolist()))

    def add(self, uids: list[str]) -> None:
        if not self.complete or not uids:
            return
        np = self._np
        h = np.sort(np.fromiter(map(hash, uids), dtype=np.int64, count=len(uids)))
        # Two sorted runs: the stable sort (timsort) merges them in linear time.
        self.hashes = np.sort(np.concatenate((self.hashes, h)), kind="stable")


def _source_has_calls(conn: sa.Connection, source_id: int) -> bool:
    return conn.execute(sa.select(s.call.c.id).where(s.call.c.source_id == source_id).limit(1)).first() is not None


def stored_legs(conn: sa.Connection, call_ids: list[int]) -> dict[int, list]:
    cl = s.call_leg
    out: dict[int, list] = {}
    for part in chunks(call_ids, 500):
        for r in conn.execute(sa.select(cl).where(cl.c.call_id.in_(part)).order_by(cl.c.call_id, cl.c.seq)):
            out.setdefault(r.call_id, []).append(r)
    return out


def _merge_existing(source_id: int, uid: str, ex, stored_rows: list, group: list[Leg], rules: Rules,
                    stats: ImportStats, learned: dict | None = None) -> tuple[tuple, list[tuple], list[tuple]] | None:
    """A stored call with the batch's legs of it merged in, rebuilt; None when nothing is new."""
    old = legs_from_stored(stored_rows, ex)
    keys = {l.key for l in old}
    fresh = [l for l in group if l.key not in keys]
    stats.duplicates_skipped += len(group) - len(fresh)
    if not fresh:
        return None
    return build_call(source_id, uid, old + fresh, rules, learned)


def write_updates(conn: sa.Connection, updates: list[tuple[int, tuple, list[tuple], list[tuple]]], stored: dict,
                  stats: ImportStats | None, pg: bool) -> None:
    """Stored calls rebuilt: the call row updated, its legs and IVR choices written again."""
    c = s.call
    upd_cols = [col for col in CALL_COLS if col not in ("source_id", "call_uid")]
    stmt = c.update().where(c.c.id == sa.bindparam("_id")).values({k: sa.bindparam("_" + k) for k in upd_cols})
    params = []
    for cid, call, _, _ in updates:
        d = {"_" + k: v for k, v in zip(CALL_COLS, call) if k in upd_cols}
        d["_id"] = cid
        params.append(d)
    conn.execute(stmt, params)
    ids = [u[0] for u in updates]
    for part in chunks(ids, 500):
        conn.execute(s.call_leg.delete().where(s.call_leg.c.call_id.in_(part)))
        conn.execute(s.ivr_choice.delete().where(s.ivr_choice.c.call_id.in_(part)))
    _insert_legs(conn, ((cid,) + lr for cid, _, lrs, _ in updates for lr in lrs), pg)
    _insert_ivr(conn, [(cid,) + r for cid, _, _, ivrs in updates for r in ivrs])
    if stats is not None:
        stats.calls_updated += len(updates)
        stats.legs_added += sum(len(lrs) for _, _, lrs, _ in updates) - sum(len(stored.get(i, [])) for i in ids)


def _insert_ivr(conn: sa.Connection, rows: list[tuple]) -> None:
    if rows:
        conn.execute(s.ivr_choice.insert(), [dict(zip(IVR_COLS, r)) for r in rows])


def span(lo, hi, *values):
    for v in values:
        if v is None:
            continue
        if lo is None or v < lo:
            lo = v
        if hi is None or v > hi:
            hi = v
    return lo, hi


def source_has_queue_calls(conn: sa.Connection, source_id: int) -> bool:
    # Linking to queue calls costs two statements over every new call id: skipped while the
    # source has no queue_log imported (a CDR-only PBX, or the CDR imported first).
    return bool(conn.execute(sa.select(sa.exists().where(s.queue_call.c.source_id == source_id))).scalar())


def write_batch(conn: sa.Connection, source_id: int, legs: list[Leg], rules: Rules, stats: ImportStats,
                prepared: Prepared | None = None, *, refresh: bool = True, known: KnownCalls | None = None):
    """Calls and legs of one batch, merged with what is stored, plus (with `refresh`) the
    aggregate refresh. Returns the (lo, hi) start times whose aggregate hours changed."""
    if not legs:
        return None, None
    pg = conn.dialect.name == "postgresql"
    if prepared is None:
        prepared = Prepared(source_id, legs, rules, build=False)
    groups, built = prepared.groups, prepared.built
    stats.duplicates_skipped += prepared.duplicates

    uids = list(groups)
    existing = _existing_calls(conn, source_id, known.candidates(uids) if known else uids, pg)
    stored = stored_legs(conn, [r.id for r in existing.values()]) if existing else {}

    new_calls: list[tuple] = []
    new_legs: list[list[tuple]] = []
    new_ivr: list[list[tuple]] = []
    updates: list[tuple[int, tuple, list[tuple], list[tuple]]] = []
    learned = prepared.learned
    lo = hi = None
    for uid, group in groups.items():
        ex = existing.get(uid)
        if ex is None:
            call, leg_rows, ivr_rows = built.get(uid) or build_call(source_id, uid, group, rules, learned)
            new_calls.append(call)
            new_legs.append(leg_rows)
            new_ivr.append(ivr_rows)
        else:
            merged = _merge_existing(source_id, uid, ex, stored.get(ex.id, []), group, rules, stats, learned)
            if merged is None:
                continue
            call = merged[0]
            updates.append((ex.id,) + merged)
            lo, hi = span(lo, hi, ex.start_utc)
        lo, hi = span(lo, hi, call[2])

    has_queue_calls = source_has_queue_calls(conn, source_id)
    new_ids: list[int] = []
    if new_calls:
        if pg:
            ids = bulk.next_ids(conn, "call", len(new_calls))
            bulk.copy_rows(conn, s.call, ("id",) + CALL_COLS, ((i,) + c for i, c in zip(ids, new_calls)))
        else:
            res = conn.execute(
                s.call.insert().returning(s.call.c.id, sort_by_parameter_order=True),
                [dict(zip(CALL_COLS, c)) for c in new_calls],
            )
            ids = list(res.scalars())
        new_ids = ids
        leg_iter = ((cid,) + lr for cid, lrs in zip(ids, new_legs) for lr in lrs)
        _insert_legs(conn, leg_iter, pg)
        _insert_ivr(conn, [(cid,) + r for cid, rs in zip(ids, new_ivr) for r in rs])
        if has_queue_calls:
            _link_queue_calls(conn, source_id, [c[1] for c in new_calls], pg)
        if known is not None:
            known.add([c[1] for c in new_calls])
        stats.calls_added += len(new_calls)
        stats.legs_added += sum(len(x) for x in new_legs)

    return _finish_batch(conn, source_id, updates, stored, stats, pg, has_queue_calls, new_ids, refresh, lo, hi,
                         learned)


def _finish_batch(conn, source_id, updates, stored, stats, pg, has_queue_calls, new_ids, refresh, lo, hi, learned):
    """The merged calls' updates, what the batch showed of numbers, peers and contexts
    (number_class), the queue_log's outcome over what the legs say (agent, abandoned /
    gave up, transfer) and the aggregate refresh; returns (lo, hi)."""
    if updates:
        write_updates(conn, updates, stored, stats, pg)
    if learned:
        merge_learned(conn, source_id, learned)
    if has_queue_calls:
        stats.cdr_calls_updated += queue_link.apply(conn, list(new_ids) + [u[0] for u in updates])[2]
    if refresh and lo is not None:
        aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return lo, hi


# ----------------------------------------------------------------------------- re-derivation

def write_encoded_batch(conn: sa.Connection, source_id: int, res: BlockResult, reread: Callable[[int], Leg],
                        rules: Rules, stats: ImportStats, *, refresh: bool = True,
                        known: KnownCalls | None = None):
    """write_batch for a block prepared and encoded by a worker (PostgreSQL): new calls and
    their legs are streamed as they came, with ids; calls already stored are read again
    from the block, merged and rebuilt here. Returns the (lo, hi) start times changed."""
    uids = res.uids
    if not uids:
        return None, None
    stats.duplicates_skipped += res.duplicates
    existing = _existing_calls(conn, source_id, known.candidates(uids) if known else uids, True)
    lo, hi = res.lo, res.hi
    nlegs = res.call_nlegs
    keep = None
    learned = dict(res.learned)
    updates: list[tuple[int, tuple, list[tuple], list[tuple]]] = []
    stored: dict = {}
    if existing:
        stored = stored_legs(conn, [r.id for r in existing.values()])
        offsets = list(itertools.accumulate(nlegs, initial=0))
        keep = [True] * len(uids)
        for i, uid in enumerate(uids):
            ex = existing.get(uid)
            if ex is None:
                continue
            keep[i] = False
            group = []
            for j in res.leg_line[offsets[i]:offsets[i + 1]]:
                leg = reread(j)
                leg.uid = uid
                group.append(leg)
            merged = _merge_existing(source_id, uid, ex, stored.get(ex.id, []), group, rules, stats, learned)
            if merged is not None:
                updates.append((ex.id,) + merged)
                lo, hi = span(lo, hi, ex.start_utc, merged[0][2])

    ncalls = len(uids)
    call_ids = range(res.call_id_base, res.call_id_base + ncalls)
    call_parts: list = [res.call_blob]
    leg_parts: list = [res.leg_blob]
    nlegs_kept = len(res.leg_ends)
    new_uids, new_ids = uids, call_ids
    if keep is not None:
        # Cut the stored calls' rows (and their legs' rows) out of the blobs.
        leg_keep = list(itertools.chain.from_iterable(itertools.repeat(k, n) for k, n in zip(keep, nlegs)))
        call_parts = bulk.kept_rows(res.call_blob, res.call_ends, keep)
        leg_parts = bulk.kept_rows(res.leg_blob, res.leg_ends, leg_keep)
        nlegs_kept = sum(leg_keep)
        new_uids = list(itertools.compress(uids, keep))
        new_ids = list(itertools.compress(call_ids, keep))

    has_queue_calls = source_has_queue_calls(conn, source_id)
    if new_uids:
        bulk.copy_encoded_rows(conn, s.call, ("id",) + CALL_COLS, call_parts)
        bulk.copy_encoded_rows(conn, s.call_leg, ("id",) + LEG_COLS, leg_parts)
        _insert_ivr(conn, [(res.call_id_base + i,) + r for i, r in res.ivr_rows if keep is None or keep[i]])
        if has_queue_calls:
            _link_queue_calls(conn, source_id, new_uids, True)
        if known is not None:
            known.add(new_uids)
        stats.calls_added += len(new_uids)
        stats.legs_added += nlegs_kept
    return _finish_batch(conn, source_id, updates, stored, stats, True, has_queue_calls, new_ids, refresh, lo, hi,
                         learned)


def _link_queue_calls(conn: sa.Connection, source_id: int, uids: list[str], pg: bool) -> None:
    """Queue calls imported before their CDR get its call id (callid = call_uid)."""
    qc, c = s.queue_call, s.call
    link = (sa.select(c.c.id).where(c.c.source_id == qc.c.source_id, c.c.call_uid == qc.c.call_uid)
            .limit(1).scalar_subquery())
    for part in chunks(uids, 20_000 if pg else 500):
        cond = (qc.c.call_uid == sa.func.any(sa.bindparam("u", part, type_=sa.ARRAY(sa.String))) if pg
                else qc.c.call_uid.in_(part))
        conn.execute(qc.update().where(qc.c.source_id == source_id, cond, qc.c.call_id.is_(None)).values(call_id=link))


def _insert_legs(conn: sa.Connection, rows: Iterable[tuple], pg: bool) -> None:
    if pg:
        bulk.copy_rows(conn, s.call_leg, LEG_COLS, rows)
    else:
        batch = [dict(zip(LEG_COLS, r)) for r in rows]
        if batch:
            conn.execute(s.call_leg.insert(), batch)


# ----------------------------------------------------------------------------- the import around its batches

# From this many new lines (or rows) on, an import is large: worker processes, aggregates
# refreshed once at the end, and (when larger than what is stored) bulk mode.
LARGE_IMPORT_LINES = bulk.BULK_MIN_LINES


class LoadPlan:
    """How an import of `incoming` new lines writes, around its batches (a context manager):

    - first, what an import that died left behind is put right: indexes a bulk load dropped
      are built, aggregate hours it left pending are refreshed;
    - `bulk`: PostgreSQL indexes and foreign keys dropped now and built once at the end
      (data.bulk; None = when the import is larger than what is stored);
    - `defer`: aggregates refreshed once at the end instead of in every batch (each batch
      marks its hours pending; None = for a large import). Not after a failure: the marks
      stay, and the next import or the scheduler refreshes them;
    - `known`: the calls this import writes (KnownCalls), so only possible repeats are
      looked up."""

    def __init__(self, engine: sa.Engine, source_id: int, incoming: int, stats: ImportStats, *,
                 bulk_load: bool | None = None, defer_aggregates: bool | None = None) -> None:
        self.engine, self.source_id, self.incoming, self.stats = engine, source_id, incoming, stats
        self._bulk_load, self._defer = bulk_load, defer_aggregates
        self.bulk = self.defer = False
        self.known: KnownCalls | None = None
        self._analyzed_at = 0  # legs added when the statistics were last refreshed

    def __enter__(self) -> "LoadPlan":
        engine = self.engine
        bulk.restore_indexes(engine)
        aggregates.refresh_pending(engine)
        pg = engine.dialect.name == "postgresql"
        with engine.connect() as conn:
            want_bulk = self._bulk_load if self._bulk_load is not None else bulk.worth_dropping_indexes(conn, self.incoming)
            self.known = KnownCalls(complete=not _source_has_calls(conn, self.source_id))
        self.bulk = bool(want_bulk and pg)
        self.defer = self._defer if self._defer is not None else self.incoming >= LARGE_IMPORT_LINES
        if self.bulk:
            bulk.drop_indexes(engine, keep_start_index=not self.defer)
            self.stats.bulk_load = True
        return self

    def batch_done(self) -> None:
        """After each committed batch: a bulk load that refreshes the aggregates batch by batch
        gets fresh planner statistics each time the tables have doubled (bulk.analyze)."""
        if self.bulk and not self.defer and self.stats.legs_added >= 2 * max(self._analyzed_at, 10_000):
            bulk.analyze(self.engine)
            self._analyzed_at = self.stats.legs_added

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.bulk:
            bulk.restore_indexes(self.engine)  # (the one deferred refresh plans well without an ANALYZE: measured)
        if self.defer and exc_type is None:
            aggregates.refresh_pending(self.engine, rebuild_indexes=self.bulk)
        return False


def id_reserver(engine: sa.Engine) -> Callable[[int], tuple[int, int]]:
    def reserve(n: int) -> tuple[int, int]:
        with engine.begin() as conn:
            return bulk.reserve_ids(conn, "call", n), bulk.reserve_ids(conn, "call_leg", n)

    return reserve


def commit_prepared(engine: sa.Engine, source_id: int, res: BlockResult, reread: Callable[[int], Leg], rules: Rules,
                    stats: ImportStats, location: str, fp: str, position: int, lineno: int, plan: LoadPlan) -> None:
    """A batch prepared by prepare_block / prepare_rows written in one transaction with the
    import position after it (`fp`, `position`, `lineno`). reread(j) makes leg j of the batch
    again from its line or row, for the few calls found stored already."""
    _commit_batch(engine, _batch_writer(source_id, res, reread, rules, stats, plan), stats, source_id, location,
                  fp, position, lineno, plan.defer)
    plan.batch_done()


def _batch_writer(source_id, res: BlockResult, reread: Callable[[int], Leg], rules, stats, plan: LoadPlan):
    """write(conn) for _commit_batch: a prepared batch, encoded (PostgreSQL) or built rows."""
    def write(conn):
        if res.encoded:
            return write_encoded_batch(conn, source_id, res, reread, rules, stats,
                                       refresh=not plan.defer, known=plan.known)
        if res.prepared is not None:
            return write_batch(conn, source_id, [l for g in res.prepared.groups.values() for l in g], rules,
                               stats, res.prepared, refresh=not plan.defer, known=plan.known)
        return None, None

    return write


def _commit_batch(engine, write, stats, source_id, location, fp, position, lineno, defer: bool) -> None:
    """One batch in one transaction: write(conn) -> the (lo, hi) start times it changed,
    their hours marked pending when the aggregates are deferred, the import position."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The batch and its import position commit together, so a batch lost in an OS
            # crash is simply read again: no need to wait for the WAL flush.
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        lo, hi = write(conn)
        if defer and lo is not None:
            aggregates.mark_pending(conn, lo, hi + timedelta(seconds=1))
        save_state(conn, source_id, KIND, location, fp, position, lineno)
    stats.batches += 1



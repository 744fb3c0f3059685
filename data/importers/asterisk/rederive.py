"""Calls derived again from their stored legs: after an import learned what a number, peer or
context is (apply_learned), after the user reclassified or renamed one on /admin/sources
(rederive_for), and `callboard db rebuild-calls` (rebuild_calls).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from data import aggregates
from data import schema as s
from data.importers import queue_link
from data.importers.asterisk.classify import build_call
from data.importers.asterisk.legs import legs_from_stored
from data.importers.asterisk.load import chunks, source_has_queue_calls, span, stored_legs, write_updates
from data.importers.base import ImportFailed, find_source
from data.importers.rules import CONTEXT, NUMBER, PEER, Rules, load_known, load_rules


def rederive_calls(conn: sa.Connection, source_id: int, call_ids: list[int], rules: Rules
                   ) -> tuple[datetime | None, datetime | None, int]:
    """Derive these stored calls again from their stored legs with `rules` (after a number,
    peer or context changed class), in the caller's transaction, with the queue_log's
    overlay applied again. Returns (first, last) start of the calls (old and new), for the
    caller's aggregate refresh, and how many were written."""
    if not call_ids:
        return None, None, 0
    pg = conn.dialect.name == "postgresql"
    c = s.call
    lo = hi = None
    n = 0
    for part in chunks(sorted(set(call_ids)), 5000):
        calls = list(conn.execute(sa.select(c).where(c.c.source_id == source_id, c.c.id.in_(part))))
        stored = stored_legs(conn, [r.id for r in calls])
        updates = []
        for ex in calls:
            legs = legs_from_stored(stored.get(ex.id, []), ex)
            if not legs:
                continue
            call, leg_rows, ivr_rows = build_call(source_id, ex.call_uid, legs, rules)
            updates.append((ex.id, call, leg_rows, ivr_rows))
            lo, hi = span(lo, hi, ex.start_utc, call[2])
        if updates:
            write_updates(conn, updates, stored, None, pg)
            if source_has_queue_calls(conn, source_id):
                queue_link.apply(conn, [u[0] for u in updates])
            n += len(updates)
    return lo, hi, n


def contradicting_calls(conn: sa.Connection, source_id: int, changed: dict) -> list[int]:
    """Ids of the source's calls whose stored values contradict these (changed) classes: a
    queue, IVR, ring group ... or trunk in an extension column, a device counted as a
    trunk, a trunk under its old name. `changed`: {(namespace, name): KnownClass}."""
    not_ext = sorted(n for (ns, n), k in changed.items()
                     if (ns == NUMBER and k.cls != "extension") or (ns == PEER and k.cls == "trunk"))
    # a device counted as a trunk, or a renamed trunk still under its old name
    as_trunk = sorted(n for (ns, n), k in changed.items() if ns == PEER and (k.cls == "extension" or k.label))
    labels = sorted({k.label for (ns, _), k in changed.items() if ns == PEER and k.label})
    c = s.call
    ids: set[int] = set()
    for names, cols in ((not_ext, (c.c.extension, c.c.peer_extension, c.c.answered_by)),
                        (as_trunk + labels, (c.c.src_trunk, c.c.dst_trunk))):
        for part in chunks(names, 500):
            cond = sa.or_(*(col.in_(part) for col in cols))
            if cols[0] is c.c.extension:
                cond = sa.or_(cond, sa.and_(c.c.destination_type == "extension", c.c.destination.in_(part)))
            ids.update(conn.execute(sa.select(c.c.id).where(c.c.source_id == source_id, cond)).scalars())
    ivr_ctx = [n for (ns, n), k in changed.items() if ns == CONTEXT]
    if ivr_ctx:  # a context learned as an IVR: its announcements are IVR visits now
        cl = s.call_leg
        for part in chunks(ivr_ctx, 500):
            ids.update(conn.execute(sa.select(sa.distinct(cl.c.call_id)).join(c, c.c.id == cl.c.call_id)
                                    .where(c.c.source_id == source_id, cl.c.dcontext.in_(part),
                                           c.c.ivr.is_(None))).scalars())
    return sorted(ids)


def calls_touching(conn: sa.Connection, source_id: int, names: list[str]) -> list[int]:
    """Ids of the source's calls in which any of these numbers / peers / contexts appears
    (in the call's columns or a leg's dst, dialplan context or channels) — the calls a
    reclassification can change."""
    c, cl = s.call, s.call_leg
    ids: set[int] = set()
    cols = (c.c.extension, c.c.peer_extension, c.c.answered_by, c.c.queue, c.c.ring_group, c.c.ivr,
            c.c.destination, c.c.src_trunk, c.c.dst_trunk, c.c.to_number, c.c.from_number)
    for part in chunks(sorted(set(names)), 200):
        ids.update(conn.execute(sa.select(c.c.id).where(c.c.source_id == source_id,
                                                        sa.or_(*(col.in_(part) for col in cols)))).scalars())
        ids.update(conn.execute(
            sa.select(sa.distinct(cl.c.call_id)).join(c, c.c.id == cl.c.call_id)
            .where(c.c.source_id == source_id,
                   sa.or_(cl.c.dst.in_(part), cl.c.dcontext.in_(part), cl.c.extension.in_(part),
                          cl.c.number.in_(part), cl.c.via.in_(part),
                          *(sa.or_(col.like(f"%/{n}-%"), col.like(f"%/{n}")) for n in part
                            for col in (cl.c.channel, cl.c.dst_channel))))).scalars())
    return sorted(ids)


def rederive_for(engine: sa.Engine, source_id: int, names: list[str], *, rules: Rules | None = None) -> int:
    """After the user reclassified or renamed these on /admin/sources: the calls they appear
    in derived again (one transaction, aggregates of their hours refreshed)."""
    rules = rules or load_rules()
    with engine.begin() as conn:
        known = load_known(conn, source_id)
        ids = calls_touching(conn, source_id, names)
        lo, hi, n = rederive_calls(conn, source_id, ids, rules.with_classes(known))
        if lo is not None:
            aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return n


def _changed_classes(before: dict, after: dict) -> dict:
    return {k: v for k, v in after.items() if before.get(k) != v}


def apply_learned(engine: sa.Engine, source_id: int, rules: Rules, known_before: dict, *,
                  defer: bool = False) -> int:
    """After an import: what it learned of numbers, peers and contexts applies to every call
    of the source — the calls whose values contradict a class that changed are derived
    again from their legs (one transaction, with their aggregate hours refreshed, or marked
    pending when the import defers its aggregates). Returns how many calls changed."""
    with engine.begin() as conn:
        after = load_known(conn, source_id)
        changed = _changed_classes(known_before, after)
        if not changed:
            return 0
        ids = contradicting_calls(conn, source_id, changed)
        lo, hi, n = rederive_calls(conn, source_id, ids, rules.with_classes(after))
        if lo is not None:
            if defer:
                aggregates.mark_pending(conn, lo, hi + timedelta(seconds=1))
            else:
                aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return n


def rebuild_calls(engine: sa.Engine, source: str | None = None, *, rules: Rules | str | Path | None = None,
                  progress: bool = False) -> int:
    """`callboard db rebuild-calls`: every call of a source derived again from its stored
    legs with the current rules and the source's number classes (after reclassifying on
    /admin/sources, or new importer rules), in ONE transaction with the aggregates of the
    whole range refreshed: nothing is half-rebuilt. Returns the number of calls."""
    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    c = s.call
    with engine.begin() as conn:
        source_id = find_source(conn, source)
        if source_id is None:
            raise ImportFailed(f"no source {source!r}" if source else "no calls imported yet")
        rules = rules.with_classes(load_known(conn, source_id))
        ids = list(conn.execute(sa.select(c.c.id).where(c.c.source_id == source_id).order_by(c.c.id)).scalars())
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), unit=" calls", desc="rebuild", leave=False)
        lo = hi = None
        n = 0
        for part in chunks(ids, 20_000):
            a, b, k = rederive_calls(conn, source_id, part, rules)
            lo, hi = span(lo, hi, a, b)
            n += k
            if bar is not None:
                bar.update(len(part))
        if bar is not None:
            bar.close()
        if lo is not None:
            aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return n


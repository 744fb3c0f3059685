"""Bench: retention removing the oldest month of the 10M-call PostgreSQL bench database.

    .venv/bin/python -m bench.retention [--url URL] [--batch-size 2000] [--json FILE] [--skip-naive]

DESTRUCTIVE: it really deletes the oldest local month (PBX zone) of call records from the
bench database (``callboard_bench``), with their legs, queue paths, IVR choices, surveys,
callbacks and recordings. Run it once per load.

What it measures, while a concurrent reader keeps running the app's queries (the records
grid's first page of the newest month plus the overview's twelve-month aggregate read,
back to back, on its own connection):

1. reader alone (baseline latencies);
2. naive: ONE ``DELETE FROM call WHERE start_utc < cut-off`` (cascades to the children) and
   one aggregate refresh over the month, in one transaction that is then ROLLED BACK —
   how long a single statement would hold its locks (nothing is changed);
3. ``data.retention.run_retention`` (keyset batches, one transaction each, aggregates
   refreshed per batch): total time, the longest single statement, the longest batch
   transaction (row locks are held until its commit, so this is the longest time any
   lock is held), and the reader's latencies meanwhile.

Then it checks: no call older than the cut-off is left and the aggregates hold no row of
the removed month. Prints a table (ratios vs the naive single statement) and optionally
writes JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from bench.harness import DEFAULT_URL
from callboard.core.settings import get_settings
from data import aggregates, retention
from data import schema as s
from data.db import make_engine
from data.queries.calls import CallFilter, list_calls
from data.retention import Keep
from data.scope import Scope
from data.timebuckets import to_utc_naive


class Reader(threading.Thread):
    """Runs the app's reads back to back until stopped; keeps every latency."""

    def __init__(self, url: str, newest: datetime):
        super().__init__(daemon=True)
        self.engine = make_engine(url, statement_timeout_s=0)
        self.latencies: list[float] = []
        self.stop = threading.Event()
        month = CallFilter(start_utc=newest - timedelta(days=30), end_utc=newest + timedelta(seconds=1))
        self.page = list_calls(Scope.everything(), month, limit=100)
        t = s.agg_call_total_hour
        self.overview = (sa.select(t.c.direction, sa.func.sum(t.c.calls))
                         .where(t.c.bucket_utc >= newest - timedelta(days=365)).group_by(t.c.direction))

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                t0 = time.perf_counter()
                conn.execute(self.page).all()
                conn.execute(self.overview).all()
                conn.commit()
                self.latencies.append(time.perf_counter() - t0)
                time.sleep(0.02)

    def result(self) -> dict:
        lat = sorted(self.latencies) or [0.0]
        return {"n": len(self.latencies), "p50_ms": statistics.median(lat) * 1000,
                "p95_ms": lat[int(0.95 * (len(lat) - 1))] * 1000, "max_ms": lat[-1] * 1000}


def _with_reader(url: str, newest: datetime, work):
    reader = Reader(url, newest)
    reader.start()
    time.sleep(1.0)
    try:
        out = work()
    finally:
        reader.stop.set()
        reader.join()
        reader.engine.dispose()
    return out, reader.result()


class StatementTimer:
    """The longest single statement on an engine (cursor execute to return)."""

    def __init__(self, engine):
        self.longest, self.sql, self.count = 0.0, "", 0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        elapsed = time.perf_counter() - conn.info.pop("t0", time.perf_counter())
        self.count += 1
        if elapsed > self.longest:
            self.longest, self.sql = elapsed, " ".join(statement.split())[:90]


def erasure_probe(engine, number: str) -> dict:
    """find() and a whole erase of one busy external number, timed, then ROLLED BACK.

    Erasure scans columns without an index (call_leg.number, queue_call.caller_number, the
    leftover sweep over every text column of every table), so this is the slow admin action
    to know about. Run with CALLBOARD_FILES_DIR pointing at an empty directory (main does).
    """
    from data import privacy
    from data.recordings import recordings_root

    e164 = privacy.normalise(number)
    spell, pattern, like = privacy.spellings(e164), privacy.mention_regex(e164), privacy._like_all_digits(e164)
    out = {"number": "masked " + privacy.mask_number(e164)}
    with engine.connect() as conn:
        trans = conn.begin()
        t0 = time.perf_counter()
        found = privacy._find(conn, e164, spell, pattern, like)
        out["find_s"] = time.perf_counter() - t0
        out["counts"] = found.counts()
        trash = privacy._FileTrash()
        t1 = time.perf_counter()
        result = privacy._erase(conn, found, spell, pattern, like, trash, recordings_root(),
                                privacy._files_root())
        out["erase_s"] = time.perf_counter() - t1
        out["redacted"] = result.redacted
        trans.rollback()
        trash.restore()
    return out


class RollbackBatches:
    """Runs retention batches like data.retention's, but rolls each back (nothing changes):
    the per-transaction time of the real batches on data that is still there."""

    def __init__(self, engine, limit: int):
        self.engine, self.limit, self.seconds = engine, limit, []

    def run(self, result, body) -> bool:
        if len(self.seconds) >= self.limit:
            return False
        trash = retention._Trash(result)
        t0 = time.perf_counter()
        with self.engine.connect() as conn:
            trans = conn.begin()
            more = body(conn, trash)
            self.seconds.append(time.perf_counter() - t0)
            trans.rollback()
        trash.restore()
        return more


def rollback_probe(engine, url: str, batches: int, batch_size: int, tz) -> None:
    """Time `batches` call-record batches of the oldest month left, each rolled back."""
    with engine.connect() as conn:
        oldest, newest = conn.execute(sa.select(sa.func.min(s.call.c.start_utc), sa.func.max(s.call.c.start_utc))).one()
    first = oldest.replace(tzinfo=timezone.utc).astimezone(tz).date()
    cutoff = to_utc_naive(datetime.combine((first.replace(day=1) + timedelta(days=32)).replace(day=1),
                                           datetime.min.time()), tz)
    timer = StatementTimer(engine)
    probe = RollbackBatches(engine, batches)
    result = retention.KindResult("calls", cutoff)
    _, reader = _with_reader(url, newest, lambda: retention._remove_calls(probe, cutoff, batch_size, result,
                                                                         retention.recordings_root()))
    sec = sorted(probe.seconds)
    print(f"{len(sec)} batches of {batch_size} calls from {oldest:%Y-%m-%d}, each rolled back: transaction "
          f"median {statistics.median(sec):.2f} s, max {sec[-1]:.2f} s; longest statement {timer.longest * 1000:.0f} ms "
          f"({timer.sql}); reader p50/p95/max {reader['p50_ms']:.0f}/{reader['p95_ms']:.0f}/{reader['max_ms']:.0f} ms")


def _probe(engine) -> dict:
    import os
    import tempfile

    from callboard.core.settings import reset_settings_cache

    os.environ["CALLBOARD_FILES_DIR"] = tempfile.mkdtemp(prefix="callboard-bench-files-")
    reset_settings_cache()
    with engine.connect() as conn:  # the caller of the newest inbound call: a real, busy number
        number = conn.execute(sa.select(s.call.c.from_number).where(s.call.c.direction == "inbound")
                              .order_by(s.call.c.start_utc.desc()).limit(1)).scalar_one()
    erasure = erasure_probe(engine, number)
    print(f"erasure of one number (rolled back): find {erasure['find_s']:.1f} s, whole erase "
          f"{erasure['erase_s']:.1f} s in one transaction; found {erasure['counts']}")
    return erasure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--batch-size", type=int, default=retention.DEFAULT_BATCH)
    ap.add_argument("--json", default=None)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--erasure-probe", action="store_true",
                    help="also time find + erase of one number (rolled back, nothing changes)")
    ap.add_argument("--erasure-only", action="store_true", help="only the erasure probe (removes nothing)")
    ap.add_argument("--rollback-batches", type=int, default=0,
                    help="only time this many retention batches of the oldest month, each rolled back")
    args = ap.parse_args()
    tz = get_settings().tz
    engine = make_engine(args.url, statement_timeout_s=0)
    if args.erasure_only:
        _probe(engine)
        return
    if args.rollback_batches:
        rollback_probe(engine, args.url, args.rollback_batches, args.batch_size, tz)
        return
    with engine.begin() as conn:
        # Migration 0007's indexes (the bench load may predate it); names as in the migration.
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_callback_result_call_id ON callback (result_call_id)")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_queue_call_enter ON queue_call (enter_utc)")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_recording_created ON recording (created_utc)")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_chat_session_last_active ON chat_session (last_active_utc)")
        oldest, newest, total = conn.execute(sa.select(sa.func.min(s.call.c.start_utc), sa.func.max(s.call.c.start_utc),
                                                       sa.func.count()).select_from(s.call)).one()
    first_local = oldest.replace(tzinfo=timezone.utc).astimezone(tz).date()
    month_start = first_local.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    cutoff = to_utc_naive(datetime.combine(next_month, datetime.min.time()), tz)
    # A clock 11 months after the cut-off's local day with "keep 11 months" puts the
    # cut-off exactly at the start of the second month of data.
    now_local = next_month + relativedelta(months=11)
    now = to_utc_naive(datetime.combine(now_local, datetime.min.time()) + timedelta(hours=12), tz)
    policy = {k: Keep() for k in retention.KINDS} | {"calls": Keep(11, "months")}
    assert retention.cutoff_utc(policy["calls"], now, tz) == cutoff, (retention.cutoff_utc(policy["calls"], now, tz), cutoff)
    print(f"bench DB: {total:,} calls {oldest} .. {newest} UTC; removing local {month_start} .. {next_month} "
          f"(start_utc < {cutoff})")

    dry = retention.run_retention(now=now, dry_run=True, engine=engine, policy=policy)
    calls = dry.kinds["calls"]
    print(f"to remove: {calls.rows:,} calls, {calls.related_rows}")

    _, alone = _with_reader(args.url, newest, lambda: time.sleep(8))
    rows = [("reader alone", None, None, alone)]

    naive_s = None
    if not args.skip_naive:
        def naive():
            t0 = time.perf_counter()
            with engine.connect() as conn:
                trans = conn.begin()
                conn.execute(sa.delete(s.call).where(s.call.c.start_utc < cutoff))
                aggregates.refresh(conn, oldest, cutoff)
                elapsed = time.perf_counter() - t0
                trans.rollback()
            return elapsed

        naive_s, naive_reader = _with_reader(args.url, newest, naive)
        rows.append(("naive: one DELETE + refresh, one transaction (rolled back)", naive_s, naive_s, naive_reader))

    timer = StatementTimer(engine)
    t0 = time.perf_counter()
    report, batched_reader = _with_reader(
        args.url, newest, lambda: retention.run_retention(now=now, engine=engine, policy=policy,
                                                          batch_size=args.batch_size))
    total_s = time.perf_counter() - t0
    rows.append((f"run_retention, batches of {args.batch_size} ({report.batches} transactions)", total_s,
                 report.longest_batch_s, batched_reader))

    with engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).where(s.call.c.start_utc < cutoff)).scalar_one()
        agg_left = conn.execute(sa.select(sa.func.count()).select_from(s.agg_call_total_hour)
                                .where(s.agg_call_total_hour.c.bucket_utc < cutoff)).scalar_one()
    removed = report.kinds["calls"]

    print()
    print(f"{'approach':62} {'total s':>9} {'locks held s':>13} {'ratio':>7} {'reader p50/p95/max ms':>24}")
    for name, took, held, rd in rows:
        ratio = f"{held / naive_s:.3f}" if naive_s and held else ""
        print(f"{name:62} {'' if took is None else f'{took:9.1f}':>9} {'' if held is None else f'{held:13.3f}':>13} "
              f"{ratio:>7} {rd['p50_ms']:7.1f} /{rd['p95_ms']:7.1f} /{rd['max_ms']:7.1f}")
    print()
    print(f"removed {removed.rows:,} calls, {removed.related_rows}; left before the cut-off: {left} calls, "
          f"{agg_left} aggregate rows")
    print(f"longest single statement: {timer.longest * 1000:.0f} ms ({timer.sql}); statements: {timer.count:,}")
    erasure = _probe(engine) if args.erasure_probe else None
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"cutoff_utc": cutoff.isoformat(), "calls_before": total, "removed": removed.as_json(),
                       "total_s": total_s, "longest_batch_s": report.longest_batch_s,
                       "longest_statement_s": timer.longest, "longest_statement": timer.sql,
                       "batches": report.batches, "naive_single_transaction_s": naive_s,
                       "reader": {"alone": alone, "during_batches": batched_reader,
                                  "during_naive": rows[1][3] if naive_s else None},
                       "left_calls": left, "left_aggregate_rows": agg_left, "erasure_probe": erasure},
                      fh, indent=2, default=str)


if __name__ == "__main__":
    main()

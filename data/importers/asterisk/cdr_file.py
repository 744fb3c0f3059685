"""Asterisk CDR files -> call + call_leg facts: `callboard import asterisk-cdr FILE`.

The file's layout is detected from its first lines (layout.py); it is read from where the
last import of it ended, in batches of whole lines, each parsed (parse.py), grouped into
calls (legs.py) and built (classify.py) — by worker processes for a large file (prepare.py)
— and written with its import position in one transaction (load.py). At the end, what the
import learned of numbers, peers and contexts applies to the calls it contradicts
(rederive.py).
"""

from __future__ import annotations

import collections
import io
import itertools
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data.importers import parallel
from data.importers.asterisk import load
from data.importers.asterisk.layout import detect_layout
from data.importers.asterisk.legs import Leg
from data.importers.asterisk.load import KIND, LoadPlan, commit_prepared, id_reserver
from data.importers.asterisk.parse import RowParser, decode_block, decode_line
from data.importers.asterisk.prepare import BlockResult, init_worker, prepare_block
from data.importers.asterisk.rederive import apply_learned
from data.importers.base import (
    FINGERPRINT_BYTES,
    ImportFailed,
    ImportStats,
    RejectWriter,
    gc_paused,
    location_of,
    open_binary,
    start_file_import,
)
from data.importers.rules import Rules, load_known, load_rules

DEFAULT_BATCH_LINES = 50_000
SAMPLE_LINES = 50


def _sample(fh, n: int = SAMPLE_LINES) -> list[str]:
    pos = fh.tell()
    fh.seek(0)
    out = []
    for raw in fh:
        out.append(decode_line(raw))
        if len(out) >= n:
            break
    fh.seek(pos)
    return out


@gc_paused()
def import_cdr_file(
    engine: sa.Engine,
    path: str | Path,
    *,
    source: str | None = None,
    source_tz: str | ZoneInfo | None = None,
    rules: Rules | str | Path | None = None,
    rejects_path: str | Path | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    progress: bool = False,
    prefetch: bool = True,
    bulk_load: bool | None = None,
    workers: int | None = None,
    defer_aggregates: bool | None = None,
) -> ImportStats:
    """Import (the new part of) an Asterisk CDR CSV file. Raises ImportFailed, having written
    nothing, when the file cannot be read or its layout is not recognised.

    `bulk_load` (PostgreSQL): build the secondary indexes once at the end instead of row by
    row (data.bulk); None decides by the size of the import.
    `workers` (PostgreSQL): processes that parse and build the batches while this one writes
    (data.importers.parallel); None = the cores for a large import, none for a small one.
    `defer_aggregates`: refresh the aggregates once at the end instead of after each batch
    (the hours are marked pending in each batch's transaction); None = for a large import."""
    from callboard.core.settings import get_settings

    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    if source_tz is None:
        tz = get_settings().tz
    elif isinstance(source_tz, ZoneInfo):
        tz = source_tz
    else:
        try:
            tz = ZoneInfo(source_tz)
        except Exception:
            raise ImportFailed(f"unknown time zone {source_tz!r} (use an IANA name such as Europe/Prague or UTC)")

    path = Path(path)
    stats = ImportStats(path=str(path))
    location = location_of(path)
    with open_binary(path) as fh:
        try:
            size = fh.seek(0, io.SEEK_END)
            fh.seek(0)
            sample = _sample(fh)
        except OSError as exc:
            raise ImportFailed(f"{path}: cannot read: {exc}") from exc
        if not any(line.strip() for line in sample):
            stats.layout = "empty"
            return stats
        layout = detect_layout(sample)
        if layout is None:
            raise ImportFailed(
                f"{path}: unknown CDR layout: the first lines are neither cdr_csv (16/17/18/21 columns), "
                "cdr_custom, nor a CDR export with a header row; nothing imported"
            )
        stats.layout = layout.label
        parser = RowParser(layout, tz)

        source_id, position, lineno = start_file_import(engine, fh, size, source, KIND, location, stats)
        if source_id is None:
            return stats
        # The source's number classes, read once: every batch (in any worker) sees the same.
        with engine.connect() as conn:
            known_before = load_known(conn, source_id)
        rules = rules.with_classes(known_before)

        rejects = RejectWriter(rejects_path, str(path), stats)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=size - position, unit="B", unit_scale=True, desc=path.name, leave=False)
        pg = engine.dialect.name == "postgresql"
        line_bytes = max(1, sum(len(x) + 1 for x in sample) // max(1, len(sample)))
        incoming = (size - position) // line_bytes
        if workers is None:
            workers = parallel.default_workers() if incoming >= load.LARGE_IMPORT_LINES else 0
        if not pg:
            workers = 0  # SQLite gets built rows, which are not worth sending between processes
        try:
            with LoadPlan(engine, source_id, incoming, stats, bulk_load=bulk_load,
                          defer_aggregates=defer_aggregates) as plan:
                fh.seek(0)
                head = fh.read(FINGERPRINT_BYTES)
                meta: collections.deque = collections.deque()
                results = parallel.ordered_map(
                    prepare_block, _read_blocks(fh, position, lineno, batch_lines, meta,
                                                id_reserver(engine) if pg else None), workers=workers,
                    initializer=init_worker, initargs=(layout, str(tz), rules, source_id, pg))
                if prefetch and workers == 0:
                    # Reading and parsing the next batch overlaps with the database writing this one.
                    results = _prefetch(results)
                for res in results:
                    block, block_lineno, end_position, end_lineno = meta.popleft()
                    _commit_block(engine, source_id, res, block, block_lineno, parser, rules, stats, location,
                                  _fp(head, end_position), end_position, end_lineno, plan)
                    stats.lines_read += res.lines
                    stats.blank_lines += res.blank
                    for lno, reason, raw in res.bad:  # after the commit: a failed batch is read again next time
                        rejects.reject(lno, reason, raw)
                    rejects.flush()
                    if bar is not None:
                        bar.update(res.nbytes)
                stats.calls_rederived += apply_learned(engine, source_id, rules, known_before, defer=plan.defer)
                if bar is not None and (plan.bulk or plan.defer):
                    bar.set_description(f"{path.name}: building indexes and aggregates")
        finally:
            rejects.close()
            if bar is not None:
                bar.close()
    return stats


def _read_blocks(fh, position: int, lineno: int, batch_lines: int, meta: collections.deque,
                 reserve: Callable[[int], tuple[int, int]] | None = None):
    """Jobs for prepare_block: blocks of `batch_lines` whole lines from `position` on; for
    each, (block, its first line number - 1, the position and line number after it) is
    appended to `meta` for the writer. With `reserve`, ids for as many calls and legs as
    the block has lines (it cannot have more) are reserved for it; the unused ones are
    left as a gap in the sequence."""
    fh.seek(position)
    first = position == 0
    while True:
        raws = list(itertools.islice(fh, batch_lines))
        if not raws:
            return
        block = b"".join(raws)
        meta.append((block, lineno, position + len(block), lineno + len(raws)))
        call_id, leg_id = reserve(len(raws)) if reserve is not None else (None, None)
        yield block, lineno, first, call_id, leg_id
        first = False
        position += len(block)
        lineno += len(raws)


def _commit_block(engine, source_id, res: BlockResult, block, block_lineno, parser, rules, stats, location, fp,
                  position, lineno, plan: LoadPlan) -> None:
    lines: list[str] = []

    def reread(j: int) -> Leg:  # leg j's line again (a call found stored: rare)
        if not lines:
            lines.extend(decode_block(block))
        return parser.leg(lines[j], block_lineno + j + 1)

    commit_prepared(engine, source_id, res, reread, rules, stats, location, fp, position, lineno, plan)


def _prefetch(gen, depth: int = 1):
    """Run a generator one item ahead in a thread (its work overlaps the consumer's I/O)."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def run() -> None:
        try:
            for item in gen:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    th = threading.Thread(target=run, name="cdr-reader", daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            th.join(timeout=0.05)


def _fp(head: bytes, position: int) -> str:
    import hashlib as _h

    part = head[: min(len(head), position)]
    return f"{len(part)}:{_h.sha256(part).hexdigest()}"



"""A batch of CDR lines (or CDR table rows) made into calls without the database: what the
import's worker processes run (data.importers.parallel, spawned: they find init_worker,
prepare_block and prepare_rows by this module's path), or the importing process itself for
a small import.

On PostgreSQL the calls and legs come back in binary COPY row format with the ids reserved
for them (data.bulk), so the importing process only looks up the few calls that may already
be stored (load.KnownCalls), streams the rest and commits. On a 2-core machine the import is
CPU-bound: see bench/import_throughput.py for where the time goes.
"""

from __future__ import annotations

import array
import gc
from zoneinfo import ZoneInfo

from data import bulk
from data import schema as s
from data.importers.asterisk.classify import CALL_COLS, LEG_COLS
from data.importers.asterisk.layout import Layout
from data.importers.asterisk.legs import Leg, Prepared
from data.importers.asterisk.parse import RowParser, decode_block
from data.importers.rules import Rules


class BlockResult:
    """One batch of lines turned into calls without the database (see prepare_block).

    In-process (`encoded` False): `prepared` holds the legs grouped by call and the built
    rows. Encoded (PostgreSQL): the calls and legs in binary COPY row format with the ids
    reserved for the block (call i has id call_id_base + i), ready to be streamed:
    `call_blob` / `leg_blob` with each row's end offset in `call_ends` / `leg_ends`,
    `call_nlegs[i]` how many legs (in order) belong to call i and `leg_line[j]` the line
    (index into the block's lines) of leg j, from which the importing process re-reads the
    few calls that turn out to be stored already."""

    __slots__ = ("lines", "blank", "nbytes", "bad", "duplicates", "uids", "lo", "hi", "prepared",
                 "encoded", "call_id_base", "call_blob", "call_ends", "leg_blob", "leg_ends", "call_nlegs",
                 "leg_line", "ivr_rows", "learned")


class _BlockWorker:
    """What a worker process needs to prepare blocks (set once per process)."""

    def __init__(self, layout: Layout, tz_name: str, rules: Rules, source_id: int, encode: bool) -> None:
        self.layout, self.rules, self.source_id, self.encode = layout, rules, source_id, encode
        self.parser = RowParser(layout, ZoneInfo(tz_name))
        if encode:
            self.encode_call = bulk.binary_row_encoder(s.call, ("id",) + CALL_COLS)
            self.encode_leg = bulk.binary_row_encoder(s.call_leg, ("id",) + LEG_COLS)

    def prepare(self, job: tuple) -> BlockResult:
        """job: (block, line number before it, first block of the file?, first reserved call
        id, first reserved leg id); the ids are None when not encoding."""
        block, lineno, first, call_id, leg_id = job
        layout = self.layout
        header_pending = layout.header and first
        res = BlockResult()
        res.nbytes = len(block)
        lines = decode_block(block)
        linenos: list[int] = []
        texts: list[str] = []
        idx: list[int] = []
        blank = 0
        for i, line in enumerate(lines):
            if header_pending and line.strip():
                header_pending = False
                if line == layout.header_line:
                    blank += 1
                    continue
            if not line or line[0] == "#" or not line.strip():
                blank += 1
            else:
                linenos.append(lineno + i + 1)
                texts.append(line)
                idx.append(i)
        res.lines, res.blank = len(lines), blank
        bad: list[tuple[int, str, bytes]] = []
        raws: list[bytes] | None = None

        def reject(k: int, reason: str) -> None:
            nonlocal raws
            if raws is None:
                raws = block.split(b"\n")
            bad.append((linenos[k], reason, raws[idx[k]]))

        legs = self.parser.parse_batch(linenos, texts, reject)
        res.bad = bad
        return self._build(res, legs, lineno, call_id, leg_id)

    def prepare_rows(self, job: tuple) -> BlockResult:
        """job: (rows of a CDR table as lists of text values, row number before them, first
        reserved call id, first reserved leg id) — the --from-db import's batches."""
        rows, rowno, call_id, leg_id = job
        res = BlockResult()
        res.nbytes, res.lines, res.blank = 0, len(rows), 0
        legs, bad = [], []
        make = self.parser.leg_from_fields
        for j, values in enumerate(rows):
            try:
                legs.append(make(values[:], rowno + j + 1))  # leg_from_fields extends its row: keep the batch's as read
            except ValueError as exc:  # BadLine, or a value no field accepts
                bad.append((rowno + j + 1, str(exc), b""))
        res.bad = bad
        return self._build(res, legs, rowno, call_id, leg_id)

    def _build(self, res: BlockResult, legs: list[Leg], lineno: int, call_id: int | None,
               leg_id: int | None) -> BlockResult:
        """Group the legs into calls and build them; encoded, their rows for COPY (leg_line:
        leg.lineno - lineno - 1, the index of its line or row in the batch)."""
        prepared = Prepared(self.source_id, legs, self.rules) if legs else None
        res.duplicates = prepared.duplicates if prepared else 0
        res.uids = list(prepared.groups) if prepared else []
        res.learned = prepared.learned if prepared else {}
        starts = [b[0][2] for b in prepared.built.values()] if prepared else []
        res.lo, res.hi = (min(starts), max(starts)) if starts else (None, None)
        res.encoded = self.encode
        if not self.encode:
            res.prepared = prepared
            return res
        res.prepared = None
        encode_call, encode_leg = self.encode_call, self.encode_leg
        call_buf, leg_buf = bytearray(), bytearray()
        call_ends = array.array("q")
        leg_ends = array.array("q")
        nlegs: list[int] = []
        leg_line = array.array("i")
        first_lineno = lineno + 1
        res.call_id_base = call_id
        ivr_out: list[tuple] = []  # (call index in the block, ivr_choice row without call_id)
        if prepared:
            for n, (uid, (call, leg_rows, ivr_rows)) in enumerate(prepared.built.items()):
                for r in ivr_rows:
                    ivr_out.append((n, r))
                encode_call((call_id,) + call, call_buf)
                call_ends.append(len(call_buf))
                nlegs.append(len(leg_rows))
                for lr in leg_rows:
                    encode_leg((leg_id, call_id) + lr, leg_buf)
                    leg_ends.append(len(leg_buf))
                    leg_id += 1
                call_id += 1
                # build_call sorted the group's legs into the order of its leg rows.
                for l in prepared.groups[uid]:
                    leg_line.append(l.lineno - first_lineno)
        res.ivr_rows = ivr_out
        res.call_blob, res.leg_blob = bytes(call_buf), bytes(leg_buf)
        res.call_ends, res.leg_ends, res.call_nlegs, res.leg_line = call_ends, leg_ends, nlegs, leg_line
        return res


_WORKER: _BlockWorker | None = None
_BLOCKS_DONE = 0


def init_worker(*args) -> None:
    global _WORKER
    _WORKER = _BlockWorker(*args)
    # As in the importing process (base.gc_paused): the collector's passes over the
    # millions of short-lived objects cost a third of a worker's CPU (5.4 -> 3.5 s per 200k
    # lines) and nothing here needs it; a full pass every 20 blocks keeps any stray cycle
    # from piling up over a long file.
    gc.disable()


def prepare_rows(job: tuple) -> BlockResult:
    """Worker entry point for a batch of CDR table rows (see _BlockWorker.prepare_rows)."""
    return _WORKER.prepare_rows(job)


def prepare_block(job: tuple) -> BlockResult:
    """Worker entry point: parse a block of lines and build its calls (no database)."""
    global _BLOCKS_DONE
    res = _WORKER.prepare(job)
    _BLOCKS_DONE += 1
    if _BLOCKS_DONE % 20 == 0 and not gc.isenabled():
        gc.collect()
    return res


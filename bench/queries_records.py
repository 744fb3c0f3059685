"""Bench: the call-records grid and its CSV export (issue 3).

The grid's server work, one statement at a time, each beside the bare SQL of the same
statement (compiled once, run with ``exec_driver_sql`` and fetched as plain tuples, so the
bare number leaves out building and compiling the SQLAlchemy statement):

- ``records.page1``        first page (100 rows) of the one-month, newest-first listing
- ``records.page1_ext``    the same with one extension filter (the busiest extension)
- ``records.page1000``     page 1,000 of the same listing (OFFSET 99,900)
- ``records.count``        the row count the grid runs with the first block (``count_calls``);
  also for twelve months (informational); ``records.count_ext`` with the extension filter
- ``records.grid_first_block[_ext]``  page 1 + count together, what the first block costs

and the export:

- ``records.csv_export.throughput``  ``exporters.csv_export.iter_cdr_csv`` of the 1,000,000
  newest calls (main columns), bytes consumed and dropped; the note gives rows/s
- ``records.csv_export.memory``      one more run under tracemalloc: peak Python
  allocations and the process's RSS growth (the JSON ``extra`` has both)

Targets (issue 3): any page p95 <= 100 ms server time; CSV >= 100,000 rows/s, flat memory.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import sqlalchemy as sa

from bench.harness import APPROACH_BARE, RANGE_MONTH, RANGE_YEAR, register
from data import schema as s
from data.queries.calls import COLUMNS, CallFilter, count_calls, list_calls
from data.scope import Scope

PAGE = 100
DEEP_OFFSET = 99_900  # page 1,000
CSV_ROWS = 1_000_000

_cache: dict = {}


def _month(rng, **kw) -> CallFilter:
    return CallFilter(start_utc=rng.start_utc, end_utc=rng.end_utc, **kw)


def _busiest_extension(ctx, rng) -> str:
    key = ("ext", rng.label)
    if key not in _cache:
        c = s.call.c
        stmt = (sa.select(c.extension).where(c.start_utc >= rng.start_utc, c.start_utc < rng.end_utc,
                                             c.extension.is_not(None))
                .group_by(c.extension).order_by(sa.func.count().desc(), c.extension).limit(1))
        with ctx.engine.connect() as conn:
            _cache[key] = conn.execute(stmt).scalar_one()
    return _cache[key]


def _statements(ctx, rng) -> dict[str, sa.Select]:
    ext = _busiest_extension(ctx, rng)
    every = Scope.everything()
    cols = list(COLUMNS)  # the grid selects every column (the chooser only hides them)
    return {
        "records.page1": list_calls(every, _month(rng), cols, offset=0, limit=PAGE),
        "records.page1_ext": list_calls(every, _month(rng, extensions=(ext,)), cols, offset=0, limit=PAGE),
        "records.page1000": list_calls(every, _month(rng), cols, offset=DEEP_OFFSET, limit=PAGE),
        "records.count": count_calls(every, _month(rng)),
        "records.count_ext": count_calls(every, _month(rng, extensions=(ext,))),
    }


_DESCRIPTIONS = {
    "records.page1": "first 100 rows of the one-month listing, newest first (every column)",
    "records.page1_ext": "the same with one extension filter (the month's busiest extension)",
    "records.page1000": "page 1,000 (OFFSET 99,900 LIMIT 100) of the one-month listing",
    "records.count": "the grid's row count for the range (count_calls)",
    "records.count_ext": "the row count with the extension filter",
}
# The count also for twelve months (a custom range of a year): informational, the
# issue's page target is for one month.
_RANGES = {"records.count": (RANGE_MONTH, RANGE_YEAR)}


def _app(name: str):
    def run(ctx, rng):
        # The builder runs inside the timed work, as in the grid callback.
        return ctx.all(_statements(ctx, rng)[name])

    return run


def _bare_run(name: str):
    def run(ctx, rng):
        key = ("stmt", name, rng.label)
        if key not in _cache:
            stmt = _statements(ctx, rng)[name]
            # render_postcompile: IN lists become one parameter per value, as executed
            compiled = stmt.compile(dialect=ctx.engine.dialect, compile_kwargs={"render_postcompile": True})
            _cache[key] = (str(compiled), dict(compiled.params))
        sql, params = _cache[key]
        with ctx.engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql, params)]

    return run


for _name, _desc in _DESCRIPTIONS.items():
    _r = _RANGES.get(_name, (RANGE_MONTH,))
    register(f"{_name}.app", question=_name, approach="app", ranges=_r,
             description=f"{_desc}: data.queries.calls builder + SQLAlchemy execute")(_app(_name))
    register(f"{_name}.bare_sql", question=_name, approach=APPROACH_BARE, ranges=_r,
             description=f"{_desc}: the same compiled SQL via exec_driver_sql")(_bare_run(_name))


def _first_block(extension: bool):
    def run(ctx, rng):
        """What the grid callback runs for its first block: the page and the count."""
        st = _statements(ctx, rng)
        suffix = "_ext" if extension else ""
        rows = ctx.all(st[f"records.page1{suffix}"])
        ctx.all(st[f"records.count{suffix}"])
        return rows

    return run


register("records.grid_first_block.app", question="records.grid_first_block", approach="app",
         ranges=(RANGE_MONTH,), comparable=False,
         description="the grid's first block: page 1 + count_calls, one month")(_first_block(False))
register("records.grid_first_block_ext.app", question="records.grid_first_block_ext", approach="app",
         ranges=(RANGE_MONTH,), comparable=False,
         description="the grid's first block with the extension filter: page 1 + count")(_first_block(True))


# --------------------------------------------------------------------------- CSV export


class _Count:
    """A result of `n` rows that holds nothing (the harness only takes its len())."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n


def _csv_filter(ctx, rng) -> CallFilter:
    """[start, end of the bench range) where start is the 1,000,000th newest call's start."""
    key = ("csv", rng.label)
    if key not in _cache:
        c = s.call.c
        with ctx.engine.connect() as conn:
            start = conn.execute(sa.select(c.start_utc).where(c.start_utc < rng.end_utc)
                                 .order_by(c.start_utc.desc()).offset(CSV_ROWS - 1).limit(1)).scalar_one()
        _cache[key] = CallFilter(start_utc=start, end_utc=rng.end_utc)
    return _cache[key]


def _export(ctx, rng) -> tuple[int, int]:
    from exporters.csv_export import iter_cdr_csv

    filt = _csv_filter(ctx, rng)
    lines = size = 0
    for chunk in iter_cdr_csv(Scope.everything(), filt, None, engine=ctx.engine, tz=ctx.tz):
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    return lines - 1, size  # minus the header


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@register("records.csv_export.throughput", question="records.csv_export", approach="stream",
          ranges=(RANGE_MONTH,), comparable=False,
          description="iter_cdr_csv (main columns) of the 1,000,000 newest calls; bytes counted and dropped")
def _csv_throughput(ctx, rng):
    t0 = time.perf_counter()
    rows, size = _export(ctx, rng)
    seconds = time.perf_counter() - t0
    runs = ctx.extra.setdefault("rows_per_s_runs", [])
    runs.append(round(rows / seconds))
    ordered = sorted(runs)
    ctx.extra["rows_per_s_p50"] = ordered[len(ordered) // 2]
    ctx.extra["rows_per_s_min"] = ordered[0]
    ctx.extra["csv_mb"] = round(size / 1e6, 1)
    return _Count(rows)


@register("records.csv_export.memory", question="records.csv_export", approach="stream_tracemalloc",
          ranges=(RANGE_MONTH,), comparable=False,
          description="the same export under tracemalloc: peak Python allocations, RSS growth")
def _csv_memory(ctx, rng):
    gc.collect()
    rss0 = _rss_mb()
    tracemalloc.start()
    try:
        rows, _size = _export(ctx, rng)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    ctx.extra.setdefault("tracemalloc_peak_mb", []).append(round(peak, 1))
    ctx.extra.setdefault("rss_delta_mb", []).append(round(_rss_mb() - rss0, 1))
    return _Count(rows)

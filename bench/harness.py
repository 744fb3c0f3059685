"""Benchmark harness: a PostgreSQL database with N calls, and named queries timed on it.

``run_bench`` (behind ``callboard bench``) makes sure the bench database exists and holds
the requested number of calls (loading them with the demo generator if not), then times
every registered query for a one-month and a twelve-month range and prints a table; with
``json_out`` it also writes the numbers, the machine and the database size as JSON.

Queries live in a registry. Each area adds its own in a module ``bench/queries_<area>.py``
(imported automatically)::

    from bench.harness import register

    @register("reports.extension_statistics.aggregates", question="reports.extension_statistics",
              approach="aggregates", description="...")
    def _ext_stats(ctx, rng):
        return ctx.all(extension_statistics(Scope.everything(), rng.start_utc, rng.end_utc))

A spec's ``run(ctx, rng)`` does the whole piece of work being measured (query, and for
a page also the figure and the table) and returns its result rows (a list or a
DataFrame). Specs of one ``question`` answer the same question in different ways; the
``naive_pandas`` and ``bare_sql`` approaches are the baselines the ratios refer to, and
the results of every ``comparable`` spec of a question must be equal (checked each run).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import math
import os
import pkgutil
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/callboard_bench"
DEFAULT_DAYS = 365  # twelve months of history
LOAD_KEY = "bench.load"  # settings_kv row recording what was loaded

APPROACH_NAIVE = "naive_pandas"
APPROACH_BARE = "bare_sql"
RANGE_MONTH, RANGE_YEAR = "1 month", "12 months"
RANGES = (RANGE_MONTH, RANGE_YEAR)

# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class QuerySpec:
    name: str
    question: str  # specs answering the same question are compared with each other
    approach: str  # aggregates | facts | bare_sql | naive_pandas | ...
    run: Callable[["BenchContext", "BenchRange"], Any]
    description: str = ""
    ranges: tuple[str, ...] = RANGES
    comparable: bool = True  # result must equal the other comparable specs of its question
    guarded: bool = False  # memory/time hungry: long ranges only when estimated to fit


REGISTRY: dict[str, QuerySpec] = {}


def register(name: str, *, question: str, approach: str, description: str = "",
             ranges: tuple[str, ...] = RANGES, comparable: bool = True, guarded: bool = False):
    """Decorator adding ``run(ctx, rng)`` to the registry under ``name``."""

    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"bench query {name!r} registered twice")
        REGISTRY[name] = QuerySpec(name, question, approach, fn, description or (fn.__doc__ or "").strip(),
                                   tuple(ranges), comparable, guarded)
        return fn

    return deco


def load_query_modules() -> None:
    """Import every bench/queries_*.py so their specs register."""
    import bench

    for mod in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if mod.name.startswith("queries_"):
            importlib.import_module(f"bench.{mod.name}")


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class BenchRange:
    label: str
    first_day: date  # local days, inclusive
    last_day: date
    start_utc: datetime  # [start_utc, end_utc) in naive UTC
    end_utc: datetime
    calls: int = 0  # calls starting in the range

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass
class BenchContext:
    engine: sa.Engine
    tz: ZoneInfo
    tz_name: str
    scopes: dict[str, Any] = field(default_factory=dict)  # name -> data.scope.Scope
    scope_notes: dict[str, str] = field(default_factory=dict)  # name -> what it holds
    # Numbers a spec measures beyond time (rows/s, memory): cleared before each spec, copied
    # into its Measurement.extra (JSON) and shown in the table's note.
    extra: dict[str, Any] = field(default_factory=dict)

    def all(self, stmt) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]


@dataclass
class Measurement:
    name: str
    question: str
    approach: str
    range: str
    rows: int | None = None
    runs_ms: list[float] = field(default_factory=list)
    p50_ms: float | None = None
    p95_ms: float | None = None
    min_ms: float | None = None
    ratio_vs_naive: float | None = None  # naive p50 / this p50 (how many times faster)
    ratio_vs_bare_sql: float | None = None  # bare-SQL p50 / this p50
    ratio_vs_naive_estimated: bool = False  # the naive time was estimated, not measured
    warmup: bool = True
    peak_mb: float | None = None  # tracemalloc peak of one run (Python + numpy allocations)
    maxrss_delta_mb: float | None = None  # growth of the process's peak RSS during this spec
    estimated_ms: float | None = None  # guarded specs not run: extrapolated time
    estimated_mb: float | None = None
    agrees: bool | None = None  # result equals the other comparable specs of the question
    skipped: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # what the spec put in ctx.extra


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 5 runs is the slowest run)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _normalize(result) -> list[tuple]:
    """Result rows as sorted tuples of plain values, so approaches can be compared."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(result, pd.DataFrame):
        rows = list(result.itertuples(index=False, name=None))
    else:
        rows = [tuple(r) for r in result]

    def norm(v):
        if v is None:
            return None
        if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
            v = v.item()
        if isinstance(v, (Decimal, float)):
            f = float(v)
            return int(f) if f.is_integer() else round(f, 6)
        if isinstance(v, datetime) and v.time() == datetime.min.time() and type(v) is not datetime:
            return v.date()  # pandas Timestamp at midnight
        return v

    return sorted((tuple(norm(v) for v in r) for r in rows), key=repr)


def _rows(result) -> int:
    return len(result)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _time_spec(spec: QuerySpec, ctx: BenchContext, rng: BenchRange, repeat: int, warmup: bool):
    result = None
    if warmup:
        result = spec.run(ctx, rng)
    runs = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = spec.run(ctx, rng)
        runs.append((time.perf_counter() - t0) * 1000)
    return result, runs


def _measure_memory(spec: QuerySpec, ctx: BenchContext, rng: BenchRange) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        spec.run(ctx, rng)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- database & load


def _admin_engine(url: str) -> sa.Engine:
    admin_url = sa.engine.make_url(url).set(database="postgres")
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")


def ensure_database(url: str, *, recreate: bool = False) -> bool:
    """Create the bench database if missing (or drop and create it). True if created."""
    name = sa.engine.make_url(url).database
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            if recreate:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                return True
            return False
    finally:
        admin.dispose()


def _call_count(engine: sa.Engine) -> int:
    from data import schema as s

    if not sa.inspect(engine).has_table("call"):
        return 0
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar_one()


def _load_record(engine: sa.Engine) -> dict | None:
    from data import schema as s

    if not sa.inspect(engine).has_table("settings_kv"):
        return None
    with engine.connect() as conn:
        return conn.execute(sa.select(s.settings_kv.c.value).where(s.settings_kv.c.key == LOAD_KEY)).scalar()


def generator_available() -> bool:
    try:
        return importlib.util.find_spec("data.demo.generator") is not None
    except ModuleNotFoundError:
        return False


def _bench_end_day(today: date) -> date:
    """Last day of the previous month: loads cover whole calendar months."""
    return today.replace(day=1) - timedelta(days=1)


def load_data(url: str, calls: int, *, days: int = DEFAULT_DAYS, loader: str = "auto",
              end_day: date | None = None) -> dict:
    """Recreate the bench database, migrate it and load about `calls` calls. Returns the load record."""
    from callboard.core.settings import get_settings
    from data import db as dbmod
    from data import schema as s
    from data.migrate import upgrade

    tz = get_settings().tz
    end_day = end_day or _bench_end_day(datetime.now(tz).date())
    if loader == "auto":
        loader = "generator" if generator_available() else "sql"
        if loader == "sql":
            print("WARNING: data.demo.generator is not available; loading synthetic calls with SQL instead.")
    dbmod.dispose_engines()
    ensure_database(url, recreate=True)
    upgrade(url)
    t0 = time.perf_counter()
    record: dict[str, Any] = {"requested_calls": calls, "days": days, "end_day": end_day.isoformat(), "loader": loader}
    if loader == "generator":
        from data.demo import generator as gen
        from data.demo.call_centre import WEEKDAY_FACTOR

        factor = float(sum(WEEKDAY_FACTOR) / len(WEEKDAY_FACTOR))
        # calls_per_day is the mean of a Monday-Friday day; weekends are quieter, so scale it
        # up so that `days` days hold about `calls` calls.
        calls_per_day = max(1, round(calls / days / factor))
        cfg = gen.GeneratorConfig(days=days, calls_per_day=calls_per_day, seed=1, with_audio=False, end_day=end_day)
        print(f"Loading ~{calls:,} calls with the demo generator: {days} days to {end_day}, "
              f"{calls_per_day:,} calls per weekday, seed 1 ...", flush=True)
        stats = gen.generate(cfg, url=url, progress=True)
        print(stats.summary(), flush=True)
        record.update(calls_per_day=calls_per_day, generator_rows=dict(stats.rows), generator_seconds=round(stats.seconds, 1))
    elif loader == "sql":
        engine = dbmod.make_engine(url, statement_timeout_s=0)
        try:
            print(f"Loading {calls:,} synthetic calls with INSERT ... SELECT generate_series ...", flush=True)
            _synthetic_load(engine, calls, days, end_day, tz)
        finally:
            engine.dispose()
    else:
        raise ValueError(f"unknown loader {loader!r} (generator, sql or auto)")
    record["load_seconds"] = round(time.perf_counter() - t0, 1)
    record["schema_revision"] = _head_revision(url)
    t1 = time.perf_counter()
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")  # as autovacuum would leave a settled database
    admin.dispose()
    record["vacuum_analyze_seconds"] = round(time.perf_counter() - t1, 1)
    engine = dbmod.make_engine(url, statement_timeout_s=0)
    try:
        record["calls"] = _call_count(engine)
        record["loaded_utc"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        with engine.begin() as conn:
            conn.execute(s.settings_kv.delete().where(s.settings_kv.c.key == LOAD_KEY))
            conn.execute(s.settings_kv.insert().values(key=LOAD_KEY, value=record))
    finally:
        engine.dispose()
    print(f"Loaded {record['calls']:,} calls in {record['load_seconds']} s "
          f"(+ VACUUM ANALYZE {record['vacuum_analyze_seconds']} s).", flush=True)
    return record


def _synthetic_load(engine: sa.Engine, calls: int, days: int, end_day: date, tz: ZoneInfo) -> None:
    """Plain synthetic calls (no legs or queue paths) when the demo generator is unavailable:
    uniform days, business-hour peaks, 40 extensions in 3 groups, all statuses and directions."""
    from data import aggregates
    from data import schema as s
    from data.timebuckets import local_day_bounds_utc

    first_day = end_day - timedelta(days=days - 1)
    lo, _hi = local_day_bounds_utc(first_day, end_day, tz)
    exts = [str(100 + i) for i in range(40)]
    with engine.begin() as conn:
        conn.execute(s.source.insert().values(id=1, name="bench"))
        conn.execute(s.extension.insert(), [{"source_id": 1, "number": e, "name": f"Ext {e}"} for e in exts])
        conn.execute(s.extension_group.insert(), [{"id": 1, "name": "Back office"}, {"id": 2, "name": "Sales"},
                                                  {"id": 3, "name": "Support"}])
        conn.execute(s.extension_group_member.insert(),
                     [{"group_id": 1, "extension": e} for e in exts[32:]]
                     + [{"group_id": 2, "extension": e} for e in exts[20:32]]
                     + [{"group_id": 3, "extension": e} for e in exts[:20]])
        conn.execute(s.queue.insert(), [{"source_id": 1, "number": q} for q in ("600", "601", "602")])
        conn.execute(sa.text("SELECT setseed(0.42)"))
        conn.execute(sa.text("""
            INSERT INTO call (source_id, call_uid, start_utc, end_utc, direction, status, duration_s,
                              ring_s, talk_s, extension, peer_extension, queue)
            SELECT 1, 'syn-' || g, st, st + make_interval(secs => ring + talk), dir, status, ring + talk,
                   ring, talk, ext, CASE WHEN dir = 'internal' THEN peer END,
                   CASE WHEN dir = 'inbound' AND r1 < 0.6 THEN '60' || (g % 3) END
            FROM (
                SELECT g, r1, dir, ext, peer, status, ring,
                       CASE WHEN status = 'answered' THEN 20 + floor(r2 * 300)::int ELSE 0 END AS talk,
                       :lo + ((g - 1) % :days) * interval '1 day'
                           + (CASE WHEN r1 < 0.85 THEN 25200 + r2 * 43200 ELSE r2 * 86400 END) * interval '1 second' AS st
                FROM (
                    SELECT g, r1, r2,
                           CASE WHEN r3 < 0.6 THEN 'inbound' WHEN r3 < 0.85 THEN 'outbound' ELSE 'internal' END AS dir,
                           CASE WHEN r4 < 0.70 THEN 'answered' WHEN r4 < 0.80 THEN 'no_answer'
                                WHEN r4 < 0.85 THEN 'busy' WHEN r4 < 0.88 THEN 'failed'
                                WHEN r4 < 0.93 THEN 'voicemail' WHEN r4 < 0.99 THEN 'abandoned'
                                ELSE 'congestion' END AS status,
                           (100 + floor(r5 * 40)::int)::text AS ext,
                           (100 + (floor(r5 * 40)::int + 1 + floor(r3 * 39)::int) % 40)::text AS peer,
                           floor(r5 * 30)::int AS ring
                    FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5
                          FROM generate_series(1, :n) g) x
                ) y
            ) z
        """), {"lo": lo, "days": days, "n": calls})
        aggregates.rebuild_all(conn)


def _head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    from data.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def ensure_current(url: str, record: dict | None) -> dict | None:
    """Migrate an already loaded bench database to the newest schema; when the schema
    changed since its aggregates were built (a migration may add rollups), rebuild every
    aggregate from the facts, so the queries never read empty or stale rollups."""
    from data import aggregates
    from data import db as dbmod
    from data import schema as s
    from data.migrate import upgrade

    head = _head_revision(url)
    if record is not None and record.get("schema_revision") == head:
        return record
    upgrade(url)
    dbmod.dispose_engines()
    engine = dbmod.make_engine(url, statement_timeout_s=0)
    try:
        print(f"Schema is now at {head} (aggregates were built at {(record or {}).get('schema_revision')}): "
              "rebuilding every aggregate from the facts ...", flush=True)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            aggregates.rebuild_all(conn)
        seconds = round(time.perf_counter() - t0, 1)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in s.metadata.sorted_tables:
                if table.name.startswith("agg_") or table.name == "time_hour":
                    conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table.name}"')
        record = dict(record or {})
        record.update(schema_revision=head, aggregates_rebuilt_seconds=seconds,
                      aggregates_rebuilt_utc=datetime.now(timezone.utc).replace(microsecond=0).isoformat())
        with engine.begin() as conn:
            conn.execute(s.settings_kv.delete().where(s.settings_kv.c.key == LOAD_KEY))
            conn.execute(s.settings_kv.insert().values(key=LOAD_KEY, value=record))
        print(f"Aggregates rebuilt in {seconds} s.", flush=True)
    finally:
        engine.dispose()
    return record


# --------------------------------------------------------------------------- ranges & scopes


def _months_back(d: date, months: int) -> date:
    """First day of the month `months` months before d's month."""
    index = d.year * 12 + (d.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def make_ranges(conn: sa.Connection, tz: ZoneInfo) -> dict[str, BenchRange]:
    """Calendar months ending with the month of the last call: the last month, and the
    twelve months up to it (a partial last month stays partial)."""
    from data import schema as s
    from data.timebuckets import local_day_bounds_utc, utc_to_local

    last = conn.execute(sa.select(sa.func.max(s.call.c.start_utc))).scalar()
    last_day = utc_to_local(last, tz).date() if last else datetime.now(tz).date()
    out = {}
    for label, months in ((RANGE_MONTH, 0), (RANGE_YEAR, 11)):
        first_day = _months_back(last_day, months)
        start, end = local_day_bounds_utc(first_day, last_day, tz)
        n = conn.execute(sa.select(sa.func.count()).select_from(s.call).where(
            s.call.c.start_utc >= start, s.call.c.start_utc < end)).scalar_one()
        out[label] = BenchRange(label, first_day, last_day, start, end, n)
    return out


def make_scopes(conn: sa.Connection) -> tuple[dict, dict]:
    """Restricted scopes for the facts path: one extension, one extension group, every extension."""
    from data import schema as s
    from data.scope import Scope

    exts = list(conn.scalars(sa.select(s.extension.c.number).distinct().order_by(s.extension.c.number)))
    if not exts:
        exts = list(conn.scalars(sa.select(s.call.c.extension).where(s.call.c.extension.is_not(None))
                                 .distinct().order_by(s.call.c.extension).limit(200)))
    g, m = s.extension_group, s.extension_group_member
    groups = conn.execute(sa.select(g.c.name, sa.func.count(m.c.extension)).join(m, m.c.group_id == g.c.id)
                          .group_by(g.c.name).order_by(g.c.name)).all()
    scopes, notes = {}, {}
    if exts:
        scopes["one_extension"] = Scope.of(extensions=[exts[0]])
        notes["one_extension"] = f"extension {exts[0]}"
        scopes["all_extensions"] = Scope.of(extensions=exts)
        notes["all_extensions"] = f"all {len(exts)} extensions listed one by one"
    if groups:
        name, members = groups[0]
        scopes["group"] = Scope.of(groups=[name])
        notes["group"] = f"group {name!r} ({members} extensions)"
    return scopes, notes


# --------------------------------------------------------------------------- machine & database facts


def machine_info() -> dict:
    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(("MemTotal", "MemAvailable")):
                key, value = line.split(":", 1)
                info[key.lower() + "_mb"] = round(int(value.split()[0]) / 1024)
        info["loadavg"] = os.getloadavg()
    except OSError:
        pass
    for mod in ("sqlalchemy", "pandas", "psycopg"):
        try:
            info[mod] = importlib.import_module(mod).__version__
        except Exception:  # noqa: BLE001
            pass
    return info


def database_info(engine: sa.Engine) -> dict:
    from data import schema as s

    with engine.connect() as conn:
        info = {
            "server_version": conn.exec_driver_sql("SHOW server_version").scalar(),
            "size_bytes": conn.execute(sa.select(sa.func.pg_database_size(sa.func.current_database()))).scalar(),
            "calls": conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar(),
            "settings": {name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                         for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit",
                                      "max_parallel_workers_per_gather")},
            "tables": {},
        }
        for table in ("call", "call_leg", "queue_call", "agg_call_hour", "agg_queue_hour", "time_hour"):
            size = conn.execute(sa.select(sa.func.pg_total_relation_size(table))).scalar()
            rows = conn.execute(sa.select(sa.func.count()).select_from(s.metadata.tables[table])).scalar()
            info["tables"][table] = {"rows": rows, "total_bytes": size}
    info["size_pretty"] = _mb(info["size_bytes"])
    return info


def _mb(n: float | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _hide_password(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


# --------------------------------------------------------------------------- the run


def run_bench(calls: int = 10_000_000, url: str | None = None, json_out: Path | str | None = None,
              repeat: int = 5, reload: bool = False, *, days: int = DEFAULT_DAYS, loader: str = "auto",
              only: str | None = None, naive_max_mb: float = 3000, naive_max_s: float = 120) -> dict:
    """Make sure the bench database holds `calls` calls, time every registered query, print
    the table and (with json_out) write the JSON. Returns the JSON document."""
    from callboard.core.settings import get_settings
    from data import db as dbmod

    url = url or os.environ.get("CALLBOARD_BENCH_URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        raise SystemExit("callboard bench needs a PostgreSQL URL (it measures the production database)")
    settings = get_settings()
    tz, tz_name = settings.tz, settings.timezone
    repeat = max(1, int(repeat))

    created = ensure_database(url)
    probe = dbmod.make_engine(url, statement_timeout_s=0)
    have = _call_count(probe)
    record = _load_record(probe)
    probe.dispose()
    loaded_now = None
    requested = (record or {}).get("requested_calls", have)
    if reload or created or have == 0 or (have < calls and requested < calls):
        loaded_now = load_data(url, calls, days=days, loader=loader)
        record = loaded_now
    else:
        print(f"Bench database {_hide_password(url)} holds {have:,} calls "
              f"(loaded for {requested:,}); not reloading.", flush=True)
        record = ensure_current(url, record)

    load_query_modules()
    engine = dbmod.make_engine(url, statement_timeout_s=0)
    try:
        with engine.connect() as conn:
            ranges = make_ranges(conn, tz)
            scopes, scope_notes = make_scopes(conn)
        ctx = BenchContext(engine=engine, tz=tz, tz_name=tz_name, scopes=scopes, scope_notes=scope_notes)
        specs = [sp for sp in REGISTRY.values()
                 if not only or any(part.strip() and part.strip() in sp.name for part in only.split(","))]
        for label in RANGES:
            r = ranges[label]
            print(f"Range {label}: local days {r.first_day} .. {r.last_day} ({r.days} days, {r.calls:,} calls)")
        results = _run_specs(specs, ctx, ranges, repeat, naive_max_mb, naive_max_s)
        db_info = database_info(engine)
    finally:
        engine.dispose()

    doc = {
        "generated_utc": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "machine": machine_info(),
        "database": {"url": _hide_password(url), **db_info, "load": record, "loaded_this_run": loaded_now is not None},
        "calls_in_db": db_info["calls"],
        "timezone": tz_name,
        "repeat": repeat,
        "ranges": {label: {"first_day": r.first_day.isoformat(), "last_day": r.last_day.isoformat(), "days": r.days,
                           "start_utc": r.start_utc.isoformat(), "end_utc": r.end_utc.isoformat(), "calls": r.calls}
                   for label, r in ranges.items()},
        "scopes": scope_notes,
        "queries": {sp.name: {"question": sp.question, "approach": sp.approach, "description": sp.description}
                    for sp in specs},
        "results": [asdict(m) for m in results],
    }
    print()
    print(format_table(results, doc))
    if json_out:
        path = Path(json_out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2, default=str))
        print(f"\nJSON written to {path}")
    return doc


def _run_specs(specs: list[QuerySpec], ctx: BenchContext, ranges: dict[str, BenchRange], repeat: int,
               naive_max_mb: float, naive_max_s: float) -> list[Measurement]:
    results: list[Measurement] = []
    by_key: dict[tuple[str, str], Measurement] = {}
    reference: dict[tuple[str, str], list[tuple]] = {}  # (question, range) -> normalized result
    for label in RANGES:
        rng = ranges[label]
        for spec in specs:
            if label not in spec.ranges:
                continue
            m = Measurement(spec.name, spec.question, spec.approach, label)
            results.append(m)
            by_key[(spec.name, label)] = m
            warmup, runs = True, repeat
            if spec.guarded and label != RANGE_MONTH:
                small = by_key.get((spec.name, RANGE_MONTH))
                if small is None or small.p50_ms is None or not ranges[RANGE_MONTH].calls:
                    m.skipped = "no one-month measurement to extrapolate from"
                    continue
                factor = rng.calls / ranges[RANGE_MONTH].calls
                m.estimated_ms = small.p50_ms * factor
                m.estimated_mb = (small.peak_mb or 0) * factor
                if m.estimated_mb > naive_max_mb or m.estimated_ms > naive_max_s * 1000:
                    m.skipped = (f"estimated {m.estimated_ms / 1000:.0f} s and {m.estimated_mb:,.0f} MB "
                                 f"(limits {naive_max_s:.0f} s, {naive_max_mb:,.0f} MB)")
                    _progress(m)
                    continue
                warmup, runs = False, 1  # one cold run: too heavy to repeat
            rss0 = _maxrss_mb()
            ctx.extra = {}
            try:
                result, times = _time_spec(spec, ctx, rng, runs, warmup)
                if spec.approach == APPROACH_NAIVE:
                    m.peak_mb = round(_measure_memory(spec, ctx, rng), 1)
            except Exception as exc:  # noqa: BLE001 - one broken spec must not stop the run
                m.error = f"{type(exc).__name__}: {exc}"[:500]
                _progress(m)
                continue
            m.maxrss_delta_mb = round(_maxrss_mb() - rss0, 1)
            m.extra = dict(ctx.extra)
            m.warmup = warmup
            m.runs_ms = [round(t, 2) for t in times]
            m.p50_ms = round(statistics.median(times), 2)
            m.p95_ms = round(_percentile(times, 0.95), 2)
            m.min_ms = round(min(times), 2)
            m.rows = _rows(result)
            if spec.comparable:
                norm = _normalize(result)
                key = (spec.question, label)
                if key in reference:
                    m.agrees = norm == reference[key]
                else:
                    reference[key] = norm
                    m.agrees = True
            del result
            gc.collect()
            _progress(m)
    # Ratios against the baselines of the same question and range.
    for m in results:
        if m.p50_ms is None:
            continue
        for approach, attr in ((APPROACH_NAIVE, "ratio_vs_naive"), (APPROACH_BARE, "ratio_vs_bare_sql")):
            base = next((b for b in results if b.question == m.question and b.range == m.range
                         and b.approach == approach), None)
            if base is None:
                continue
            base_ms = base.p50_ms if base.p50_ms is not None else base.estimated_ms
            if base_ms:
                setattr(m, attr, round(base_ms / m.p50_ms, 1))
                if attr == "ratio_vs_naive" and base.p50_ms is None:
                    m.ratio_vs_naive_estimated = True
    return results


def _progress(m: Measurement) -> None:
    if m.error:
        print(f"  {m.name} [{m.range}]: ERROR {m.error}", flush=True)
    elif m.skipped:
        print(f"  {m.name} [{m.range}]: skipped ({m.skipped})", flush=True)
    else:
        extra = f", peak {m.peak_mb:,.0f} MB" if m.peak_mb is not None else ""
        print(f"  {m.name} [{m.range}]: p50 {m.p50_ms:,.1f} ms, p95 {m.p95_ms:,.1f} ms, "
              f"{m.rows:,} rows{extra}", flush=True)


def _fmt_ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"


def _fmt_ratio(v: float | None, estimated: bool = False) -> str:
    if v is None:
        return "-"
    return ("~" if estimated else "") + (f"{v:,.0f}x" if v >= 100 else f"{v:,.1f}x")


def format_table(results: list[Measurement], doc: dict | None = None) -> str:
    head = ["query", "range", "rows", "p50 ms", "p95 ms", "min ms", "vs naive", "vs bare SQL", "note"]
    lines = []
    for m in results:
        notes = []
        if m.skipped:
            notes.append(f"skipped: {m.skipped}")
        if m.error:
            notes.append(m.error[:80])
        if m.peak_mb is not None:
            notes.append(f"peak {m.peak_mb:,.0f} MB")
        if not m.warmup and m.p50_ms is not None:
            notes.append("1 cold run")
        if m.agrees is False:
            notes.append("RESULT DIFFERS")
        for key, value in m.extra.items():
            notes.append(f"{key} {value}")
        lines.append([m.name, m.range, "-" if m.rows is None else f"{m.rows:,}", _fmt_ms(m.p50_ms),
                      _fmt_ms(m.p95_ms), _fmt_ms(m.min_ms), _fmt_ratio(m.ratio_vs_naive, m.ratio_vs_naive_estimated),
                      _fmt_ratio(m.ratio_vs_bare_sql), "; ".join(notes)])
    widths = [max(len(str(r[i])) for r in [head] + lines) for i in range(len(head))]
    right = {2, 3, 4, 5, 6, 7}

    def fmt(row):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    out = []
    if doc:
        db = doc["database"]
        out.append(f"Calls in DB: {doc['calls_in_db']:,}   DB size: {db['size_pretty']}   "
                   f"PostgreSQL {db['server_version']}   {doc['machine'].get('cpu_count')} CPUs   "
                   f"repeat {doc['repeat']} (+1 warm-up)   tz {doc['timezone']}")
        for label, r in doc["ranges"].items():
            out.append(f"  {label}: {r['first_day']} .. {r['last_day']} ({r['calls']:,} calls)")
        for name, note in doc.get("scopes", {}).items():
            out.append(f"  scope {name}: {note}")
    out += [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in lines]
    out.append("vs naive / vs bare SQL: that approach's p50 divided by this row's p50 (how many times faster; "
               "~ = naive time extrapolated, not run)")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.harness``: the same as ``callboard bench`` with a few more knobs."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=10_000_000)
    p.add_argument("--database-url", default=None)
    p.add_argument("--json", dest="json_out", default=None)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--reload", action="store_true")
    p.add_argument("--days", type=int, default=DEFAULT_DAYS)
    p.add_argument("--loader", choices=("auto", "generator", "sql"), default="auto")
    p.add_argument("--only", default=None, help="Comma-separated substrings of query names to run.")
    p.add_argument("--naive-max-mb", type=float, default=3000)
    p.add_argument("--naive-max-s", type=float, default=120)
    a = p.parse_args(argv)
    run_bench(calls=a.calls, url=a.database_url, json_out=a.json_out, repeat=a.repeat, reload=a.reload,
              days=a.days, loader=a.loader, only=a.only, naive_max_mb=a.naive_max_mb, naive_max_s=a.naive_max_s)


if __name__ == "__main__":
    # Run inside the importable module, so that bench/queries_*.py (which import
    # bench.harness) register into the same REGISTRY as the one run here.
    from bench.harness import main as _main

    _main()

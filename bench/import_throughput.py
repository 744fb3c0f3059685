"""Import throughput into PostgreSQL: a 1-million-line Master.csv and a 1-million-line queue_log.

    .venv/bin/python -m bench.import_throughput [--lines 1000000] [--keep-files] [--skip-previous]

Each run goes into a fresh database on the local server (dropped afterwards) in its own
process, so peak memory (ru_maxrss) is that run's alone. Printed per run: wall time,
lines/s, lines per CPU-second (this process plus its PostgreSQL backends: the VM is shared,
CPU time is the steadier number) and peak RSS, with ratios:

- the import as it runs by default: worker processes parse and build the batches
  (data/importers/parallel.py), this process streams them with binary COPY, indexes and
  foreign keys are built once at the end (data/bulk.py) and the aggregates are
  refreshed once at the end by two connections;
- serial: the same in one process (a reader thread) with the aggregates refreshed after
  every batch — the import before the worker processes;
- floor: the database's share of the import alone, with the rows already built (binary
  COPY of the finished calls and legs, the indexes and foreign keys, the aggregates): what
  an import could approach if parsing and building cost nothing;
- vs previous: the import with every index maintained row by row, in one process, the
  aggregates after every batch (``bulk_load=False``) — the naive baseline;
- vs bare COPY: PostgreSQL reading the same file with COPY into an UNLOGGED table of text
  columns (no parsing of times, no grouping, no indexes): the floor for any import.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from bench.make_master_csv import _backend_cpu_s

SERVER = os.environ.get("CALLBOARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1")
# A FreePBX-style `cdr` table on MariaDB/MySQL for the --from-db rows (created and filled
# from the generated Master.csv by LOAD DATA, not timed); empty = skip those rows.
MYSQL_SERVER = os.environ.get("CALLBOARD_BENCH_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")
MYSQL_DB = "callboard_bench_cdr"
CDR_TABLE_COLUMNS = (
    "calldate DATETIME NOT NULL, clid VARCHAR(80), src VARCHAR(80), dst VARCHAR(80), dcontext VARCHAR(80), "
    "channel VARCHAR(80), dstchannel VARCHAR(80), lastapp VARCHAR(80), lastdata VARCHAR(80), "
    "duration INT, billsec INT, disposition VARCHAR(45), amaflags INT, accountcode VARCHAR(20), "
    "uniqueid VARCHAR(32), userfield VARCHAR(255), did VARCHAR(50), recordingfile VARCHAR(255), "
    "cnum VARCHAR(80), outbound_cnum VARCHAR(80), linkedid VARCHAR(32), peeraccount VARCHAR(80), sequence INT, "
    "KEY (calldate)")


def _mysql_fill(path: Path, lines: int) -> bool:
    """The MariaDB cdr table holding the Master.csv's rows (loaded once); False without a server."""
    if not MYSQL_SERVER:
        return False
    import pymysql

    u = sa.engine.make_url(MYSQL_SERVER)
    try:
        conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
                               local_infile=True)
    except pymysql.err.OperationalError as exc:
        print(f"no MariaDB/MySQL at {MYSQL_SERVER} ({exc}): --from-db rows skipped", file=sys.stderr)
        return False
    with conn:
        cur = conn.cursor()
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {MYSQL_DB}")
        cur.execute(f"USE {MYSQL_DB}")
        cur.execute(f"CREATE TABLE IF NOT EXISTS cdr ({CDR_TABLE_COLUMNS}) ENGINE=InnoDB")
        cur.execute("SELECT count(*) FROM cdr")
        if cur.fetchone()[0] != lines:
            cur.execute("TRUNCATE cdr")
            cur.execute(
                f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE cdr FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"'"
                " ESCAPED BY '' LINES TERMINATED BY '\n' (accountcode, src, dst, dcontext, clid, channel, dstchannel,"
                " lastapp, lastdata, @start, @answer, @end, duration, billsec, disposition, amaflags, uniqueid,"
                " userfield, peeraccount, linkedid, sequence) SET calldate = @start")
            conn.commit()
    return True


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(SERVER.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as c:
        c.execute(sql)


def run_one(kind: str, path: str, dbname: str) -> dict:
    """One measured run (in a child process)."""
    import sqlalchemy as sa

    from data import db
    from data.migrate import upgrade

    url = f"{SERVER}/{dbname}"
    upgrade(url)
    engine = db.get_engine(url)
    dumps = _floor_setup(engine, path) if kind == "floor-cdr" else None
    with engine.connect() as conn:
        pids = list(conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                 {"d": dbname}).scalars())
    cpu_pg0 = _backend_cpu_s(pids)
    def children_cpu() -> float:  # the worker processes, once they have exited
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    wall0, cpu0, child0 = time.perf_counter(), time.process_time(), children_cpu()
    lines = calls = 0
    phases: dict[str, float] = {}
    if kind in ("bare-cdr", "bare-qlog"):
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if kind == "bare-cdr":
                cols = ", ".join(f"c{i} text" for i in range(21))
                cur.execute(f"CREATE UNLOGGED TABLE bare_stage ({cols})")
                copy_sql = "COPY bare_stage FROM STDIN (FORMAT csv)"
            else:
                cur.execute("CREATE UNLOGGED TABLE bare_stage (line text)")
                copy_sql = "COPY bare_stage FROM STDIN (FORMAT text, DELIMITER E'\\x01')"
            with open(path, "rb") as fh, cur.copy(copy_sql) as cp:
                while chunk := fh.read(1 << 20):
                    cp.write(chunk)
            lines = cur.execute("SELECT count(*) FROM bare_stage").fetchone()[0]
            raw.commit()
        finally:
            raw.close()
    elif kind in ("cdr", "cdr-serial", "cdr-previous"):
        from data.importers.asterisk.cdr_file import import_cdr_file

        opts = {"cdr": {},
                "cdr-serial": {"workers": 0, "defer_aggregates": False},
                "cdr-previous": {"workers": 0, "defer_aggregates": False, "bulk_load": False}}[kind]
        stats = import_cdr_file(engine, path, source_tz="Europe/Prague", **opts)
        lines, calls = stats.lines_read, stats.calls_added
    elif kind == "floor-cdr":
        from data import aggregates
        from data import bulk
        from data import schema as s

        t = time.perf_counter()
        with engine.begin() as conn:
            for table, data in dumps.items():
                target = s.metadata.tables[table]
                bulk.copy_encoded_rows(conn, target, tuple(c.name for c in target.c),
                                       [data[19:-2]])  # the dump without its signature and trailer
            lo, hi = conn.execute(sa.select(sa.func.min(s.call.c.start_utc), sa.func.max(s.call.c.start_utc))).one()
            aggregates.mark_pending(conn, lo, hi)
        phases["load rows"] = time.perf_counter() - t
        t = time.perf_counter()
        bulk.restore_indexes(engine)
        phases["indexes + foreign keys"] = time.perf_counter() - t
        t = time.perf_counter()
        aggregates.refresh_pending(engine, rebuild_indexes=True)
        phases["aggregates"] = time.perf_counter() - t
        with engine.connect() as conn:
            lines = conn.execute(sa.text("SELECT count(*) FROM call_leg")).scalar()
            calls = conn.execute(sa.text("SELECT count(*) FROM call")).scalar()
    elif kind == "bare-mysql":
        src = sa.create_engine(f"{MYSQL_SERVER}/{MYSQL_DB}")
        with src.connect() as sconn:
            result = sconn.execution_options(stream_results=True, yield_per=50_000).execute(sa.text("SELECT * FROM cdr"))
            for part in result.partitions(50_000):
                lines += len(part)
        src.dispose()
    elif kind == "cdr-mysql":
        from data.importers.asterisk.cdr_db import import_cdr_db

        stats = import_cdr_db(engine, f"{MYSQL_SERVER}/{MYSQL_DB}", source_tz="Europe/Prague")
        lines, calls = stats.lines_read, stats.calls_added
    elif kind == "qlog":
        from data.importers.queue_log import import_queue_log_file

        stats = import_queue_log_file(engine, path)
        lines, calls = stats.lines_read, stats.calls_added
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    cpu_workers = children_cpu() - child0
    with engine.connect() as conn:
        pids = list(conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                 {"d": dbname}).scalars())
    cpu_pg = max(0.0, _backend_cpu_s(pids) - cpu_pg0)
    engine.dispose()
    return {"kind": kind, "lines": lines, "calls": calls, "wall_s": wall, "python_cpu_s": cpu + cpu_workers,
            "worker_cpu_s": cpu_workers, "pg_cpu_s": cpu_pg,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "phases": phases}


def _floor_setup(engine, path: str) -> dict[str, bytes]:
    """For the floor run: import the file (not timed), keep its calls and legs as binary COPY
    dumps, and empty the database again with the indexes dropped as a bulk import does. The
    timed part then does only the database's share of an import: load the finished rows,
    build the indexes and foreign keys, refresh the aggregates."""
    from data import bulk
    from data.importers.asterisk.cdr_file import import_cdr_file

    import_cdr_file(engine, path, source_tz="Europe/Prague")
    dumps = {}
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table in ("call", "call_leg"):
            buf = bytearray()
            with cur.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as cp:
                for chunk in cp:
                    buf += chunk
            dumps[table] = bytes(buf)
        agg = [r[0] for r in cur.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'agg_%'")]
        cur.execute(f"TRUNCATE call, call_leg, {', '.join(agg)} CASCADE")
        raw.commit()
    finally:
        raw.close()
    bulk.drop_indexes(engine, keep_start_index=False)
    return dumps


def measure(kind: str, path: str) -> dict:
    dbname = f"callboard_imp_{os.getpid()}_{kind.replace('-', '_')}"
    _admin(f"DROP DATABASE IF EXISTS {dbname}")
    _admin(f"CREATE DATABASE {dbname}")
    try:
        out = subprocess.run([sys.executable, "-m", "bench.import_throughput", "--run", kind, path, dbname],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        _admin(f"DROP DATABASE IF EXISTS {dbname}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--dir", default="/tmp", help="Where the generated files go.")
    ap.add_argument("--keep-files", action="store_true")
    ap.add_argument("--skip-previous", action="store_true", help="Skip the slow row-by-row-index run.")
    ap.add_argument("--run", nargs=3, metavar=("KIND", "PATH", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run_one(*args.run)))
        return

    from bench.make_master_csv import generate, generate_queue_log

    cdr = Path(args.dir) / f"bench-Master-{args.lines}.csv"
    qlog = Path(args.dir) / f"bench-queue_log-{args.lines}"
    if not cdr.exists():
        generate(str(cdr), args.lines)
    if not qlog.exists():
        generate_queue_log(str(qlog), args.lines)

    plan = [("bare-cdr", cdr), ("floor-cdr", cdr), ("cdr", cdr), ("cdr-serial", cdr)] + ([] if args.skip_previous else [("cdr-previous", cdr)])
    if _mysql_fill(cdr, args.lines):
        plan += [("bare-mysql", cdr), ("cdr-mysql", cdr)]
    plan += [("bare-qlog", qlog), ("qlog", qlog)]
    res = {}
    for kind, path in plan:
        print(f"running {kind} on {path} ...", file=sys.stderr, flush=True)
        res[kind] = measure(kind, str(path))

    names = {"bare-cdr": "Master.csv: bare COPY (bare SQL)", "cdr": "Master.csv: import (default)",
             "cdr-serial": "Master.csv: import, one process (serial)",
             "floor-cdr": "Master.csv: database share only (rows prebuilt)",
             "cdr-previous": "Master.csv: import, indexes row by row (previous)",
             "bare-mysql": "MariaDB cdr table: reading the rows (bare SQL)",
             "cdr-mysql": "MariaDB cdr table: import --from-db",
             "bare-qlog": "queue_log: bare COPY (bare SQL)", "qlog": "queue_log: import"}
    print(f"\n{'run':52} {'lines':>9} {'calls':>8} {'wall s':>7} {'lines/s':>9} {'py CPU s':>8} {'pg CPU s':>8} "
          f"{'lines/CPU-s':>11} {'peak MB':>8} {'worker MB':>9} {'vs previous':>11} {'vs bare':>8}")
    for kind, r in res.items():
        lps = r["lines"] / r["wall_s"]
        cpu = r["python_cpu_s"] + r["pg_cpu_s"]
        prev = res.get("cdr-previous") if kind.startswith("cdr") and kind != "cdr-mysql" else None
        bare = res["bare-mysql" if "mysql" in kind else "bare-cdr" if "cdr" in kind else "bare-qlog"]
        vs_prev = f"{prev['wall_s'] / r['wall_s']:.2f}x" if prev and kind != "cdr-previous" else "-"
        vs_bare = f"{r['wall_s'] / bare['wall_s']:.1f}x" if not kind.startswith("bare") else "1.0x"
        print(f"{names[kind]:52} {r['lines']:>9,} {r['calls']:>8,} {r['wall_s']:>7.1f} {lps:>9,.0f} "
              f"{r['python_cpu_s']:>8.1f} {r['pg_cpu_s']:>8.1f} {r['lines'] / cpu if cpu else 0:>11,.0f} {r['peak_rss_mb']:>8.0f} "
              f"{r.get('worker_peak_rss_mb', 0) if r.get('worker_cpu_s') else 0:>9.0f} {vs_prev:>11} {vs_bare:>8}")
    for kind, r in res.items():
        if r.get("phases"):
            print(f"  {names[kind]}: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items()))
    print("\nvs previous = previous wall / this wall (higher is better); vs bare = this wall / bare COPY wall."
          "\nOn a shared VM compare lines/CPU-s (this process, its worker processes and its PostgreSQL backends):"
          " wall time follows the load. py CPU s includes the workers; worker MB = the largest worker's peak RSS.")
    if not args.keep_files:
        cdr.unlink(missing_ok=True)
        qlog.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

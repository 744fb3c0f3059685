"""Wallboard load and soak: N wall displays refreshing every few seconds against the real
server (gunicorn, ``callboard serve``) on the bench database, with the live simulator
writing calls meanwhile.

What it does
1. Makes a display token for the queues (in the bench database), starts
   ``callboard simulate --live`` and ``callboard serve`` on it (unless --base-url names a
   running server; then CPU / RSS are not measured).
2. Baselines in this process, while the simulator runs: the wallboard snapshot cached
   (what 50 displays share), uncached on the aggregates (agg_queue_hour), uncached on the
   facts (queue_call), a naive pandas one (today's queue calls fetched and counted in
   pandas), a naive SQL one (today's numbers from the 10M-row call table by a local-day
   expression no index serves: a full scan) and bare SQL (the snapshot's aggregate
   statement through the driver, no SQLAlchemy result processing).
3. Load from this (second) process: asyncio + aiohttp, one client (own cookies) per
   display; each opens /wallboard?token=... once (display cookie + CSRF cookie, as a
   browser) and then replays the page's refresh callback (POST /_dash-update-component,
   X-CSRFToken) every --interval seconds, starts spread over one interval. Latency is the
   full HTTP round trip; an error is a non-200, a timeout (10 s) or a response without the
   queue tiles.
4. Prints a table: per window (--window s) and overall p50 / p95 / p99 / max, errors,
   server CPU (gunicorn master + workers, % of one core) and RSS at start / end. With
   --csv, one line per window is appended as it happens (for day-long soaks).

    .venv/bin/python -m bench.wallboard_load --duration 600            # the 10-minute load
    bench/soak.sh 86400                                                  # a day
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = os.environ.get("CALLBOARD_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/callboard_bench")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (ms)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


# --------------------------------------------------------------------------- server processes


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += _children(p)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        except OSError:
            pass
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


# --------------------------------------------------------------------------- baselines


def _timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def baselines(url: str, queues: list[str], repeat: int) -> list[tuple[str, list[float]]]:
    import pandas as pd
    import sqlalchemy as sa

    from callboard.core.settings import get_settings
    from data import db, live, metrics
    from data import schema as s
    from data.queries.queues import queue_stats
    from data.queries.report_filter import ReportFilter
    from data.scope import Scope

    engine = db.get_engine(url)
    tz = get_settings().tz
    scope = Scope.everything()
    day = live.today_bounds(tz, live.utcnow())
    start, end = ReportFilter(first_day=day, last_day=day).bounds(tz)

    def naive_pandas():
        qc = s.queue_call
        df = db.fetch_df(sa.select(qc.c.queue, qc.c.outcome, qc.c.wait_s).where(
            qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.queue.in_(queues)), engine)
        waiting = db.fetch_df(sa.select(s.live_queue_call), engine)
        out = {}
        for q in queues:
            part = df[df["queue"] == q]
            short = int(((part["outcome"] == "abandoned") & (part["wait_s"] < metrics.DEFAULT_SHORT_ABANDON_S)).sum())
            out[q] = (len(part) - short, int((part["outcome"] == "answered").sum()),
                      int((waiting["queue"] == q).sum()) if not waiting.empty else 0)
        return out

    def naive_sql_call_table():
        # "Today" as a local-day expression on every row: no index serves it (a full scan).
        c = s.call
        local_day = sa.func.date(sa.func.timezone(str(tz), sa.func.timezone("UTC", c.c.start_utc)))
        return db.fetch_all(sa.select(c.c.queue, sa.func.count(), metrics.count_answered(c.c.status))
                            .where(local_day == day, c.c.queue.in_(queues)).group_by(c.c.queue), engine)

    flt = ReportFilter(first_day=day, last_day=day, by="queue", queues=tuple(queues))
    bare = str(queue_stats(scope, flt, tz, path="aggregate").compile(
        engine, compile_kwargs={"literal_binds": True}))

    def bare_sql():
        with engine.connect() as conn:
            cur = conn.connection.driver_connection.cursor()
            cur.execute(bare)
            cur.fetchall()
            cur.execute("SELECT queue, count(*), min(enter_utc) FROM live_queue_call WHERE answer_utc IS NULL "
                        "GROUP BY queue")
            cur.fetchall()

    runs = [
        ("snapshot, cached (what the server serves)", lambda: live.wallboard_snapshot(scope, queues, tz, engine=engine)),
        ("snapshot, uncached, aggregates", lambda: live.build_snapshot(scope, queues, tz, engine=engine,
                                                                        path="aggregate")),
        ("snapshot, uncached, facts (queue_call)", lambda: live.build_snapshot(scope, queues, tz, engine=engine,
                                                                                path="facts")),
        ("naive pandas (today's queue calls)", naive_pandas),
        ("bare SQL (aggregate + live, driver)", bare_sql),
    ]
    out = [(name, _timed(fn, repeat)) for name, fn in runs]
    out.append(("naive SQL on call table (full scan)", _timed(naive_sql_call_table, 1)))  # seconds each: once
    return out


# --------------------------------------------------------------------------- load


@dataclass
class Sample:
    at: float  # monotonic send time
    ms: float
    ok: bool
    why: str = ""


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)


def refresh_body(cfg: dict, n: int) -> dict:
    outputs = [{"id": "wb-board", "property": "children"}, {"id": "wb-data", "property": "data"},
               {"id": "wb-footer", "property": "children"}]
    return {
        "output": "..wb-board.children...wb-data.data...wb-footer.children..",
        "outputs": outputs,
        "inputs": [{"id": "wb-refresh", "property": "n_intervals", "value": n}],
        "changedPropIds": ["wb-refresh.n_intervals"],
        "state": [{"id": "wb-config", "property": "data", "value": cfg}],
    }


async def display(i: int, base: str, token: str, queues: list[str], interval: float, stop_at: float,
                  offset: float, results: Results) -> None:
    import aiohttp

    cfg = {"waiting_amber": 3, "waiting_red": 6, "wait_amber": 60, "wait_red": 120, "sl_amber": 80, "sl_red": 60,
           "refresh": interval, "cols": 0, "queues": queues, "layout": "grid", "token": token, "lang": "en"}
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(base_url=base, timeout=timeout,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await asyncio.sleep(offset)
        while time.monotonic() < stop_at:  # open the page (a display retries until it loads)
            t0 = time.monotonic()
            try:
                async with session.get(f"/wallboard?token={token}&queues={','.join(queues)}") as resp:
                    await resp.read()
                    if resp.status == 200:
                        break
                    why = f"open: HTTP {resp.status}"
            except Exception as exc:  # noqa: BLE001 — counted as an error
                why = f"open: {exc.__class__.__name__}"
            results.samples.append(Sample(t0, (time.monotonic() - t0) * 1000, False, why))
            await asyncio.sleep(interval)
        n, next_at = 0, time.monotonic()
        while next_at < stop_at:
            n += 1
            csrf = next((c.value for c in session.cookie_jar if c.key == "_csrf_token"), "")
            t0 = time.monotonic()
            try:
                async with session.post("/_dash-update-component", json=refresh_body(cfg, n),
                                        headers={"X-CSRFToken": csrf}) as resp:
                    body = await resp.read()
                    ms = (time.monotonic() - t0) * 1000
                    ok = resp.status == 200 and b"data-queue" in body
                    results.samples.append(Sample(t0, ms, ok, "" if ok else f"HTTP {resp.status}"))
            except Exception as exc:  # noqa: BLE001
                results.samples.append(Sample(t0, (time.monotonic() - t0) * 1000, False, exc.__class__.__name__))
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def run_load(base, token, queues, displays, interval, duration, on_window, window_s) -> Results:
    results = Results()
    start = time.monotonic()
    stop_at = start + duration

    async def reporter():
        w = 0
        while time.monotonic() < stop_at:
            await asyncio.sleep(min(window_s, max(0.1, stop_at - time.monotonic())))
            w += 1
            on_window(w, results, start)

    tasks = [display(i, base, token, queues, interval, stop_at, i * interval / displays, results)
             for i in range(displays)]
    await asyncio.gather(reporter(), *tasks)
    return results


def summarize(samples: list[Sample]) -> dict:
    ms = [s.ms for s in samples if s.ok]
    return {"requests": len(samples), "errors": sum(1 for s in samples if not s.ok),
            "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99), "max": max(ms) if ms else float("nan")}


# --------------------------------------------------------------------------- main


def wait_healthy(base: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception:  # noqa: BLE001 — not up yet
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server at {base} did not become healthy")
        time.sleep(0.5)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--base-url", help="a running server (then no server / simulator is started, no CPU / RSS)")
    ap.add_argument("--token", help="display token (default: a new one for --queues)")
    ap.add_argument("--port", type=int, default=8193)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--displays", type=int, default=50)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--window", type=float, default=60.0, help="seconds per reported window")
    ap.add_argument("--queues", default="600,601,602")
    ap.add_argument("--baseline-repeat", type=int, default=20)
    ap.add_argument("--no-simulator", action="store_true")
    ap.add_argument("--csv", type=Path, help="append one line per window (soak log)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    os.environ["CALLBOARD_DATABASE_URL"] = args.database_url
    from callboard.core.settings import reset_settings_cache

    reset_settings_cache()
    queues = [q for q in args.queues.split(",") if q]
    procs: list[subprocess.Popen] = []
    logs = ROOT / "bench" / "results"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CALLBOARD_DATABASE_URL=args.database_url)
    server_pid = None
    try:
        token = args.token
        if token is None:
            from data.access import display_tokens

            token = display_tokens.create(f"bench {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}", queues)
        base = args.base_url
        if base is None:
            base = f"http://127.0.0.1:{args.port}"
            server = subprocess.Popen([sys.executable, "-m", "callboard.cli", "serve", "--workers", str(args.workers),
                                       "--port", str(args.port)], cwd=ROOT, env=env,
                                      stdout=(logs / "server.log").open("ab"), stderr=subprocess.STDOUT,
                                      start_new_session=True)
            procs.append(server)
            server_pid = server.pid
        wait_healthy(base)
        # After the server: both migrate the database on start, and two migrations at once race.
        if not args.no_simulator:
            procs.append(subprocess.Popen([sys.executable, "-m", "callboard.cli", "simulate", "--live",
                                           "--min-calls-per-hour", "60", "--database-url", args.database_url],
                                          cwd=ROOT, env=env, stdout=(logs / "simulator.log").open("ab"),
                                          stderr=subprocess.STDOUT, start_new_session=True))
        time.sleep(5)  # let the simulator write its first flush

        print(f"baselines ({args.baseline_repeat} runs each, in this process)...", flush=True)
        base_rows = baselines(args.database_url, queues, args.baseline_repeat)

        pids = process_tree(server_pid) if server_pid else []
        rss_start, cpu_start, t_start = rss_mb(pids), cpu_seconds(pids), time.monotonic()
        windows: list[dict] = []

        def on_window(w, results, start):
            nonlocal pids
            lo, hi = start + (w - 1) * args.window, start + w * args.window
            part = summarize([s for s in results.samples if lo <= s.at < hi])
            pids = process_tree(server_pid) if server_pid else []
            part.update(window=w, rss_mb=rss_mb(pids),
                        cpu_pct=100 * (cpu_seconds(pids) - cpu_start) / max(1e-9, time.monotonic() - t_start))
            windows.append(part)
            line = (f"window {w:4d}: {part['requests']:6d} req  p50 {part['p50']:7.1f}  p95 {part['p95']:7.1f}  "
                    f"p99 {part['p99']:7.1f} ms  errors {part['errors']:4d}  server RSS {part['rss_mb']:6.1f} MB  "
                    f"CPU {part['cpu_pct']:5.1f} %")
            print(line, flush=True)
            if args.csv:
                new = not args.csv.exists()
                with args.csv.open("a") as fh:
                    if new:
                        fh.write("utc,window,requests,errors,p50_ms,p95_ms,p99_ms,rss_mb,cpu_pct\n")
                    fh.write(f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S},{w},{part['requests']},{part['errors']},"
                             f"{part['p50']:.1f},{part['p95']:.1f},{part['p99']:.1f},{part['rss_mb']:.1f},"
                             f"{part['cpu_pct']:.1f}\n")

        print(f"load: {args.displays} displays every {args.interval:g} s for {args.duration:g} s on {base}",
              flush=True)
        results = asyncio.run(run_load(base, token, queues, args.displays, args.interval, args.duration,
                                       on_window, args.window))
        elapsed = time.monotonic() - t_start
        pids = process_tree(server_pid) if server_pid else []
        rss_end, cpu_end = rss_mb(pids), cpu_seconds(pids)
        overall = summarize(results.samples)
        errors = {}
        for s in results.samples:
            if not s.ok:
                errors[s.why] = errors.get(s.why, 0) + 1

        print()
        print(f"{'what':48s} {'n':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'errors':>7s}")
        print(f"{'HTTP refresh, ' + str(args.displays) + ' displays / ' + format(args.interval, 'g') + ' s':48s} "
              f"{overall['requests']:7d} {overall['p50']:8.1f} {overall['p95']:8.1f} {overall['p99']:8.1f} "
              f"{overall['max']:8.1f} {overall['errors']:7d}")
        ours = statistics.median(base_rows[1][1])  # what one cache miss costs (once per scope + queues / 2 s)
        for name, ms in base_rows:
            print(f"{name:48s} {len(ms):7d} {pct(ms, 50):8.1f} {pct(ms, 95):8.1f} {pct(ms, 99):8.1f} {max(ms):8.1f}"
                  f"       -   ({pct(ms, 50) / max(ours, 1e-6):,.2f} x the uncached aggregate snapshot)")
        if server_pid:
            print(f"server CPU: {100 * (cpu_end - cpu_start) / elapsed:.1f} % of one core over {elapsed:.0f} s "
                  f"({os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f})")
            print(f"server RSS: {rss_start:.1f} MB at start, {rss_end:.1f} MB at end "
                  f"({rss_end - rss_start:+.1f} MB)")
        if errors:
            print("errors:", ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())))
        if args.json:
            args.json.write_text(json.dumps({
                "displays": args.displays, "interval_s": args.interval, "duration_s": args.duration,
                "overall": overall, "windows": windows, "errors": errors,
                "baselines": {n: {"p50": pct(ms, 50), "p95": pct(ms, 95), "runs": len(ms)} for n, ms in base_rows},
                "server": {"cpu_pct": 100 * (cpu_end - cpu_start) / elapsed if server_pid else None,
                           "rss_start_mb": rss_start, "rss_end_mb": rss_end, "workers": args.workers},
                "loadavg": os.getloadavg(), "cpus": os.cpu_count(),
            }, indent=2, default=str))
        return 0 if overall["errors"] == 0 else 1
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())

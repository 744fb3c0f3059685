"""Write a large, realistic cdr_csv Master.csv (21 columns) for the import benchmark.

    python bench/make_master_csv.py /tmp/Master.csv --lines 1000000 [--seed 1]
    python bench/make_master_csv.py /tmp/Master.csv --import-into postgresql+psycopg://postgres@127.0.0.1/bench_cdr

With --queue-log, a queue_log of the same size instead (queue calls, ring attempts, pauses).
With --import-into, the (existing, empty) database is migrated, then the file is imported
once and lines/s, wall and CPU time (this process and the PostgreSQL backends) and peak
memory are printed.

Calls of 1 to 4 rows (parallel ring legs, Local-channel halves of queue calls, voicemail
after no answer), inbound / outbound / internal, written in end order as Asterisk does.
Deterministic for a seed. Times are local (Europe/Prague), 08:00-18:00, from 2026-03-02.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def _row(src, dst, ctx, clid, chan, dchan, app, data, start, answer, end, disp, uid, linkedid, seq) -> str:
    dur = int((end - start).total_seconds())
    bill = int((end - answer).total_seconds()) if answer else 0
    fmt = "%Y-%m-%d %H:%M:%S"
    return ",".join([
        '""', _q(src), _q(dst), _q(ctx), _q(clid), _q(chan), _q(dchan), _q(app), _q(data),
        _q(start.strftime(fmt)), _q(answer.strftime(fmt)) if answer else "", _q(end.strftime(fmt)),
        str(dur), str(bill), _q(disp), '"DOCUMENTATION"', _q(uid), '""', '""', _q(linkedid), str(seq),
    ]) + "\n"


def generate(path: str, lines: int, seed: int = 1) -> int:
    rnd = random.Random(seed)
    t = datetime(2026, 3, 2, 8, 0, 0)
    chan_no = 0
    seq = 0
    written = 0
    exts = [str(100 + i) for i in range(60)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        while written < lines:
            t += timedelta(seconds=rnd.randint(1, 12))
            if t.hour >= 18:
                t = (t + timedelta(days=1)).replace(hour=8, minute=0, second=0)
            base = f"{int(t.timestamp())}.{chan_no}"
            kind = rnd.random()
            rows: list[tuple[datetime, str]] = []

            def chan(name: str) -> str:
                nonlocal chan_no
                chan_no += 1
                return f"PJSIP/{name}-{chan_no:08x}"

            def add(*a) -> None:
                nonlocal seq
                seq += 1
                rows.append((a[10], _row(*a, seq)))

            caller_num = f"06{rnd.randint(0, 99999999):08d}"
            if kind < 0.45:  # inbound via queue 600, Local-channel member
                ext = rnd.choice(exts)
                c_in = chan("provider")
                local = f"Local/{ext}@from-queue-{chan_no:08x}"
                wait = rnd.randint(2, 60)
                talk = rnd.randint(10, 400) if rnd.random() < 0.85 else 0
                ans = t + timedelta(seconds=wait) if talk else None
                end = (ans + timedelta(seconds=talk)) if talk else t + timedelta(seconds=wait)
                if talk:
                    add(caller_num, "600", "from-queue", f'"Caller" <{caller_num}>', local + ";2", chan(ext), "Dial",
                        f"PJSIP/{ext}", t + timedelta(seconds=wait - 2), ans, end, "ANSWERED", base + "2", base)
                add(caller_num, "600", "ext-queues", f'"Caller" <{caller_num}>', c_in, local + ";1" if talk else "",
                    "Queue", "600,t,,,300", t, ans or t, end, "ANSWERED", base, base)
            elif kind < 0.65:  # inbound direct, ring group of two, maybe voicemail
                e1, e2 = rnd.sample(exts, 2)
                c_in = chan("provider")
                ring = rnd.randint(3, 25)
                answered = rnd.random() < 0.7
                end_ring = t + timedelta(seconds=ring)
                if answered:
                    end = end_ring + timedelta(seconds=rnd.randint(5, 300))
                    add(caller_num, "0212345678", "from-trunk", f'"Caller" <{caller_num}>', c_in, chan(e1), "Dial",
                        f"PJSIP/{e1}&PJSIP/{e2}", t, None, end_ring, "NO ANSWER", base, base)
                    add(caller_num, "0212345678", "from-trunk", f'"Caller" <{caller_num}>', c_in, chan(e2), "Dial",
                        f"PJSIP/{e1}&PJSIP/{e2}", t, end_ring, end, "ANSWERED", base, base)
                else:
                    add(caller_num, "0212345678", "from-trunk", f'"Caller" <{caller_num}>', c_in, chan(e1), "Dial",
                        f"PJSIP/{e1}&PJSIP/{e2}", t, None, end_ring, "NO ANSWER", base, base)
                    add(caller_num, "0212345678", "from-trunk", f'"Caller" <{caller_num}>', c_in, chan(e2), "Dial",
                        f"PJSIP/{e1}&PJSIP/{e2}", t, None, end_ring, "NO ANSWER", base, base)
                    vm_end = end_ring + timedelta(seconds=rnd.randint(3, 40))
                    add(caller_num, e1, "ext-local", f'"Caller" <{caller_num}>', c_in, "", "VoiceMail",
                        f"{e1}@default,u", end_ring, end_ring + timedelta(seconds=1), vm_end, "ANSWERED", base, base)
            elif kind < 0.9:  # outbound
                ext = rnd.choice(exts)
                num = f"00420{rnd.randint(0, 999999999):09d}"
                ring = rnd.randint(2, 30)
                disp = rnd.choices(["ANSWERED", "NO ANSWER", "BUSY", "FAILED"], [70, 20, 8, 2])[0]
                ans = t + timedelta(seconds=ring) if disp == "ANSWERED" else None
                end = ans + timedelta(seconds=rnd.randint(5, 600)) if ans else t + timedelta(seconds=ring)
                add(ext, num, "from-internal", f'"User {ext}" <{ext}>', chan(ext), chan("provider"), "Dial",
                    f"PJSIP/{num}@provider", t, ans, end, disp, base, base)
            else:  # internal
                a, b = rnd.sample(exts, 2)
                ring = rnd.randint(2, 20)
                disp = "ANSWERED" if rnd.random() < 0.75 else "NO ANSWER"
                ans = t + timedelta(seconds=ring) if disp == "ANSWERED" else None
                end = ans + timedelta(seconds=rnd.randint(5, 200)) if ans else t + timedelta(seconds=ring)
                add(a, b, "from-internal", f'"User {a}" <{a}>', chan(a), chan(b), "Dial", f"PJSIP/{b},20",
                    t, ans, end, disp, base, base)
            # Rows are written when each leg ends.
            for _, text in sorted(rows, key=lambda r: r[0]):
                fh.write(text)
                written += 1
                if written >= lines:
                    break
    return written


def generate_queue_log(path: str, lines: int, seed: int = 1) -> int:
    """A queue_log of `lines` lines: queue calls (enter, ring-no-answers, connect + complete,
    abandon or timeout) and agents pausing now and then."""
    rnd = random.Random(seed)
    t = int(datetime(2026, 3, 2, 7, 0).timestamp())
    agents = [f"PJSIP/{100 + i}" for i in range(40)]
    written = n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        while written < lines:
            t += rnd.randint(1, 10)
            n += 1
            cid, q = f"{t}.{n}", rnd.choice(["600", "601", "602"])
            out = [f"{t}|{cid}|{q}|NONE|ENTERQUEUE||06{rnd.randint(0, 99999999):08d}|{rnd.randint(1, 5)}"]
            wait = 0
            for _ in range(rnd.choice([0, 0, 1, 2])):
                wait += rnd.randint(0, 15)
                out.append(f"{t + wait}|{cid}|{q}|{rnd.choice(agents)}|RINGNOANSWER|{rnd.randint(0, 15000)}")
            wait += rnd.randint(1, 30)
            r = rnd.random()
            if r < 0.8:
                a, talk = rnd.choice(agents), rnd.randint(10, 600)
                out.append(f"{t + wait}|{cid}|{q}|{a}|CONNECT|{wait}|{cid}x|{rnd.randint(1, 9)}")
                out.append(f"{t + wait + talk}|{cid}|{q}|{a}|{rnd.choice(['COMPLETECALLER', 'COMPLETEAGENT'])}"
                           f"|{wait}|{talk}|1")
            elif r < 0.95:
                out.append(f"{t + wait}|{cid}|{q}|NONE|ABANDON|1|1|{wait}")
            else:
                out.append(f"{t + wait}|{cid}|{q}|NONE|EXITWITHTIMEOUT|1|1|{wait}")
            if n % 50 == 0:
                a = rnd.choice(agents)
                out.append(f"{t}|NONE|NONE|{a}|PAUSEALL|Break")
                out.append(f"{t + 300}|NONE|NONE|{a}|UNPAUSEALL|")
            for line in out:
                fh.write(line + "\n")
                written += 1
                if written >= lines:
                    break
    return written


def _backend_cpu_s(pids: list[int]) -> float:
    import os

    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            total += (int(parts[11]) + int(parts[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_import(path: str, url: str, kind: str = "cdr") -> dict:
    import resource
    import time

    import sqlalchemy as sa

    from data import db
    from data.importers.asterisk.cdr_file import import_cdr_file
    from data.migrate import upgrade

    upgrade(url)
    engine = db.get_engine(url)
    with engine.connect() as conn:
        dbname = conn.execute(sa.text("SELECT current_database()")).scalar()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if kind == "queue-log":
        from data.importers.queue_log import import_queue_log_file

        stats = import_queue_log_file(engine, path)
    else:
        stats = import_cdr_file(engine, path, source_tz="Europe/Prague")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    with engine.connect() as conn:
        pids = list(conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": dbname}).scalars())
    result = {
        "lines": stats.lines_read, "calls": stats.calls_added, "rejected": stats.lines_rejected,
        "wall_s": round(wall, 2), "lines_per_s": round(stats.lines_read / wall),
        "python_cpu_s": round(cpu, 2), "postgres_cpu_s": round(_backend_cpu_s(pids), 2),
        "lines_per_cpu_s": round(stats.lines_read / (cpu + _backend_cpu_s(pids))),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--import-into", metavar="URL", help="Import the file into this database and time it.")
    ap.add_argument("--queue-log", action="store_true", help="Write (and import) a queue_log instead of CDRs.")
    args = ap.parse_args()
    kind = "queue-log" if args.queue_log else "cdr"
    n = (generate_queue_log if args.queue_log else generate)(args.path, args.lines, args.seed)
    print(f"wrote {n} lines to {args.path}")
    if args.import_into:
        import json

        print(json.dumps(run_import(args.path, args.import_into, kind)))


if __name__ == "__main__":
    main()

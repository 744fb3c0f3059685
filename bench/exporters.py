"""Bench: report and call-record files (exporters.files) on the 10M-call bench database.

    .venv/bin/python -m bench.exporters [--repeat 3] [--json out.json] [--skip-naive]

Measured (each: one warm-up, then --repeat timed runs; the median is the number; then one
more run under tracemalloc for the peak of Python allocations):

- ``report.pdf.4charts``  a report PDF with four charts and its table, warm (Chromium
  already running): PBX activity per day of the month (2 charts + its table) and queue
  performance per queue (2 charts), the queries included — target <= 3 s
- ``report.pdf``          ``build_report_file("extension-statistics", month, "pdf")`` (1 chart)
- ``cdr.pdf.5000``        ``build_cdr_file(month, "pdf")``: 5,000 records of ~800,000 — <= 5 s
- ``cdr.xlsx.10000``      ``build_cdr_file(month, "xlsx")``: 10,000 records — <= 1.5 s
- ``cdr.csv.10000``       ``build_cdr_file(month, "csv")``: 10,000 records — <= 0.3 s

Beside each: bare SQL (the same statements, compiled once, run with ``exec_driver_sql`` and
fetched as tuples: the floor) and a naive baseline:

- CSV / XLSX: ``pandas.read_sql`` + ``DataFrame.to_csv`` / ``to_excel`` (openpyxl)
- CDR PDF: a ReportLab ``Table`` of ``Paragraph`` cells with automatic column widths
- report PDF: every chart through ``plotly.io.to_image(format="svg")`` (a fresh Chromium per
  chart, what ``fig.write_image`` does without a persistent server) + the same table

The bench database is only read. Chromium's own memory is outside tracemalloc; its RSS is
printed once.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/callboard_bench"


def _timed(fn, repeat: int, warmup: bool = True, cpu: list | None = None) -> list[float]:
    """Wall seconds of each run; with `cpu`, this process's CPU seconds are appended there."""
    if warmup:
        fn()
    out = []
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return out


def _peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _bare(engine, stmts) -> None:
    """Run compiled statements as plain SQL, fetching every row as tuples."""
    with engine.connect() as conn:
        for sql, params in stmts:
            conn.exec_driver_sql(sql, params).fetchall()


def _compile(engine, stmt):
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    if engine.dialect.paramstyle == "pyformat":
        return str(compiled), compiled.params
    return str(compiled), tuple(compiled.params[k] for k in compiled.positiontup)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("CALLBOARD_BENCH_URL", DEFAULT_URL))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="Also write the results as JSON here.")
    ap.add_argument("--skip-naive", action="store_true", help="Leave out the naive baselines (slow).")
    ap.add_argument("--month", default="2026-10", help="Local month of the data (YYYY-MM).")
    args = ap.parse_args(argv)

    os.environ["CALLBOARD_DATABASE_URL"] = args.url  # exporters read the default engine
    from callboard.core.settings import get_settings

    import pandas as pd
    import plotly.io as pio
    import psutil

    from callboard.reports.registry import BY_ID, charts, run_report
    from callboard.reports.results import display_value, header
    from data import db
    from data.queries.calls import CallFilter, count_calls, export_fields, list_calls
    from data.queries.report_filter import ReportFilter
    from data.scope import Scope
    from data.timebuckets import local_day_bounds_utc
    from exporters import figure_export, files
    from exporters.files import CDR_SORT, build_cdr_file, build_report_file
    from exporters.pdf import PdfDoc, write_pdf

    tz = get_settings().tz
    engine = db.get_engine()
    scope = Scope.everything()
    year, month = (int(p) for p in args.month.split("-"))
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    rflt = ReportFilter(first, last, by="day")
    cflt = CallFilter(*local_day_bounds_utc(first, last, tz))
    with engine.connect() as conn:
        month_calls = conn.execute(count_calls(scope, cflt)).scalar_one()

    results: list[dict] = []

    def record(name, fn, target=None, bare=None, naive=None, naive_repeat=1, note=""):
        cpu: list[float] = []
        times = _timed(fn, args.repeat, cpu=cpu)
        row = {"name": name, "median_s": statistics.median(times), "min_s": min(times),
               "cpu_s": statistics.median(cpu), "target_s": target, "peak_mb": _peak_mb(fn), "note": note}
        if bare is not None:
            row["bare_sql_s"] = statistics.median(_timed(bare, args.repeat))
        if naive is not None and not args.skip_naive:
            row["naive_s"] = statistics.median(_timed(naive, naive_repeat, warmup=False))
        results.append(row)
        print(f"  measured {name}: {row['median_s']:.3f} s", file=sys.stderr)

    # ---------------------------------------------------------------- report PDF, 4 charts
    def four_chart_doc(figures_fn):
        pbx = run_report("pbx-activity", scope, rflt, tz=tz)
        queues = run_report("queue-performance", scope, rflt.with_(by="queue"), tz=tz)
        figs = figures_fn(pbx) + figures_fn(queues)
        rows = [[display_value(c, v, "en") for c, v in zip(pbx.columns, rec)] for rec in pbx.df.itertuples(index=False)]
        return PdfDoc(BY_ID["pbx-activity"].title, [f"{first} – {last}"], [header(c, "en") for c in pbx.columns], rows,
                      [c.kind != "text" for c in pbx.columns], figures=figs)

    def report_4charts():
        doc = four_chart_doc(lambda r: charts(r, "en"))
        assert len(doc.figures) == 4
        content, missing = write_pdf(doc)
        assert missing == 0, "a chart was not drawn: is Chromium there?"
        return content

    def report_4charts_naive():
        # Every chart through plotly.io.to_image: kaleido starts a Chromium for each call.
        from exporters.figure_export import svg_to_drawing
        from reportlab.platypus import SimpleDocTemplate

        doc = four_chart_doc(lambda r: charts(r, "en"))
        drawings = [svg_to_drawing(pio.to_image(f, format="svg", width=1000, height=380), 770) for f in doc.figures]
        SimpleDocTemplate(io.BytesIO()).build(drawings)

    def report_queries():
        run_report("pbx-activity", scope, rflt, tz=tz)
        run_report("queue-performance", scope, rflt.with_(by="queue"), tz=tz)

    t0 = time.perf_counter()
    figure_export.figure_svg(charts(run_report("pbx-activity", scope, rflt, tz=tz), "en")[0])
    chromium_start_s = time.perf_counter() - t0  # cold: Chromium start + first chart
    record("report.pdf.4charts", report_4charts, target=3.0, bare=report_queries, naive=report_4charts_naive,
           note="bare = the two reports' queries (run_report)")
    record("report.pdf", lambda: build_report_file("extension-statistics", rflt.with_(by="day"), fmt="pdf",
                                                   lang="cs", scope=scope, tz=tz),
           bare=lambda: run_report("extension-statistics", scope, rflt, tz=tz),
           note="extension-statistics, 1 chart; bare = run_report")

    # ---------------------------------------------------------------- call records
    def cdr_stmts(n):
        stmt = list_calls(scope, cflt, None, sort=CDR_SORT, limit=None).limit(n)
        return [_compile(engine, count_calls(scope, cflt)), _compile(engine, stmt)]

    def naive_frame(n):
        stmt = list_calls(scope, cflt, None, sort=CDR_SORT, limit=None).limit(n)
        with engine.connect() as conn:
            return pd.read_sql(stmt, conn)

    def naive_pdf():
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

        df = naive_frame(files.CDR_CAPS["pdf"])
        style = getSampleStyleSheet()["BodyText"]
        fields = export_fields(None)
        data = [[Paragraph(f.name, style) for f in fields]]
        data += [[Paragraph(str(v), style) for v in rec] for rec in df[[f.name for f in fields]].itertuples(index=False)]
        SimpleDocTemplate(io.BytesIO()).build([Table(data, repeatRows=1)])

    for fmt, target in (("pdf", 5.0), ("xlsx", 1.5), ("csv", 0.3)):
        n = files.CDR_CAPS[fmt]
        stmts = cdr_stmts(n)

        def naive(fmt=fmt, n=n):
            if fmt == "pdf":
                return naive_pdf()
            df = naive_frame(n)
            if fmt == "csv":
                return df.to_csv(index=False).encode("utf-8")
            buf = io.BytesIO()
            df.to_excel(buf, index=False, engine="openpyxl")
            return buf.getvalue()

        def build(fmt=fmt):
            made = build_cdr_file(cflt, fmt=fmt, lang="cs", scope=scope, tz=tz)
            assert made.rows_included == min(n, made.rows_total)
            return made

        record(f"cdr.{fmt}.{n}", build, target=target, bare=lambda s=stmts: _bare(engine, s), naive=naive,
               naive_repeat=1 if fmt == "pdf" else args.repeat,
               note=f"{n:,} of {month_calls:,} calls; bare = count + the capped SELECT")

    chromium_mb = None
    server = figure_export._server
    if server is not None and server.kaleido is not None:
        proc = psutil.Process(server.kaleido.subprocess.pid)
        chromium_mb = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 1e6
    figure_export.shutdown()
    rss_mb = psutil.Process().memory_info().rss / 1e6

    print(f"\nexporters bench on {db.get_engine().url.render_as_string(hide_password=True)} "
          f"({args.month}: {month_calls:,} calls), repeat {args.repeat}, median seconds")
    print(f"cold Chromium start + first chart: {chromium_start_s:.2f} s; Chromium RSS {chromium_mb or 0:.0f} MB; "
          f"this process RSS {rss_mb:.0f} MB\n")
    head = f"{'what':22} {'median':>8} {'min':>8} {'cpu':>7} {'target':>7} {'ok':>3} {'peak MB':>8} {'bare SQL':>9} " \
           f"{'x bare':>7} {'naive':>8} {'naive/us':>9}"
    print(head)
    print("-" * len(head))
    for r in results:
        ok = "" if r["target_s"] is None else ("yes" if r["median_s"] <= r["target_s"] else "NO")
        bare = r.get("bare_sql_s")
        naive = r.get("naive_s")
        print(f"{r['name']:22} {r['median_s']:8.3f} {r['min_s']:8.3f} {r['cpu_s']:7.3f} "
              f"{'' if r['target_s'] is None else format(r['target_s'], '.1f'):>7} {ok:>3} {r['peak_mb']:8.1f} "
              f"{'' if bare is None else format(bare, '.3f'):>9} "
              f"{'' if bare is None else format(r['median_s'] / bare, '.1f'):>7} "
              f"{'' if naive is None else format(naive, '.3f'):>8} "
              f"{'' if naive is None else format(naive / r['median_s'], '.1f'):>9}")
    print("  wall seconds; cpu = this process's CPU seconds (the VM is shared by several jobs, so wall time"
          " includes waiting for a core; PostgreSQL's own CPU is not in it); ok compares the wall median")
    for r in results:
        if r["note"]:
            print(f"  {r['name']}: {r['note']}")
    if args.json:
        args.json.write_text(json.dumps({"month": args.month, "month_calls": month_calls, "repeat": args.repeat,
                                         "chromium_start_s": chromium_start_s, "chromium_rss_mb": chromium_mb,
                                         "process_rss_mb": rss_mb, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

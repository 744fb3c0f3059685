"""A schedule's file for one period, through ``exporters.files`` (CSV / XLSX / PDF).

While ``exporters.files`` still answers NotImplementedError (it is built in parallel) a
CSV comes from the existing CSV writers instead (exporters.csv_export for call records,
exporters.report_csv.to_csv for reports); XLSX and PDF then fail with a clear error that the
run records.
"""

from __future__ import annotations

from datetime import date, datetime

from data.queries.calls import CallFilter
from data.queries.report_filter import ReportFilter
from data.timebuckets import local_day_bounds_utc

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def report_filter(sched, first: date, last: date) -> ReportFilter:
    f = sched.filters or {}
    return ReportFilter(first, last, extensions=f.get("extensions", []), groups=f.get("groups", []),
                        directions=f.get("directions", []), queues=f.get("queues", []), **(f.get("options") or {}))


def call_filter(sched, first: date, last: date, tz) -> CallFilter:
    f = sched.filters or {}
    start, end = local_day_bounds_utc(first, last, tz)
    dirs = tuple(f.get("directions", []))
    return CallFilter(start_utc=start, end_utc=end, extensions=tuple(f.get("extensions", [])),
                      extension_groups=tuple(f.get("groups", [])), directions=() if len(dirs) == 3 else dirs)


def build_file(sched, first: date, last: date, *, scope, tz, now: datetime):
    from exporters import files

    fmt, lang = sched.format, sched.language
    try:
        if sched.kind == "report":
            return files.build_report_file(sched.report_type, report_filter(sched, first, last), fmt=fmt, lang=lang,
                                           scope=scope, tz=tz, title=sched.name, generated_at=now)
        return files.build_cdr_file(call_filter(sched, first, last, tz), fmt=fmt, lang=lang, scope=scope, tz=tz,
                                    title=sched.name, generated_at=now)
    except NotImplementedError:
        if fmt != "csv":
            raise RuntimeError(f"{fmt.upper()} files are not available in this version; choose CSV") from None
    return _csv_fallback(sched, first, last, scope=scope, tz=tz)


def _csv_fallback(sched, first, last, *, scope, tz):
    from exporters.files import ExportedFile

    if sched.kind == "report":
        from callboard.reports.registry import run_report
        from exporters.report_csv import csv_filename, to_csv

        result = run_report(sched.report_type, scope, report_filter(sched, first, last), tz=tz)
        body = to_csv(result, sched.language).encode("utf-8")
        return ExportedFile(body, csv_filename(result), MIMETYPES["csv"], len(result.df), len(result.df))
    from exporters.csv_export import csv_filename, iter_cdr_csv

    filt = call_filter(sched, first, last, tz)
    body = b"".join(iter_cdr_csv(scope, filt, lang=sched.language, tz=tz))
    rows = max(body.count(b"\r\n") - 1, 0)
    return ExportedFile(body, csv_filename(filt, tz), MIMETYPES["csv"], rows, rows)

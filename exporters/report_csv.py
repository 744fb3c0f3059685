"""A report as CSV: its table (headers with units, machine-readable values:
callboard.reports.results.csv_value), each further section after an empty line, and
optionally the calls behind it."""

from __future__ import annotations

import csv
import io

from callboard.core.i18n import translator
from callboard.reports.results import CALL_COLUMNS, ReportResult, csv_value, header


def to_csv(result: ReportResult, lang: str | None, calls=None) -> str:
    """The table; with `calls` (rows of call_rows), an empty line and the calls behind it."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([header(c, lang, csv_units=True) for c in result.columns])
    for rec in result.df.itertuples(index=False):
        w.writerow([csv_value(c, v, lang) for c, v in zip(result.columns, rec)])
    for sec in result.sections:
        w.writerow([])
        w.writerow([translator(lang)(sec.title)])
        w.writerow([header(c, lang, csv_units=True) for c in sec.columns])
        for rec in sec.df.itertuples(index=False):
            w.writerow([csv_value(c, v, lang) for c, v in zip(sec.columns, rec)])
    if calls is not None:
        w.writerow([])
        w.writerow([header(c, lang, csv_units=True) for c in CALL_COLUMNS])
        for rec in calls:
            w.writerow([csv_value(c, v, lang) for c, v in zip(CALL_COLUMNS, rec)])
    return buf.getvalue()


def csv_filename(result: ReportResult) -> str:
    f = result.filter
    return f"{result.report}_{f.first_day.isoformat()}_{f.last_day.isoformat()}.csv"

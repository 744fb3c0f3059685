"""One API for report and call-record files: CSV, XLSX and PDF, as bytes with a name.

The CLI (`callboard report ... --format`, `callboard export cdr ... --format`) and the
scheduler call these two functions; both take the same filter objects the CLI and pages
build (``data.queries.reports.ReportFilter`` / ``data.queries.calls.CallFilter``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FORMATS = ("csv", "xlsx", "pdf")
# Largest number of call records one file holds (SPEC §3); a capped file says "N of M".
CDR_CAPS = {"csv": 10_000, "pdf": 5_000, "xlsx": 10_000}
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ExportedFile:
    content: bytes
    filename: str  # e.g. "extension-statistics_2026-11-01_2026-11-25.pdf"
    mimetype: str
    rows_total: int  # rows the report / export had
    rows_included: int  # rows in the file (< rows_total when capped)

    @property
    def capped(self) -> bool:
        return self.rows_included < self.rows_total


def build_report_file(report_type: str, filt, *, fmt: str, lang: str, scope, tz,
                      title: str | None = None, generated_at: datetime | None = None) -> ExportedFile:
    """The report's table (and, in a PDF, its charts) as a file."""
    raise NotImplementedError


def build_cdr_file(filt, *, fmt: str, lang: str, scope, tz, columns=None,
                   title: str | None = None, generated_at=None) -> ExportedFile:
    """Call records matching `filt` as a file, capped at CDR_CAPS[fmt] records."""
    raise NotImplementedError

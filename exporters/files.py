"""One API for report and call-record files: CSV, XLSX and PDF, as bytes with a name.

The CLI (`callboard report ... --format`, `callboard export cdr ... --format`) and the
scheduler call these two functions; both take the same filter objects the CLI and pages
build (``data.queries.report_filter.ReportFilter`` / ``data.queries.calls.CallFilter``) and the
Scope the file is made for.

- Reports: the numbers come from ``callboard.reports.registry.run_report`` (the same table the page
  and the CSV show), the charts from ``callboard.reports.registry.charts`` (the same the page draws).
- Call records: oldest first, at most ``CDR_CAPS[fmt]`` records (SPEC §3); a capped file
  says in itself that it holds N of M records (XLSX / PDF: a highlighted line above the
  table; CSV: a last line after an empty one), and ``ExportedFile.rows_total`` /
  ``rows_included`` let the email say it too.
- Every text in the file is in `lang` (en / cs), dates and numbers per that locale, times
  in the PBX zone `tz` (named in the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from callboard.core.formatting import fmt_date, fmt_number
from callboard.core.i18n import BABEL_LOCALES, N_, normalize_lang, translator

FORMATS = ("csv", "xlsx", "pdf")
# Largest number of call records one file holds (SPEC §3); a capped file says "N of M".
CDR_CAPS = {"csv": 10_000, "pdf": 5_000, "xlsx": 10_000}
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
CAPPED_NOTE = N_("This file holds the first {included} of {total} records. Narrow the period or the filters "
                 "to get all of them.")
CDR_SORT = (("start", "asc"),)
CHART_SEPARATORS = {"cs": ",\u00a0", "en": ".,"}  # plotly: decimal mark, then thousands separator


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


def _check_format(fmt: str) -> str:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown file format {fmt!r} (one of {', '.join(FORMATS)})")
    return fmt


def _generated_line(generated_at: datetime | None, tz: ZoneInfo, lang: str) -> str:
    _ = translator(lang)
    when = generated_at or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # naive = UTC, as stored everywhere
    local = when.astimezone(tz)
    text = format_datetime(local, format="medium", locale=BABEL_LOCALES[lang], tzinfo=tz)
    return _("Generated: {time} ({zone})", time=text, zone=getattr(tz, "key", str(tz)))


def capped_note(included: int, total: int, lang: str) -> str:
    """'This file holds the first 5,000 of 12,345 records…' (for the file and the email)."""
    return translator(lang)(CAPPED_NOTE, included=fmt_number(included, lang), total=fmt_number(total, lang))


def _all_or(values, lang: str) -> str:
    return ", ".join(values) if values else translator(lang)("All")


# --------------------------------------------------------------------------- reports


def _report_meta(result, lang: str) -> list[str]:
    from callboard.reports.results import DIRECTION_NAMES, PERIOD_LABELS

    _ = translator(lang)
    f = result.filter
    period = f"{fmt_date(f.first_day, lang)} – {fmt_date(f.last_day, lang)}"
    lines = [_("Period: {period}", period=period),
             f"{_('Extensions')}: {_all_or(f.extensions, lang)}",
             f"{_('Extension groups')}: {_all_or(f.groups, lang)}",
             f"{_('Communication type')}: {_all_or([_(DIRECTION_NAMES[d]) for d in f.directions], lang)}"]
    if f.queues or result.report.startswith("queue-"):
        lines.append(f"{_('Queues')}: {_all_or(f.queues, lang)}")
    if result.report in ("pbx-activity", "did-dod", "ivr", "queue-performance", "queue-wait-talk"):
        lines.append(f"{_('Group by')}: {_(PERIOD_LABELS.get(f.by, f.by))}")
    if result.report == "extension-activity":
        interval = _("Day") if f.interval == 1440 else f"{f.interval} min"
        lines.append(f"{_('Interval')}: {interval}")
    if result.report == "missed-unreturned":
        lines.append(f"{_('Returned within (hours)')}: {f.hours}")
    lines += [_(n) for n in result.notes]
    return lines


XLSX_KINDS = {"int": "int", "duration": "duration", "percent": "percent", "decimal": "decimal", "date": "date",
              "month": "month", "datetime": "datetime"}


def _report_cell(col, v, lang: str):
    """Raw value for a typed XLSX cell (text kinds translated, hours as 07:00)."""
    from callboard.reports.results import as_date, csv_value

    if v is None or (isinstance(v, float) and v != v):
        return None
    if col.kind in ("date", "month"):
        return as_date(v)
    if col.kind in XLSX_KINDS:
        return v
    if col.kind in ("kind", "direction", "status", "hour"):
        return csv_value(col, v, lang)
    return str(v)


def build_report_file(report_type: str, filt, *, fmt: str, lang: str, scope, tz,
                      title: str | None = None, generated_at: datetime | None = None) -> ExportedFile:
    """The report's table (and, in a PDF, its charts) as a file.

    Raises ValueError for an unknown report type or format, or a filter the report refuses.
    """
    from callboard.reports import registry
    from callboard.reports.registry import run_report
    from callboard.reports.results import display_value, header
    from exporters.report_csv import to_csv

    fmt = _check_format(fmt)
    lang = normalize_lang(lang)
    _ = translator(lang)
    result = run_report(report_type, scope, filt, tz=tz)
    f = result.filter
    filename = f"{report_type}_{f.first_day.isoformat()}_{f.last_day.isoformat()}.{fmt}"
    n = len(result.df)
    kind_title = _(registry.title(report_type))
    title = title or kind_title
    if fmt == "csv":
        content = to_csv(result, lang).encode("utf-8")
        return ExportedFile(content, filename, MIMETYPES[fmt], n, n)
    # A schedule's name as the title: the report type follows as the first line.
    filters = _report_meta(result, lang)  # the period first
    meta = ([kind_title] if title != kind_title else []) + filters + [_generated_line(generated_at, tz, lang)]
    records = list(result.df.itertuples(index=False))
    if fmt == "xlsx":
        from exporters.xlsx import SheetColumn, SheetDoc, write_xlsx

        columns = [SheetColumn(header(c, lang), XLSX_KINDS.get(c.kind, "text"), c.precision) for c in result.columns]
        rows = ([_report_cell(c, v, lang) for c, v in zip(result.columns, rec)] for rec in records)
        content, _header_row, written = write_xlsx(
            SheetDoc(title, meta, columns, rows, sheet_name=_("Report")), lang)
        return ExportedFile(content, filename, MIMETYPES[fmt], n, written)

    from callboard.reports.registry import charts
    from exporters.pdf import PdfDoc, write_pdf

    figures = charts(result, lang)
    for fig in figures:  # the page gets these from plotly.js's locale; Chromium in kaleido has none
        fig.update_layout(separators=CHART_SEPARATORS[lang])
    numeric = [c.kind in ("int", "duration", "percent", "decimal") for c in result.columns]
    rows = [[display_value(c, v, lang) if c.kind not in ("direction", "status") else str(_report_cell(c, v, lang))
             for c, v in zip(result.columns, rec)] for rec in records]
    doc = PdfDoc(title, meta, [header(c, lang) for c in result.columns], rows, numeric,
                 figures=figures,
                 empty_text=_("No calls in this period.") if result.empty else None,
                 chart_unavailable=_("Chart unavailable (the chart renderer did not answer)"),
                 footer=f"{title} · {filters[0]}", page_label=_("Page {page}"))
    content, _missing = write_pdf(doc)
    return ExportedFile(content, filename, MIMETYPES[fmt], n, n)


# --------------------------------------------------------------------------- call records


class _Localiser:
    """Naive UTC -> aware local time, the zone offset cached per UTC hour (hot path)."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self.cache: dict[tuple[int, int, int, int], datetime] = {}

    def __call__(self, v: datetime) -> datetime:
        key = (v.year, v.month, v.day, v.hour)
        base = self.cache.get(key)
        if base is None:
            base = self.cache[key] = v.replace(minute=0, second=0, microsecond=0, tzinfo=timezone.utc).astimezone(self.tz)
        return base + timedelta(minutes=v.minute, seconds=v.second)


def _cdr_period(filt, tz: ZoneInfo, lang: str) -> str:
    _ = translator(lang)
    if filt.start_utc is None and filt.end_utc is None:
        return _("All")
    loc = _Localiser(tz)
    start = loc(filt.start_utc) if filt.start_utc else None
    end = loc(filt.end_utc) if filt.end_utc else None
    at_midnight = all(d is None or (d.hour, d.minute, d.second) == (0, 0, 0) for d in (start, end))
    if at_midnight:
        first = fmt_date(start.date(), lang) if start else "…"
        last = fmt_date((end - timedelta(days=1)).date(), lang) if end else "…"
        return f"{first} – {last}"

    def dt(d):
        return format_datetime(d, format="short", locale=BABEL_LOCALES[lang], tzinfo=tz) if d else "…"

    return f"{dt(start)} – {dt(end)}"


def _cdr_meta(filt, tz: ZoneInfo, lang: str) -> list[str]:
    from data.queries.calls import DIRECTION_LABELS, STATUS_LABELS

    _ = translator(lang)
    lines = [_("Period: {period}", period=_cdr_period(filt, tz, lang)),
             f"{_('Extensions')}: {_all_or(filt.extensions, lang)}",
             f"{_('Extension groups')}: {_all_or(filt.extension_groups, lang)}",
             f"{_('Communication type')}: {_all_or([_(DIRECTION_LABELS.get(d, d)) for d in filt.directions], lang)}"]
    if filt.statuses:
        lines.append(f"{_('Status')}: {', '.join(_(STATUS_LABELS.get(s, s)) for s in filt.statuses)}")
    if filt.trunks:
        lines.append(f"{_('Trunks')}: {', '.join(filt.trunks)}")
    if filt.dids:
        lines.append(f"{_('DID')}: {', '.join(filt.dids)}")
    if filt.number_contains:
        lines.append(f"{_('Number contains')}: {filt.number_contains}")
    if filt.has_recording is not None:
        lines.append(f"{_('Recording')}: {_('Yes') if filt.has_recording else _('No')}")
    if filt.min_duration_s is not None or filt.max_duration_s is not None:
        lo = "…" if filt.min_duration_s is None else f"{filt.min_duration_s} s"
        hi = "…" if filt.max_duration_s is None else f"{filt.max_duration_s} s"
        lines.append(f"{_('Duration')}: {lo} – {hi}")
    return lines


def _fast_datetime(lang: str):
    """Local datetime -> display text without babel per cell (5,000 rows)."""
    if lang == "cs":
        return lambda d: f"{d.day}. {d.month}. {d.year} {d:%H:%M:%S}"
    return lambda d: f"{d:%d/%m/%Y %H:%M:%S}"


def build_cdr_file(filt, *, fmt: str, lang: str, scope, tz, columns=None,
                   title: str | None = None, generated_at=None) -> ExportedFile:
    """Call records matching `filt` (oldest first) as a file, capped at CDR_CAPS[fmt].

    `columns`: column keys of data.queries.calls.COLUMNS (None: the main columns).
    Raises InvalidFilter (a ValueError) for a filter that cannot mean anything.
    """
    from data import db
    from data.queries.calls import (
        DIRECTION_LABELS,
        HANGUP_BY_LABELS,
        STATUS_LABELS,
        count_calls,
        export_fields,
        list_calls,
    )
    from exporters.csv_export import csv_filename, iter_cdr_csv

    fmt = _check_format(fmt)
    lang = normalize_lang(lang)
    _ = translator(lang)
    filt.validate()
    columns = list(columns) if columns is not None else None
    cap = CDR_CAPS[fmt]
    total = int(db.fetch_scalar(count_calls(scope, filt)) or 0)
    included = min(total, cap)
    note = capped_note(included, total, lang) if total > cap else None
    filename = csv_filename(filt, tz)[: -len(".csv")] + f".{fmt}"
    kind_title = _("Call records")
    title = title or kind_title
    tz_name = getattr(tz, "key", str(tz))

    if fmt == "csv":
        parts = list(iter_cdr_csv(scope, filt, columns, lang=lang, tz=tz, sort=CDR_SORT, limit=cap))
        if note:
            parts.append(("\r\n" + note + "\r\n").encode("utf-8"))
        return ExportedFile(b"".join(parts), filename, MIMETYPES[fmt], total, included)

    fields = export_fields(columns)
    stmt = list_calls(scope, filt, columns, sort=CDR_SORT, limit=None).limit(cap)
    selected = [c.key for c in stmt.selected_columns]
    idx = [selected.index(f.name) for f in fields]
    labels = {"status": STATUS_LABELS, "direction": DIRECTION_LABELS, "hangup_by": HANGUP_BY_LABELS}
    translated = {kind: {k: _(v) for k, v in table.items()} for kind, table in labels.items()}
    headers = [f"{_(f.label)} ({tz_name})" if f.kind == "datetime" else _(f.label) for f in fields]
    local = _Localiser(tz)
    filters = _cdr_meta(filt, tz, lang)  # the period first
    meta = ([kind_title] if title != kind_title else []) + filters + [_generated_line(generated_at, tz, lang)]

    def values(row):
        out = []
        for f, i in zip(fields, idx):
            v = row[i]
            if v is None:
                out.append(None)
            elif f.kind == "datetime":
                out.append(local(v if isinstance(v, datetime) else datetime.fromisoformat(v)))
            elif f.kind == "seconds":
                out.append(int(v))
            elif f.kind in translated:
                out.append(translated[f.kind].get(v, str(v)))
            else:
                out.append(v if isinstance(v, str) else str(v))
        return out

    rows = (values(r) for r in db.stream_rows(stmt))
    if fmt == "xlsx":
        from exporters.xlsx import SheetColumn, SheetDoc, write_xlsx

        kinds = {"datetime": "datetime", "seconds": "int"}
        sheet_cols = [SheetColumn(h, kinds.get(f.kind, "text")) for h, f in zip(headers, fields)]
        content, _header_row, written = write_xlsx(
            SheetDoc(title, meta, sheet_cols, rows, note=note, sheet_name=_("Call records")), lang)
        return ExportedFile(content, filename, MIMETYPES[fmt], total, written)

    from exporters.pdf import PdfDoc, write_pdf

    show_dt = _fast_datetime(lang)
    sep = "\xa0" if lang == "cs" else ","

    def display(f, v):
        if v is None:
            return ""
        if f.kind == "datetime":
            return show_dt(v)
        if f.kind == "seconds":
            return f"{v:,}".replace(",", sep)
        return v

    table = [[display(f, v) for f, v in zip(fields, vals)] for vals in rows]
    doc = PdfDoc(title, meta, headers, table, [f.kind == "seconds" for f in fields], note=note,
                 empty_text=_("No calls match this filter.") if not table else None,
                 footer=f"{title} · {filters[0]}", page_label=_("Page {page}"))
    content, _missing = write_pdf(doc)
    return ExportedFile(content, filename, MIMETYPES[fmt], total, len(table))


"""XLSX files (xlsxwriter): a title block, then one typed table with a frozen header.

Layout of the one sheet: the title (row 1), period / generation time / zone (rows 2..),
the filters, a bold "holds N of M records" note when the file is capped, an empty row,
then the header row (frozen, with an autofilter) and the data. ``header_row`` of the
written file is returned so readers (and tests) need not guess.

Cells are typed: counts are numbers, durations Excel times (``[h]:mm:ss``, averages ``[h]:mm:ss.0``), percentages
numbers with a % format, dates and times real date cells in the PBX's local time (Excel has
no zones; the header names it), text always as text (``write_string``: a caller name
"=1+1" stays text, never a formula). Date formats follow the file's language.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter

DATE_FORMATS = {"cs": "d. m. yyyy", "en": "dd/mm/yyyy"}
DATETIME_FORMATS = {"cs": "d. m. yyyy h:mm:ss", "en": "dd/mm/yyyy hh:mm:ss"}
MONTH_FORMATS = {"cs": "mmmm yyyy", "en": "mmmm yyyy"}
MAX_TEXT_WIDTH = 40  # characters; longer text wraps at the column's edge in Excel anyway


@dataclass(frozen=True)
class SheetColumn:
    header: str
    kind: str  # text | int | decimal | duration | percent | date | month | datetime
    digits: int | None = None  # decimals shown (seconds of a duration, points of a percentage); None: the kind's


# Number formats per kind and the decimals shown; the cell keeps the value the page shows.
_DEFAULT_DIGITS = {"decimal": 2, "duration": 0, "percent": 1}


def number_format(kind: str, digits: int | None) -> str | None:
    d = _DEFAULT_DIGITS.get(kind, 0) if digits is None else digits
    frac = "." + "0" * d if d else ""
    return {"int": "#,##0", "decimal": "#,##0" + frac, "duration": "[h]:mm:ss" + frac,
            "percent": "0" + frac + "%"}.get(kind)


@dataclass
class SheetDoc:
    title: str
    meta: list[str]  # period, filters, generated — one line each
    columns: Sequence[SheetColumn]
    rows: Iterable[Sequence]  # raw values per column (datetimes local, aware or naive)
    note: str | None = None  # e.g. "This file holds the first 10,000 of 12,345 records."
    sheet_name: str = "Data"
    extra_lines: list[str] = field(default_factory=list)


def _naive(v):
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)  # already local; Excel stores wall time
    return v


def write_xlsx(doc: SheetDoc, lang: str) -> tuple[bytes, int, int]:
    """(file bytes, 1-based header row, data rows written)."""
    lang = lang if lang in DATE_FORMATS else "en"
    buf = io.BytesIO()
    # constant_memory: rows are flushed as written (a 10,000-row file stays small in RAM);
    # it requires writing row by row, top to bottom, which is what this does.
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": True})
    ws = wb.add_worksheet(doc.sheet_name[:31])
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    note_fmt = wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True,
                                "valign": "top"})
    formats = {
        "date": wb.add_format({"num_format": DATE_FORMATS[lang]}),
        "month": wb.add_format({"num_format": MONTH_FORMATS[lang]}),
        "datetime": wb.add_format({"num_format": DATETIME_FORMATS[lang]}),
    }
    number_formats: dict[str, object] = {}
    for col in doc.columns:
        nf = number_format(col.kind, col.digits)
        if nf is not None and nf not in number_formats:
            number_formats[nf] = wb.add_format({"num_format": nf})

    row = 0
    ws.write_string(row, 0, doc.title, title_fmt)
    row += 1
    for line in [*doc.meta, *doc.extra_lines]:
        ws.write_string(row, 0, line)
        row += 1
    if doc.note:
        ws.write_string(row, 0, doc.note, note_fmt)
        row += 1
    row += 1
    header_row = row
    widths = []
    for c, col in enumerate(doc.columns):
        ws.write_string(row, c, col.header, header_fmt)
        widths.append(min(MAX_TEXT_WIDTH, max(10, len(col.header) + 2)))
    for c, col in enumerate(doc.columns):  # before any data row (constant_memory)
        width = {"datetime": 19, "date": 12, "month": 14, "duration": 10}.get(col.kind, widths[c])
        ws.set_column(c, c, max(width, min(widths[c], 24)))
    ws.freeze_panes(header_row + 1, 0)

    kinds = [col.kind for col in doc.columns]
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    fmt_of = [number_formats.get(number_format(col.kind, col.digits)) or formats.get(col.kind) for col in doc.columns]
    n = 0
    for values in doc.rows:
        row += 1
        n += 1
        for c, v in enumerate(values):
            if v is None or v == "" or (isinstance(v, float) and v != v):
                continue
            kind = kinds[c]
            if kind in ("int", "decimal", "percent"):
                write_number(row, c, float(v) if kind != "int" else int(v), fmt_of[c])
            elif kind == "duration":
                write_number(row, c, float(v) / 86400.0, fmt_of[c])
            elif kind in ("date", "month", "datetime"):
                if isinstance(v, str):
                    v = date.fromisoformat(v[:10])
                write_datetime(row, c, _naive(v), fmt_of[c])
            else:
                write_string(row, c, str(v))
    if doc.columns:
        ws.autofilter(header_row, 0, max(header_row, row), len(doc.columns) - 1)
    wb.close()
    return buf.getvalue(), header_row + 1, n

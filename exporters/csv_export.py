"""Call records as CSV, streamed: every row matching a filter, memory flat at any size.

``iter_cdr_csv`` yields ``bytes`` chunks (a Flask response body, or a file the CLI
writes). Rows come from ``data.db.stream_rows`` (a server-side cursor on PostgreSQL), are
formatted in Python and written in chunks of a few thousand rows.

Format
- UTF-8, ``,`` separator, CRLF line ends (RFC 4180); ``excel=True``: a BOM and the ``;``
  separator (what Czech Excel opens correctly by double-click).
- Times in the PBX's local zone as ``YYYY-MM-DD HH:MM:SS`` (the header names the zone);
  durations as whole seconds; statuses, directions and "hung up by" as translated labels.
- Formula neutralisation: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR
  gets a leading apostrophe, so a spreadsheet shows it instead of running it (caller names
  come from outside and can be hostile). Numeric cells (durations) are written as numbers
  and never altered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from callboard.core.formatting import FORMULA_PREFIXES, neutralise
from callboard.core.i18n import translator
from callboard.core.settings import get_settings
from data import db
from data.queries.calls import (
    DIRECTION_LABELS,
    HANGUP_BY_LABELS,
    STATUS_LABELS,
    CallFilter,
    export_fields,
    list_calls,
)
from data.scope import Scope

BOM = "\ufeff"
CHUNK_ROWS = 2000


class _LocalTimes:
    """Naive UTC -> local 'YYYY-MM-DD HH:MM:SS', with the zone offset cached per UTC hour
    (zone changes happen on whole UTC hours; this is the export's hot path)."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self.offsets: dict[tuple[int, int, int, int], timedelta] = {}

    def __call__(self, v) -> str:
        key = (v.year, v.month, v.day, v.hour)
        off = self.offsets.get(key)
        if off is None:
            off = self.offsets[key] = v.replace(tzinfo=timezone.utc).astimezone(self.tz).utcoffset()
        local = v + off
        if local.microsecond:
            local = local.replace(microsecond=0)
        return local.isoformat(" ")


def _formatter(kind: str, tz: ZoneInfo, _):
    """value -> cell text for one field (None is handled by the caller)."""
    if kind == "datetime":
        return _LocalTimes(tz)
    if kind == "seconds":
        return lambda v: str(int(v))
    labels = {"status": STATUS_LABELS, "direction": DIRECTION_LABELS, "hangup_by": HANGUP_BY_LABELS}.get(kind)
    if labels is not None:
        translated = {k: neutralise(_(v)) for k, v in labels.items()}
        return lambda v: translated.get(v) or neutralise(str(v))
    return None  # plain text: neutralised inline


def csv_filename(filt: CallFilter, tz: ZoneInfo, *, prefix: str = "call-records") -> str:
    """call-records_2026-11-01_2026-11-30.csv (local days, inclusive)."""
    if filt.start_utc is None or filt.end_utc is None:
        return f"{prefix}.csv"
    first = filt.start_utc.replace(tzinfo=timezone.utc).astimezone(tz).date()
    last = (filt.end_utc - timedelta(microseconds=1)).replace(tzinfo=timezone.utc).astimezone(tz).date()
    return f"{prefix}_{first.isoformat()}_{last.isoformat()}.csv"


def iter_cdr_csv(
    scope: Scope,
    filt: CallFilter,
    columns: Iterable[str] | None = None,
    *,
    lang: str = "en",
    excel: bool = False,
    sort: Sequence[tuple[str, str]] | None = None,
    engine: Engine | None = None,
    tz: ZoneInfo | None = None,
    chunk_rows: int = CHUNK_ROWS,
    limit: int | None = None,
) -> Iterator[bytes]:
    """CSV bytes of every call matching the filter, with the chosen columns.

    The filter is validated before the first chunk, so an invalid one raises
    ``InvalidFilter`` at the first ``next()`` — callers that must answer with an error
    (HTTP 400) call ``filt.validate()`` first.
    """
    filt.validate()
    _ = translator(lang)
    tz = tz or get_settings().tz
    columns = list(columns) if columns is not None else None
    fields = export_fields(columns)
    stmt = list_calls(scope, filt, columns, sort=sort, limit=None)
    if limit is not None:  # a capped file (exporters.files.CDR_CAPS); list_calls caps pages at MAX_PAGE
        stmt = stmt.limit(int(limit))
    formatters = [_formatter(f.kind, tz, _) for f in fields]
    tz_name = getattr(tz, "key", str(tz))

    buf = io.StringIO()
    # CRLF in both variants (RFC 4180); with "\n" alone, a cell holding a bare CR would be
    # written unquoted and split the row when read back.
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    header = [
        f"{_(f.label)} ({tz_name})" if f.kind == "datetime" else _(f.label) for f in fields
    ]
    if excel:
        buf.write(BOM)
    writer.writerow([neutralise(h) for h in header])
    selected = [c.key for c in stmt.selected_columns]
    plan = [(selected.index(f.name), fmt) for f, fmt in zip(fields, formatters)]
    prefixes = frozenset(FORMULA_PREFIXES)
    writerow = writer.writerow
    pending = 0
    for row in db.stream_rows(stmt, engine):
        cells = []
        for i, fmt in plan:
            v = row[i]
            if v is None:
                cells.append("")
            elif fmt is None:
                v = v if v.__class__ is str else str(v)
                cells.append("'" + v if v and v[0] in prefixes else v)
            else:
                cells.append(fmt(v))
        writerow(cells)
        pending += 1
        if pending >= chunk_rows:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
            pending = 0
    yield buf.getvalue().encode("utf-8")


def write_cdr_csv(path, *args, **kwargs) -> int:
    """Write the CSV to a file; returns the number of bytes written."""
    size = 0
    with open(path, "wb") as fh:
        for chunk in iter_cdr_csv(*args, **kwargs):
            fh.write(chunk)
            size += len(chunk)
    return size

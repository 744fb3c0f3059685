"""What a report returns and how its numbers are written: the columns (``Col``: kind and
precision), the result (``ReportResult``: raw values, the chart's frame, notes, further
sections), the one rounding (``round_to_precision``) and the two ways a value is written —
``csv_value`` (machine-readable, every file) and ``display_value`` (the page, PDF, XLSX
labels), so a number is the same number everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from callboard.core.formatting import fmt_date, fmt_duration, fmt_number, fmt_percent, neutralise, round_half_up
from callboard.core.i18n import N_, translator
from data import metrics
from data.queries.report_filter import ReportFilter
PERIOD_LABELS = {"hour_of_day": N_("Hour of day"), "day": N_("Day"), "month": N_("Month"), "queue": N_("Queue"),
                 "staffing": N_("Hour of day")}
# The Type column: DID/DOD, and where a call went after an IVR (ivr_choice.next_dest "type:number").
KIND_LABELS = {"did": N_("DID (inbound)"), "dod": N_("DOD (outbound)"),
               "queue": N_("Queue"), "extension": N_("Extension"), "ring_group": N_("Ring group"),
               "voicemail": N_("Voicemail"), "ivr": N_("IVR"), "external": N_("External number"),
               "conference": N_("Conference room"), "hangup": N_("Hung up in the menu")}
DIRECTION_NAMES = {"inbound": N_("Inbound"), "outbound": N_("Outbound"), "internal": N_("Internal")}
STATUS_NAMES = {**metrics.STATUS_LABELS, "congestion": N_("Congestion")}


# Decimals a number of each kind keeps, in the unit it is shown in (seconds, percentage
# points); a column may keep more (averages of seconds: AVG).
DIGITS = {"int": 0, "duration": 0, "percent": 1, "decimal": 2}
AVG = 1  # averages of whole seconds (ASA 6.5 s): one decimal, in every format


@dataclass(frozen=True)
class Col:
    key: str
    label: str  # msgid, or a literal (extension number) when translate is False
    kind: str = "int"  # text | int | duration | percent | date | month | hour | datetime | kind
    translate: bool = True
    digits: int | None = None  # decimals kept (None: DIGITS of the kind)

    @property
    def precision(self) -> int | None:
        """Decimals of this column's numbers in every format (None: not a number)."""
        return self.digits if self.digits is not None else DIGITS.get(self.kind)


@dataclass
class Section:
    """A further table of a report (e.g. the login sessions of queue-agents): on the page
    below the main table, in the CSV after it (an empty line, its title, its header)."""

    key: str
    title: str  # msgid
    columns: list[Col]
    df: pd.DataFrame


@dataclass
class ReportResult:
    report: str
    filter: ReportFilter
    columns: list[Col]
    df: pd.DataFrame  # one column per Col.key, raw values
    chart: pd.DataFrame  # what the figure builder draws
    total_calls: int
    path: str  # aggregate | facts
    notes: list[str] = field(default_factory=list)  # msgids
    sections: list[Section] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.total_calls == 0


def as_date(v) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, str):
        return date.fromisoformat(v[:10])
    return v


def as_datetime(v) -> datetime:
    return datetime.fromisoformat(v) if isinstance(v, str) else v
IVR_OPTION_LABELS = {"timeout": N_("Timeout"), "invalid": N_("Invalid")}


def ivr_option_label(option: str, lang: str | None) -> str:
    return translator(lang)(IVR_OPTION_LABELS[option]) if option in IVR_OPTION_LABELS else option


def round_to_precision(df: pd.DataFrame, cols: list[Col]) -> None:
    """Round each number of `df` (in place: the chart is often the same frame) to its
    column's precision, once, by the one rule (formatting.round_half_up): the page, the
    chart, the CSV, the XLSX and the PDF then all show the same figure. A percentage is a
    ratio here, so it keeps two decimals more than the percentage points it shows."""
    for col in cols:
        digits = col.precision
        if digits is None or col.key not in df or pd.api.types.is_integer_dtype(df[col.key]):
            continue
        if col.kind == "percent":
            digits += 2
        df[col.key] = pd.Series([None if v is None or v != v else round_half_up(v, digits) for v in df[col.key]],
                                index=df.index, dtype="object")


# --------------------------------------------------------------------------- output


def header(col: Col, lang: str | None, *, csv_units: bool = False) -> str:
    _ = translator(lang)
    text = _(col.label) if col.translate else col.label
    if csv_units and col.kind == "duration":
        text += " [s]"
    if csv_units and col.kind == "percent":
        text += " [%]"
    return text


def csv_value(col: Col, v, lang: str | None = None) -> str:
    """Machine-readable: counts as integers, durations in seconds and percentages in points with the
    column's decimals (averages: 6.5), ISO dates/times."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if col.kind == "int":
        return str(int(v))
    if col.kind in ("duration", "percent", "decimal"):
        digits = col.precision
        value = float(v) * 100 if col.kind == "percent" else v
        return str(round_half_up(value, digits)) if digits == 0 else f"{round_half_up(value, digits):.{digits}f}"
    if col.kind == "date":
        return as_date(v).isoformat()
    if col.kind == "month":
        return as_date(v).strftime("%Y-%m")
    if col.kind == "hour":
        return f"{int(v):02d}:00"
    if col.kind == "datetime":
        return v.isoformat(timespec="minutes")
    if col.kind == "kind":
        return translator(lang)(KIND_LABELS[v])
    if col.kind == "word":
        return translator(lang)(STAFFING_WORDS[v])
    if col.kind == "direction":
        return translator(lang)(DIRECTION_NAMES.get(v, v))
    if col.kind == "status":
        return translator(lang)(STATUS_NAMES.get(v, v))
    return neutralise(str(v))  # names and numbers: shown by a spreadsheet, never evaluated


def display_value(col: Col, v, lang: str | None) -> str:
    """What the table shows: locale numbers, durations as 1:05 / 1 h 02 min."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–" if col.kind in ("duration", "percent", "decimal") else ""
    if col.kind == "int":
        return fmt_number(int(v), lang)
    if col.kind == "duration":
        return fmt_duration(v, col.precision, lang)
    if col.kind == "percent":
        return fmt_percent(float(v), lang, col.precision)
    if col.kind == "decimal":
        return fmt_number(float(v), lang, col.precision)
    if col.kind == "date":
        return fmt_date(as_date(v), lang)
    if col.kind == "month":
        return fmt_date(as_date(v), lang, "LLLL y")
    if col.kind == "hour":
        return f"{int(v):02d}:00"
    if col.kind == "datetime":
        return f"{fmt_date(v.date(), lang, 'short')} {time_label(v)}"
    if col.kind == "kind":
        return translator(lang)(KIND_LABELS[v])
    if col.kind == "word":
        return ("⚠ " if v == "short" else "✓ ") + translator(lang)(STAFFING_WORDS[v])
    return str(v)


CALL_COLUMNS = [
    Col("start", N_("Start"), "datetime"),
    Col("direction", N_("Direction"), "direction"),
    Col("status", N_("Status"), "status"),
    Col("from_number", N_("From"), "text"),
    Col("to_number", N_("To"), "text"),
    Col("extension", N_("Extension"), "text"),
    Col("peer_extension", N_("Other extension"), "text"),
    Col("did", N_("DID"), "text"),
    Col("outbound_cid", N_("Outbound caller ID"), "text"),
    Col("ring_s", N_("Ring time"), "duration"),
    Col("talk_s", N_("Talk time"), "duration"),
    Col("hold_s", N_("Hold time"), "duration"),
]


def time_label(v: datetime) -> str:
    """HH:MM local; on the night clocks go back, the repeated hour says its UTC offset."""
    other = v.replace(fold=1 - v.fold)
    if other.utcoffset() != v.utcoffset():
        return f"{v:%H:%M} (UTC{int(v.utcoffset().total_seconds() // 3600):+d})"
    return f"{v:%H:%M}"


# --------------------------------------------------------------------------- queue-performance: staffing view

STAFFING_WORDS = {"short": N_("Understaffed"), "ok": N_("Enough agents")}

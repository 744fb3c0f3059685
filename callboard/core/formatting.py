"""Numbers, dates and durations as people read them, per locale, in the PBX time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent

from callboard.core.i18n import BABEL_LOCALES, normalize_lang
from callboard.core.settings import get_settings


def _loc(lang: str | None) -> str:
    return BABEL_LOCALES[normalize_lang(lang)]


def round_half_up(value: float | int, digits: int = 0) -> float | int:
    """`value` to `digits` decimals, halves away from zero (6.5 -> 7, 6.45 -> 6.5).

    Every place that rounds a shown number uses this one rule, so the page, the CSV, the
    XLSX and the PDF show the same figure (Python's round() rounds halves to even and
    binary floats a little below their decimal: 6.5 -> 6, 2.675 -> 2.67)."""
    d = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(d) if digits <= 0 else float(d)


def fmt_duration(seconds: float | int | None, digits: int = 0, lang: str | None = None) -> str:
    """0:45, 12:05, 1 h 02 min — the same in both languages (units are international).

    With `digits` (averages: 1), the seconds keep that many decimals in the language's
    decimal mark: 0:06.5 / 0:06,5. From an hour on, minutes are the unit people read
    (1 h 02 min) whatever `digits` says."""
    if seconds is None:
        return ""
    value = round_half_up(seconds, digits)
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole = int(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if digits > 0:
        frac = f"{value - whole:.{digits}f}"[2:]  # the decimals of the rounded value
        mark = "," if normalize_lang(lang) == "cs" else "."
        return f"{sign}{minutes}:{secs:02d}{mark}{frac}"
    return f"{sign}{minutes}:{secs:02d}"


def fmt_number(value, lang: str | None, digits: int = 0) -> str:
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    # Rounded here by the one rule (babel would round halves to even).
    return format_decimal(Decimal(str(round_half_up(value, digits))), format=fmt, locale=_loc(lang))


def fmt_percent(ratio: float | None, lang: str | None, digits: int = 1) -> str:
    if ratio is None:
        return "–"
    text = format_percent(Decimal(str(round_half_up(ratio, digits + 2))), format="#,##0." + "0" * digits + " %",
                          locale=_loc(lang))
    # A no-break space keeps the sign on the number's line (Czech typography; babel's own
    # cs pattern does the same).
    return text.replace(" %", "\xa0%")


def _in_pbx_zone(dt_utc: datetime) -> datetime:
    """Naive UTC (as stored) -> aware local time in the PBX's zone."""
    return dt_utc.replace(tzinfo=timezone.utc).astimezone(get_settings().tz)


def fmt_local_datetime(dt_utc: datetime | None, lang: str | None, *, seconds: bool = True) -> str:
    """A naive-UTC timestamp shown in the PBX zone, e.g. 26. 11. 2026 14:05:09 / 26 Nov 2026, 14:05:09."""
    if dt_utc is None:
        return ""
    local = _in_pbx_zone(dt_utc)
    pattern = "medium" if seconds else "short"
    return format_datetime(local, format=pattern, locale=_loc(lang), tzinfo=local.tzinfo)


def fmt_local_time(dt_utc: datetime, lang: str | None) -> str:
    local = _in_pbx_zone(dt_utc)
    return format_time(local, format="medium", locale=_loc(lang), tzinfo=local.tzinfo)


def fmt_date(d: date | None, lang: str | None, fmt: str = "medium") -> str:
    return "" if d is None else format_date(d, format=fmt, locale=_loc(lang))


def tz_label() -> str:
    """The label every page shows next to times: which zone they are in."""
    return get_settings().timezone


# A cell starting with one of these is a formula to a spreadsheet (CSV injection): written
# with a leading apostrophe, it is shown as text, never evaluated.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show, never evaluate."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text

"""The call-records view state as URL query parameters, and its translation to a CallFilter.

The records page, its "Download records" route and links in emails all read the same
parameters, so a URL reproduces a view (and its CSV) exactly:

    preset  today | yesterday | this_week | last_week | this_month | last_month | custom
    from, to  YYYY-MM-DD local days (PBX zone), inclusive; used by preset=custom
    number  part of the caller's or callee's number
    ext     extensions, comma-separated        group   extension-group names
    status  statuses, comma-separated          dir     directions
    trunk   trunks                             did     DIDs
    rec     yes | no                           dmin, dmax   duration bounds in seconds
    cols    secondary columns to show/export (the CSV route only)

Dates are local days in the PBX zone; ``data.timebuckets.local_day_bounds_utc`` turns them
into the UTC range the query uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from callboard.core.i18n import N_
from callboard.web.input_checks import Str, expect
from data.periods import PRESETS, preset_days  # noqa: F401  (re-exported for pages)
from data.queries.calls import CallFilter, InvalidFilter
from data.timebuckets import local_day_bounds_utc, utc_to_local

DEFAULT_PRESET = "today"
# URL parameters: each a query string's text or its repeated values (a list of texts).
Params = dict[str, Str | list[Str] | None]


def checked_params(params) -> Mapping:
    """URL parameters (a query string's mapping, or a page's store of them) of texts; another
    type (a hand-made callback body: a number, a nested dict...) raises BadInput."""
    return expect(params, Params, "the view's parameters")


def _split(value) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for part in parts:
        for item in str(part).split(","):
            item = item.strip()
            if item and item not in out:
                out.append(item)
    return tuple(out)


def _one(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value or "").strip()


@dataclass(frozen=True)
class RecordsQuery:
    preset: str = DEFAULT_PRESET
    date_from: str = ""  # YYYY-MM-DD, custom only
    date_to: str = ""
    number: str = ""
    extensions: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    trunks: tuple[str, ...] = ()
    dids: tuple[str, ...] = ()
    recording: str = ""  # "" | yes | no
    dmin: str = ""
    dmax: str = ""
    columns: tuple[str, ...] = field(default=())  # secondary columns (CSV route)

    @classmethod
    def from_params(cls, params: Mapping) -> "RecordsQuery":
        """From a query-string mapping (values may be strings or lists of strings; another
        type raises BadInput)."""
        params = checked_params(params)
        preset = _one(params.get("preset")) or DEFAULT_PRESET
        if preset not in PRESETS:
            preset = DEFAULT_PRESET
        rec = _one(params.get("rec")).lower()
        return cls(
            preset=preset,
            date_from=_one(params.get("from")),
            date_to=_one(params.get("to")),
            number=_one(params.get("number")),
            extensions=_split(params.get("ext")),
            groups=_split(params.get("group")),
            statuses=_split(params.get("status")),
            directions=_split(params.get("dir")),
            trunks=_split(params.get("trunk")),
            dids=_split(params.get("did")),
            recording=rec if rec in ("yes", "no") else "",
            dmin=_one(params.get("dmin")),
            dmax=_one(params.get("dmax")),
            columns=_split(params.get("cols")),
        )

    def to_params(self, *, with_columns: bool = False) -> dict[str, str]:
        """The non-default parameters, in a stable order."""
        p: dict[str, str] = {}
        if self.preset != DEFAULT_PRESET:
            p["preset"] = self.preset
        if self.preset == "custom":
            if self.date_from:
                p["from"] = self.date_from
            if self.date_to:
                p["to"] = self.date_to
        for key, value in (
            ("number", self.number),
            ("ext", ",".join(self.extensions)),
            ("group", ",".join(self.groups)),
            ("status", ",".join(self.statuses)),
            ("dir", ",".join(self.directions)),
            ("trunk", ",".join(self.trunks)),
            ("did", ",".join(self.dids)),
            ("rec", self.recording),
            ("dmin", self.dmin),
            ("dmax", self.dmax),
        ):
            if value:
                p[key] = value
        if with_columns and self.columns:
            p["cols"] = ",".join(self.columns)
        return p

    def to_search(self, **extra) -> str:
        """``?a=b&...`` (or "" when everything is default)."""
        params = self.to_params()
        params.update({k: v for k, v in extra.items() if v})
        return ("?" + urlencode(params, safe=",:")) if params else ""

    def with_(self, **changes) -> "RecordsQuery":
        return replace(self, **changes)

    # ----------------------------------------------------------------- to a filter

    def day_range(self, today: date) -> tuple[date, date]:
        if self.preset != "custom":
            return preset_days(self.preset, today)
        if not self.date_from or not self.date_to:
            raise InvalidFilter(N_("Choose both the first and the last day of a custom range."))
        try:
            first, last = date.fromisoformat(self.date_from), date.fromisoformat(self.date_to)
        except ValueError:
            raise InvalidFilter(N_("Dates must be written as YYYY-MM-DD.")) from None
        if last < first:
            raise InvalidFilter(N_("The time range is inverted: its end is before its start."))
        return first, last

    def to_filter(self, tz: ZoneInfo, now_utc: datetime | None = None) -> CallFilter:
        """The CallFilter of this view (raises InvalidFilter with a clear message)."""
        today = utc_to_local(now_utc or datetime.now(timezone.utc).replace(tzinfo=None), tz).date()
        first, last = self.day_range(today)
        start_utc, end_utc = local_day_bounds_utc(first, last, tz)
        bounds = []
        for text in (self.dmin, self.dmax):
            if not text:
                bounds.append(None)
                continue
            try:
                bounds.append(int(text))
            except ValueError:
                raise InvalidFilter(N_("Duration bounds must be whole seconds.")) from None
        return CallFilter(
            start_utc=start_utc,
            end_utc=end_utc,
            number_contains=self.number or None,
            extensions=self.extensions,
            extension_groups=self.groups,
            statuses=self.statuses,
            directions=self.directions,
            trunks=self.trunks,
            dids=self.dids,
            has_recording={"yes": True, "no": False}.get(self.recording),
            min_duration_s=bounds[0],
            max_duration_s=bounds[1],
        ).validate()

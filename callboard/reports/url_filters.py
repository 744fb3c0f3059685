"""URL query ⇄ filter: the one codec of the addresses that show a view — the call list, the
chats list and the report pages — used by the pages, the CSV routes, the emailed links of
schedules and the wallboard.

A URL query here is a mapping of texts or lists of texts: a query string parsed with its
repeated keys as lists (``query_of_search``, Dash's layout keywords, Flask's
``request.args.to_dict(flat=False)``). One rule reads every value:

- a list is comma-separated and/or repeated: ``split_values`` — trimmed, each item once,
  in order;
- a single value is the last one given, trimmed: ``one_value``;
- a day is YYYY-MM-DD (a time part may follow): ``parse_day`` — None when missing or broken.

Call list (the records and recordings pages, /export/records.csv, a CDR schedule's link):
``RecordsQuery``

    preset  today | yesterday | this_week | last_week | this_month | last_month | custom
    from, to  YYYY-MM-DD local days (PBX zone), inclusive; used by preset=custom
    number  part of the caller's or callee's number
    ext     extensions, comma-separated        group   extension-group names
    status  statuses, comma-separated          dir     directions
    trunk   trunks                             did     DIDs
    rec     yes | no                           dmin, dmax   duration bounds in seconds
    cols    secondary columns to show/export (the CSV route only)

Chats list (the chats page, /export/chats.csv): ``ChatsQuery`` — the call list's period
(``preset``, ``from``, ``to``: the same presets and bad-range messages), plus

    number   part of our number, the external number, the sender or the recipient
    channel  channel types, comma-separated (sms, whatsapp, ...)
    status   open | closed (comma-separated)
    agent    agents / extensions, comma-separated

Report pages (/reports/<id>): ``report_state`` / ``report_search`` / ``report_filter`` —
``from``/``to`` (YYYY-MM-DD, PBX-local days), ``ext``, ``group``, ``dir`` (comma-separated),
and the report's own options (``by``, ``interval``, ``queues``, ``hours``). A report's page
object (anything with ``options`` and ``shared``, as callboard.web.report_ui's page and the
registry's entries have) says which of them it reads.

Schedules: ``schedule_view_search`` is the query of the page an emailed "view" link opens
(the report page, or the call list, with the schedule's filters and period);
``link_report_filter`` reads a report link back without its page (the read-only view of
/view/<token>).

Dates are local days in the PBX zone; ``data.timebuckets.local_day_bounds_utc`` turns them
into the UTC range the queries use. No Dash or Flask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from callboard.core.bad_input import Str, expect
from callboard.core.i18n import N_
from data import periods
from data.queries.calls import CallFilter, InvalidFilter
from data.queries.chats import ChatFilter
from data.queries.report_filter import ReportFilter
from data.schema import DIRECTIONS
from data.timebuckets import local_day_bounds_utc, utc_to_local

LIST_DEFAULT_PRESET = "today"  # the call and chats lists
REPORT_DEFAULT_PRESET = "this_month"  # a report page opened without days
# A report's single-valued options beyond days and lists (ReportFilter fields), as a
# schedule stores them and its link carries them.
REPORT_OPTIONS = ("by", "interval", "hours")
# URL parameters: each a query string's text or its repeated values (a list of texts).
Params = dict[str, Str | list[Str] | None]


# --------------------------------------------------------------------------- values


def checked_params(params) -> Mapping:
    """URL parameters (a query string's mapping, or a page's store of them) of texts; another
    type (a hand-made callback body: a number, a nested dict...) raises BadInput."""
    return expect(params, Params, "the view's parameters")


def split_values(value) -> tuple[str, ...]:
    """A list parameter: comma-separated text(s) -> the items, trimmed, each once, in order."""
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


def one_value(value) -> str:
    """A single-valued parameter: the last of repeated values, trimmed ("" when missing)."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value or "").strip()


def parse_day(value) -> date | None:
    """A day: a date, or text starting YYYY-MM-DD; None when missing or not a day."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10]) if value else None
    except ValueError:
        return None


def query_of_search(search: str) -> dict[str, str | list[str]]:
    """``?a=1&b=2&b=3`` -> ``{"a": "1", "b": ["2", "3"]}`` (what Dash hands a page's layout)."""
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs((search or "").lstrip("?"),
                                                               keep_blank_values=True).items()}


def _search(params: Mapping[str, str] | Iterable[tuple[str, str]], safe: str = ",:") -> str:
    """``?a=b&...`` of the parameters, or "" for none."""
    items = list(params.items() if isinstance(params, Mapping) else params)
    return ("?" + urlencode(items, safe=safe)) if items else ""


# --------------------------------------------------------------------------- the lists


@dataclass(frozen=True)
class _ListQuery:
    """The period every list shares: a preset, or custom days."""

    preset: str = LIST_DEFAULT_PRESET
    date_from: str = ""  # YYYY-MM-DD, custom only
    date_to: str = ""

    @staticmethod
    def _period_of(params: Mapping) -> dict:
        preset = one_value(params.get("preset")) or LIST_DEFAULT_PRESET
        return {"preset": preset if preset in periods.PRESETS else LIST_DEFAULT_PRESET,
                "date_from": one_value(params.get("from")), "date_to": one_value(params.get("to"))}

    def _period_params(self) -> dict[str, str]:
        p: dict[str, str] = {}
        if self.preset != LIST_DEFAULT_PRESET:
            p["preset"] = self.preset
        if self.preset == "custom":
            if self.date_from:
                p["from"] = self.date_from
            if self.date_to:
                p["to"] = self.date_to
        return p

    def to_search(self, **extra) -> str:
        """``?a=b&...`` of the view's ``to_params()`` (or "" when everything is default);
        `extra` parameters that are set follow them."""
        params = self.to_params()
        params.update({k: v for k, v in extra.items() if v})
        return _search(params)

    def with_(self, **changes):
        return replace(self, **changes)

    def day_range(self, today: date) -> tuple[date, date]:
        if self.preset != "custom":
            return periods.preset_days(self.preset, today)
        if not self.date_from or not self.date_to:
            raise InvalidFilter(N_("Choose both the first and the last day of a custom range."))
        try:
            first, last = date.fromisoformat(self.date_from), date.fromisoformat(self.date_to)
        except ValueError:
            raise InvalidFilter(N_("Dates must be written as YYYY-MM-DD.")) from None
        if last < first:
            raise InvalidFilter(N_("The time range is inverted: its end is before its start."))
        return first, last

    def _bounds_utc(self, tz: ZoneInfo, now_utc: datetime | None) -> tuple[datetime, datetime]:
        today = utc_to_local(now_utc or datetime.now(timezone.utc).replace(tzinfo=None), tz).date()
        return local_day_bounds_utc(*self.day_range(today), tz)


@dataclass(frozen=True)
class RecordsQuery(_ListQuery):
    """The call list's view: its URL parameters, and its CallFilter."""

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
        rec = one_value(params.get("rec")).lower()
        return cls(
            **cls._period_of(params),
            number=one_value(params.get("number")),
            extensions=split_values(params.get("ext")),
            groups=split_values(params.get("group")),
            statuses=split_values(params.get("status")),
            directions=split_values(params.get("dir")),
            trunks=split_values(params.get("trunk")),
            dids=split_values(params.get("did")),
            recording=rec if rec in ("yes", "no") else "",
            dmin=one_value(params.get("dmin")),
            dmax=one_value(params.get("dmax")),
            columns=split_values(params.get("cols")),
        )

    def to_params(self, *, with_columns: bool = False) -> dict[str, str]:
        """The non-default parameters, in a stable order."""
        p = self._period_params()
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

    def to_filter(self, tz: ZoneInfo, now_utc: datetime | None = None) -> CallFilter:
        """The CallFilter of this view (raises InvalidFilter with a clear message)."""
        start_utc, end_utc = self._bounds_utc(tz, now_utc)
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


@dataclass(frozen=True)
class ChatsQuery(_ListQuery):
    """The chats list's view: its URL parameters, and its ChatFilter."""

    number: str = ""
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping) -> "ChatsQuery":
        """From a query-string mapping (another type than texts raises BadInput)."""
        params = checked_params(params)
        return cls(
            **cls._period_of(params),
            number=one_value(params.get("number")),
            channels=split_values(params.get("channel")),
            statuses=tuple(x for x in split_values(params.get("status")) if x in ("open", "closed")),
            agents=split_values(params.get("agent")),
        )

    def to_params(self) -> dict[str, str]:
        p = self._period_params()
        for key, value in (("number", self.number), ("channel", ",".join(self.channels)),
                           ("status", ",".join(self.statuses)), ("agent", ",".join(self.agents))):
            if value:
                p[key] = value
        return p

    def to_filter(self, tz: ZoneInfo, now_utc: datetime | None = None) -> ChatFilter:
        """Raises InvalidFilter (translated on the page) for a bad range."""
        start_utc, end_utc = self._bounds_utc(tz, now_utc)
        return ChatFilter(
            start_utc=start_utc,
            end_utc=end_utc,
            channel_types=self.channels,
            statuses=self.statuses,
            number_contains=self.number or None,
            agents=self.agents,
        ).validate()


# --------------------------------------------------------------------------- reports


def _report_values(query: Mapping, key: str) -> list[str]:
    """A report page's list parameter (or a control's value: a multi-select's texts); another
    type raises BadInput naming the key."""
    value = query.get(key)
    if value is None:
        return []
    expect(value, str | list[str], key)
    return list(split_values(value))


def report_state(page, query: Mapping) -> dict:
    """A report page's control values from a URL query (or its controls' values): ``from``,
    ``to`` (dates), ``ext``, ``group``, ``dir`` (lists) and each of the page's options.
    Missing or broken values fall back to the defaults."""
    first, last = parse_day(query.get("from")), parse_day(query.get("to"))
    if not first or not last or last < first:
        first, last = periods.preset_days(REPORT_DEFAULT_PRESET, periods.today_local())
    dirs = [d for d in _report_values(query, "dir") if d in DIRECTIONS] or list(DIRECTIONS)
    state = {"from": first, "to": last, "ext": _report_values(query, "ext"),
             "group": _report_values(query, "group"), "dir": dirs}
    # A filter the report does not use never narrows it (not even from an old link).
    state.update({k: [] for k in ("ext", "group") if k not in page.shared})
    if "dir" not in page.shared:
        state["dir"] = list(DIRECTIONS)
    for opt in page.options:
        value = _report_values(query, opt.key)
        if opt.multi:
            state[opt.key] = value
            continue
        allowed = [c for c, _l in opt.choices]
        state[opt.key] = value[0] if value and value[0] in allowed else opt.default
    return state


def _report_params(first: date, last: date, extensions, groups, directions) -> list[tuple[str, str]]:
    """The days and shared filters of a report address; all directions is no ``dir``."""
    params = [("from", first.isoformat()), ("to", last.isoformat())]
    if extensions:
        params.append(("ext", ",".join(extensions)))
    if groups:
        params.append(("group", ",".join(groups)))
    dirs = [d for d in DIRECTIONS if d in (directions or ())]
    if dirs and len(dirs) < len(DIRECTIONS):
        params.append(("dir", ",".join(dirs)))
    return params


def report_search(page, state: dict) -> str:
    """The page's address query for its state (report_state's keys): the days always, the
    filters that narrow, every single-valued option."""
    params = _report_params(state["from"], state["to"], state["ext"], state["group"], state["dir"])
    for opt in page.options:
        if opt.multi:
            if state[opt.key]:
                params.append((opt.key, ",".join(state[opt.key])))
            continue
        params.append((opt.key, str(state[opt.key])))
    return _search(params, safe=",")


def report_filter(page, state: dict) -> ReportFilter:
    """The ReportFilter of a page's state."""
    kw = {opt.key: state[opt.key] for opt in page.options}
    if "interval" in kw:
        kw["interval"] = int(kw["interval"])
    return ReportFilter(state["from"], state["to"], extensions=state["ext"], groups=state["group"],
                        directions=state["dir"], **kw)


# --------------------------------------------------------------------------- schedule links


def schedule_view_search(kind: str, first: date, last: date, filters: Mapping | None, lang: str) -> str:
    """The query of the page a schedule's "view" link opens for the period first..last: a
    report page's (kind "report") or the call list's, with the schedule's filters
    (``extensions``, ``groups``, ``directions``, ``queues``, ``options``) and its language."""
    f = filters or {}
    dirs = f.get("directions") or []
    if kind != "report":
        view = RecordsQuery(preset="custom", date_from=first.isoformat(), date_to=last.isoformat(),
                            extensions=tuple(f.get("extensions") or ()), groups=tuple(f.get("groups") or ()),
                            directions=tuple(dirs) if len(dirs) < len(DIRECTIONS) else ())
        return view.to_search(lang=lang)
    params = _report_params(first, last, f.get("extensions"), f.get("groups"), dirs)
    if f.get("queues"):
        params.append(("queues", ",".join(f["queues"])))
    params += [(k, str(v)) for k, v in (f.get("options") or {}).items()]
    params.append(("lang", lang))
    return _search(params, safe=",")


def link_report_filter(query: Mapping) -> ReportFilter:
    """The ReportFilter of a report link (schedule_view_search's), read without its page:
    what a lacking option is comes from ReportFilter's defaults."""
    opts = {k: one_value(query[k]) for k in REPORT_OPTIONS if one_value(query.get(k))}
    first, last = parse_day(query["from"]), parse_day(query["to"])
    if first is None or last is None:
        raise ValueError(f"not a report link's days: {query.get('from')!r}, {query.get('to')!r}")
    return ReportFilter(first, last, extensions=split_values(query.get("ext")),
                        groups=split_values(query.get("group")), directions=split_values(query.get("dir")),
                        queues=split_values(query.get("queues")), **opts)

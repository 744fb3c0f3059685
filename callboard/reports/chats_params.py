"""The external-chats view state as URL query parameters, and its ChatFilter.

The time part is the call records' (``preset``, ``from``, ``to`` — callboard.reports.records_params),
so presets and bad-range messages are the same; plus:

    number   part of our number, the external number, the sender or the recipient
    channel  channel types, comma-separated (sms, whatsapp, ...)
    status   open | closed (comma-separated)
    agent    agents / extensions, comma-separated
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from callboard.reports.records_params import DEFAULT_PRESET, PRESETS, RecordsQuery, _one, _split, checked_params
from data.queries.chats import ChatFilter
from data.timebuckets import local_day_bounds_utc, utc_to_local


@dataclass(frozen=True)
class ChatsQuery:
    preset: str = DEFAULT_PRESET
    date_from: str = ""
    date_to: str = ""
    number: str = ""
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping) -> "ChatsQuery":
        """From a query-string mapping (another type than texts raises BadInput)."""
        params = checked_params(params)
        preset = _one(params.get("preset")) or DEFAULT_PRESET
        return cls(
            preset=preset if preset in PRESETS else DEFAULT_PRESET,
            date_from=_one(params.get("from")),
            date_to=_one(params.get("to")),
            number=_one(params.get("number")),
            channels=_split(params.get("channel")),
            statuses=tuple(x for x in _split(params.get("status")) if x in ("open", "closed")),
            agents=_split(params.get("agent")),
        )

    def to_params(self) -> dict[str, str]:
        p: dict[str, str] = {}
        if self.preset != DEFAULT_PRESET:
            p["preset"] = self.preset
        if self.preset == "custom":
            if self.date_from:
                p["from"] = self.date_from
            if self.date_to:
                p["to"] = self.date_to
        for key, value in (("number", self.number), ("channel", ",".join(self.channels)),
                           ("status", ",".join(self.statuses)), ("agent", ",".join(self.agents))):
            if value:
                p[key] = value
        return p

    def to_search(self, **extra) -> str:
        params = self.to_params()
        params.update({k: v for k, v in extra.items() if v})
        return ("?" + urlencode(params, safe=",:")) if params else ""

    def with_(self, **changes) -> "ChatsQuery":
        return replace(self, **changes)

    def day_range(self, today):
        return RecordsQuery(preset=self.preset, date_from=self.date_from, date_to=self.date_to).day_range(today)

    def to_filter(self, tz: ZoneInfo, now_utc: datetime | None = None) -> ChatFilter:
        """Raises InvalidFilter (translated on the page) for a bad range."""
        today = utc_to_local(now_utc or datetime.now(timezone.utc).replace(tzinfo=None), tz).date()
        first, last = self.day_range(today)
        start_utc, end_utc = local_day_bounds_utc(first, last, tz)
        return ChatFilter(
            start_utc=start_utc,
            end_utc=end_utc,
            channel_types=self.channels,
            statuses=self.statuses,
            number_contains=self.number or None,
            agents=self.agents,
        ).validate()

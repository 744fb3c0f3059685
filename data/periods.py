"""Relative periods ("today", "last month", ...) — one definition for listings, reports,
links and schedules. Days are local days in the PBX zone; weeks start on Monday; the
current week / month run to today ("so far"), never into the future."""

from __future__ import annotations

from datetime import date, timedelta

from callboard.core.i18n import N_

PRESETS = {
    "today": N_("Today"),
    "yesterday": N_("Yesterday"),
    "this_week": N_("This week"),
    "last_week": N_("Last week"),
    "this_month": N_("This month"),
    "last_month": N_("Last month"),
    "custom": N_("Custom range"),
}


# Rolling windows for schedules: the N whole days before the run's day (a report sent in
# the morning should not hold a partial today). Not offered by the listing pages.
ROLLING = {
    "last_7_days": N_("Last 7 days"),
    "last_30_days": N_("Last 30 days"),
}


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """First and last local day (inclusive) of a preset, relative to `today`."""
    if preset in ROLLING:
        n = int(preset.split("_")[1])
        return today - timedelta(days=n), today - timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        d = today - timedelta(days=1)
        return d, d
    if preset == "this_week":
        return today - timedelta(days=today.weekday()), today
    if preset == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(f"unknown preset {preset!r}")


def preset_of(first: date, last: date, today: date) -> str:
    """The preset naming exactly this range today, or "custom"."""
    for preset in PRESETS:
        if preset != "custom" and preset_days(preset, today) == (first, last):
            return preset
    return "custom"


def today_local() -> date:
    """Today in the PBX time zone."""
    from datetime import datetime

    from callboard.core.settings import get_settings

    return datetime.now(get_settings().tz).date()

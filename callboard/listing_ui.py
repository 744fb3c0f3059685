"""Pieces shared by the listing pages (records, recordings, chats): the period preset that
fills the date picker, and comma-separated list inputs."""

from __future__ import annotations

from dash import Input, Output, callback, no_update

from data.periods import PRESETS, preset_days, today_local


def split_items(text) -> tuple[str, ...]:
    """'101, 102;103' -> ('101', '102', '103')."""
    return tuple(x.strip() for x in str(text or "").replace(";", ",").split(",") if x.strip())


def register_preset_dates(prefix: str) -> None:
    """A preset other than "custom" fills `{prefix}-dates` with its days and locks it."""

    @callback(
        Output(f"{prefix}-dates", "disabled"),
        Output(f"{prefix}-dates", "start_date"),
        Output(f"{prefix}-dates", "end_date"),
        Input(f"{prefix}-preset", "value"),
        prevent_initial_call=True,
    )
    def _preset_dates(preset):
        if preset == "custom" or preset not in PRESETS:
            return False, no_update, no_update
        first, last = preset_days(preset, today_local())
        return True, first.isoformat(), last.isoformat()

"""`callboard settings`: every CALLBOARD_* setting with its value and meaning."""

from __future__ import annotations

import typer


def show_settings() -> None:
    """Every CALLBOARD_* setting, its current value and what it means."""
    from callboard.core.settings import Settings, get_settings

    current = get_settings()
    for name, field in Settings.model_fields.items():
        value = getattr(current, name)
        if "password" in name or "secret" in name:
            value = "***" if value else ""
        typer.echo(f"CALLBOARD_{name.upper()}={value}\n    {field.description}")

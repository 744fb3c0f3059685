"""`callboard settings`, and the settings it lists refusing a bad value."""

from __future__ import annotations

from typer.testing import CliRunner

from callboard.cli import app

runner = CliRunner()


def test_settings_lists_every_variable_and_hides_secrets(monkeypatch):
    monkeypatch.setenv("CALLBOARD_SMTP_PASSWORD", "hunter2")
    from callboard.core.settings import Settings, reset_settings_cache

    reset_settings_cache()
    result = runner.invoke(app, ["settings"])
    reset_settings_cache()
    assert result.exit_code == 0
    assert "hunter2" not in result.output
    for name in Settings.model_fields:
        assert f"CALLBOARD_{name.upper()}=" in result.output


def test_unknown_timezone_is_refused(monkeypatch):
    import pytest
    from pydantic import ValidationError

    from callboard.core.settings import Settings

    monkeypatch.setenv("CALLBOARD_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings()

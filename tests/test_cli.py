"""The `callboard` command, driven as a user would (typer's runner, real databases)."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from data import db, schema

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_db_upgrade_is_idempotent(db_url):
    from alembic.script import ScriptDirectory

    from data.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"revision {head}" in result.output


def test_rebuild_aggregates_counts_calls(db_url):
    from datetime import datetime

    with db.transaction() as conn:
        conn.execute(sa.insert(schema.source).values(id=1, name="main"))
        conn.execute(
            sa.insert(schema.call),
            [
                dict(call_uid=f"c{i}", start_utc=datetime(2026, 5, 4, 8, 10 * i), end_utc=datetime(2026, 5, 4, 8, 10 * i, 30),
                     direction="inbound", status="answered" if i else "no_answer", extension="101", talk_s=30 if i else 0,
                     duration_s=30)
                for i in range(3)
            ],
        )
    result = runner.invoke(app, ["db", "rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    a = schema.agg_call_hour
    rows = db.fetch_all(sa.select(a.c.status, a.c.calls, a.c.talk_s).where(a.c.party == "owner").order_by(a.c.status))
    assert [tuple(r) for r in rows] == [("answered", 2, 60), ("no_answer", 1, 0)]
    # 2026-05-04 08:00 UTC is 10:00 in Prague (CEST).
    th = schema.time_hour
    hour = db.fetch_all(sa.select(th.c.local_hour, th.c.local_day).where(th.c.bucket_utc == datetime(2026, 5, 4, 8)))
    assert [tuple(r) for r in hour] == [(10, datetime(2026, 5, 4).date())]


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


def test_readme_quick_start_matches_ci():
    """README's Quick start holds exactly two commands; .ci/run runs the second one."""
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash)?\n(.*?)```", quick, re.S).group(1)
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].lstrip("./") in ci
    for command in commands:
        assert (ROOT / command.split()[0]).exists()


def test_recordings_sweep_trash_removes_crash_leftovers(tmp_path, monkeypatch):
    from callboard.core.settings import reset_settings_cache
    from data.recordings import TRASH_MARK

    root = tmp_path / "recordings"
    day = root / "2026" / "03" / "10"
    day.mkdir(parents=True)
    (day / "c1.wav").write_bytes(b"RIFF")  # a live recording: never touched
    leftover = day / f".c2.wav{TRASH_MARK}0123456789ab"  # a crash between commit and unlink
    leftover.write_bytes(b"RIFF")
    monkeypatch.setenv("CALLBOARD_RECORDINGS_DIR", str(root))
    reset_settings_cache()
    try:
        # Just moved aside: it may belong to a delete still in its transaction — kept.
        result = runner.invoke(app, ["recordings", "sweep-trash"])
        assert result.exit_code == 0, result.output
        assert "0 trash files removed" in result.output
        assert leftover.exists()

        result = runner.invoke(app, ["recordings", "sweep-trash", "--older-than", "0"])
        assert result.exit_code == 0, result.output
        assert f"removed 2026/03/10/{leftover.name}" in result.output
        assert "1 trash file removed" in result.output
        assert not leftover.exists() and (day / "c1.wav").is_file()

        result = runner.invoke(app, ["recordings", "sweep-trash", "--older-than", "0"])
        assert result.exit_code == 0 and "0 trash files removed" in result.output
    finally:
        reset_settings_cache()
    result = runner.invoke(app, ["recordings", "sweep-trash", "--recordings-dir", str(tmp_path / "none")])
    assert result.exit_code == 0 and "nothing to sweep" in result.output

"""`callboard recordings sweep-trash`."""

from __future__ import annotations

from typer.testing import CliRunner

from callboard.cli import app

runner = CliRunner()


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

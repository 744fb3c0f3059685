"""`callboard retention ...` and `callboard privacy ...` through typer, on both databases."""

from __future__ import annotations


import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from data import db
from data import schema as s
from tests.calls_data import insert_calls

runner = CliRunner()


def test_retention_set_show_and_dry_run(engine):
    insert_calls()
    out = runner.invoke(app, ["retention", "set", "calls=1m", "files=30d"])
    assert out.exit_code == 0, out.output
    assert "calls       1 months" in out.output and "audit       forever" in out.output
    bad = runner.invoke(app, ["retention", "set", "calls=soon"])
    assert bad.exit_code == 1 and "whole number" in bad.output
    dry = runner.invoke(app, ["retention", "run", "--dry-run", "--now", "2026-06-01T00:00:00Z"])
    assert dry.exit_code == 0, dry.output
    assert "DRY RUN" in dry.output and "calls       2026-04-30 22:00:00" in dry.output
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar_one() == 6
    run = runner.invoke(app, ["retention", "run", "--now", "2026-06-01T00:00:00Z"])
    assert run.exit_code == 0, run.output
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar_one() == 0


def test_privacy_find_erase_and_masking(engine):
    insert_calls()
    found = runner.invoke(app, ["privacy", "find", "00420 777 222 333"])
    assert found.exit_code == 0, found.output
    assert "+420777222333:" in found.output and "calls           1" in found.output
    bad = runner.invoke(app, ["privacy", "find", "hello"])
    assert bad.exit_code == 1 and "not a phone number" in bad.output
    erased = runner.invoke(app, ["privacy", "erase", "777222333", "--yes"])
    assert erased.exit_code == 0 and "1 calls" in erased.output
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.call)).scalar_one() == 5
        assert conn.execute(sa.select(s.audit_log.c.action)).scalars().all() == ["privacy_erase"]
    masking = runner.invoke(app, ["privacy", "masking", "viewer"])
    assert masking.exit_code == 0 and "masked for: viewer" in masking.output

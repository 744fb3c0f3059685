"""`callboard schedule ...` and `callboard scheduler run-due` in process (typer's runner),
against a real database and a real SMTP server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from callboard.core.settings import reset_settings_cache
from data import db
from data import schema as s
from tests.scheduler.smtp_support import fill, smtp_server

cli = CliRunner()


@pytest.fixture
def smtp(monkeypatch):
    with smtp_server() as (box, port):
        monkeypatch.setenv("CALLBOARD_SMTP_PORT", str(port))
        monkeypatch.setenv("CALLBOARD_SMTP_HOST", "127.0.0.1")
        reset_settings_cache()
        yield box
    reset_settings_cache()


def run(*args):
    result = cli.invoke(app, list(args))
    return result.exit_code, result.output


def test_schedule_lifecycle_from_the_command_line(engine, smtp):
    fill(engine)
    code, out = run("schedule", "add", "--name", "Report_1", "--report", "extension-statistics", "--period",
                    "this_month", "--direction", "inbound", "--to", "boss@example.com", "--frequency", "weekly",
                    "--weekday", "2", "--at", "10:00", "--format", "csv")
    assert code == 0, out
    (row,) = db.fetch_all(sa.select(s.schedule), engine)
    assert out.strip() == f"schedule {row.id} created: Report_1"
    assert row.owner_id == db.fetch_all(sa.select(s.app_user.c.id), engine)[0].id  # the administrator
    code, out = run("schedule", "list")
    assert code == 0 and "Report_1\textension-statistics\tcsv\tWeekly, Wednesday 10:00\tenabled" in out
    assert run("schedule", "pause", str(row.id)) == (0, f"schedule {row.id} paused\n")
    assert "\tpaused\tnext: -" in run("schedule", "list")[1]
    assert run("schedule", "resume", str(row.id))[0] == 0
    code, out = run("schedule", "edit", str(row.id), "--valid-hours", "12")
    assert code == 2  # refused, unchanged
    assert db.fetch_all(sa.select(s.schedule.c.link_valid_hours), engine)[0][0] == 72
    assert run("schedule", "edit", str(row.id), "--at", "11:30")[0] == 0
    code, out = run("schedule", "run-now", str(row.id), "--now", "2026-11-25T12:00")
    assert code == 0 and out.startswith(f"m{row.id}@") and "\tsent" in out
    assert len(smtp.messages) == 1
    code, out = run("scheduler", "run-due", "--now", "2026-11-25T12:00")
    assert (code, out) == (0, "nothing due\n")  # resumed today: earlier Wednesdays are not owed
    assert run("schedule", "delete", str(row.id)) == (0, f"schedule {row.id} deleted\n")
    assert db.fetch_all(sa.select(s.schedule), engine) == []
    assert len(db.fetch_all(sa.select(s.delivery), engine)) == 1  # the sent file stays listed
    assert run("schedule", "delete", str(row.id))[0] == 1


def test_send_test_mail(engine, smtp):
    assert run("send-test-mail", "ops@example.com") == (0, "test message sent to ops@example.com\n")
    assert smtp.messages[0]["Subject"] == "Callboard test message"
    assert run("send-test-mail", "not an address")[0] == 2

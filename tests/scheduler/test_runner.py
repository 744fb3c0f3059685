"""The scheduler end to end on both databases: due runs recorded once, built, stored,
mailed through a real SMTP server (aiosmtpd), retried after SMTP failures, and never sent
twice — also across a crash (a real subprocess stopped at a crash point) and with two
scheduler processes racing (PostgreSQL)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa

from callboard.reports import schedules
from callboard.core.settings import reset_settings_cache
from data import db
from data import schema as s
from scheduler import runner
from tests.scheduler.smtp_support import attachment, fill, free_port, links, smtp_server

ROOT = Path(__file__).resolve().parents[2]
D = datetime
CREATED = D(2026, 11, 20, 8, 0)  # the schedule exists since Friday 2026-11-20
WED_10 = D(2026, 11, 25, 9, 0)  # Wednesday 10:00 in Prague, in UTC

REPORT_1 = dict(name="Report_1", kind="report", report_type="extension-statistics", period="this_month",
                directions=["inbound"], recipients="boss@example.com; deputy@example.cz", frequency="weekly",
                weekday=2, run_time="10:00", link_valid_hours=72, format="csv", language="en")


@pytest.fixture
def smtp(monkeypatch):
    with smtp_server() as (box, port):
        monkeypatch.setenv("CALLBOARD_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CALLBOARD_SMTP_PORT", str(port))
        monkeypatch.setenv("CALLBOARD_SMTP_SECURITY", "none")
        monkeypatch.setenv("CALLBOARD_BASE_URL", "http://callboard.test")
        reset_settings_cache()
        yield box
    reset_settings_cache()


def _runs(engine):
    return db.fetch_all(sa.select(s.schedule_run).order_by(s.schedule_run.c.id), engine)


def _deliveries(engine):
    return db.fetch_all(sa.select(s.delivery).order_by(s.delivery.c.id), engine)


def test_report_1_sends_on_wednesday_ten_and_not_before(pg_only_url, smtp):
    """SPEC §5's example: Extension call statistics, current month, all extensions, inbound
    only, named Report_1, every Wednesday at 10:00, PDF (on PostgreSQL; the CSV test below
    runs the same path on both databases)."""
    engine = db.get_engine(pg_only_url)
    admin = fill(engine)
    sid = schedules.create({**REPORT_1, "format": "pdf"}, owner_id=admin, now=CREATED)
    assert runner.run_due(D(2026, 11, 25, 8, 59)) == []  # 09:59 local: not yet
    assert smtp.messages == [] and _runs(engine) == []

    (outcome,) = runner.run_due(WED_10)
    assert (outcome.status, outcome.run_key) == ("sent", f"s{sid}@2026-11-25T09:00Z")
    assert runner.run_due(WED_10) == [] and runner.run_due(D(2026, 11, 25, 12)) == []  # once
    (msg,) = smtp.messages
    assert smtp.envelopes[0][1] == ["boss@example.com", "deputy@example.cz"]
    assert msg["Subject"] == "Report_1: Extension call statistics, 1 Nov 2026 – 25 Nov 2026"
    urls = links(msg)
    assert urls["download"].startswith("http://callboard.test/files/")
    assert urls["view"].startswith("http://callboard.test/view/")
    html_body = msg.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{urls["download"]}">' in html_body
    name, content = attachment(msg)
    assert name == "extension-statistics_2026-11-01_2026-11-25.pdf" and content.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    # hand-counted: inbound calls of November 1..25 — 101: n1 answered (talk 100 s), n2 no answer; 102: n4
    assert "Report_1" in text and "Alice Dvořáková" in text
    assert "101 Alice Dvořáková 2 1 1" in text and "102 Bob 1 1 0" in text
    pdf = Path(os.environ["CALLBOARD_FILES_DIR"]) / "check.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))],
                   check=True, timeout=60)
    png = next(pdf.parent.glob("check*.png"))
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 2000  # page 1 renders
    (run,) = _runs(engine)
    assert (run.status, run.attempts, run.error, run.sent_utc) == ("sent", 1, None, WED_10)
    (delivery,) = _deliveries(engine)
    assert (delivery.status, delivery.record_count, delivery.format) == ("sent", 2, "pdf")
    assert delivery.expires_utc == D(2026, 11, 28, 9, 0)
    assert delivery.view_path == "/reports/extension-statistics?from=2026-11-01&to=2026-11-25&dir=inbound&lang=en"
    stored = Path(os.environ["CALLBOARD_FILES_DIR"]) / delivery.path
    assert stored.read_bytes() == content


def test_report_csv_numbers_equal_the_database(engine, smtp):
    admin = fill(engine)
    schedules.create(REPORT_1, owner_id=admin, now=CREATED)
    runner.run_due(WED_10)
    name, content = attachment(smtp.messages[0])
    assert name == "extension-statistics_2026-11-01_2026-11-25.csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    table = {r[0]: r for r in rows[1:]}
    assert sorted(table) == ["101", "102"]
    assert (table["101"][1], table["101"][2]) == ("Alice Dvořáková", "2")
    assert table["102"][2] == "1"
    # the same counts straight from the facts
    counts = dict(db.fetch_all(sa.select(s.call.c.extension, sa.func.count()).where(
        s.call.c.direction == "inbound", s.call.c.start_utc >= D(2026, 10, 31, 23),
        s.call.c.start_utc < D(2026, 11, 25, 23)).group_by(s.call.c.extension), engine))
    assert {k: int(v[2]) for k, v in table.items()} == counts


def test_missed_runs_are_sent_on_return_each_with_its_period(engine, smtp):
    admin = fill(engine)
    schedules.create({**REPORT_1, "frequency": "daily", "period": "yesterday", "format": "csv"},
                     owner_id=admin, now=D(2026, 11, 22, 12))
    outcomes = runner.run_due(D(2026, 11, 25, 9, 30))  # down since Sunday noon
    assert [o.status for o in outcomes] == ["sent"] * 3
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert [sub.rsplit(", ", 1)[1] for sub in subjects] == ["22 Nov 2026", "23 Nov 2026", "24 Nov 2026"]


def test_smtp_down_then_up_is_delivered_after_retry(engine, smtp, monkeypatch):
    admin = fill(engine)
    dead = free_port()
    monkeypatch.setenv("CALLBOARD_SMTP_PORT", str(dead))
    reset_settings_cache()
    schedules.create(REPORT_1, owner_id=admin, now=CREATED)
    (first,) = runner.run_due(WED_10)
    assert first.status == "retrying" and "Connection refused" in first.error
    (run,) = _runs(engine)
    assert (run.status, run.attempts, run.next_attempt_utc) == ("retrying", 1, D(2026, 11, 25, 9, 1))
    assert runner.run_due(D(2026, 11, 25, 9, 0, 30)) == []  # backoff: not before 09:01
    with smtp_server(dead) as (box, _port):
        (second,) = runner.run_due(D(2026, 11, 25, 9, 1))
        assert second.status == "sent"
        assert len(box.messages) == 1
    (run,) = _runs(engine)
    assert (run.status, run.attempts, run.error) == ("sent", 2, None)
    assert len(_deliveries(engine)) == 1  # built once, sent on the second attempt


def test_run_now_sends_the_current_period(engine, smtp):
    admin = fill(engine)
    sid = schedules.create({**REPORT_1, "period": "last_month"}, owner_id=admin, now=CREATED)
    run_id = runner.run_now(sid, D(2026, 11, 26, 14, 0))
    (outcome,) = runner.process_ready(D(2026, 11, 26, 14, 0), only=run_id)
    assert outcome.status == "sent"
    _name, content = attachment(smtp.messages[0])
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert [(r[0], r[2]) for r in rows[1:]] == [("101", "1")]  # October: n5 only
    # a manual run does not move the calendar: the Wednesdays since the schedule was made are still due
    later = runner.run_due(D(2026, 12, 2, 9, 0))
    assert [(o.run_key[-17:], o.status) for o in later] == [("2026-11-25T09:00Z", "sent"),
                                                             ("2026-12-02T09:00Z", "sent")]


def _cli(args, env_extra, *, check=True):
    env = dict(os.environ, **env_extra)
    proc = subprocess.run([sys.executable, "-m", "callboard.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_crash_after_building_sends_once_after_restart(pg_only_url, smtp):
    engine = db.get_engine(pg_only_url)
    admin = fill(engine)
    schedules.create(REPORT_1, owner_id=admin, now=CREATED)
    crashed = _cli(["scheduler", "run-due", "--now", "2026-11-25T10:00"],
                   {"CALLBOARD_SCHEDULER_CRASH_AT": "after_build"}, check=False)
    assert crashed.returncode == 75, crashed.stderr
    assert smtp.messages == []
    (run,) = _runs(engine)
    assert run.status == "building" and len(_deliveries(engine)) == 1  # built and stored, not sent
    # the restarted scheduler (a new process: a new worker id)
    assert runner.run_due(D(2026, 11, 25, 9, 5), worker="restarted:1") == []  # the crashed claim's lease holds
    assert smtp.messages == []
    (after,) = runner.run_due(D(2026, 11, 25, 9, 11), worker="restarted:1")
    assert after.status == "sent"
    assert len(smtp.messages) == 1
    assert len(_deliveries(engine)) == 1  # the stored file, not a second build
    assert runner.run_due(D(2026, 11, 25, 9, 30), worker="restarted:1") == []
    assert len(smtp.messages) == 1


def test_two_schedulers_racing_send_each_run_once(pg_only_url, smtp):
    engine = db.get_engine(pg_only_url)
    admin = fill(engine)
    for i in range(4):
        schedules.create({**REPORT_1, "name": f"Race {i}"}, owner_id=admin, now=CREATED)
    cmd = [sys.executable, "-m", "callboard.cli", "scheduler", "run-due", "--now", "2026-11-25T10:00"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert len(smtp.messages) == 4
    assert sorted(m["Subject"].split(":")[0] for m in smtp.messages) == [f"Race {i}" for i in range(4)]
    assert [r.status for r in _runs(engine)] == ["sent"] * 4
    sent_lines = sum(out.count("\tsent") for out, _err in outs)
    assert sent_lines == 4


def test_invalid_schedules_are_refused_with_the_field_and_nothing_saved(engine):
    eleven = "; ".join(f"user{i}@example.com" for i in range(11))
    cases = {
        "recipients": {"recipients": eleven},
        "directions": {"directions": []},
        "link_valid_hours": {"link_valid_hours": 12},
        "day_of_month": {"frequency": "monthly", "day_of_month": 0},
    }
    for field, change in cases.items():
        with pytest.raises(schedules.ScheduleInvalid) as exc:
            schedules.create({**REPORT_1, **change}, owner_id=None)
        assert list(exc.value.errors) == [field]
    with pytest.raises(schedules.ScheduleInvalid) as exc:
        schedules.create({**REPORT_1, "recipients": "boss@example.com; not-an-address"}, owner_id=None)
    assert exc.value.errors["recipients"][1] == {"address": "not-an-address"}
    ten = "; ".join(f"user{i}@example.com" for i in range(10))
    assert schedules.validate({**REPORT_1, "recipients": ten})["recipients"].count("@") == 10
    assert db.fetch_all(sa.select(s.schedule), engine) == []
    from typer.testing import CliRunner

    from callboard.cli import app

    refused = CliRunner().invoke(app, ["schedule", "add", "--name", "X", "--report", "extension-statistics",
                                       "--direction", "inbound", "--to", eleven, "--frequency", "daily",
                                       "--at", "10:00"])
    assert refused.exit_code == 2 and "recipients: At most 10 addresses; you entered 11." in refused.output
    assert db.fetch_all(sa.select(s.schedule), engine) == []


def test_a_capped_cdr_export_says_n_of_m_in_the_file_and_the_email(engine, smtp):
    """10,001 inbound calls on 2026-11-24; a CSV holds 10,000 (SPEC §3) and both the file and
    the email say how many exist."""
    admin = fill(engine)
    start = D(2026, 11, 24, 6, 0)
    many = [dict(call_uid=f"m{i}", start_utc=start + timedelta(seconds=i), end_utc=start + timedelta(seconds=i + 5),
                 direction="inbound", status="answered", from_number="+420601999000", to_number="101",
                 extension="101", duration_s=5, ring_s=1, talk_s=4) for i in range(10_001)]
    with db.transaction(engine) as conn:
        conn.execute(sa.insert(s.call), many)
    sid = schedules.create({**REPORT_1, "kind": "cdr", "period": "yesterday", "frequency": "daily"},
                           owner_id=admin, now=CREATED)
    (outcome,) = runner.process_ready(D(2026, 11, 25, 9), only=runner.run_now(sid, D(2026, 11, 25, 9)))
    assert outcome.status == "sent", outcome.error
    msg = smtp.messages[0]
    assert "The file holds the first 10,000 of 10,001 records." in msg.get_body(("plain",)).get_content()
    (delivery,) = _deliveries(engine)
    assert (delivery.record_count, delivery.total_count) == (10_000, 10_001)
    body = (Path(os.environ["CALLBOARD_FILES_DIR"]) / delivery.path).read_text(encoding="utf-8")
    assert body.count("+420601999000") == 10_000
    assert "10,001" in body.strip().splitlines()[-1]  # the file's own note

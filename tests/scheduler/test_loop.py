"""The scheduler process: `callboard scheduler` as a real subprocess sends what is due and
stops cleanly on SIGTERM; the daily retention moment is a pure function of the clock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callboard.reports import schedules
from scheduler.loop import retention_due
from tests.scheduler.smtp_support import fill, smtp_server

ROOT = Path(__file__).resolve().parents[2]
PRAGUE = ZoneInfo("Europe/Prague")


def test_retention_runs_once_a_day_from_three_local():
    # 01:59 UTC on 2026-11-26 is 02:59 CET: not yet; 02:00 UTC is 03:00 CET: due
    assert retention_due(datetime(2026, 11, 26, 1, 59), None, PRAGUE) is None
    assert retention_due(datetime(2026, 11, 26, 2, 0), None, PRAGUE) == date(2026, 11, 26)
    assert retention_due(datetime(2026, 11, 26, 14, 0), date(2026, 11, 26), PRAGUE) is None  # done today
    # in summer 03:00 CEST is 01:00 UTC
    assert retention_due(datetime(2026, 7, 1, 1, 0), date(2026, 6, 30), PRAGUE) == date(2026, 7, 1)


def test_scheduler_process_sends_due_runs_and_stops_on_sigterm(pg_only_url, monkeypatch):
    from data import db

    engine = db.get_engine(pg_only_url)
    admin = fill(engine)
    now = schedules.utc_now()
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(PRAGUE) - timedelta(minutes=1)
    schedules.create({"name": "Daily", "kind": "report", "report_type": "pbx-activity", "period": "yesterday",
                      "directions": ["inbound"], "recipients": "ops@example.com", "frequency": "daily",
                      "run_time": local.strftime("%H:%M"), "link_valid_hours": 24, "format": "csv",
                      "language": "en"}, owner_id=admin, now=now - timedelta(hours=1))
    with smtp_server() as (box, port):
        env = dict(os.environ, CALLBOARD_SMTP_HOST="127.0.0.1", CALLBOARD_SMTP_PORT=str(port))
        proc = subprocess.Popen([sys.executable, "-m", "callboard.cli", "scheduler", "--poll", "1"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while not box.messages and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            assert len(box.messages) == 1
            time.sleep(1.5)  # a few more ticks: nothing more is sent
            assert len(box.messages) == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "scheduler stopped" in out and "sent" in out

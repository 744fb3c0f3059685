"""What the file importers share (data/importers/base.py): one import into a source at a time.

Two imports of the same file at once used to end the second with a 245-line IntegrityError
traceback (both wrote the same calls). Now the second waits for the first, says so in one
line, and continues where the first ended — two real `callboard import` processes, on both
databases.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from data import db
from data import schema as s
from data.importers.base import source_lock

FIX = Path(__file__).parent / "fixtures"
VENV_BIN = Path(sys.executable).parent
WAITING = "another import into source 'main' is running: waiting for it to finish"


def test_two_imports_of_one_file_at_once_run_one_after_the_other(db_url, tmp_path):
    path = tmp_path / "Master.csv"
    shutil.copy(FIX / "csv21_local.csv", path)
    engine = db.get_engine(db_url)
    env = dict(os.environ, CALLBOARD_DATABASE_URL=db_url)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    procs = []
    # This test holds the source's lock first, so both processes are certain to meet it
    # (a real overlap without depending on timing), then lets them go.
    with source_lock(engine, "main"):
        for log in logs:
            with open(log, "wb") as out:
                procs.append(subprocess.Popen([str(VENV_BIN / "callboard"), "import", "asterisk-cdr", str(path),
                                               "--no-progress"], env=env, stdout=out, stderr=subprocess.STDOUT))
        deadline = time.time() + 60
        while not all(WAITING in log.read_text() for log in logs):
            assert time.time() < deadline and all(p.poll() is None for p in procs), [x.read_text() for x in logs]
            time.sleep(0.2)
        assert db.fetch_scalar(sa.select(sa.func.count()).select_from(s.call), engine) == 0  # nobody wrote yet
    assert [p.wait(timeout=120) for p in procs] == [0, 0], [x.read_text() for x in logs]
    outputs = [log.read_text().splitlines() for log in logs]
    for lines in outputs:  # the waiting line and the summary: no traceback
        assert lines[0] == WAITING and len(lines) == 2 and "Traceback" not in "".join(lines), lines
    added = sorted(int(lines[1].split("calls added ")[1].split(",")[0]) for lines in outputs)
    stored = db.fetch_scalar(sa.select(sa.func.count()).select_from(s.call), engine)
    assert added[0] == 0 and added[1] == stored > 0  # the second found nothing new: it continued at the end
    assert any("(continued at byte " in lines[1] for lines in outputs)


def test_the_lock_is_released_with_the_file(db_url, tmp_path):
    """An import in this process takes the lock and frees it when done: the next one (and a
    lock taken here) do not wait."""
    from data.importers.asterisk.cdr_file import import_cdr_file

    path = tmp_path / "Master.csv"
    shutil.copy(FIX / "csv21_local.csv", path)
    engine = db.get_engine(db_url)
    first = import_cdr_file(engine, path)
    again = import_cdr_file(engine, path)
    assert first.calls_added > 0 and again.calls_added == 0
    if engine.dialect.name == "postgresql":
        held = db.fetch_scalar(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"), engine)
        assert held == 0
    with source_lock(engine, "main"):
        pass

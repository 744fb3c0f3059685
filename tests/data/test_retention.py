"""Retention on SQLite and PostgreSQL with a fixed clock.

Clock: 2026-06-15 10:00 UTC. Periods: call records 2 months (cut-off: local midnight of
2026-04-15 in Prague, CEST = 2026-04-14 22:00 UTC), chats and generated files 30 days
(2026-05-16 local = 2026-05-15 22:00 UTC), audit log 12 months (2025-06-14 22:00 UTC),
recordings forever.

Data: tests/recordings_data.py (calls c1..c6 and five recorded calls on 2026-03-10/11 with
their files, chat sessions S1/S2 active 2026-03-10) — all older than the cut-offs — plus

    b_old  2026-04-14 21:59:59 UTC (local 23:59:59 on the 14th)   goes
    b_new  2026-04-14 22:00:00 UTC (local 00:00 on the 15th)      stays
    n1     2026-05-20 08:00 UTC, queue 600, a leg, recorded new.wav  stays
    chat   S_new active 2026-06-01                                stays
    files  old.csv (created 2026-05-01) goes, new.csv (2026-06-10) stays
    audit  2025-05-01 goes, 2026-01-01 stays
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from data import aggregates, db, retention
from data import schema as s
from data.retention import Keep
from tests.recordings_data import FILES, insert_recordings, write_wav

D = datetime
NOW = D(2026, 6, 15, 10, 0)
POLICY = {"calls": Keep(2, "months"), "recordings": Keep(), "chats": Keep(30, "days"),
          "files": Keep(30, "days"), "audit": Keep(12, "months")}
OLD_FILES = sorted(rel for uid, rel in FILES.items() if uid != "c_miss")  # c_miss's file never existed


def build(tmp_path) -> dict:
    rec_root, files_root = tmp_path / "recordings", tmp_path / "files"
    base = insert_recordings(rec_root)
    ids = {}
    with db.transaction() as conn:
        def call(uid, start, **kw):
            row = dict(call_uid=uid, start_utc=start, end_utc=start, direction="inbound", status="answered",
                       from_number="+420601000000", to_number="101", extension="101", duration_s=40, ring_s=5,
                       talk_s=35) | kw
            ids[uid] = conn.execute(sa.insert(s.call).values(**row).returning(s.call.c.id)).scalar_one()

        call("b_old", D(2026, 4, 14, 21, 59, 59))
        call("b_new", D(2026, 4, 14, 22, 0, 0))
        call("n1", D(2026, 5, 20, 8, 0), queue="600", has_recording=True)
        conn.execute(sa.insert(s.call_leg).values(call_id=ids["n1"], seq=1, extension="101", start_utc=D(2026, 5, 20, 8),
                                                  end_utc=D(2026, 5, 20, 8, 1), status="answered"))
        conn.execute(sa.insert(s.queue_call).values(call_id=ids["n1"], call_uid="n1", queue="600",
                                                    enter_utc=D(2026, 5, 20, 8), outcome="answered", wait_s=5))
        conn.execute(sa.insert(s.queue_call).values(call_id=base["calls"]["c1"], call_uid="c1", queue="600",
                                                    enter_utc=D(2026, 3, 10, 8), outcome="answered", wait_s=4))
        conn.execute(sa.insert(s.callback).values(call_id=base["calls"]["c4"], queue="600", number="+420608999000",
                                                  requested_utc=D(2026, 3, 10, 9, 1), status="requested"))
        size = write_wav(rec_root / "2026/05/20/new.wav")
        conn.execute(sa.insert(s.recording).values(call_id=ids["n1"], path="2026/05/20/new.wav", format="wav",
                                                   size_bytes=size, created_utc=D(2026, 5, 20, 8, 1)))
        conn.execute(sa.insert(s.chat_session).values(
            session_uid="S_new", channel_type="sms", channel_number="+420222000999", external_number="+420777999000",
            created_utc=D(2026, 6, 1), last_active_utc=D(2026, 6, 1), status="open", agent="101"))
        files_root.mkdir(parents=True, exist_ok=True)
        for name, created in (("old.csv", D(2026, 5, 1)), ("new.csv", D(2026, 6, 10))):
            (files_root / name).write_text("a;b\n1;2\n")
            conn.execute(sa.insert(s.delivery).values(kind="cdr", name=name, format="csv", path=name, size_bytes=8,
                                                      status="ready", created_utc=created))
        for at in (D(2025, 5, 1), D(2026, 1, 1)):
            conn.execute(sa.insert(s.audit_log).values(at_utc=at, action="login", username="x"))
        aggregates.rebuild_all(conn)
    return {"calls": base["calls"] | ids, "rec_root": rec_root, "files_root": files_root}


def _count(conn, table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _counts(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: _count(conn, t) for t in s.metadata.sorted_tables}


def _kept_totals(conn) -> tuple:
    """Report totals of the kept period (local 2026-04-15 onwards) from the aggregates."""
    a, q, d = s.agg_call_total_hour, s.agg_queue_hour, s.agg_call_day
    cut = D(2026, 4, 14, 22)
    return (conn.execute(sa.select(sa.func.sum(a.c.calls), sa.func.sum(a.c.talk_s), sa.func.sum(a.c.recorded))
                         .where(a.c.bucket_utc >= cut)).one(),
            conn.execute(sa.select(sa.func.sum(q.c.calls)).where(q.c.bucket_utc >= cut)).scalar(),
            conn.execute(sa.select(sa.func.sum(d.c.calls)).where(d.c.local_day >= D(2026, 4, 15).date())).scalar())


def _aggregates(conn) -> dict:
    return {t.name: sorted(tuple(map(str, r)) for r in conn.execute(sa.select(t)))
            for t in (s.agg_call_hour, s.agg_queue_hour, s.agg_call_total_hour, s.agg_call_day, s.agg_number_hour)}


def test_cutoffs_are_local_midnights_across_dst():
    assert retention.cutoff_utc(Keep(2, "months"), NOW) == D(2026, 4, 14, 22)  # CEST
    assert retention.cutoff_utc(Keep(1, "months"), D(2026, 3, 31, 12)) == D(2026, 2, 27, 23)  # CET, Feb 28
    assert retention.cutoff_utc(Keep(30, "days"), D(2026, 3, 29, 23, 30)) == D(2026, 2, 27, 23)  # local Mar 30
    assert retention.cutoff_utc(Keep(), NOW) is None


@pytest.mark.parametrize("value, keep", [("forever", Keep()), (None, Keep()), ("24m", Keep(24, "months")),
                                         ("30 days", Keep(30, "days")), ({"amount": "6", "unit": "months"},
                                                                         Keep(6, "months"))])
def test_policy_values_parse(value, keep):
    assert Keep.parse("calls", value) == keep


@pytest.mark.parametrize("value, words", [("0d", "at least 1"), ("ten days", "whole number"),
                                          ({"amount": 3, "unit": "weeks"}, "days or months")])
def test_bad_policy_values_say_what_is_wrong(value, words):
    with pytest.raises(retention.InvalidPolicy, match=words):
        Keep.parse("calls", value)


def test_policy_is_stored_and_audited(engine):
    assert retention.load_policy(engine) == {k: Keep() for k in retention.KINDS}  # default: keep forever
    retention.save_policy({"calls": "24m", "files": "30d"}, actor={"username": "admin"}, engine=engine)
    assert retention.load_policy(engine)["calls"] == Keep(24, "months")
    assert retention.load_policy(engine)["recordings"] == Keep()
    with pytest.raises(retention.InvalidPolicy, match="Unknown kind"):
        retention.save_policy({"faxes": "1d"}, engine=engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(s.audit_log.c.action)).scalars().all() == ["retention_policy"]


def test_exactly_the_old_rows_and_files_go(engine, tmp_path):
    data = build(tmp_path)
    rec_root, files_root = data["rec_root"], data["files_root"]
    with engine.connect() as conn:
        totals_before = _kept_totals(conn)
    old_bytes = sum((rec_root / rel).stat().st_size for rel in OLD_FILES) + 8

    report = retention.run_retention(now=NOW, engine=engine, policy=POLICY, batch_size=2)

    with engine.connect() as conn:
        uids = set(conn.execute(sa.select(s.call.c.call_uid)).scalars())
        assert uids == {"b_new", "n1"}
        assert conn.execute(sa.select(s.recording.c.path)).scalars().all() == ["2026/05/20/new.wav"]
        assert conn.execute(sa.select(s.call_leg.c.call_id)).scalars().all() == [data["calls"]["n1"]]
        assert conn.execute(sa.select(s.queue_call.c.call_uid)).scalars().all() == ["n1"]
        assert _count(conn, s.callback) == 0
        assert conn.execute(sa.select(s.chat_session.c.session_uid)).scalars().all() == ["S_new"]
        assert _count(conn, s.chat_message) == 0 and _count(conn, s.chat_event) == 0
        assert conn.execute(sa.select(s.delivery.c.name)).scalars().all() == ["new.csv"]
        audit = conn.execute(sa.select(s.audit_log.c.at_utc, s.audit_log.c.action, s.audit_log.c.details)
                             .order_by(s.audit_log.c.id)).all()
        assert _kept_totals(conn) == totals_before
        incremental = _aggregates(conn)
        aggregates.rebuild_all(conn)
        assert _aggregates(conn) == incremental  # the aggregates follow the remaining facts
        assert conn.execute(sa.select(sa.func.count()).select_from(s.agg_call_total_hour)
                            .where(s.agg_call_total_hour.c.bucket_utc < D(2026, 4, 14, 22))).scalar_one() == 0
    assert sorted(p.relative_to(rec_root).as_posix() for p in rec_root.rglob("*") if p.is_file()) \
        == ["2026/05/20/new.wav"]
    assert sorted(p.name for p in files_root.iterdir()) == ["new.csv"]
    assert [a.action for a in audit] == ["login", "retention_run"] and audit[0].at_utc == D(2026, 1, 1)
    summary = audit[1].details["kinds"]
    assert summary["calls"]["rows"] == 6 + 5 + 1  # c1..c6, the five recorded calls, b_old
    assert summary["calls"]["related_rows"] == {"call_legs": 2, "queue_calls": 1, "ivr_choices": 0,
                                                "survey_answers": 0, "recordings": 6, "callbacks": 1}
    assert summary["calls"]["files"] == 5 and summary["files"]["files"] == 1
    assert summary["calls"]["bytes_freed"] + summary["files"]["bytes_freed"] == old_bytes
    assert summary["chats"]["rows"] == 2 and summary["chats"]["related_rows"]["chat_messages"] == 4
    assert summary["audit"]["rows"] == 1 and summary["recordings"]["cutoff_utc"] is None
    assert report.files_failed == [] and report.batches > 6  # batch_size=2: many small transactions


def test_dry_run_counts_and_removes_nothing(engine, tmp_path):
    data = build(tmp_path)
    before = _counts(engine)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".db" and "-wal" not in p.name)

    report = retention.run_retention(now=NOW, dry_run=True, engine=engine, policy=POLICY)

    assert _counts(engine) == before
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".db" and "-wal" not in p.name) == files
    k = report.kinds
    assert (k["calls"].rows, k["calls"].related_rows["recordings"], k["chats"].rows, k["files"].rows,
            k["audit"].rows) == (12, 6, 2, 1, 1)
    assert k["recordings"].rows == 0 and data


def _immutable(path: Path, on: bool) -> bool:
    if not shutil.which("chattr"):
        return False
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


def test_a_file_that_cannot_be_removed_keeps_its_row(engine, tmp_path):
    data = build(tmp_path)
    rec_root = data["rec_root"]
    locked_dir = rec_root / "2026/03/10"  # holds c1.wav ... na.wav
    # chattr +i: not even root may rename or unlink inside the directory.
    if not _immutable(locked_dir, True):
        pytest.skip("chattr +i is not available on this filesystem")
    try:
        report = retention.run_retention(now=NOW, engine=engine, policy=POLICY)
        with engine.connect() as conn:
            kept = set(conn.execute(sa.select(s.call.c.call_uid)).scalars())
            paths = set(conn.execute(sa.select(s.recording.c.path)).scalars())
    finally:
        _immutable(locked_dir, False)
    # The calls whose files could not go stay, with their recording rows; c_miss (its file
    # was already missing) and the unrecorded old calls go.
    assert kept == {"b_new", "n1", "c1", "c_out", "c_ivr", "c_vm", "c_na"}
    assert paths == {FILES[u] for u in ("c1", "c_out", "c_ivr", "c_vm", "c_na")} | {"2026/05/20/new.wav"}
    assert sorted(f["path"] for f in report.files_failed) == sorted(FILES[u] for u in ("c1", "c_out", "c_ivr",
                                                                                       "c_vm", "c_na"))
    assert all((rec_root / FILES[u]).exists() for u in ("c1", "c_out"))
    # Once the directory is writable again, the next run removes them.
    retention.run_retention(now=NOW, engine=engine, policy=POLICY)
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(s.call.c.call_uid)).scalars()) == {"b_new", "n1"}
    assert not (rec_root / FILES["c1"]).exists()


def test_recordings_period_removes_files_and_rows_but_keeps_calls(engine, tmp_path):
    data = build(tmp_path)
    policy = {k: Keep() for k in retention.KINDS} | {"recordings": Keep(1, "months")}
    with engine.connect() as conn:
        calls_before = _count(conn, s.call)
    report = retention.run_retention(now=NOW, engine=engine, policy=policy)
    with engine.connect() as conn:
        assert _count(conn, s.call) == calls_before
        assert conn.execute(sa.select(s.recording.c.path)).scalars().all() == ["2026/05/20/new.wav"]
        recorded = set(conn.execute(sa.select(s.call.c.call_uid).where(s.call.c.has_recording)).scalars())
        incremental = _aggregates(conn)
        aggregates.rebuild_all(conn)
        assert _aggregates(conn) == incremental
    assert recorded == {"n1"}
    assert report.kinds["recordings"].rows == 6 and report.kinds["recordings"].files == 5  # c_miss had no file
    assert data


def test_one_run_at_a_time(engine, tmp_path):
    build(tmp_path)
    kv = s.settings_kv
    with engine.begin() as conn:  # another run holds the lease
        conn.execute(sa.insert(kv).values(key=retention.LEASE_KEY, value={"since_utc": D.utcnow().isoformat()}))
    with pytest.raises(retention.AlreadyRunning):
        retention.run_retention(now=NOW, engine=engine, policy=POLICY)
    with engine.connect() as conn:
        assert _count(conn, s.call) == 6 + 5 + 3  # nothing removed
    with engine.begin() as conn:  # a lease older than its TTL belonged to a run that died
        conn.execute(sa.update(kv).where(kv.c.key == retention.LEASE_KEY).values(value={"since_utc": "2026-01-01T00:00:00"}))
    retention.run_retention(now=NOW, engine=engine, policy=POLICY)
    with engine.connect() as conn:
        assert _count(conn, s.call) == 2
        assert conn.execute(sa.select(kv.c.key).where(kv.c.key == retention.LEASE_KEY)).first() is None

"""Recordings on SQLite and PostgreSQL: the listing's exclusions, deletes that keep rows,
files, aggregates and the audit log together (also when a step fails), missing files, double
deletes, path traversal and scope — plus the audio route (Flask test client)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from callboard.web import routes
from callboard.core.settings import get_settings, reset_settings_cache
from data import aggregates, db
from data import recordings as rec
from data import schema as s
from data.queries.calls import CallFilter
from data.queries.recordings import call_recordings, count_recordings, get_recording, list_recordings
from data.scope import Scope
from tests.calls_data import DAY_END, DAY_START
from tests.recordings_data import FILES, insert_recordings

ALL = Scope.everything()
DAY = CallFilter(start_utc=DAY_START, end_utc=DAY_END)


@pytest.fixture
def root(db_url) -> Path:
    return Path(get_settings().recordings_dir)


@pytest.fixture
def ids(root):
    data = insert_recordings(root)
    with db.transaction() as conn:
        aggregates.rebuild_all(conn)
    return data


def listed(filt=DAY, scope=ALL) -> list[str]:
    return [r.call_uid for r in db.fetch_all(list_recordings(scope, filt))]


def agg_rows() -> list[tuple]:
    a = s.agg_call_hour
    return sorted(tuple(r) for r in db.fetch_all(sa.select(a.c.bucket_utc, a.c.extension, a.c.party, a.c.status,
                                                          a.c.calls, a.c.recorded)))


def agg_matches_rebuild() -> bool:
    before = agg_rows()
    with db.transaction() as conn:
        aggregates.rebuild_all(conn)
    return before == agg_rows()


def audit() -> list:
    return db.fetch_all(sa.select(s.audit_log).order_by(s.audit_log.c.id))


def test_listing_excludes_ivr_voicemail_and_unanswered(ids):
    assert listed() == ["c_miss", "c_out", "c1"]
    assert db.fetch_scalar(count_recordings(ALL, DAY)) == 3
    assert listed(CallFilter(start_utc=DAY_START, end_utc=DAY_END, extensions=("102",))) == ["c_out"]
    assert listed(CallFilter(start_utc=DAY_START, end_utc=DAY_END, number_contains="5556")) == ["c_out"]


def test_listing_respects_scope(ids):
    assert listed(scope=Scope.of(extensions=["102"])) == ["c_out"]
    assert listed(scope=Scope.nothing()) == []
    assert db.fetch_all(get_recording(Scope.of(extensions=["102"]), ids["recs"]["c1"])) == []
    assert db.fetch_all(get_recording(ALL, ids["recs"]["c1"]))[0].call_uid == "c1"
    assert db.fetch_all(call_recordings(Scope.of(extensions=["999"]), ids["calls"]["c1"])) == []


def test_missing_file_is_reported_as_missing(ids, root):
    assert rec.file_status(FILES["c1"]) == rec.FILE_OK
    assert rec.file_status(FILES["c_miss"]) == rec.FILE_MISSING
    with pytest.raises(rec.FileMissing):
        rec.existing_file(FILES["c_miss"])


@pytest.mark.parametrize("bad", ["/etc/passwd", "../secret.wav", "2026/../../secret.wav", "..\\secret.wav",
                                 "C:\\x.wav", "", "a\x00b.wav", "link/secret.wav"])
def test_paths_outside_the_storage_are_refused(root, bad, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.wav").write_bytes(b"RIFF")
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    root.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, root / "link")
    with pytest.raises(rec.UnsafePath):
        rec.resolve_path(bad)
    assert rec.file_status(bad) == rec.FILE_INVALID


def test_symlink_inside_the_storage_is_allowed(root):
    (root / "real").mkdir(parents=True)
    (root / "real" / "a.wav").write_bytes(b"RIFF")
    os.symlink(root / "real", root / "alias")
    assert rec.existing_file("alias/a.wav") == (root / "real" / "a.wav").resolve()


def test_delete_recording_removes_file_and_row_refreshes_aggregates_and_audits(ids, root):
    rid, cid = ids["recs"]["c1"], ids["calls"]["c1"]
    result = rec.delete_recording(rid, scope=ALL, actor={"username": "alice", "ip": "10.0.0.9"})
    assert result.files_deleted == 1 and result.files_missing == 0
    assert not (root / FILES["c1"]).exists()
    assert list((root / "2026/03/10").glob(".*deleting*")) == []
    assert db.fetch_all(get_recording(ALL, rid)) == []
    assert db.fetch_scalar(sa.select(s.call.c.has_recording).where(s.call.c.id == cid)) is False
    assert db.fetch_scalar(sa.select(sa.func.count()).select_from(s.call).where(s.call.c.id == cid)) == 1
    assert agg_matches_rebuild()
    (entry,) = audit()
    assert (entry.action, entry.object_type, entry.object_id, entry.username, entry.ip) == (
        "delete_recording", "recording", str(rid), "alice", "10.0.0.9")
    assert entry.details["call_uid"] == "c1" and entry.details["file_missing"] is False
    assert listed() == ["c_miss", "c_out"]


def test_delete_call_removes_call_legs_recording_and_file(ids, root):
    cid = ids["calls"]["c1"]
    hour = sa.select(sa.func.sum(s.agg_call_hour.c.calls)).where(s.agg_call_hour.c.party == "owner")
    before = db.fetch_scalar(hour)
    result = rec.delete_call(cid, scope=ALL)
    assert result.kind == "call" and result.files_deleted == 1
    assert not (root / FILES["c1"]).exists()
    for table, col in ((s.call, s.call.c.id), (s.call_leg, s.call_leg.c.call_id), (s.recording, s.recording.c.call_id)):
        assert db.fetch_scalar(sa.select(sa.func.count()).select_from(table).where(col == cid)) == 0
    assert db.fetch_scalar(hour) == before - 1
    assert agg_matches_rebuild()
    (entry,) = audit()
    assert entry.action == "delete_call" and entry.details["call_uid"] == "c1"
    assert entry.details["recordings"] == [FILES["c1"]]


@pytest.mark.parametrize("kind", ["recording", "call"])
def test_a_failing_database_step_leaves_file_and_rows_in_place(ids, root, monkeypatch, kind):
    def boom(*_a, **_k):
        raise RuntimeError("database step failed")

    monkeypatch.setattr(aggregates, "refresh", boom)
    aggs = agg_rows()
    with pytest.raises(RuntimeError):
        if kind == "recording":
            rec.delete_recording(ids["recs"]["c1"], scope=ALL)
        else:
            rec.delete_call(ids["calls"]["c1"], scope=ALL)
    assert (root / FILES["c1"]).is_file()
    assert list((root / "2026/03/10").glob(".*deleting*")) == []
    assert db.fetch_all(get_recording(ALL, ids["recs"]["c1"]))[0].call_uid == "c1"
    assert agg_rows() == aggs
    assert audit() == []


def test_double_delete_says_already_deleted_and_changes_nothing(ids, root):
    rec.delete_recording(ids["recs"]["c_out"], scope=ALL)
    snapshot = (agg_rows(), len(audit()), sorted(p.name for p in root.rglob("*")))
    with pytest.raises(rec.AlreadyDeleted, match="already deleted"):
        rec.delete_recording(ids["recs"]["c_out"], scope=ALL)
    rec.delete_call(ids["calls"]["c1"], scope=ALL)
    with pytest.raises(rec.AlreadyDeleted, match="call was already deleted"):
        rec.delete_call(ids["calls"]["c1"], scope=ALL)
    assert len(audit()) == snapshot[1] + 1


def test_delete_with_missing_file_still_deletes_the_row(ids):
    result = rec.delete_recording(ids["recs"]["c_miss"], scope=ALL)
    assert result.files_missing == 1 and result.files_deleted == 0
    assert audit()[0].details["file_missing"] is True


def test_delete_outside_scope_is_refused(ids, root):
    with pytest.raises(rec.AlreadyDeleted):
        rec.delete_recording(ids["recs"]["c1"], scope=Scope.of(extensions=["102"]))
    with pytest.raises(rec.AlreadyDeleted):
        rec.delete_call(ids["calls"]["c1"], scope=Scope.of(extensions=["102"]))
    assert (root / FILES["c1"]).is_file()
    assert audit() == []


# --------------------------------------------------------------------------- the route

@pytest.fixture
def client(ids, monkeypatch):
    app = Flask(__name__)
    routes.register(app)
    # The route alone, without the login guard: the caller sees everything (who may
    # play what is tested through the whole app in tests/callboard/web/auth).
    monkeypatch.setattr(routes, "current_scope", lambda: ALL)
    return app.test_client()


def test_audio_route_streams_with_range_support(client, ids, root):
    rid = ids["recs"]["c1"]
    full = (root / FILES["c1"]).read_bytes()
    resp = client.get(f"/recordings/{rid}/audio")
    assert resp.status_code == 200 and resp.mimetype == "audio/wav" and resp.data == full
    assert resp.headers["Accept-Ranges"] == "bytes"
    resp = client.get(f"/recordings/{rid}/audio", headers={"Range": "bytes=0-99"})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == f"bytes 0-99/{len(full)}"
    assert resp.data == full[:100]
    resp = client.get(f"/recordings/{ids['recs']['c_out']}/audio?download=1")
    assert resp.status_code == 200 and resp.mimetype == "audio/mpeg"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["Content-Disposition"].endswith(".mp3")


def test_audio_route_404s(client, ids, monkeypatch):
    resp = client.get(f"/recordings/{ids['recs']['c_miss']}/audio")
    assert resp.status_code == 404 and b"missing on disk" in resp.data
    assert client.get("/recordings/999999/audio").status_code == 404
    # A row pointing outside the storage is never served.
    with db.transaction() as conn:
        conn.execute(sa.update(s.recording).where(s.recording.c.id == ids["recs"]["c_out"])
                     .values(path="../../../../../../etc/passwd"))
    resp = client.get(f"/recordings/{ids['recs']['c_out']}/audio")
    assert resp.status_code == 404 and b"outside" in resp.data
    # A guessed id outside the caller's scope.
    monkeypatch.setattr(routes, "current_scope", lambda: Scope.of(extensions=["102"]))
    assert client.get(f"/recordings/{ids['recs']['c1']}/audio").status_code == 404
    # Recordings switched off.
    monkeypatch.setattr(routes, "current_scope", lambda: ALL)
    monkeypatch.setenv("CALLBOARD_RECORDINGS_ENABLED", "false")
    reset_settings_cache()
    assert client.get(f"/recordings/{ids['recs']['c1']}/audio").status_code == 404


def test_recordings_page_says_disabled(monkeypatch):
    monkeypatch.setenv("CALLBOARD_RECORDINGS_ENABLED", "false")
    reset_settings_cache()
    try:
        import dash

        if not dash.page_registry:
            import app

            app.create_app()
        from dashboards import recordings as page

        assert "recording is disabled" in str(page.layout(lang="en"))
        assert "Nahrávání hovorů je v nastavení vypnuté" in str(page.layout(lang="cs"))
    finally:
        monkeypatch.delenv("CALLBOARD_RECORDINGS_ENABLED")
        reset_settings_cache()


def test_sweep_trash_after_a_crash_between_commit_and_unlink(ids, root, monkeypatch):
    # The delete commits, then "crashes" before unlinking its trash file.
    monkeypatch.setattr(rec._Trash, "purge", lambda self: None)
    rec.delete_recording(ids["recs"]["c1"], scope=ALL, root=root)
    trash = [p for p in root.rglob(f"*{rec.TRASH_MARK}*")]
    assert len(trash) == 1 and not (root / FILES["c1"]).exists()
    assert rec.sweep_trash(root) == []  # too fresh: could be a delete still running
    assert rec.sweep_trash(root, min_age_s=0) == trash
    assert not trash[0].exists()
    assert (root / FILES["c_out"]).is_file()  # live recordings stay
    assert rec.sweep_trash(root, min_age_s=0) == []

"""The demo generator: invariants of the data it writes, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from callboard.core.settings import get_settings
from data import schema as s
from data.demo.generator import GeneratorConfig, generate

END = date(2026, 11, 22)  # a Sunday: 3 days = Fri, Sat, Sun
SMALL = GeneratorConfig(days=3, calls_per_day=150, seed=7, end_day=END, with_audio=True)


def _scalar(engine, stmt):
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def _rows(engine, stmt):
    with engine.connect() as conn:
        return list(conn.execute(stmt))


def _count(engine, table, *where):
    return _scalar(engine, sa.select(sa.func.count()).select_from(table).where(*where))


def _calls_hash(engine) -> str:
    c = s.call
    cols = [col for col in c.columns if col.name != "id"]
    h = hashlib.sha256()
    for row in _rows(engine, sa.select(*cols).order_by(c.c.call_uid)):
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _wipe(engine) -> None:
    with engine.begin() as conn:
        for t in reversed(s.metadata.sorted_tables):
            if t.name not in ("alembic_version",):
                conn.execute(t.delete())


@pytest.fixture
def generated(engine):
    stats = generate(SMALL, progress=False)
    return stats


def test_stats_and_row_counts(engine, generated):
    stats = generated
    assert stats.calls == _count(engine, s.call) > 200
    assert "calls" in stats.summary()
    for table in (s.call_leg, s.queue_call, s.queue_attempt, s.ivr_choice, s.survey_answer, s.recording,
                  s.agent_session, s.agent_pause, s.chat_session, s.chat_message, s.chat_event):
        assert _count(engine, table) > 0, table.name
    # dimensions
    assert _count(engine, s.source, s.source.c.id == 1) == 1
    assert _count(engine, s.extension) == 40
    assert _count(engine, s.extension_group) >= 3
    assert _count(engine, s.queue) == 3
    assert _count(engine, s.queue_member) > 20
    assert _count(engine, s.ring_group) == 2 and _count(engine, s.ring_group_member) > 4
    assert _count(engine, s.ivr_menu) == 2
    assert _count(engine, s.phone_number, s.phone_number.c.kind.in_(["did", "both"])) >= 4
    assert _count(engine, s.phone_number, s.phone_number.c.kind.in_(["outbound_cid", "both"])) >= 2
    assert _count(engine, s.trunk) >= 2


def test_call_time_invariants(engine, generated):
    c = s.call
    assert _count(engine, c, c.c.talk_s > c.c.duration_s) == 0
    assert _count(engine, c, c.c.ring_s + c.c.talk_s > c.c.duration_s) == 0
    assert _count(engine, c, c.c.hold_s > c.c.talk_s) == 0
    assert _count(engine, c, c.c.end_utc < c.c.start_utc) == 0
    assert _count(engine, c, c.c.answer_utc < c.c.start_utc) == 0
    assert _count(engine, c, c.c.answer_utc > c.c.end_utc) == 0
    assert _count(engine, c, c.c.status == "answered", c.c.answer_utc.is_(None)) == 0
    assert _count(engine, c, c.c.status != "answered", c.c.answer_utc.is_not(None)) == 0
    # duration really is end - start
    for start, end, dur in _rows(engine, sa.select(c.c.start_utc, c.c.end_utc, c.c.duration_s).limit(200)):
        assert (end - start).total_seconds() == dur
    leg = s.call_leg
    assert _count(engine, leg, leg.c.end_utc < leg.c.start_utc) == 0
    assert _count(engine, leg, leg.c.ring_s + leg.c.talk_s > 100_000) == 0


def test_call_columns_by_direction(engine, generated):
    c = s.call
    inbound, outbound, internal = (c.c.direction == d for d in ("inbound", "outbound", "internal"))
    assert _count(engine, c, inbound, sa.or_(c.c.did.is_(None), c.c.src_trunk.is_(None))) == 0
    assert _count(engine, c, inbound, c.c.caller_ip.is_not(None)) == 0
    assert _count(engine, c, outbound, sa.or_(c.c.caller_ip.is_(None), c.c.dst_trunk.is_(None),
                                              c.c.outbound_cid.is_(None), c.c.extension.is_(None))) == 0
    assert _count(engine, c, outbound, c.c.pin.is_not(None)) > 0
    assert _count(engine, c, outbound, c.c.pin.is_(None)) > 0
    assert _count(engine, c, internal, sa.or_(c.c.extension.is_(None), c.c.peer_extension.is_(None),
                                              c.c.caller_ip.is_(None))) == 0
    assert _count(engine, c, c.c.hangup_by.is_(None)) == 0
    assert _count(engine, c, c.c.hangup_cause.is_(None)) == 0
    assert _count(engine, c, c.c.status == "answered", c.c.direction != "outbound", c.c.answered_by.is_(None)) == 0
    for kind in ("queue", "ring_group", "ivr", "voicemail", "extension", "external"):
        assert _count(engine, c, c.c.destination_type == kind) > 0, kind
    assert _count(engine, c, c.c.queue.is_not(None)) > 0
    assert _count(engine, c, c.c.ring_group.is_not(None)) > 0
    assert _count(engine, c, c.c.ivr.is_not(None)) > 0
    uids = _count(engine, c)
    assert _scalar(engine, sa.select(sa.func.count(sa.distinct(c.c.call_uid)))) == uids


def test_status_mix_is_plausible(engine, generated):
    c = s.call
    total = _count(engine, c)
    by_status = dict(_rows(engine, sa.select(c.c.status, sa.func.count()).group_by(c.c.status)))
    assert 0.6 <= by_status["answered"] / total <= 0.9
    for status in ("no_answer", "busy", "voicemail", "abandoned"):
        assert by_status.get(status, 0) > 0, status
    by_dir = dict(_rows(engine, sa.select(c.c.direction, sa.func.count()).group_by(c.c.direction)))
    assert by_dir["inbound"] > by_dir["outbound"] > 0 and by_dir.get("internal", 0) > 0


def test_queue_rows(engine, generated):
    qc, qa = s.queue_call, s.queue_attempt
    assert _count(engine, qc, qc.c.outcome == "answered", qc.c.agent.is_(None)) == 0
    assert _count(engine, qc, qc.c.outcome != "answered", qc.c.agent.is_not(None)) == 0
    assert _count(engine, qc, qc.c.exit_utc < qc.c.enter_utc) == 0
    outcomes = {r[0] for r in _rows(engine, sa.select(qc.c.outcome).distinct())}
    assert {"answered", "abandoned"} <= outcomes
    assert outcomes <= {"answered", "abandoned", "timeout", "exit_key", "no_agents"}
    # every queue call points at a call that entered that queue
    c = s.call
    joined = sa.select(sa.func.count()).select_from(qc.join(c, qc.c.call_id == c.c.id)).where(
        qc.c.call_uid == c.c.call_uid, c.c.queue == qc.c.queue)
    assert _scalar(engine, joined) == _count(engine, qc)
    assert _count(engine, qa, qa.c.result != "ring_no_answer") == 0
    # answered queue calls have an answered leg by the agent
    leg = s.call_leg
    answered_legs = sa.select(sa.func.count()).select_from(qc.join(leg, leg.c.call_id == qc.c.call_id)).where(
        qc.c.outcome == "answered", leg.c.status == "answered", leg.c.extension == qc.c.agent)
    assert _scalar(engine, answered_legs) == _count(engine, qc, qc.c.outcome == "answered")


def test_transfers(engine, generated):
    """Some answered queue calls are handed on to a colleague of the queue: the call and its
    queue call name the same target, another member than the agent, and a transfer leg by
    that extension starts when the agent's leg ends and ends with the call's talk."""
    from data.demo.call_centre import QUEUES

    c, qc, leg = s.call, s.queue_call, s.call_leg
    agent_leg = leg.alias("agent_leg")
    rows = _rows(engine, sa.select(c.c.queue, c.c.answered_by, c.c.transferred_to, c.c.status, c.c.talk_s,
                                   c.c.answer_utc, c.c.end_utc, qc.c.transferred_to, qc.c.talk_s, leg.c.start_utc,
                                   leg.c.end_utc, leg.c.status, agent_leg.c.end_utc)
                 .join(qc, qc.c.call_id == c.c.id)
                 .join(leg, sa.and_(leg.c.call_id == c.c.id, leg.c.via_type == "transfer"))
                 .join(agent_leg, sa.and_(agent_leg.c.call_id == c.c.id, agent_leg.c.via_type == "queue",
                                          agent_leg.c.status == "answered"))
                 .where(c.c.transferred_to.is_not(None)))
    assert len(rows) == _count(engine, c, c.c.transferred_to.is_not(None)) > 0
    assert _count(engine, leg, leg.c.via_type == "transfer") == len(rows)
    for (queue, agent, target, status, talk, answer, end, qc_target, qc_talk, x_start, x_end, x_status,
         agent_end) in rows:
        members = QUEUES[queue][4]
        assert status == "answered" and target == qc_target and target in members and target != agent
        assert x_status == "answered" and x_start == agent_end and x_end == end
        assert 0 < qc_talk < talk and (agent_end - answer).total_seconds() == qc_talk
    assert _count(engine, qc, qc.c.transferred_to.is_not(None)) == len(rows)


def test_recordings_match_files(engine, generated):
    c, r = s.call, s.recording
    root = Path(get_settings().recordings_dir)
    rows = _rows(engine, sa.select(r.c.call_id, r.c.path, r.c.size_bytes, r.c.duration_s, r.c.format))
    assert rows
    for _, path, size, duration, fmt in rows:
        f = root / path
        assert f.is_file(), path
        assert f.stat().st_size == size
        assert fmt == "wav" and 2 <= duration <= 10
    rec_ids = {row[0] for row in rows}
    assert len(rec_ids) == len(rows)  # one recording per call
    flagged = {row[0] for row in _rows(engine, sa.select(c.c.id).where(c.c.has_recording))}
    assert flagged == rec_ids
    # never on voicemail / unanswered / IVR-only calls
    bad = sa.select(sa.func.count()).select_from(r.join(c, r.c.call_id == c.c.id)).where(
        sa.or_(c.c.status != "answered", c.c.destination_type.in_(["voicemail", "ivr"])))
    assert _scalar(engine, bad) == 0
    # each recording is its own path: deleting one file leaves the others playable
    first, second = root / rows[0][1], root / rows[1][1]
    os.unlink(first)
    assert second.is_file()
    answered = _count(engine, c, c.c.status == "answered")
    assert len(rows) >= 0.6 * answered


def test_wav_files_are_real_audio(engine, generated):
    import wave

    path = _rows(engine, sa.select(s.recording.c.path, s.recording.c.duration_s).limit(1))[0]
    with wave.open(str(Path(get_settings().recordings_dir) / path[0])) as w:
        assert w.getnchannels() == 1 and w.getframerate() == 8000 and w.getsampwidth() == 2
        assert round(w.getnframes() / w.getframerate()) == path[1]


def test_seasonality(engine):
    generate(GeneratorConfig(days=7, calls_per_day=200, seed=3, end_day=END, with_audio=False), progress=False)
    tz = get_settings().tz

    def to_local(utc: datetime) -> datetime:
        return utc.replace(tzinfo=timezone.utc).astimezone(tz)

    local = [to_local(r[0]) for r in _rows(engine, sa.select(s.call.c.start_utc))]
    weekday = sum(1 for t in local if t.weekday() < 5) / 5
    weekend = sum(1 for t in local if t.weekday() >= 5) / 2
    assert weekday > 2 * weekend
    business = sum(1 for t in local if 9 <= t.hour < 17)
    night = sum(1 for t in local if t.hour < 6 or t.hour >= 22)
    assert business > 5 * night
    peak = sum(1 for t in local if t.hour in (10, 14))
    quiet = sum(1 for t in local if t.hour in (3, 4))
    assert peak > 10 * max(quiet, 1)
    # late shifts: some agent sessions end after local midnight
    a = s.agent_session
    sessions = _rows(engine, sa.select(a.c.login_utc, a.c.logout_utc).where(a.c.logout_utc.is_not(None)))
    assert any(to_local(out).date() > to_local(login).date() for login, out in sessions)
    # no audio: no recording rows and nothing flagged
    assert _count(engine, s.recording) == 0
    assert _count(engine, s.call, s.call.c.has_recording) == 0


def test_agents_and_chats(engine, generated):
    a, p = s.agent_session, s.agent_pause
    assert _count(engine, a, a.c.logout_utc < a.c.login_utc) == 0
    assert _count(engine, a, a.c.logout_utc.is_(None)) >= 1
    reasons = {r[0] for r in _rows(engine, sa.select(p.c.reason).distinct())}
    assert {"Lunch", "Break"} <= reasons <= {"Lunch", "Break", "Training", "Meeting"}
    assert _count(engine, a) > 30
    cs, cm = s.chat_session, s.chat_message
    channels = {r[0] for r in _rows(engine, sa.select(cs.c.channel_type).distinct())}
    assert channels == {"sms", "whatsapp"}
    counted = _rows(engine, sa.select(cs.c.message_count, sa.select(sa.func.count()).where(
        cm.c.session_id == cs.c.id).scalar_subquery()))
    assert all(x == y for x, y in counted)


def test_aggregates_consistent(engine, generated):
    a, aq = s.agg_call_hour, s.agg_queue_hour
    assert _scalar(engine, sa.select(sa.func.sum(a.c.calls)).where(a.c.party == "owner")) == _count(engine, s.call)
    assert _scalar(engine, sa.select(sa.func.sum(aq.c.calls))) == _count(engine, s.queue_call)
    assert _scalar(engine, sa.select(sa.func.sum(a.c.recorded)).where(a.c.party == "owner")) == _count(
        engine, s.call, s.call.c.has_recording)
    assert _count(engine, s.time_hour) >= 72


def test_deterministic(engine):
    cfg = GeneratorConfig(days=2, calls_per_day=120, seed=11, end_day=END, with_audio=True)
    generate(cfg, progress=False)
    first = _calls_hash(engine)
    n = _count(engine, s.call)
    # regenerating over the same range replaces it: same rows, no duplicates
    generate(cfg, progress=False)
    assert _count(engine, s.call) == n
    assert _calls_hash(engine) == first
    _wipe(engine)
    generate(cfg, progress=False)
    assert _calls_hash(engine) == first
    _wipe(engine)
    generate(GeneratorConfig(days=2, calls_per_day=120, seed=12, end_day=END, with_audio=True), progress=False)
    assert _calls_hash(engine) != first


def test_today_is_cut_at_now(engine):
    from data.demo import call_centre

    generate(GeneratorConfig(days=1, calls_per_day=150, seed=1, with_audio=False), progress=False)
    now = datetime.utcnow()
    assert _count(engine, s.call, s.call.c.start_utc > now) == 0
    assert _count(engine, s.agent_session, s.agent_session.c.logout_utc.is_(None)) >= 1
    assert _count(engine, s.agent_session, s.agent_session.c.login_utc > now) == 0
    assert call_centre.SOURCE_ID == 1


def test_bulk_path_restores_indexes_and_constraints(pg_only_url, monkeypatch):
    """Big PostgreSQL loads drop secondary indexes, unique and foreign keys and rebuild them."""
    from data import db
    from data.demo import generator

    engine = db.get_engine(pg_only_url)

    def catalog():
        with engine.connect() as conn:
            idx = set(conn.exec_driver_sql(
                "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'").all())
            cons = set(conn.exec_driver_sql(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace").all())
        return idx, cons

    before = catalog()
    monkeypatch.setattr(generator, "_DROP_INDEXES_ABOVE", 0)
    stats = generate(GeneratorConfig(days=2, calls_per_day=100, seed=5, end_day=END), progress=False)
    assert catalog() == before
    assert _count(engine, s.call) == stats.calls > 0
    # sequences moved past the explicit ids: a normal insert still works
    with engine.begin() as conn:
        new_id = conn.execute(s.chat_session.insert().values(
            session_uid="x", channel_type="sms", channel_number="1", external_number="2",
            created_utc=datetime(2026, 1, 1), last_active_utc=datetime(2026, 1, 1), status="open")
        ).inserted_primary_key[0]
    assert new_id > stats.rows["chat_session"]


def test_empty_days_and_zero_calls(engine):
    stats = generate(GeneratorConfig(days=0, end_day=END), progress=False)
    assert stats.calls == 0 and _count(engine, s.call) == 0
    stats = generate(GeneratorConfig(days=1, calls_per_day=0, end_day=END, with_audio=False), progress=False)
    assert stats.calls == 0 and _count(engine, s.call) == 0
    assert _count(engine, s.extension) == 40  # the dimensions are there anyway

"""Erasure by number and masked numbers, on SQLite and PostgreSQL.

The data: tests/recordings_data.py (calls c1..c6 and the recordings calls, their files,
two chat sessions) plus everything about one person, +420 777 123 456, stored in the
spellings a PBX writes:

    p_in    inbound call FROM +420777123456, queue 600 (a queue pass, an IVR choice, a
            survey answer, a callback), recorded (p_in.wav)
    p_out   outbound call TO 00420777123456
    p_fwd   inbound call from +420601999888 forwarded: a leg dialled 777123456
    a queue pass imported without its call (caller_number 777123456), a live queue entry
    chat session with external number +420777123456 (2 messages, 1 event); a message in
    chat S2 that mentions "call me on 777 123 456"; an audit entry naming the file of p_in
    generated files: a CSV and an XLSX holding the number (with delivery rows), and one
    CSV that does not (stays)
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from data import aggregates, db, privacy
from data import schema as s
from data.queries import calls as q
from data.queries import chats as qchats
from data.queries import recordings as qrec
from data.queries.callbacks import callback_activity
from data.queries.missed import missed_unreturned
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from tests.recordings_data import insert_recordings, write_wav

D = datetime
NUMBER = "+420777123456"
SPELLED = ["+420 777 123 456", "00420777123456", "777123456"]
# Every spelling a leftover could have, also with separators; not inside a longer number.
LEFTOVER = re.compile(r"(?<!\d)(?:(?:\+|00)?420[\s\-./]*)?7[\s\-./]*7[\s\-./]*7[\s\-./]*1[\s\-./]*2[\s\-./]*3"
                      r"[\s\-./]*4[\s\-./]*5[\s\-./]*6(?!\d)")


def _settings_dirs(tmp_path) -> tuple[Path, Path]:
    return tmp_path / "recordings", tmp_path / "files"


def insert_person(tmp_path) -> dict:
    rec_root, files_root = _settings_dirs(tmp_path)
    base = insert_recordings(rec_root)
    ids = {}
    with db.transaction() as conn:
        def call(**kw):
            row = dict(source_id=1, end_utc=kw["start_utc"], duration_s=30, ring_s=5, talk_s=25) | kw
            return conn.execute(sa.insert(s.call).values(**row).returning(s.call.c.id)).scalar_one()

        ids["p_in"] = call(call_uid="p_in", start_utc=D(2026, 3, 10, 12, 5), direction="inbound", status="answered",
                           from_number=NUMBER, from_name=NUMBER, to_number="600", queue="600", extension="101",
                           has_recording=True)
        ids["p_out"] = call(call_uid="p_out", start_utc=D(2026, 3, 11, 7, 0), direction="outbound",
                            status="answered", from_number="102", to_number="00420777123456", extension="102")
        ids["p_fwd"] = call(call_uid="p_fwd", start_utc=D(2026, 3, 11, 8, 0), direction="inbound",
                            status="answered", from_number="+420601999888", to_number="101", extension="101")
        conn.execute(sa.insert(s.call_leg).values(call_id=ids["p_fwd"], seq=1, number="777123456", via_type="direct",
                                                  start_utc=D(2026, 3, 11, 8, 0), end_utc=D(2026, 3, 11, 8, 1),
                                                  status="answered"))
        qc = conn.execute(sa.insert(s.queue_call).values(
            call_id=ids["p_in"], call_uid="p_in", queue="600", enter_utc=D(2026, 3, 10, 12, 5), wait_s=10,
            outcome="answered", agent="101", talk_s=25, caller_number=NUMBER).returning(s.queue_call.c.id)).scalar_one()
        conn.execute(sa.insert(s.queue_attempt).values(queue_call_id=qc, queue="600", agent="102",
                                                       at_utc=D(2026, 3, 10, 12, 5, 3), result="ring_no_answer"))
        conn.execute(sa.insert(s.queue_call).values(call_uid="orphan", queue="600", enter_utc=D(2026, 3, 12, 9, 0),
                                                    outcome="abandoned", caller_number="777123456"))
        conn.execute(sa.insert(s.ivr_choice).values(call_id=ids["p_in"], ivr="500", at_utc=D(2026, 3, 10, 12, 5),
                                                    option="1"))
        conn.execute(sa.insert(s.survey_answer).values(call_id=ids["p_in"], queue="600", agent="101",
                                                       at_utc=D(2026, 3, 10, 12, 7), score_key="5", points=5))
        conn.execute(sa.insert(s.callback).values(call_id=ids["p_in"], queue="600", number="777123456",
                                                  requested_utc=D(2026, 3, 10, 12, 6), status="requested"))
        conn.execute(sa.insert(s.live_queue_call).values(call_uid="live-1", queue="600", enter_utc=D(2026, 3, 12, 9),
                                                         caller_number=NUMBER))
        write_wav(rec_root / "2026/03/10/p_in.wav")
        conn.execute(sa.insert(s.recording).values(call_id=ids["p_in"], path="2026/03/10/p_in.wav", format="wav",
                                                   size_bytes=1, created_utc=D(2026, 3, 10, 12, 10)))
        sid = conn.execute(sa.insert(s.chat_session).values(
            session_uid="P1", channel_type="sms", channel_number="+420222000999", external_number=NUMBER,
            sender=NUMBER, recipient="101", agent="101", created_utc=D(2026, 3, 12, 9), last_active_utc=D(2026, 3, 12, 9),
            status="open", message_count=2).returning(s.chat_session.c.id)).scalar_one()
        conn.execute(sa.insert(s.chat_message), [
            dict(session_id=sid, sent_utc=D(2026, 3, 12, 9), direction="in", sender=NUMBER, body="Hi, it is me, +420777123456"),
            dict(session_id=sid, sent_utc=D(2026, 3, 12, 9, 1), direction="out", sender="101", body="Hello"),
        ])
        conn.execute(sa.insert(s.chat_event).values(session_id=sid, at_utc=D(2026, 3, 12, 9), event="created"))
        conn.execute(sa.insert(s.chat_message).values(session_id=base["sessions"]["S2"], sent_utc=D(2026, 3, 10, 9, 1),
                                                      direction="in", sender="+420777000222",
                                                      body="My wife: call me on 777 123 456, thanks"))
        conn.execute(sa.insert(s.audit_log).values(at_utc=D(2026, 3, 13), action="download_recording",
                                                   object_type="recording", object_id="7",
                                                   details={"path": "2026/03/10/p_in.wav", "from": NUMBER}))
        files_root.mkdir(parents=True, exist_ok=True)
        (files_root / "with.csv").write_text("Start;From\n2026-03-10;+420777123456\n", encoding="utf-8")
        with zipfile.ZipFile(files_root / "with.xlsx", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("xl/sharedStrings.xml", "<sst><si><t>00420777123456</t></si></sst>")
        (files_root / "without.csv").write_text("Start;From\n2026-03-10;+420601111111\n", encoding="utf-8")
        for name in ("with.csv", "with.xlsx", "without.csv"):
            conn.execute(sa.insert(s.delivery).values(kind="cdr", name=name, format=name.rsplit(".", 1)[1], path=name,
                                                      status="ready", created_utc=D(2026, 3, 13)))
        aggregates.rebuild_all(conn)
    return ids | {"base": base}


def _text_hits(engine) -> list[str]:
    """Every text / JSON value of every table that mentions the number."""
    hits = []
    with engine.connect() as conn:
        for table in s.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
            if not cols:
                continue
            for row in conn.execute(sa.select(*cols)):
                for col, value in zip(cols, row):
                    if value is not None and LEFTOVER.search(str(value)):
                        hits.append(f"{table.name}.{col.name}={value!r}")
    return hits


def _file_hits(*roots: Path) -> list[str]:
    hits = []
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if not path.is_file():
                continue
            blobs = [path.read_bytes()]
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    blobs += [zf.read(n) for n in zf.namelist()]
            if any(LEFTOVER.search(b.decode("latin-1")) for b in blobs) or LEFTOVER.search(path.name):
                hits.append(str(path))
    return hits


def _snapshot(engine, exclude_calls: set[int]) -> dict:
    """Everything not about the person, to compare before and after."""
    with engine.connect() as conn:
        c = s.call
        calls = conn.execute(sa.select(c).where(c.c.id.not_in(exclude_calls)).order_by(c.c.id)).all()
        legs = conn.execute(sa.select(s.call_leg).where(s.call_leg.c.call_id.not_in(exclude_calls))
                            .order_by(s.call_leg.c.id)).all()
        recs = conn.execute(sa.select(s.recording).where(s.recording.c.call_id.not_in(exclude_calls))
                            .order_by(s.recording.c.id)).all()
        sessions = conn.execute(sa.select(s.chat_session).where(s.chat_session.c.session_uid != "P1")
                                .order_by(s.chat_session.c.id)).all()
        messages = conn.execute(sa.select(s.chat_message.c.id, s.chat_message.c.body)
                                .where(~s.chat_message.c.body.like("My wife%"))
                                .where(s.chat_message.c.session_id.in_(sa.select(s.chat_session.c.id)
                                                                        .where(s.chat_session.c.session_uid != "P1")))
                                .order_by(s.chat_message.c.id)).all()
        return {"calls": calls, "legs": legs, "recs": recs, "sessions": sessions, "messages": messages}


def _all_aggregates(conn) -> dict:
    out = {}
    for t in (s.agg_call_hour, s.agg_queue_hour, s.agg_call_total_hour, s.agg_call_day, s.agg_number_hour):
        out[t.name] = sorted(tuple(str(v) for v in r) for r in conn.execute(sa.select(t)))
    return out


# --------------------------------------------------------------------------- normalising

@pytest.mark.parametrize("text", SPELLED + ["+420-777-123-456", "(+420) 777 123 456"])
def test_every_spelling_normalises_to_the_same_e164(text):
    assert privacy.normalise(text, "420") == NUMBER


def test_national_numbers_use_the_configured_country():
    assert privacy.normalise("07700 900123", "44") == "+447700900123"
    assert privacy.normalise("777123456", "420") == NUMBER


@pytest.mark.parametrize("text", ["", "abc", "12", "777-ABC-456"])
def test_not_a_number_is_refused_with_a_message(text):
    with pytest.raises(privacy.InvalidNumber) as exc:
        privacy.normalise(text, "420")
    assert "phone number" in str(exc.value)


def test_spellings_and_mentions():
    assert privacy.spellings(NUMBER) == ["+420777123456", "00420777123456", "420777123456", "777123456"]
    pattern = privacy.mention_regex(NUMBER)
    assert pattern.search("call me on 777 123 456, thanks")
    assert pattern.search("x00420-777-123-456")
    assert not pattern.search("1777123456")  # part of a longer number
    assert not pattern.search("7771234567")


# --------------------------------------------------------------------------- find / erase

def test_three_spellings_find_the_same_things(engine, tmp_path):
    ids = insert_person(tmp_path)
    found = [privacy.find(text, engine=engine) for text in SPELLED]
    for f in found:
        assert f.number == NUMBER
        assert [c["call_uid"] for c in f.calls] == ["p_in", "p_out", "p_fwd"]
        assert [r["path"] for r in f.recordings] == ["2026/03/10/p_in.wav"]
        assert len(f.queue_calls) == 2  # p_in's pass and the orphan pass
        assert len(f.callbacks) == 1 and len(f.surveys) == 1 and f.ivr_choices == 1
        assert [c["session_uid"] for c in f.chat_sessions] == ["P1"]
        assert [m["session_id"] for m in f.chat_messages] == [ids["base"]["sessions"]["S2"]]
        assert f.live_queue == 1 and len(f.audit_entries) == 1
        assert f.files == ["with.csv", "with.xlsx"]
    assert found[0].counts() == found[1].counts() == found[2].counts()


def test_erase_leaves_no_trace_and_touches_nothing_else(engine, tmp_path):
    ids = insert_person(tmp_path)
    rec_root, files_root = _settings_dirs(tmp_path)
    person_calls = {ids["p_in"], ids["p_out"], ids["p_fwd"]}
    before = _snapshot(engine, person_calls)
    other_files = {p: p.read_bytes() for p in rec_root.rglob("*") if p.is_file() and "p_in" not in p.name}
    assert _text_hits(engine) and _file_hits(rec_root, files_root)  # the test can see it

    result = privacy.erase("777 123 456", actor={"username": "admin"}, engine=engine)

    assert _text_hits(engine) == []
    assert _file_hits(rec_root, files_root) == []
    assert not (rec_root / "2026/03/10/p_in.wav").exists()
    assert sorted(p.name for p in files_root.iterdir()) == ["without.csv"]
    assert not list(rec_root.rglob("*.deleting-*"))
    after = _snapshot(engine, person_calls)
    assert after["calls"] == before["calls"] and after["legs"] == before["legs"]
    assert after["recs"] == before["recs"] and after["sessions"] == before["sessions"]
    assert after["messages"] == before["messages"]
    assert {p: p.read_bytes() for p in other_files} == other_files
    with engine.begin() as conn:
        assert conn.execute(sa.select(s.chat_message.c.body).where(s.chat_message.c.body.like("My wife%"))
                            ).scalar_one() == "My wife: call me on [erased], thanks"
        assert conn.execute(sa.select(sa.func.count()).select_from(s.delivery)).scalar_one() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(s.queue_attempt)).scalar_one() == 0
        # Aggregates equal a rebuild from what remains.
        incremental = _all_aggregates(conn)
        aggregates.rebuild_all(conn)
        assert _all_aggregates(conn) == incremental
        entry = conn.execute(sa.select(s.audit_log).where(s.audit_log.c.action == "privacy_erase")).one()
        salt = conn.execute(sa.select(s.settings_kv.c.value).where(s.settings_kv.c.key == privacy.ERASE_SALT_KEY)
                            ).scalar_one()
    assert entry.details["number_sha256_salted"] == hashlib.sha256((salt + NUMBER).encode()).hexdigest()
    assert entry.details["counts"]["calls"] == 3 and entry.username == "admin"
    assert result.counts["files"] == 2 and result.recording_files_deleted == 1
    assert privacy.find(NUMBER, engine=engine).empty


def test_erase_rolls_back_everything_on_failure(engine, tmp_path, monkeypatch):
    insert_person(tmp_path)
    rec_root, files_root = _settings_dirs(tmp_path)
    hits_before = _text_hits(engine)

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(privacy, "_sweep", boom)
    with pytest.raises(RuntimeError):
        privacy.erase(NUMBER, engine=engine)
    assert _text_hits(engine) == hits_before
    assert (rec_root / "2026/03/10/p_in.wav").exists() and (files_root / "with.csv").exists()
    assert not list(tmp_path.rglob("*.deleting-*"))


# --------------------------------------------------------------------------- masking

MASKED = Scope(all=True, mask_external=True)


def _values(rows) -> list[str]:
    return [str(v) for r in rows for v in (r._mapping.values() if hasattr(r, "_mapping") else r)]


def test_masked_scope_never_receives_the_full_number(engine, tmp_path):
    ids = insert_person(tmp_path)
    wide = q.CallFilter(start_utc=D(2026, 3, 1), end_utc=D(2026, 4, 1))
    with engine.connect() as conn:
        session_id = conn.execute(sa.select(s.chat_session.c.id).where(s.chat_session.c.session_uid == "P1")).scalar_one()
    stmts = [
        q.list_calls(MASKED, wide, list(q.COLUMNS), limit=None),
        q.get_call(MASKED, ids["p_in"]),
        q.call_legs(MASKED, ids["p_fwd"]),
        qrec.list_recordings(MASKED, wide, limit=None),
        qchats.list_sessions(MASKED, qchats.ChatFilter(), limit=None),
        qchats.get_session(MASKED, session_id),
        qchats.session_messages(MASKED, session_id),
    ]
    rows = [r for stmt in stmts for r in db.fetch_all(stmt, engine)]
    text = " ".join(_values(rows))
    assert rows and not LEFTOVER.search(text)
    assert "+420777••••56" in text and "00420777••••56" in text and "777••••56" in text
    assert "Hi, it is me, +420777••••56" in text  # the session's number inside a message, too
    # Extensions and our own numbers stay readable; the unmasked scope sees everything.
    listed = db.fetch_all(q.list_calls(MASKED, wide, ["from", "to"], limit=None), engine)
    assert {"101", "102", "600"} <= {str(v) for r in listed for v in r}
    full = " ".join(_values(db.fetch_all(q.list_calls(Scope.everything(), wide, limit=None), engine)))
    assert NUMBER in full


def test_masked_reports_hide_callers(engine, tmp_path):
    insert_person(tmp_path)
    flt = ReportFilter(first_day=D(2026, 3, 1).date(), last_day=D(2026, 3, 31).date())
    from callboard.core.settings import get_settings

    tz = get_settings().tz
    text = " ".join(_values(db.fetch_all(callback_activity(MASKED, flt, tz), engine))
                    + _values(db.fetch_all(missed_unreturned(MASKED, flt, tz), engine)))
    assert "777••••56" in text and not LEFTOVER.search(text)


def test_mask_number_and_role_setting(engine):
    assert privacy.mask_number(NUMBER) == "+420777••••56"
    assert privacy.mask_number("101") == "101"
    assert not privacy.masking_for_role("viewer", engine)
    privacy.set_masked_roles(["viewer", "manager"], actor={"username": "admin"}, engine=engine)
    assert privacy.masking_for_role("viewer", engine) and privacy.masking_for_role("manager", engine)
    assert not privacy.masking_for_role("administrator", engine)
    with pytest.raises(ValueError):
        privacy.set_masked_roles(["boss"], engine=engine)


def test_masked_csv_route_and_records_callback(engine, tmp_path, monkeypatch):
    """What leaves the app for a masked user: the records CSV route and the records grid's
    callback response."""
    from flask import Flask

    from callboard.web import routes

    insert_person(tmp_path)
    app = Flask(__name__)
    routes.register(app)
    monkeypatch.setattr(routes, "current_scope", lambda: MASKED)
    params = {"preset": "custom", "from": "2026-03-01", "to": "2026-03-31"}
    resp = app.test_client().get(routes.RECORDS_CSV_PATH + "?preset=custom&from=2026-03-01&to=2026-03-31"
                                 "&cols=did,outbound_cid,call_uid")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "777••••56" in body and not LEFTOVER.search(body)

    from app import create_app

    create_app()  # registers the pages
    from dashboards import records

    monkeypatch.setattr(records, "current_scope", lambda: MASKED)
    out = records._get_rows({"startRow": 0, "endRow": 100, "sortModel": []}, params, None, None, "en")
    text = repr(out)
    assert out[0]["rowCount"] == 14  # c1..c6, the five recorded calls, p_in, p_out, p_fwd
    assert "+420777••••56 (+420777••••56)" in text  # p_in: number and caller-ID name both masked
    assert "00420777••••56" in text and not LEFTOVER.search(text)


def test_masked_xlsx_and_pdf_hold_no_full_number(engine, tmp_path):
    """The files schedules email and the download lists keep, built for a masked user."""
    from callboard.core.settings import get_settings
    from exporters.files import build_cdr_file

    insert_person(tmp_path)
    wide = q.CallFilter(start_utc=D(2026, 3, 1), end_utc=D(2026, 4, 1))
    pattern = privacy.mention_regex(NUMBER)
    for fmt in ("xlsx", "pdf"):
        for name, scope in (("masked", MASKED), ("full", Scope.everything())):
            f = build_cdr_file(wide, fmt=fmt, lang="en", scope=scope, tz=get_settings().tz)
            assert f.rows_total == 14
            (tmp_path / f"{name}.{fmt}").write_bytes(f.content)
        # The same scanner erasure uses on generated files (zip members, PDF streams and text).
        assert privacy._file_mentions(tmp_path / f"full.{fmt}", pattern)  # it can see the number
        assert not privacy._file_mentions(tmp_path / f"masked.{fmt}", pattern)


def test_masked_number_search_cannot_probe_hidden_digits(engine, tmp_path):
    insert_person(tmp_path)
    wide = dict(start_utc=D(2026, 3, 1), end_utc=D(2026, 4, 1))

    def uids(scope, text):
        rows = db.fetch_all(q.list_calls(scope, q.CallFilter(number_contains=text, **wide), ["call_uid"],
                                         limit=None), engine)
        return sorted(r.call_uid for r in rows)

    assert uids(Scope.everything(), "7771234") == ["p_in", "p_out"]
    assert uids(MASKED, "7771234") == []  # the hidden digits cannot be searched for
    assert uids(MASKED, "777••••56") == ["p_in", "p_out"]  # what the user sees can
    assert uids(MASKED, "101") == ["c3", "c6", "c_na", "c_vm", "p_fwd"]  # extensions stay searchable

"""Hand-made recordings and chat sessions on top of tests/calls_data.py.

Calls added (all recorded, UTC 2026-03-10) — only r1 (c1) and r_out belong on the
Recordings page:

    uid     status     destination_type  rec file
    c1      answered   -                 c1.wav     (from calls_data; recorded)
    c_out   answered   extension         out.mp3    (outbound, ext 102)
    c_ivr   answered   ivr               ivr.wav    excluded: went to an IVR
    c_vm    voicemail  voicemail         vm.wav     excluded: voicemail
    c_na    no_answer  extension         na.wav     excluded: not answered
    c_miss  answered   extension         gone.wav   listed; the file is missing on disk

Chats: S1 (sms, agent 101, closed, 3 messages, assigned -> transferred -> closed),
S2 (whatsapp, agent 102, open, 1 message), both created on 2026-03-10.
"""

from __future__ import annotations

import wave
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from data import db, schema
from tests.calls_data import insert_calls

D = datetime


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> int:
    """A real (silent-ish) mono 16-bit WAV; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(((i * 37) % 2000 - 1000).to_bytes(2, "little", signed=True) for i in range(frames)))
    return path.stat().st_size


EXTRA_CALLS = [
    dict(call_uid="c_out", start_utc=D(2026, 3, 10, 10, 0), end_utc=D(2026, 3, 10, 10, 2),
         answer_utc=D(2026, 3, 10, 10, 0, 5), direction="outbound", status="answered", from_number="102",
         to_number="+420777555666", extension="102", destination_type="external", duration_s=120, ring_s=5,
         talk_s=115, has_recording=True),
    dict(call_uid="c_ivr", start_utc=D(2026, 3, 10, 10, 10), end_utc=D(2026, 3, 10, 10, 11),
         answer_utc=D(2026, 3, 10, 10, 10, 1), direction="inbound", status="answered", from_number="+420600000001",
         to_number="500", destination_type="ivr", ivr="500", duration_s=60, ring_s=1, talk_s=59, has_recording=True),
    dict(call_uid="c_vm", start_utc=D(2026, 3, 10, 10, 20), end_utc=D(2026, 3, 10, 10, 21), direction="inbound",
         status="voicemail", from_number="+420600000002", to_number="101", extension="101",
         destination_type="voicemail", duration_s=60, ring_s=20, talk_s=0, has_recording=True),
    dict(call_uid="c_na", start_utc=D(2026, 3, 10, 10, 30), end_utc=D(2026, 3, 10, 10, 30, 30), direction="inbound",
         status="no_answer", from_number="+420600000003", to_number="101", extension="101",
         destination_type="extension", duration_s=30, ring_s=30, talk_s=0, has_recording=True),
    dict(call_uid="c_miss", start_utc=D(2026, 3, 10, 10, 40), end_utc=D(2026, 3, 10, 10, 41),
         answer_utc=D(2026, 3, 10, 10, 40, 2), direction="inbound", status="answered", from_number="+420600000004",
         to_number="103", extension="103", destination_type="extension", duration_s=60, ring_s=2, talk_s=58,
         has_recording=True),
]

FILES = {"c1": "2026/03/10/c1.wav", "c_out": "2026/03/10/out.mp3", "c_ivr": "2026/03/10/ivr.wav",
         "c_vm": "2026/03/10/vm.wav", "c_na": "2026/03/10/na.wav", "c_miss": "2026/03/10/gone.wav"}


def insert_recordings(root: Path) -> dict:
    """Calls, recording rows and files (all but c_miss's), chats. Returns ids:
    {"calls": uid -> call id, "recs": uid -> recording id, "sessions": uid -> session id}."""
    ids = insert_calls(EXTRA_CALLS)
    recs = {}
    with db.transaction() as conn:
        for uid, rel in FILES.items():
            path = Path(root) / rel
            size = 0
            if uid != "c_miss":
                if rel.endswith(".mp3"):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8)
                    size = path.stat().st_size
                else:
                    size = write_wav(path)
            recs[uid] = conn.execute(
                sa.insert(schema.recording).values(call_id=ids[uid], path=rel, format=rel.rsplit(".", 1)[1],
                                                   size_bytes=size, duration_s=1, created_utc=D(2026, 3, 10, 11))
                .returning(schema.recording.c.id)
            ).scalar_one()
        sessions = {}
        for uid, channel, agent, status, closed in (("S1", "sms", "101", "closed", D(2026, 3, 10, 9, 30)),
                                                    ("S2", "whatsapp", "102", "open", None)):
            sessions[uid] = conn.execute(
                sa.insert(schema.chat_session).values(
                    session_uid=uid, channel_type=channel, channel_number="+420222000999",
                    external_number="+420777000111" if uid == "S1" else "=HYPERLINK(1)",
                    sender="+420777000111", recipient=agent, agent=agent, created_utc=D(2026, 3, 10, 9, 0),
                    last_active_utc=D(2026, 3, 10, 9, 20), closed_utc=closed, status=status,
                    message_count=3 if uid == "S1" else 1,
                ).returning(schema.chat_session.c.id)
            ).scalar_one()
        s1, s2 = sessions["S1"], sessions["S2"]
        conn.execute(sa.insert(schema.chat_message), [
            dict(session_id=s1, sent_utc=D(2026, 3, 10, 9, 0), direction="in", sender="+420777000111",
                 body="Hello, where is my parcel?"),
            dict(session_id=s1, sent_utc=D(2026, 3, 10, 9, 5), direction="out", sender="101",
                 body="It leaves today."),
            dict(session_id=s1, sent_utc=D(2026, 3, 10, 9, 20), direction="in", sender="+420777000111",
                 body="Thanks!"),
            dict(session_id=s2, sent_utc=D(2026, 3, 10, 9, 0), direction="in", sender="+420777000222",
                 body="Hi"),
        ])
        conn.execute(sa.insert(schema.chat_event), [
            dict(session_id=s1, at_utc=D(2026, 3, 10, 9, 0), event="created", agent=None),
            dict(session_id=s1, at_utc=D(2026, 3, 10, 9, 1), event="assigned", agent="102"),
            dict(session_id=s1, at_utc=D(2026, 3, 10, 9, 3), event="transferred", agent="101"),
            dict(session_id=s1, at_utc=D(2026, 3, 10, 9, 30), event="closed", agent="101"),
            dict(session_id=s2, at_utc=D(2026, 3, 10, 9, 0), event="created", agent=None),
        ])
    return {"calls": ids, "recs": recs, "sessions": sessions}

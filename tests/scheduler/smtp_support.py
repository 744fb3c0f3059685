"""A real SMTP server (aiosmtpd) in the test process, and the calls the scheduler tests
report on.

Calls (UTC; Europe/Prague is UTC+1 in November):
    n1  2026-11-03 09:00  inbound   answered   ext 101  talk 100
    n2  2026-11-10 12:00  inbound   no_answer  ext 101
    n3  2026-11-24 08:00  outbound  answered   ext 102  talk 30
    n4  2026-11-25 07:30  inbound   answered   ext 102  talk 60   (08:30 local, before the 10:00 run)
    n5  2026-10-31 12:00  inbound   answered   ext 101  talk 10   (October: outside "this month")
Extension call statistics, 2026-11-01..25, inbound only: 101 -> 2 calls (1 answered,
1 no answer, talk 100 s); 102 -> 1 call (answered, talk 60 s).
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa

from data import aggregates, db
from data import schema as s

D = datetime


def _call(uid, start, direction, status, ext, talk):
    return dict(call_uid=uid, start_utc=start, end_utc=start.replace(minute=start.minute + 5), direction=direction,
                status=status, from_number="+420601000111" if direction == "inbound" else ext,
                to_number=ext if direction == "inbound" else "+420777000222", extension=ext, duration_s=talk + 5,
                ring_s=5, talk_s=talk, answer_utc=start if status == "answered" else None)


CALLS = [
    _call("n1", D(2026, 11, 3, 9, 0), "inbound", "answered", "101", 100),
    _call("n2", D(2026, 11, 10, 12, 0), "inbound", "no_answer", "101", 0),
    _call("n3", D(2026, 11, 24, 8, 0), "outbound", "answered", "102", 30),
    _call("n4", D(2026, 11, 25, 7, 30), "inbound", "answered", "102", 60),
    _call("n5", D(2026, 10, 31, 12, 0), "inbound", "answered", "101", 10),
]


def fill(engine=None) -> int:
    """The calls, and an administrator owning the schedules (a schedule runs with its
    owner's scope); returns the administrator's id."""
    with db.transaction(engine) as conn:
        insert_calls(conn)
        return insert_admin(conn)


def insert_admin(conn) -> int:
    return conn.execute(sa.insert(s.app_user).values(username="admin", password_hash="!", role="admin")
                        .returning(s.app_user.c.id)).scalar_one()


def insert_calls(conn) -> None:
    conn.execute(sa.insert(s.source).values(id=1, name="main"))
    conn.execute(sa.insert(s.call), CALLS)
    conn.execute(sa.insert(s.extension), [dict(source_id=1, number="101", name="Alice Dvořáková"),
                                          dict(source_id=1, number="102", name="Bob")])
    aggregates.refresh(conn, D(2026, 10, 1), D(2026, 12, 1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the SMTP server received: parsed messages, in arrival order."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@contextmanager
def smtp_server(port: int | None = None):
    """(mailbox, port) of an aiosmtpd server on 127.0.0.1 for the block."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = port or free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def links(msg) -> dict[str, str]:
    """{"download": url, "view": url} from the plain-text body."""
    text = msg.get_body(preferencelist=("plain",)).get_content()
    found = re.findall(r"https?://\S+/(files|view)/([A-Za-z0-9_-]+)", text)
    out = {}
    for kind, token in found:
        out["download" if kind == "files" else "view"] = re.search(
            rf"https?://\S+/{kind}/{token}", text).group(0)
    return out


def attachment(msg) -> tuple[str, bytes] | None:
    for part in msg.iter_attachments():
        return part.get_filename(), part.get_payload(decode=True)  # the exact bytes (base64 on the wire)
    return None

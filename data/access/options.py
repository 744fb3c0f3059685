"""Choices for the admin screens: extension groups and queues the PBX knows."""

from __future__ import annotations

import sqlalchemy as sa

from data import db
from data import schema as s


def group_options() -> list[dict]:
    g = s.extension_group
    return [{"label": r.name, "value": r.name} for r in db.fetch_all(sa.select(g.c.name).order_by(g.c.name))]


def queue_options() -> list[dict]:
    """Known queues (queue table) plus queue numbers seen on calls, "600 — Sales" style."""
    q = s.queue
    named = {r.number: r.name for r in db.fetch_all(sa.select(q.c.number, q.c.name))}
    seen = {r[0] for r in db.fetch_all(sa.select(s.queue_call.c.queue).distinct())}
    numbers = sorted(set(named) | seen, key=lambda n: (len(n), n))
    return [{"label": f"{n} — {named[n]}" if named.get(n) else n, "value": n} for n in numbers]

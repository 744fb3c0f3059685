"""The audit log: who did what, when, from where (table ``audit_log``).

``record(action, target, detail, actor=None, conn=None)`` is the one writer: the web app,
the CLI, the scheduler and the data layer's own changes (data.recordings, data.privacy and
data.retention write theirs inside their transaction, ``conn=``). Actions are short
snake_case verbs: ``login``, ``login_failed``, ``logout``, ``password_change``,
``user_add``, ``user_change``, ``display_token_add``, ``display_token_revoke``,
``download_recording``, ``export_records``, ``export_chats``, ``export_report_calls``,
``download_file`` (a generated file, by its emailed link or from the download list),
``schedule_create`` / ``schedule_edit`` / ``schedule_delete`` / ``schedule_run_now``,
``delete_recording``, ``delete_call``, ``privacy_erase``, ``retention_run`` ... (labels for
people: dashboards/admin/audit.py ACTION_LABELS)

No Flask here: the web layer tells the writer how to read the current request's actor
(``set_actor_source``), so an entry written during a request without an explicit actor
names the signed-in user (or wall display) and the address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from data import db
from data import schema as s


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _nobody() -> dict:
    return {}


# Who is asking, for an entry written without an actor: the web layer's reader of the
# current request (callboard.web.access.request_actor, set by the request guard's install);
# elsewhere (the CLI, the scheduler, tests without the app) nobody.
_actor_source: Callable[[], dict] = _nobody


def set_actor_source(source: Callable[[], dict]) -> None:
    """Where ``record`` finds the actor when none is given: a function returning
    ``{"user_id", "username", "ip"}`` of the current request, ``{}`` outside one."""
    global _actor_source
    _actor_source = source


def _actor_dict(actor) -> dict:
    if actor is None:
        return _actor_source()
    if isinstance(actor, dict):
        return actor
    if isinstance(actor, str):  # e.g. "cli", "scheduler"
        return {"username": actor}
    # a CurrentUser (or anything with id / username)
    return {"user_id": getattr(actor, "id", None), "username": getattr(actor, "username", None)}


def _split_target(target) -> tuple[str | None, str | None]:
    if target is None:
        return None, None
    if isinstance(target, tuple):
        kind, oid = target
        return (str(kind) if kind is not None else None), (str(oid) if oid is not None else None)
    text = str(target)
    kind, sep, oid = text.partition(":")
    return (kind, oid) if sep else (text, None)


def record(action: str, target: Any = None, detail: dict | None = None, actor: Any = None, *,
           conn: sa.Connection | None = None) -> None:
    """Write one audit entry.

    action: what happened (``schedule_delete``). target: what it happened to —
    ``("schedule", 12)``, ``"schedule:12"`` or None. detail: a JSON-able dict (the changed
    fields, a file name ...). actor: None = what the actor source gives (in the web app the
    signed-in user and address of the current request; elsewhere nobody); a dict ``{"user_id", "username", "ip"}``; a CurrentUser; or a name such as
    ``"cli"`` / ``"scheduler"``. conn: write inside that transaction (so the entry and the
    change commit or roll back together); otherwise in its own transaction.
    """
    who = _actor_dict(actor)
    object_type, object_id = _split_target(target)
    values = dict(
        at_utc=_now(), user_id=who.get("user_id"), username=(who.get("username") or None),
        action=str(action)[:40], object_type=object_type, object_id=object_id,
        details=detail or None, ip=who.get("ip"),
    )
    if values["username"]:
        values["username"] = str(values["username"])[:100]
    stmt = sa.insert(s.audit_log).values(**values)
    if conn is not None:
        conn.execute(stmt)
    else:
        with db.transaction() as own:
            own.execute(stmt)


def actions() -> list[str]:
    """The actions the log holds (for the filter)."""
    return [r[0] for r in db.fetch_all(sa.select(s.audit_log.c.action).distinct().order_by(s.audit_log.c.action))]


def entries_query(*, action: str | None = None, username: str | None = None, day_from=None, day_to=None,
                  tz=None, limit: int = 500) -> sa.Select:
    """Newest first: entries of an action / user (exact name) within local days [day_from, day_to]."""
    from datetime import time as dtime
    from datetime import timedelta

    a = s.audit_log
    stmt = sa.select(a).order_by(a.c.at_utc.desc(), a.c.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(a.c.action == action)
    if username:
        stmt = stmt.where(a.c.username == username)

    def utc(day):
        local = datetime.combine(day, dtime.min, tzinfo=tz) if tz else datetime.combine(day, dtime.min)
        return local.astimezone(timezone.utc).replace(tzinfo=None) if tz else local

    if day_from:
        stmt = stmt.where(a.c.at_utc >= utc(day_from))
    if day_to:
        stmt = stmt.where(a.c.at_utc < utc(day_to + timedelta(days=1)))
    return stmt

"""Users, their roles and scopes (tables app_user, user_scope); shared by the CLI, the
admin pages and the login.

Roles: ``admin`` (everything), ``manager`` (records, recordings, reports, own schedules,
within scope), ``viewer`` (read-only, within scope). Scope rows: kind ``extension_group``,
``extension`` or ``queue`` with a value; a user without rows sees nothing. Administrators
always see everything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from data.access import audit
from data.access.login import clear_throttle, name_lock
from data.access.passwords import hash_password
from callboard.core.i18n import N_
from data import db
from data import schema as s
from data.scope import Scope

ROLES = s.ROLES  # ("admin", "manager", "viewer")
SCOPE_KINDS = ("extension_group", "extension", "queue")


class UserError(ValueError):
    """Bad input for a user change: msgid (translatable) + params."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid.format(**params))
        self.msgid, self.params = msgid, params


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str | None
    email: str | None
    role: str
    language: str
    disabled: bool
    failed_logins: int  # wrong passwords in a row for the name, from every address together
    mask_numbers: bool
    locked_until_utc: datetime | None  # addresses it has not signed in from wait until then
    created_utc: datetime | None
    scope: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(N_("Unknown role “{role}” (use one of: {roles})."), role=role, roles=", ".join(ROLES))
    return role


def _check_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        raise UserError(N_("A user name needs 1 to 100 characters without spaces (got “{name}”)."), name=username)
    return name


def _scope_rows(conn, user_ids) -> dict[int, dict[str, tuple[str, ...]]]:
    us = s.user_scope
    out: dict[int, dict[str, list[str]]] = {}
    rows = conn.execute(sa.select(us.c.user_id, us.c.kind, us.c.value).where(us.c.user_id.in_(list(user_ids)))
                        .order_by(us.c.kind, us.c.value))
    for uid, kind, value in rows:
        out.setdefault(uid, {}).setdefault(kind, []).append(value)
    return {uid: {k: tuple(v) for k, v in kinds.items()} for uid, kinds in out.items()}


def _record(row, scope, locks) -> UserRecord:
    failures, locked_until = locks.get(row.username, (0, None))
    return UserRecord(id=row.id, username=row.username, display_name=row.display_name, email=row.email,
                      role=row.role, language=row.language, disabled=bool(row.disabled),
                      mask_numbers=bool(row.mask_numbers), failed_logins=failures, locked_until_utc=locked_until,
                      created_utc=row.created_utc, scope=scope.get(row.id, {}))


def list_users() -> list[UserRecord]:
    u = s.app_user
    with db.connect() as c:
        rows = c.execute(sa.select(u).order_by(u.c.username)).all()
        scope = _scope_rows(c, [r.id for r in rows]) if rows else {}
        locks = name_lock(c, [r.username for r in rows]) if rows else {}
    return [_record(r, scope, locks) for r in rows]


def get_user(username_or_id) -> UserRecord | None:
    """By id (int) or user name; None when there is no such user."""
    u = s.app_user
    cond = u.c.id == username_or_id if isinstance(username_or_id, int) else u.c.username == username_or_id
    with db.connect() as c:
        row = c.execute(sa.select(u).where(cond)).first()
        if row is None:
            return None
        return _record(row, _scope_rows(c, [row.id]), name_lock(c, [row.username]))


def _require(conn, username: str):
    row = conn.execute(sa.select(s.app_user).where(s.app_user.c.username == username)).first()
    if row is None:
        raise UserError(N_("No user “{name}”."), name=username)
    return row


def add_user(username: str, password: str, role: str, *, display_name: str | None = None,
             email: str | None = None, language: str = "en", actor=None) -> int:
    name = _check_username(username)
    _check_role(role)
    pw_hash = hash_password(password)
    with db.transaction() as conn:
        if conn.execute(sa.select(s.app_user.c.id).where(s.app_user.c.username == name)).first():
            raise UserError(N_("The user “{name}” already exists."), name=name)
        uid = conn.execute(sa.insert(s.app_user).values(
            username=name, display_name=display_name, email=email, password_hash=pw_hash, role=role,
            language=language if language in ("en", "cs") else "en", created_utc=_now(),
        ).returning(s.app_user.c.id)).scalar_one()
        audit.record("user_add", ("user", name), {"role": role}, actor, conn=conn)
    return uid


def set_role(username: str, role: str, *, actor=None) -> None:
    _check_role(role)
    with db.transaction() as conn:
        row = _require(conn, username)
        conn.execute(sa.update(s.app_user).where(s.app_user.c.id == row.id).values(role=role))
        audit.record("user_change", ("user", username), {"role": [row.role, role]}, actor, conn=conn)


def set_scope(username: str, *, groups=(), extensions=(), queues=(), actor=None) -> None:
    """Replace the user's scope with these extension groups, extensions and queues."""
    wanted = {("extension_group", str(v).strip()) for v in groups if str(v).strip()}
    wanted |= {("extension", str(v).strip()) for v in extensions if str(v).strip()}
    wanted |= {("queue", str(v).strip()) for v in queues if str(v).strip()}
    with db.transaction() as conn:
        row = _require(conn, username)
        conn.execute(sa.delete(s.user_scope).where(s.user_scope.c.user_id == row.id))
        if wanted:
            conn.execute(sa.insert(s.user_scope), [dict(user_id=row.id, kind=k, value=v) for k, v in sorted(wanted)])
        audit.record("user_change", ("user", username),
                     {"scope": {k: sorted(v for kk, v in wanted if kk == k) for k in SCOPE_KINDS}}, actor, conn=conn)


def set_disabled(username: str, disabled: bool = True, *, actor=None) -> None:
    with db.transaction() as conn:
        row = _require(conn, username)
        conn.execute(sa.update(s.app_user).where(s.app_user.c.id == row.id).values(disabled=disabled))
        if disabled:  # signed-in browsers of a disabled user end now
            conn.execute(sa.delete(s.user_session).where(s.user_session.c.user_id == row.id))
        audit.record("user_change", ("user", username), {"disabled": disabled}, actor, conn=conn)


def set_password(username: str, password: str, *, actor=None, action: str = "password_reset",
                 keep_session_hash: str | None = None) -> None:
    """New password; unlocks the user (their sign-in counters from every address) and ends
    their other sessions (all but keep_session_hash)."""
    pw_hash = hash_password(password)
    with db.transaction() as conn:
        row = _require(conn, username)
        conn.execute(sa.update(s.app_user).where(s.app_user.c.id == row.id).values(password_hash=pw_hash))
        clear_throttle(conn, row.username)
        q = sa.delete(s.user_session).where(s.user_session.c.user_id == row.id)
        if keep_session_hash:
            q = q.where(s.user_session.c.id_hash != keep_session_hash)
        conn.execute(q)
        audit.record(action, ("user", username), None, actor, conn=conn)


def with_masking(scope: Scope, masked: bool) -> Scope:
    """The scope with external numbers masked or not (data.privacy's Scope.mask_external)."""
    if not hasattr(scope, "mask_external"):
        return scope
    return dataclasses.replace(scope, mask_external=bool(masked))


def masks_numbers(user: UserRecord) -> bool:
    """The user's own flag (app_user.mask_numbers) or their role's setting (data.privacy)."""
    if user.mask_numbers:
        return True
    try:
        from data.privacy import masking_for_role
    except ImportError:  # the privacy work is not there: nobody's role masks
        return False
    return bool(masking_for_role(user.role))


def scope_of(user: UserRecord | None) -> Scope:
    """What a user may see: admin everything; others their assigned groups / extensions /
    queues; disabled, unknown or unassigned users nothing. External numbers masked per
    the user's flag or role setting."""
    if user is None or user.disabled:
        return Scope.nothing()
    if user.role == "admin":
        scope = Scope.everything()
    else:
        scope = Scope.of(extensions=user.scope.get("extension", ()), groups=user.scope.get("extension_group", ()),
                         queues=user.scope.get("queue", ()))
    return with_masking(scope, masks_numbers(user))


def scope_for_user(user_id: int | None) -> Scope:
    """What a stored user may see (for work done on their behalf: scheduled runs, downloads).
    Unknown, disabled or unassigned users: nothing; administrators: everything."""
    if user_id is None:
        return Scope.nothing()
    return scope_of(get_user(int(user_id)))

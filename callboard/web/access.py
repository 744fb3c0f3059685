"""Who is asking, and what they may see: the one place every page, route, export, schedule
and wall display gets its Scope from.

The request guard (callboard.web.auth.guard) identifies the signed-in user (session cookie)
or wall display (display token) of each web request and keeps them on ``flask.g``; these
functions read them. Outside a request, or when nobody is signed in, the scope is empty:
work done on someone's behalf (scheduled runs, downloads) asks ``data.access.users.scope_for_user``; the
CLI, run by the operator, passes ``Scope.everything()`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.scope import Scope


@dataclass(frozen=True)
class CurrentUser:
    id: int | None
    username: str
    role: str  # "admin" | "manager" | "viewer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _g(name: str):
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover
        return None
    if not has_request_context():
        return None
    return g.get(name)


def current_user() -> CurrentUser | None:
    """The signed-in user of the current request, or None (no request / not signed in)."""
    return _g("callboard_user")


def request_actor() -> dict:
    """{"user_id", "username", "ip"} of the current web request ({} outside one): who an
    audit entry written without an explicit actor names (the request guard gives this to
    data.access.audit.set_actor_source)."""
    try:
        from flask import g, has_request_context, request
    except ImportError:  # pragma: no cover - flask is a dependency
        return {}
    if not has_request_context():
        return {}
    user = getattr(g, "callboard_user", None)
    actor = {"ip": request.remote_addr}
    if user is not None:
        actor.update(user_id=user.id, username=user.username)
    else:
        display = getattr(g, "callboard_display", None)
        if display is not None:
            actor.update(username=f"display:{display.name}")
    return actor


def is_admin() -> bool:
    user = current_user()
    return bool(user and user.is_admin)


def is_display() -> bool:
    """Whether a wall display's token (not a user) is asking."""
    return current_user() is None and _g("callboard_display") is not None


def can_delete() -> bool:
    """Deleting calls and recordings is the administrator's."""
    return is_admin()


def current_scope() -> Scope:
    """What the current request's user (or wall display) may see; nobody: nothing."""
    user = current_user()
    if user is not None:
        cached = _g("callboard_scope")
        if cached is None:
            from data.access.users import scope_for_user

            cached = scope_for_user(user.id)
            from flask import g

            g.callboard_scope = cached
        return cached
    display = _g("callboard_display")
    if display is not None:
        return display.scope
    return Scope.nothing()


def wallboard_scope(token: str | None) -> Scope | None:
    """The read-only scope a wall display's token grants (its queues), or None when the token
    is unknown or revoked. The one token check of the wallboard and live pages.

    Without a token, a signed-in user's own scope (someone opening /wallboard from the
    menu); nobody signed in: None."""
    from data.access import display_tokens

    if not token:
        return current_scope() if current_user() is not None else None
    found = display_tokens.lookup(token)
    return found.scope if found is not None else None

"""Who is asking, and what they may see: the one place every page, route, export, schedule
and wall display gets its Scope from.

Until logins exist (the access-control work) everybody is an administrator who sees
everything. The functions keep their signatures when the real implementation lands, so
callers never change.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.scope import Scope


@dataclass(frozen=True)
class CurrentUser:
    id: int | None
    username: str
    role: str  # "admin" | "manager" | "viewer"


def current_user() -> CurrentUser | None:
    """The signed-in user of the current request, or None (no request / not signed in)."""
    return None


def current_scope() -> Scope:
    """What the current request's user may see."""
    return Scope.everything()


def scope_for_user(user_id: int | None) -> Scope:
    """What a stored user may see (for work done on their behalf: scheduled runs, downloads)."""
    return Scope.everything()


def wallboard_scope(token: str | None) -> Scope | None:
    """The read-only scope a wall display's token grants (its queues), or None when the token
    is unknown or revoked. The one token check of the wallboard and live pages."""
    return Scope.everything()

"""Which optional sections exist: settings, and for ``chat_enabled=auto`` the data.

``chats_enabled()`` is asked by the navbar on every render and by the /chats page; in
``auto`` mode it looks for one chat session (``data.queries.chats.any_session``) at most
once per ``CHAT_CHECK_TTL_S`` per database, so rendering the menu does not query each time.
An unreachable database hides the section (and is asked again on the next call).
"""

from __future__ import annotations

import logging
import threading
import time

from callboard.core.settings import get_settings

log = logging.getLogger(__name__)

CHAT_CHECK_TTL_S = 60.0

_lock = threading.Lock()
_chat_checks: dict[str, tuple[float, bool]] = {}  # database URL -> (monotonic time, has sessions)


def _database_has_chats(url: str) -> bool:
    from data import db
    from data.queries.chats import any_session

    return bool(db.fetch_all(any_session(), db.get_engine(url)))


def chats_enabled() -> bool:
    """Is the External chats section shown (menu and page)?"""
    settings = get_settings()
    if settings.chat_enabled != "auto":
        return settings.chat_enabled == "yes"
    url = settings.database_url
    now = time.monotonic()
    with _lock:
        cached = _chat_checks.get(url)
    if cached and now - cached[0] < CHAT_CHECK_TTL_S:
        return cached[1]
    try:
        found = _database_has_chats(url)
    except Exception:  # the menu must render; the pages report the database themselves
        log.warning("could not check for chat sessions", exc_info=True)
        return False
    with _lock:
        _chat_checks[url] = (now, found)
    return found


def reset_feature_cache() -> None:
    """Forget the cached checks (tests; after an import that added the first chats)."""
    with _lock:
        _chat_checks.clear()

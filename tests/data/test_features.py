"""Optional sections: the External chats menu and page follow CALLBOARD_CHAT_ENABLED
(auto: shown once the database holds a chat session, checked at most once a minute)."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from data import features

from callboard.web import shell
from callboard.core.i18n import gettext
from callboard.core.settings import reset_settings_cache
from data import db, schema
from data.queries.chats import any_session


def hrefs(component) -> set[str]:
    """Every href in a Dash component tree (the navbar's links)."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "to_plotly_json"):
            return
        href = getattr(node, "href", None)
        if href:
            found.add(href)
        walk(getattr(node, "children", None))
        for name in ("label",):
            walk(getattr(node, name, None))

    walk(component)
    return found


@pytest.fixture
def chat_setting(monkeypatch):
    """Set CALLBOARD_CHAT_ENABLED (None: unset) with fresh settings and a cold cache."""

    def set_(value):
        if value is None:
            monkeypatch.delenv("CALLBOARD_CHAT_ENABLED", raising=False)
        else:
            monkeypatch.setenv("CALLBOARD_CHAT_ENABLED", value)
        reset_settings_cache()
        features.reset_feature_cache()

    yield set_
    monkeypatch.delenv("CALLBOARD_CHAT_ENABLED", raising=False)
    reset_settings_cache()
    features.reset_feature_cache()


def add_session(uid: str = "S1") -> None:
    with db.transaction() as conn:
        if not db.fetch_all(sa.select(schema.source.c.id)):
            conn.execute(sa.insert(schema.source).values(id=1, name="main"))
        conn.execute(sa.insert(schema.chat_session).values(
            session_uid=uid, channel_type="sms", channel_number="+420222000100", external_number="+420601000001",
            sender="+420601000001",
            recipient="+420222000100", created_utc=datetime(2026, 3, 10, 9), last_active_utc=datetime(2026, 3, 10, 9),
            message_count=0, status="open"))


def test_any_session_is_a_limited_select():
    sql = str(any_session().compile(compile_kwargs={"literal_binds": True}))
    assert "chat_session" in sql and "LIMIT 1" in sql


def test_chat_menu_follows_the_setting_and_the_data(db_url, chat_setting, monkeypatch):
    chat_setting(None)  # default: auto
    assert "/chats" not in hrefs(shell.navbar("en", "/", role="admin"))  # no session stored
    assert "/records" in hrefs(shell.navbar("en", "/", role="admin"))

    chat_setting("yes")
    assert "/chats" in hrefs(shell.navbar("en", "/", role="admin"))
    chat_setting("no")
    add_session()
    assert "/chats" not in hrefs(shell.navbar("cs", "/", role="admin"))

    chat_setting("auto")
    assert "/chats" in hrefs(shell.navbar("en", "/", role="admin"))  # a session is stored now

    # Cached: rendering the menu again does not query within the minute ...
    calls = []
    real = features._database_has_chats
    monkeypatch.setattr(features, "_database_has_chats", lambda url: calls.append(url) or real(url))
    with db.transaction() as conn:
        conn.execute(sa.delete(schema.chat_session))
    for _ in range(5):
        assert "/chats" in hrefs(shell.navbar("en", "/", role="admin"))
    assert calls == []
    # ... and asks again once the minute is over.
    now = features.time.monotonic()
    monkeypatch.setattr(features.time, "monotonic", lambda: now + features.CHAT_CHECK_TTL_S + 1)
    assert "/chats" not in hrefs(shell.navbar("en", "/", role="admin"))
    assert calls == [db_url]


def test_unreachable_database_hides_the_chats(chat_setting, monkeypatch, tmp_path):
    def broken(url):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("down"))

    chat_setting("auto")
    monkeypatch.setattr(features, "_database_has_chats", broken)
    assert features.chats_enabled() is False
    assert "/chats" not in hrefs(shell.navbar("en", "/", role="admin"))


def _chats_page():
    import dash

    if not dash.page_registry:
        import app

        app.create_app()
    from dashboards import chats as page

    return page


def test_chats_page_says_not_configured(db_url, chat_setting):
    page = _chats_page()
    chat_setting("auto")
    en, cs = str(page.layout(lang="en")), str(page.layout(lang="cs"))
    assert "chat-disabled" in en and "chat-grid" not in en
    assert "External chats are not configured" in en
    assert gettext("cs", "External chats") in cs
    assert "Externí chaty nejsou nastavené" in cs and "not configured" not in cs

    chat_setting("no")
    en, cs = str(page.layout(lang="en")), str(page.layout(lang="cs"))
    assert "turned off in the settings" in en
    assert "v nastavení vypnuté" in cs

    add_session()
    chat_setting("auto")
    shown = str(page.layout(lang="en"))
    assert "chat-grid" in shown and "chat-disabled" not in shown

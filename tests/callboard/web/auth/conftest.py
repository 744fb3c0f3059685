"""The app of the access tests: one SQLite file per test module with calls, recordings and
chats (tests/recordings_data.py) and its principals — an administrator, a manager and a
viewer of team A ("Sales" = 101, 102), a wall display's token for queue 600 and nobody.
In-process (Flask test client): the guard is the same code on every database; the
data-layer scope tests run on both (tests/data/access/test_users_sessions.py)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from data.access import display_tokens

from data.access import users
from tests.callboard.web.auth.support import PASSWORD, ROLES, client_of, server_callbacks
from tests.browser_support import app_settings


@contextmanager
def built_world(url: str, tmp):
    """(app, ids): the app over the database at url (migrated here) with calls, recordings,
    chats, the users and a display token."""
    from data import db as dbmod
    from data.migrate import upgrade
    from tests.recordings_data import insert_recordings

    with app_settings(CALLBOARD_DATABASE_URL=url, CALLBOARD_RECORDINGS_DIR=str(tmp / "rec"),
                      CALLBOARD_FILES_DIR=str(tmp / "files"), CALLBOARD_TIMEZONE="Europe/Prague",
                      CALLBOARD_CHAT_ENABLED="yes"):
        upgrade(url)
        ids = insert_recordings(tmp / "rec")
        for name, role in ROLES.items():
            users.add_user(name, PASSWORD, role, actor="test")
        users.set_scope("manager_a", groups=["Sales"], actor="test")
        users.set_scope("viewer_a", groups=["Sales"], actor="test")
        ids["display_token"] = display_tokens.create("Matrix wall", ["600"], actor="test")
        from app import create_app

        app = create_app()
        app.server.test_client().get("/healthz")  # Dash merges the pages' callbacks at the first request
        assert len(server_callbacks(app)) > 50, "the pages' callbacks are missing: the tests would be vacuous"
        assert any("sch-" in key for key in server_callbacks(app)), "the schedule callbacks are missing"
        try:
            yield app, ids
        finally:
            dbmod.dispose_engines()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(app, ids): the app over a SQLite file with calls, recordings, chats and the users."""
    tmp = tmp_path_factory.mktemp("matrix")
    with built_world(f"sqlite:///{tmp / 'callboard.db'}", tmp) as built:
        yield built


@pytest.fixture(scope="module")
def clients(world):
    """A signed-in client per role, a wall display (its cookie set by /wallboard?token=) and nobody."""
    app, ids = world
    out = {who: client_of(app, who) for who in ROLES}
    for who in ROLES:  # the first page sets the session's CSRF cookie
        out[who].get("/records")
    out["display"] = app.server.test_client()
    assert out["display"].get(f"/wallboard?token={ids['display_token']}").status_code == 200
    out["anonymous"] = client_of(app, None)
    return out

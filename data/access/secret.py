"""The app's secret (sessions' CSRF tokens, signed links): CALLBOARD_SECRET_KEY, or one
generated on first use and kept in the database, so restarts and every worker share it."""

from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa

from callboard.core.settings import get_settings
from data import db
from data import schema as s

KEY = "auth.secret_key"


@lru_cache(maxsize=4)
def _stored_secret(database_url: str) -> str:
    kv = s.settings_kv
    engine = db.get_engine(database_url)
    with engine.connect() as conn:
        value = conn.execute(sa.select(kv.c.value).where(kv.c.key == KEY)).scalar()
    if value:
        return str(value)
    try:
        with db.transaction(engine) as conn:
            conn.execute(sa.insert(kv).values(key=KEY, value=secrets.token_urlsafe(48)))
    except sa.exc.IntegrityError:
        pass  # another worker stored one first: use theirs
    with engine.connect() as conn:
        return str(conn.execute(sa.select(kv.c.value).where(kv.c.key == KEY)).scalar_one())


def app_secret() -> str:
    settings = get_settings()
    return settings.secret_key or _stored_secret(settings.database_url)

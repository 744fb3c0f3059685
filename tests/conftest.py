"""Shared fixtures: real SQLite and real PostgreSQL, a fresh schema for every test.

PostgreSQL: CALLBOARD_TEST_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test.
Each pytest-xdist worker gets its own database (created from that server). When the server
cannot be reached the PostgreSQL variants are skipped locally, but FAIL under CI=true —
CI must never pass by skipping the production database.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from callboard.core.settings import reset_settings_cache
from data import db as dbmod
from data import schema

PG_BASE_URL = os.environ.get("CALLBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ("sqlite", "postgresql")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_admin_engine():
    return sa.create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def create_pg_database(name: str) -> str:
    """A new, migrated PostgreSQL database (dropped first if it exists): its URL. Skips
    the test when the server is unreachable (fails it in CI)."""
    try:
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
    except sa.exc.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable at {PG_BASE_URL} (CI requires it): {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_BASE_URL}: {exc}")
    url = sa.engine.make_url(PG_BASE_URL).set(database=name).render_as_string(hide_password=False)
    from data.migrate import upgrade

    upgrade(url)
    return url


def drop_pg_database(name: str) -> None:
    try:
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    except sa.exc.OperationalError:
        pass


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A migrated PostgreSQL database of this worker's own, or skip (fail in CI)."""
    # Own database per process (and xdist worker): parallel test runs on one server must
    # not drop each other's database.
    name = f"callboard_test_{_worker()}_{os.getpid()}"
    url = create_pg_database(name)
    yield url
    dbmod.dispose_engines()
    drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per session; each test copies it (much faster than migrating)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    from data.migrate import upgrade

    upgrade(f"sqlite:///{path}")
    dbmod.dispose_engines()
    return path


def _truncate_pg(url: str) -> None:
    engine = dbmod.get_engine(url)
    names = ", ".join(f'"{t.name}"' for t in schema.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch) -> str:
    """The database URL of a fresh, migrated, empty database — once per backend.

    Also points CALLBOARD_DATABASE_URL (and the recordings / files directories) at it, so
    code that reads settings uses the same database.
    """
    yield from _fresh_database(request.param, request, tmp_path, monkeypatch)


@pytest.fixture
def pg_only_url(request, tmp_path, monkeypatch) -> str:
    """Like db_url, PostgreSQL only: for PostgreSQL-specific code paths (no skipped twin)."""
    yield from _fresh_database("postgresql", request, tmp_path, monkeypatch)


def _fresh_database(kind, request, tmp_path, monkeypatch):
    if kind == "sqlite":
        path = tmp_path / "callboard.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        _truncate_pg(url)
    monkeypatch.setenv("CALLBOARD_DATABASE_URL", url)
    monkeypatch.setenv("CALLBOARD_RECORDINGS_DIR", str(tmp_path / "recordings"))
    monkeypatch.setenv("CALLBOARD_FILES_DIR", str(tmp_path / "files"))
    reset_settings_cache()
    yield url
    reset_settings_cache()
    if kind == "sqlite":
        dbmod.dispose_engines()


@pytest.fixture
def engine(db_url):
    return dbmod.get_engine(db_url)


@pytest.fixture
def backend(db_url) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"

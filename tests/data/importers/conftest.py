"""A real MariaDB/MySQL source database for the `--from-db` importers.

CALLBOARD_TEST_MYSQL_URL or mysql+pymysql://root@127.0.0.1:3306/test. Each test gets a
database of its own on that server (dropped afterwards). Unreachable: skipped locally, but a
FAILURE under CI=true, like PostgreSQL (tests/conftest.py) — CI has the MariaDB.
"""

from __future__ import annotations

import itertools
import os

import pytest
import sqlalchemy as sa

from tests.conftest import IN_CI

MYSQL_BASE_URL = os.environ.get("CALLBOARD_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
_seq = itertools.count(1)


@pytest.fixture
def mysql_url() -> str:
    """URL of an empty MariaDB database of this test's own."""
    name = f"cb_src_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{next(_seq)}"
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)[:64]
    try:
        admin = sa.create_engine(MYSQL_BASE_URL, connect_args={"connect_timeout": 5})
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    except (sa.exc.OperationalError, ModuleNotFoundError) as exc:
        if IN_CI:
            pytest.fail(f"MariaDB/MySQL unreachable at {MYSQL_BASE_URL} (CI requires it): {exc}")
        pytest.skip(f"MariaDB/MySQL unreachable at {MYSQL_BASE_URL}: {exc}")
    yield sa.engine.make_url(MYSQL_BASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()

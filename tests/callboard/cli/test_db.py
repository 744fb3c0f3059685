"""`callboard db ...`, driven as a user would (typer's runner, real databases)."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from data import db, schema

runner = CliRunner()


def test_db_upgrade_is_idempotent(db_url):
    from alembic.script import ScriptDirectory

    from data.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"revision {head}" in result.output


def test_rebuild_aggregates_counts_calls(db_url):
    from datetime import datetime

    with db.transaction() as conn:
        conn.execute(sa.insert(schema.source).values(id=1, name="main"))
        conn.execute(
            sa.insert(schema.call),
            [
                dict(call_uid=f"c{i}", start_utc=datetime(2026, 5, 4, 8, 10 * i), end_utc=datetime(2026, 5, 4, 8, 10 * i, 30),
                     direction="inbound", status="answered" if i else "no_answer", extension="101", talk_s=30 if i else 0,
                     duration_s=30)
                for i in range(3)
            ],
        )
    result = runner.invoke(app, ["db", "rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    a = schema.agg_call_hour
    rows = db.fetch_all(sa.select(a.c.status, a.c.calls, a.c.talk_s).where(a.c.party == "owner").order_by(a.c.status))
    assert [tuple(r) for r in rows] == [("answered", 2, 60), ("no_answer", 1, 0)]
    # 2026-05-04 08:00 UTC is 10:00 in Prague (CEST).
    th = schema.time_hour
    hour = db.fetch_all(sa.select(th.c.local_hour, th.c.local_day).where(th.c.bucket_utc == datetime(2026, 5, 4, 8)))
    assert [tuple(r) for r in hour] == [(10, datetime(2026, 5, 4).date())]

"""Rollup aggregates: agg_call_total_hour, agg_call_day, agg_number_hour.

Filled here from what the database already holds, so an upgraded database answers
reports from them at once (the same statements data.aggregates.refresh uses).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _measures():
    return [
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.BigInteger(), nullable=False),
        sa.Column("ring_s", sa.BigInteger(), nullable=False),
        sa.Column("talk_s", sa.BigInteger(), nullable=False),
        sa.Column("hold_s", sa.BigInteger(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "agg_call_total_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "direction", "status", name=op.f("pk_agg_call_total_hour")),
    )
    op.create_table(
        "agg_call_day",
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("party", sa.String(length=5), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint("local_day", "source_id", "direction", "status", "extension", "party",
                                name=op.f("pk_agg_call_day")),
    )
    op.create_table(
        "agg_number_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "kind", "number", "status", name=op.f("pk_agg_number_hour")),
    )
    measures = "calls, duration_s, ring_s, talk_s, hold_s, recorded"
    sums = "SUM(calls), SUM(duration_s), SUM(ring_s), SUM(talk_s), SUM(hold_s), SUM(recorded)"
    op.execute(
        f"INSERT INTO agg_call_total_hour (bucket_utc, source_id, direction, status, {measures}) "
        f"SELECT bucket_utc, source_id, direction, status, {sums} FROM agg_call_hour "
        "WHERE party = 'owner' GROUP BY bucket_utc, source_id, direction, status"
    )
    op.execute(
        f"INSERT INTO agg_call_day (local_day, source_id, direction, status, extension, party, {measures}) "
        f"SELECT th.local_day, a.source_id, a.direction, a.status, a.extension, a.party, "
        f"SUM(a.calls), SUM(a.duration_s), SUM(a.ring_s), SUM(a.talk_s), SUM(a.hold_s), SUM(a.recorded) "
        "FROM agg_call_hour a JOIN time_hour th ON th.bucket_utc = a.bucket_utc "
        "GROUP BY th.local_day, a.source_id, a.direction, a.status, a.extension, a.party"
    )
    if op.get_bind().dialect.name == "sqlite":
        hour = "strftime('%Y-%m-%d %H:00:00.000000', start_utc)"
    else:
        hour = "date_trunc('hour', start_utc)"
    for kind, direction, column in (("did", "inbound", "did"), ("dod", "outbound", "outbound_cid")):
        op.execute(
            f"INSERT INTO agg_number_hour (bucket_utc, source_id, kind, number, status, calls, talk_s) "
            f"SELECT {hour}, source_id, '{kind}', {column}, status, COUNT(*), SUM(talk_s) FROM call "
            f"WHERE direction = '{direction}' AND {column} IS NOT NULL AND {column} <> '' "
            f"GROUP BY {hour}, source_id, {column}, status"
        )


def downgrade() -> None:
    op.drop_table("agg_number_hour")
    op.drop_table("agg_call_day")
    op.drop_table("agg_call_total_hour")

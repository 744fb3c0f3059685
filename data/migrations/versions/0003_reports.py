"""Reports: queue service-level goal (queue.sl_goal_pct, for the Erlang C staffing view)
and the scope rollup agg_call_scope_hour (each call once per hour with its extension, peer
extension, queue and DID / caller ID — PBX activity and DID/DOD for a restricted scope),
the ring-group rollups agg_ring_group_hour / agg_ring_group_member_hour and the queue-agent
rollup agg_agent_hour.

The rollup is filled here from what the database already holds, with the statement
data.aggregates.refresh uses, so an upgraded database answers at once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue") as batch:
        batch.add_column(sa.Column("sl_goal_pct", sa.Integer(), server_default="80", nullable=False))
    op.create_table(
        "agg_call_scope_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("peer_extension", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "direction", "status", "extension", "peer_extension",
                                "queue", "number", name=op.f("pk_agg_call_scope_hour")),
    )
    for column in ("extension", "peer_extension", "queue"):
        op.create_index(f"ix_agg_call_scope_hour_{column}", "agg_call_scope_hour", [column, "bucket_utc"])
    op.create_table(
        "agg_ring_group_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("ring_group", sa.String(length=32), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("legs", sa.Integer(), nullable=False),
        sa.Column("ring_s", sa.BigInteger(), nullable=False),
        sa.Column("talk_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "direction", "ring_group",
                                name=op.f("pk_agg_ring_group_hour")),
    )
    op.create_table(
        "agg_ring_group_member_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("ring_group", sa.String(length=32), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "direction", "ring_group", "extension",
                                name=op.f("pk_agg_ring_group_member_hour")),
    )
    op.create_table(
        "agg_agent_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.BigInteger(), nullable=False),
        sa.Column("ring_no_answer", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "queue", "agent", name=op.f("pk_agg_agent_hour")),
    )
    from data import aggregates
    from data import schema as s

    # Everything the facts hold (the same INSERT ... SELECT refresh runs per hour range).
    from datetime import datetime

    lo, hi = datetime(1970, 1, 1), datetime(9999, 1, 1)
    op.get_bind().execute(s.agg_call_scope_hour.insert().from_select(
        aggregates.SCOPE_COLS, aggregates.scope_rows_select(lo, hi)))
    op.get_bind().execute(s.agg_ring_group_hour.insert().from_select(
        aggregates.RING_GROUP_COLS, aggregates.ring_group_rows_select(lo, hi)))
    op.get_bind().execute(s.agg_ring_group_member_hour.insert().from_select(
        aggregates.RING_MEMBER_COLS, aggregates.ring_member_rows_select(lo, hi)))
    op.get_bind().execute(s.agg_agent_hour.insert().from_select(
        aggregates.AGENT_COLS, aggregates.agent_rows_select(lo, hi)))


def downgrade() -> None:
    op.drop_table("agg_agent_hour")
    op.drop_table("agg_ring_group_member_hour")
    op.drop_table("agg_ring_group_hour")
    op.drop_table("agg_call_scope_hour")
    with op.batch_alter_table("queue") as batch:
        batch.drop_column("sl_goal_pct")

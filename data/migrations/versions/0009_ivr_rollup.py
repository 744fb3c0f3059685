"""Reports: the IVR rollups agg_ivr_hour — per hour of the call's start, source, direction
and IVR, the calls that entered the IVR (option '') and the choices per option — and
agg_ivr_scope_hour, the same per the call's extension, peer extension and queue (for
restricted scopes and the extension filter).

Filled here from what the database already holds, with the statement
data.aggregates.refresh uses, so an upgraded database answers at once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agg_ivr_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("ivr", sa.String(length=32), nullable=False),
        sa.Column("option", sa.String(length=8), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("choices", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "direction", "ivr", "option",
                                name=op.f("pk_agg_ivr_hour")),
    )
    op.create_table(
        "agg_ivr_scope_hour",
        sa.Column("bucket_utc", sa.DateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("ivr", sa.String(length=32), nullable=False),
        sa.Column("option", sa.String(length=8), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("peer_extension", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("choices", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_utc", "source_id", "direction", "ivr", "option", "extension",
                                "peer_extension", "queue", name=op.f("pk_agg_ivr_scope_hour")),
    )
    for column in ("extension", "peer_extension", "queue"):
        op.create_index(f"ix_agg_ivr_scope_hour_{column}", "agg_ivr_scope_hour", [column, "bucket_utc"])
    from data import aggregates
    from data import schema as s

    lo, hi = datetime(1970, 1, 1), datetime(9999, 1, 1)
    op.get_bind().execute(s.agg_ivr_hour.insert().from_select(aggregates.IVR_COLS,
                                                             aggregates.ivr_rows_select(lo, hi)))
    op.get_bind().execute(s.agg_ivr_scope_hour.insert().from_select(aggregates.IVR_SCOPE_COLS,
                                                                   aggregates.ivr_scope_rows_select(lo, hi)))


def downgrade() -> None:
    op.drop_table("agg_ivr_scope_hour")
    op.drop_table("agg_ivr_hour")

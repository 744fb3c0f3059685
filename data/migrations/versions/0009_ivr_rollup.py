"""Reports: the IVR rollup agg_ivr_hour — per hour of the call's start, source, direction
and IVR, the calls that entered the IVR (option '') and the choices per option.

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
    from data import aggregates
    from data import schema as s

    lo, hi = datetime(1970, 1, 1), datetime(9999, 1, 1)
    op.get_bind().execute(s.agg_ivr_hour.insert().from_select(aggregates.IVR_COLS,
                                                             aggregates.ivr_rows_select(lo, hi)))


def downgrade() -> None:
    op.drop_table("agg_ivr_hour")

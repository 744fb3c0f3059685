"""Live state (wallboard and live dashboard, issue 6): a queue call stays in
live_queue_call while it is being talked (answer_utc, agent set), so a restarted
simulator or follow import can finish it without asking anyone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_queue_call") as batch:
        batch.add_column(sa.Column("answer_utc", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("agent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("live_queue_call") as batch:
        batch.drop_column("agent")
        batch.drop_column("answer_utc")

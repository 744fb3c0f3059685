"""Importers: where a call was transferred to (issue 8).

`call.transferred_to`: the extension or number a call was handed on to (blind or attended
transfer), from the CDR's transfer legs or the queue_log's TRANSFER / BLINDTRANSFER /
ATTENDEDTRANSFER events; NULL when the call was not transferred.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("transferred_to", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("call") as batch:
        batch.drop_column("transferred_to")

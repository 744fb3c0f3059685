"""Importers: what the queue_log says about a call (hung up by, open calls).

Reserved in session 4 so that work done in parallel keeps the revision chain linear; its
owner fills it in (until then it changes nothing).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

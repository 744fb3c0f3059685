"""Importers: number classes and trunks learned from the PBX's records.

Reserved in session 4 so that work done in parallel keeps the revision chain linear; its
owner fills it in (until then it changes nothing).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

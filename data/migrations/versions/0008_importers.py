"""Reserved: importer needs (issue 8).

Kept as an empty step so that the slices built at the same time each own one migration
and the chain stays linear. Replace the bodies when that slice needs schema changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

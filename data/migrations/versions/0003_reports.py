"""Reserved: scope-aware rollups and anything else the reports work (issue 4) needs.

Kept as an empty step so that the slices built at the same time each own one migration
and the chain stays linear. Replace the bodies when that slice needs schema changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

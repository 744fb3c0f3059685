"""Reserved: live call/agent state (wallboard and live dashboard, issue 6).

Kept as an empty step so that the slices built at the same time each own one migration
and the chain stays linear. Replace the bodies when that slice needs schema changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

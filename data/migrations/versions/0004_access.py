"""Reserved: users, roles, sessions, login throttling (access-control work, issue 7).

Kept as an empty step so that the slices built at the same time each own one migration
and the chain stays linear. Replace the bodies when that slice needs schema changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

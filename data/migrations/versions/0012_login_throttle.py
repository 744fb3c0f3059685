"""Access: sign-in throttling per user and client address.

Reserved in session 4 so that work done in parallel keeps the revision chain linear; its
owner fills it in (until then it changes nothing).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

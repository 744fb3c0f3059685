"""Reserved: schedules, runs, deliveries, download files (scheduled exports/reports, issue 5).

Kept as an empty step so that the slices built at the same time each own one migration
and the chain stays linear. Replace the bodies when that slice needs schema changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

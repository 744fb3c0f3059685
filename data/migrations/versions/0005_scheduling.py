"""Scheduling: what a stored file needs to be served and re-sent (issue 5).

delivery gains the file's download name and MIME type, the language it was built in,
the view link's page path with its filters, and ``token_salt``: the emailed token is an
HMAC of the secret key over this salt, so a run that crashed after building can send the
same link again, while the database alone (``token_hash`` = SHA-256 of the token, for
lookups) never reveals a working link. Runs are listed per schedule, newest first.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("filename", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("mimetype", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("view_path", sa.Text(), nullable=True))
        batch.add_column(sa.Column("token_salt", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_schedule_run_schedule_id_due_utc"), "schedule_run", ["schedule_id", "due_utc"])
    op.create_index(op.f("ix_delivery_run_id"), "delivery", ["run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_run_id"), table_name="delivery")
    op.drop_index(op.f("ix_schedule_run_schedule_id_due_utc"), table_name="schedule_run")
    with op.batch_alter_table("delivery") as batch:
        for name in ("token_salt", "view_path", "language", "mimetype", "filename"):
            batch.drop_column(name)

"""Access: sign-in throttling per user name and client address (issue 15).

Five wrong passwords used to lock a user out from everywhere (app_user.failed_logins /
locked_until_utc), and only known names were locked, so a locked name answered 429 where
an unknown one answered 401. Now every counter lives in login_throttle, keyed by address,
by (address, user name) and by user name — existing and unknown names alike:

- login_throttle is made again (its rows are short-lived counters; losing them at the
  upgrade forgets at most a quarter of an hour of failures) with a longer key and the user
  name of a user-name key, so that a password reset clears that name's counters;
- login_address (new): the addresses a user signed in from, whose correct password gets
  through while other addresses are throttled for that user;
- app_user.failed_logins and app_user.locked_until_utc are dropped (native ALTER TABLE
  DROP COLUMN: SQLite 3.35+ has it; a batch rebuild of app_user would cascade-delete the
  rows that refer to it, foreign keys being on).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_start_utc", sa.DateTime(), nullable=False),
        sa.Column("locked_until_utc", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index("ix_login_throttle_username", "login_throttle", ["username"], unique=False)
    op.create_table(
        "login_address",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("last_login_utc", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_login_address_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "ip", name=op.f("pk_login_address")),
    )
    op.execute("ALTER TABLE app_user DROP COLUMN failed_logins")
    op.execute("ALTER TABLE app_user DROP COLUMN locked_until_utc")


def downgrade() -> None:
    op.execute("ALTER TABLE app_user ADD COLUMN failed_logins INTEGER DEFAULT 0 NOT NULL")
    op.execute("ALTER TABLE app_user ADD COLUMN locked_until_utc " + (
        "DATETIME" if op.get_bind().dialect.name == "sqlite" else "TIMESTAMP WITHOUT TIME ZONE"))
    op.drop_table("login_address")
    op.drop_index("ix_login_throttle_username", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=150), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_start_utc", sa.DateTime(), nullable=False),
        sa.Column("locked_until_utc", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )

"""Importers: what the queue_log says about a call (hung up by, open calls) — issue 14.

- ``queue_call.wait_s`` / ``talk_s`` become nullable: NULL = not known (yet) — the wait of a
  caller still waiting at the end of the data, the talk of a call still talking or cut by a
  PBX restart — so averages leave them out instead of counting a 0. New columns
  ``connect_utc`` (when the agent answered) and ``hangup_by`` (COMPLETEAGENT: agent,
  COMPLETECALLER / ABANDON: caller). Outcome 'waiting' = entered, no exit yet; 'unknown'
  now only means "ended by a restart without an exit". Stored rows are converted: open
  'unknown' -> 'waiting' with no wait, open 'answered' -> no talk.
- ``call_cdr_view``: what the CDR alone said about a call the queue_log overlay changed
  (data.importers.queue_link), so the overlay never reads its own output.
- ``agg_queue_hour.talked`` (calls with a known talk) and ``open_calls`` (no exit yet). The
  stored hours are marked for a refresh (data.aggregates.refresh_pending runs it at the next
  import or scheduler tick) rather than recomputed here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PENDING_KEY = "aggregates.pending"  # data.aggregates.PENDING_KEY


def upgrade() -> None:
    with op.batch_alter_table("queue_call") as batch:
        batch.alter_column("wait_s", existing_type=sa.Integer(), nullable=True, existing_server_default="0")
        batch.alter_column("talk_s", existing_type=sa.Integer(), nullable=True, existing_server_default="0")
        batch.add_column(sa.Column("connect_utc", sa.DateTime))
        batch.add_column(sa.Column("hangup_by", sa.String(10)))
    with op.batch_alter_table("agg_queue_hour") as batch:
        batch.add_column(sa.Column("talked", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("open_calls", sa.Integer, nullable=False, server_default="0"))
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "call_cdr_view",
        sa.Column("call_id", big_id, sa.ForeignKey("call.id", ondelete="CASCADE", name="fk_call_cdr_view_call_id_call"),
                  primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer_utc", sa.DateTime),
        sa.Column("ring_s", sa.Integer, nullable=False),
        sa.Column("talk_s", sa.Integer, nullable=False),
        sa.Column("answered_by", sa.String(32)),
        sa.Column("extension", sa.String(32)),
        sa.Column("hangup_by", sa.String(10)),
        sa.Column("queue", sa.String(32)),
        sa.Column("destination_type", sa.String(16)),
        sa.Column("destination", sa.String(64)),
        sa.Column("transferred_to", sa.String(64)),
        sa.PrimaryKeyConstraint("call_id", name="pk_call_cdr_view"),
    )
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE queue_call SET outcome = 'waiting', wait_s = NULL, talk_s = NULL "
                         "WHERE outcome = 'unknown' AND exit_utc IS NULL"))
    conn.execute(sa.text("UPDATE queue_call SET talk_s = NULL WHERE outcome = 'answered' AND exit_utc IS NULL"))
    conn.execute(sa.text("UPDATE agg_queue_hour SET talked = calls WHERE outcome = 'answered'"))
    lo, hi = conn.execute(sa.text("SELECT min(enter_utc), max(enter_utc) FROM queue_call")).one()
    if lo is None:
        return
    lo, hi = (v if isinstance(v, datetime) else datetime.fromisoformat(str(v)) for v in (lo, hi))
    # The new columns of the stored hours (and the hours of converted open calls) are exact
    # only after a refresh from the facts: mark the whole range pending, widening a mark an
    # interrupted import may have left.
    kv = sa.table("settings_kv", sa.column("key", sa.String), sa.column("value", sa.JSON))
    old = conn.execute(sa.select(kv.c.value).where(kv.c.key == PENDING_KEY)).scalar()
    if isinstance(old, str):
        old = json.loads(old)
    value = {"lo": lo.isoformat(), "hi": hi.isoformat(), "at": datetime(2000, 1, 1).isoformat()}
    if old:
        value = {"lo": min(value["lo"], old["lo"]), "hi": max(value["hi"], old["hi"]), "at": value["at"]}
        conn.execute(kv.update().where(kv.c.key == PENDING_KEY).values(value=value))
    else:
        conn.execute(kv.insert().values(key=PENDING_KEY, value=value))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE queue_call SET outcome = 'unknown' WHERE outcome = 'waiting'"))
    conn.execute(sa.text("UPDATE queue_call SET wait_s = 0 WHERE wait_s IS NULL"))
    conn.execute(sa.text("UPDATE queue_call SET talk_s = 0 WHERE talk_s IS NULL"))
    op.drop_table("call_cdr_view")
    with op.batch_alter_table("agg_queue_hour") as batch:
        batch.drop_column("open_calls")
        batch.drop_column("talked")
    with op.batch_alter_table("queue_call") as batch:
        batch.drop_column("hangup_by")
        batch.drop_column("connect_utc")
        batch.alter_column("talk_s", existing_type=sa.Integer(), nullable=False, existing_server_default="0")
        batch.alter_column("wait_s", existing_type=sa.Integer(), nullable=False, existing_server_default="0")

"""Retention and privacy (issue 9): indexes the retention job and erasure walk.

- ix_callback_result_call_id: deleting a call sets callback.result_call_id NULL; without an
  index PostgreSQL scans the callback table once per deleted call.
- ix_queue_call_enter: every incremental aggregate refresh (retention batches, deletes,
  imports) reads the queue passes of a few hours; ix_queue_call_queue_enter starts with
  the queue, so PostgreSQL scanned all of queue_call each time (0.5-3 s on 4M rows).
- ix_recording_created, ix_chat_session_last_active: retention walks recordings by age and
  chat sessions by last activity, batch by batch.

Retention periods and the per-role masking setting live in settings_kv (no table).
``if_not_exists`` lets the benchmark database get the callback index before its upgrade.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_callback_result_call_id", "callback", ["result_call_id"], if_not_exists=True)
    op.create_index("ix_queue_call_enter", "queue_call", ["enter_utc"], if_not_exists=True)
    op.create_index("ix_recording_created", "recording", ["created_utc"], if_not_exists=True)
    op.create_index("ix_chat_session_last_active", "chat_session", ["last_active_utc"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_chat_session_last_active", table_name="chat_session")
    op.drop_index("ix_recording_created", table_name="recording")
    op.drop_index("ix_queue_call_enter", table_name="queue_call")
    op.drop_index("ix_callback_result_call_id", table_name="callback")

"""The data model, as SQLAlchemy Core tables. Alembic migrations (data/migrations) create it.

Conventions
- Every timestamp is naive UTC (``*_utc``). Local-time bucketing goes through ``time_hour``.
- Numbers (extensions, queues, DIDs, trunks) are stored as text on the facts, the way a CDR
  carries them, so an import never fails on an unknown dimension; the dimension tables
  (``extension``, ``queue``, ...) add names and settings where they are known.
- ``source_id`` says which PBX (site) a fact came from; several PBXs can feed one install.
- Aggregates (``agg_*``) are derived, never edited by hand: ``data.aggregates`` recomputes
  whole hours from the facts after every load or delete, in the same transaction, so
  they are exact by construction (see that module's docstring).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Vocabularies, written down once. Importers map their sources onto these.
DIRECTIONS = ("inbound", "outbound", "internal")
CALL_STATUSES = ("answered", "no_answer", "busy", "failed", "voicemail", "abandoned", "congestion")
HANGUP_BY = ("caller", "callee", "agent", "system")  # agent: a queue agent (queue_log COMPLETEAGENT)
DESTINATION_TYPES = ("extension", "queue", "ring_group", "ivr", "voicemail", "external", "other")
LEG_STATUSES = ("answered", "no_answer", "busy", "failed", "cancelled", "rejected")
# waiting: entered, no exit yet (open at the end of the data); unknown: ended by a PBX restart
# without an exit. An answered queue call with no talk_s and no exit_utc is still talking.
QUEUE_OUTCOMES = ("answered", "abandoned", "timeout", "exit_key", "no_agents", "full", "waiting", "unknown")
ATTEMPT_RESULTS = ("ring_no_answer", "ring_cancelled", "unavailable")
IVR_OPTIONS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "timeout", "invalid")
CALLBACK_STATUSES = ("requested", "completed", "failed")
AGENT_STATES = ("logged_out", "available", "ringing", "on_call", "paused")
CHAT_STATUSES = ("open", "closed")
ROLES = ("admin", "manager", "viewer")
RUN_STATUSES = ("pending", "building", "sending", "sent", "failed", "retrying")


def _id() -> sa.Column:
    return sa.Column("id", BigId, primary_key=True, autoincrement=True)


def _source() -> sa.Column:
    return sa.Column("source_id", sa.Integer, sa.ForeignKey("source.id"), nullable=False, server_default="1")


# --------------------------------------------------------------------------- dimensions

source = sa.Table(
    "source",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("description", sa.String(255)),
    sa.Column("created_utc", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
)

extension = sa.Table(
    "extension",
    metadata,
    _id(),
    _source(),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("email", sa.String(255)),
    sa.Column("is_agent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("source_id", "number"),
)

extension_group = sa.Table(
    "extension_group",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.String(255)),
)

extension_group_member = sa.Table(
    "extension_group_member",
    metadata,
    sa.Column("group_id", BigId, sa.ForeignKey("extension_group.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),
)

trunk = sa.Table(
    "trunk",
    metadata,
    _id(),
    _source(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, server_default="sip"),
    sa.Column("description", sa.String(255)),
    sa.UniqueConstraint("source_id", "name"),
)

# Our numbers: DIDs (inbound, what the caller dialled) and outbound caller IDs (DOD).
phone_number = sa.Table(
    "phone_number",
    metadata,
    _id(),
    _source(),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # did | outbound_cid | both
    sa.Column("name", sa.String(200)),
    sa.Column("trunk", sa.String(100)),
    sa.Column("destination", sa.String(64)),  # e.g. "ivr:700"
    sa.UniqueConstraint("source_id", "number"),
)

queue = sa.Table(
    "queue",
    metadata,
    _id(),
    _source(),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("strategy", sa.String(32)),
    # Per-queue thresholds of the metric definitions (data/metrics.py).
    sa.Column("sl_target_s", sa.Integer, nullable=False, server_default="20"),
    sa.Column("short_abandon_s", sa.Integer, nullable=False, server_default="5"),
    # Service-level goal: the share of offered calls to answer within sl_target_s, in per
    # cent (80 = "80 % within 20 s"); the staffing view (Erlang C) staffs to reach it.
    sa.Column("sl_goal_pct", sa.Integer, nullable=False, server_default="80"),
    sa.UniqueConstraint("source_id", "number"),
)

queue_member = sa.Table(
    "queue_member",
    metadata,
    sa.Column("queue_id", BigId, sa.ForeignKey("queue.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),
    sa.Column("penalty", sa.Integer, nullable=False, server_default="0"),
)

ring_group = sa.Table(
    "ring_group",
    metadata,
    _id(),
    _source(),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("strategy", sa.String(32)),  # ringall | hunt | memoryhunt ...
    sa.Column("ring_time_s", sa.Integer),
    sa.UniqueConstraint("source_id", "number"),
)

ring_group_member = sa.Table(
    "ring_group_member",
    metadata,
    sa.Column("ring_group_id", BigId, sa.ForeignKey("ring_group.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
)

ivr_menu = sa.Table(
    "ivr_menu",
    metadata,
    _id(),
    _source(),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("options", sa.JSON),  # {"1": "queue:600", "timeout": "voicemail:100", ...}
    sa.UniqueConstraint("source_id", "number"),
)

# What a PBX's numbers, channel peers and dialplan contexts are (issue 14, migration 0010):
# namespace 'number' (a dialled number: extension, queue, ring_group, ivr, conference,
# voicemail, feature), 'peer' (a channel's endpoint: extension = a phone, trunk) or 'context'
# (ivr). Learned by the CDR importer from the data (origin 'learned'); confirmed, renamed
# (label) or reclassified on /admin/sources (origin 'user': never relearned). Read once per
# import, written once per batch (data.importers.rules).
number_class = sa.Table(
    "number_class",
    metadata,
    _id(),
    _source(),
    sa.Column("namespace", sa.String(8), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(8), nullable=False, server_default="learned"),  # learned | user
    sa.Column("label", sa.String(100)),  # the user's name (a trunk shown as "O2 SIP")
    sa.Column("seen", sa.Integer, nullable=False, server_default="0"),  # CDR legs that showed it
    sa.Column("first_seen_utc", sa.DateTime),
    sa.Column("last_seen_utc", sa.DateTime),
    sa.UniqueConstraint("source_id", "namespace", "name"),
)
NUMBER_CLASS_NAMESPACES = ("number", "peer", "context")

# --------------------------------------------------------------------------- calls

call = sa.Table(
    "call",
    metadata,
    _id(),
    _source(),
    sa.Column("call_uid", sa.String(80), nullable=False),  # linkedid / uniqueid on the PBX
    sa.Column("start_utc", sa.DateTime, nullable=False),
    sa.Column("answer_utc", sa.DateTime),
    sa.Column("end_utc", sa.DateTime, nullable=False),
    sa.Column("from_number", sa.String(64), nullable=False, server_default=""),
    sa.Column("from_name", sa.String(200)),
    sa.Column("to_number", sa.String(64), nullable=False, server_default=""),
    sa.Column("to_name", sa.String(200)),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("duration_s", sa.Integer, nullable=False, server_default="0"),  # ring + talk (+ IVR/queue time)
    sa.Column("ring_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("talk_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("hold_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("hangup_by", sa.String(10)),
    sa.Column("hangup_cause", sa.String(64)),
    sa.Column("src_trunk", sa.String(100)),
    sa.Column("dst_trunk", sa.String(100)),
    sa.Column("did", sa.String(32)),  # inbound: which of our numbers was called
    sa.Column("outbound_cid", sa.String(32)),  # outbound: which of our numbers was presented
    sa.Column("caller_ip", sa.String(45)),  # our user's phone (outbound / internal only)
    sa.Column("pin", sa.String(32)),  # PIN used for an outbound call
    sa.Column("account_code", sa.String(64)),
    # The extension a call belongs to (caller for outbound/internal, answering or dialled
    # extension for inbound) and, for internal calls, the other one. Scope and the
    # per-extension aggregates use these two columns.
    sa.Column("extension", sa.String(32)),
    sa.Column("peer_extension", sa.String(32)),
    sa.Column("answered_by", sa.String(32)),
    sa.Column("destination_type", sa.String(16)),
    sa.Column("destination", sa.String(64)),
    sa.Column("queue", sa.String(32)),  # first queue the call entered
    sa.Column("ring_group", sa.String(32)),
    sa.Column("ivr", sa.String(32)),
    sa.Column("has_recording", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("transferred_to", sa.String(64)),  # extension / number the call was transferred to (0008)
    sa.UniqueConstraint("source_id", "call_uid"),
    sa.Index("ix_call_start_utc", "start_utc"),
    sa.Index("ix_call_extension_start", "extension", "start_utc"),
    sa.Index("ix_call_peer_extension_start", "peer_extension", "start_utc"),
    sa.Index("ix_call_queue_start", "queue", "start_utc"),
    sa.Index("ix_call_from_number", "from_number"),
    sa.Index("ix_call_to_number", "to_number"),
)

# One row per dialled leg: which extensions rang, who answered, ring and talk per leg.
call_leg = sa.Table(
    "call_leg",
    metadata,
    _id(),
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("extension", sa.String(32)),  # our extension on this leg (None: external party)
    sa.Column("number", sa.String(64)),  # dialled number when not an extension
    sa.Column("via_type", sa.String(16)),  # direct | queue | ring_group | transfer | ivr | voicemail
    sa.Column("via", sa.String(32)),  # queue / ring-group number
    sa.Column("start_utc", sa.DateTime, nullable=False),
    sa.Column("answer_utc", sa.DateTime),
    sa.Column("end_utc", sa.DateTime, nullable=False),
    sa.Column("ring_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("talk_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(120)),
    sa.Column("dst_channel", sa.String(120)),
    sa.Column("uniqueid", sa.String(80)),
    # The CDR row's own dialplan fields, so a call can be derived again from its stored legs
    # after a number's class changes (`callboard db rebuild-calls`; migration 0010). NULL on
    # legs stored before 0010.
    sa.Column("dcontext", sa.String(80)),
    sa.Column("lastapp", sa.String(32)),
    sa.Column("lastdata", sa.String(200)),
    sa.Column("dst", sa.String(80)),
    sa.Index("ix_call_leg_call_id", "call_id"),
    sa.Index("ix_call_leg_extension_start", "extension", "start_utc"),
)

# Each call's path through queues (a call may pass several queues).
queue_call = sa.Table(
    "queue_call",
    metadata,
    _id(),
    _source(),
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="CASCADE")),
    sa.Column("call_uid", sa.String(80), nullable=False),
    sa.Column("queue", sa.String(32), nullable=False),
    sa.Column("enter_utc", sa.DateTime, nullable=False),
    sa.Column("exit_utc", sa.DateTime),
    # NULL: not known (yet) — wait of a caller still waiting, talk of a call still talking at
    # the end of the data or cut by a PBX restart; averages leave them out (migration 0011).
    sa.Column("wait_s", sa.Integer, server_default="0"),
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("agent", sa.String(64)),  # answering agent (extension)
    sa.Column("talk_s", sa.Integer, server_default="0"),
    sa.Column("connect_utc", sa.DateTime),  # when the agent answered (CONNECT)
    sa.Column("hangup_by", sa.String(10)),  # COMPLETEAGENT: agent, COMPLETECALLER / ABANDON: caller
    sa.Column("position", sa.Integer),  # position at exit
    sa.Column("orig_position", sa.Integer),  # position at entry
    sa.Column("exit_key", sa.String(4)),
    sa.Column("caller_number", sa.String(64)),
    sa.Column("transferred_to", sa.String(64)),
    sa.UniqueConstraint("source_id", "call_uid", "queue", "enter_utc"),
    sa.Index("ix_queue_call_queue_enter", "queue", "enter_utc"),
    sa.Index("ix_queue_call_call_id", "call_id"),
    # Every incremental aggregate refresh reads the queue passes of a few hours; without it
    # PostgreSQL scans all of queue_call each time (~1-3 s on 4M rows; migration 0007).
    sa.Index("ix_queue_call_enter", "enter_utc"),
)

# What the CDR alone said about a call whose values the queue_log overlay changed
# (data.importers.queue_link): the overlay is always computed from these, never from its own
# output, so it is idempotent and the same in either import order (migration 0011).
call_cdr_view = sa.Table(
    "call_cdr_view",
    metadata,
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="CASCADE"), primary_key=True),
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
)

# Ring-no-answer (and cancelled) attempts to agents while a caller waited in a queue.
queue_attempt = sa.Table(
    "queue_attempt",
    metadata,
    _id(),
    sa.Column("queue_call_id", BigId, sa.ForeignKey("queue_call.id", ondelete="CASCADE")),
    sa.Column("queue", sa.String(32), nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("at_utc", sa.DateTime, nullable=False),
    sa.Column("ring_ms", sa.Integer, nullable=False, server_default="0"),
    sa.Column("result", sa.String(16), nullable=False),
    sa.Index("ix_queue_attempt_agent_at", "agent", "at_utc"),
    sa.Index("ix_queue_attempt_queue_call_id", "queue_call_id"),
)

agent_session = sa.Table(
    "agent_session",
    metadata,
    _id(),
    _source(),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("queue", sa.String(32)),  # None: logged into all its queues
    sa.Column("login_utc", sa.DateTime, nullable=False),
    sa.Column("logout_utc", sa.DateTime),  # None: still logged in
    sa.Column("logout_reason", sa.String(64)),
    sa.Index("ix_agent_session_agent_login", "agent", "login_utc"),
)

agent_pause = sa.Table(
    "agent_pause",
    metadata,
    _id(),
    _source(),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("queue", sa.String(32)),
    sa.Column("start_utc", sa.DateTime, nullable=False),
    sa.Column("end_utc", sa.DateTime),  # None: still paused
    sa.Column("reason", sa.String(64)),
    sa.Index("ix_agent_pause_agent_start", "agent", "start_utc"),
)

ivr_choice = sa.Table(
    "ivr_choice",
    metadata,
    _id(),
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="CASCADE"), nullable=False),
    sa.Column("ivr", sa.String(32), nullable=False),
    sa.Column("at_utc", sa.DateTime, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("option", sa.String(8), nullable=False),  # 0-9 * # timeout invalid, '-' = no key shown
    # Where the call went after this menu: queue:600, extension:201, ring_group:700,
    # voicemail:201, ivr:<name>, external:<number>, hangup (hung up in the menu); NULL when
    # not known (migration 0010).
    sa.Column("next_dest", sa.String(64)),
    sa.Index("ix_ivr_choice_ivr_at", "ivr", "at_utc"),
    sa.Index("ix_ivr_choice_call_id", "call_id"),
)

callback = sa.Table(
    "callback",
    metadata,
    _id(),
    _source(),
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="SET NULL")),
    sa.Column("queue", sa.String(32)),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("requested_utc", sa.DateTime, nullable=False),
    sa.Column("attempted_utc", sa.DateTime),
    sa.Column("completed_utc", sa.DateTime),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("agent", sa.String(64)),
    sa.Column("result_call_id", BigId, sa.ForeignKey("call.id", ondelete="SET NULL")),
    sa.Index("ix_callback_requested", "requested_utc"),
    sa.Index("ix_callback_call_id", "call_id"),
    # Deleting calls (retention, erasure) sets result_call_id NULL: without this index
    # PostgreSQL scans every callback for each deleted call (migration 0007).
    sa.Index("ix_callback_result_call_id", "result_call_id"),
)

survey_answer = sa.Table(
    "survey_answer",
    metadata,
    _id(),
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="CASCADE"), nullable=False),
    sa.Column("queue", sa.String(32)),
    sa.Column("agent", sa.String(64)),
    sa.Column("at_utc", sa.DateTime, nullable=False),
    sa.Column("score_key", sa.String(4), nullable=False),  # the key pressed
    sa.Column("points", sa.Integer, nullable=False),
    sa.Index("ix_survey_answer_at", "at_utc"),
    sa.Index("ix_survey_answer_call_id", "call_id"),
)

recording = sa.Table(
    "recording",
    metadata,
    _id(),
    sa.Column("call_id", BigId, sa.ForeignKey("call.id", ondelete="CASCADE"), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),  # relative to CALLBOARD_RECORDINGS_DIR
    sa.Column("format", sa.String(8), nullable=False),  # wav | mp3
    sa.Column("size_bytes", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("duration_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_utc", sa.DateTime, nullable=False),
    sa.UniqueConstraint("path"),
    sa.Index("ix_recording_call_id", "call_id"),
    sa.Index("ix_recording_created", "created_utc"),  # retention walks recordings by age (0007)
)

# --------------------------------------------------------------------------- chats

chat_session = sa.Table(
    "chat_session",
    metadata,
    _id(),
    _source(),
    sa.Column("session_uid", sa.String(80), nullable=False),
    sa.Column("channel_type", sa.String(20), nullable=False),  # sms | whatsapp | ...
    sa.Column("channel_number", sa.String(32), nullable=False),  # ours
    sa.Column("external_number", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(64)),  # who started it
    sa.Column("recipient", sa.String(64)),
    sa.Column("agent", sa.String(64)),
    sa.Column("created_utc", sa.DateTime, nullable=False),
    sa.Column("last_active_utc", sa.DateTime, nullable=False),
    sa.Column("closed_utc", sa.DateTime),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("source_id", "session_uid"),
    sa.Index("ix_chat_session_created", "created_utc"),
    sa.Index("ix_chat_session_last_active", "last_active_utc"),  # retention by last activity (0007)
)

chat_message = sa.Table(
    "chat_message",
    metadata,
    _id(),
    sa.Column("session_id", BigId, sa.ForeignKey("chat_session.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sent_utc", sa.DateTime, nullable=False),
    sa.Column("direction", sa.String(4), nullable=False),  # in | out
    sa.Column("sender", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("ix_chat_message_session_sent", "session_id", "sent_utc"),
)

chat_event = sa.Table(
    "chat_event",
    metadata,
    _id(),
    sa.Column("session_id", BigId, sa.ForeignKey("chat_session.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at_utc", sa.DateTime, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),  # created | assigned | transferred | closed
    sa.Column("agent", sa.String(64)),
    sa.Index("ix_chat_event_session_at", "session_id", "at_utc"),
)

# --------------------------------------------------------------------------- live state

# What is happening now, driven by live events (simulator, queue_log --follow), not by
# finished-call records. Rebuilt from events on restart.
live_agent_state = sa.Table(
    "live_agent_state",
    metadata,
    _source(),
    sa.Column("agent", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("since_utc", sa.DateTime, nullable=False),
    sa.Column("queues", sa.String(255)),  # comma-separated queue numbers the agent serves
    sa.Column("reason", sa.String(64)),  # pause reason
    sa.Column("call_uid", sa.String(80)),
    sa.Column("updated_utc", sa.DateTime, nullable=False),
)

live_queue_call = sa.Table(
    "live_queue_call",
    metadata,
    _source(),
    sa.Column("call_uid", sa.String(80), primary_key=True),
    sa.Column("queue", sa.String(32), nullable=False),
    sa.Column("enter_utc", sa.DateTime, nullable=False),
    sa.Column("position", sa.Integer),
    sa.Column("caller_number", sa.String(64)),
    # Set once an agent answers: the row stays until the call ends (waiting = answer_utc NULL).
    sa.Column("answer_utc", sa.DateTime),
    sa.Column("agent", sa.String(64)),
    sa.Index("ix_live_queue_call_queue", "queue"),
)

# --------------------------------------------------------------------------- users, schedules

app_user = sa.Table(
    "app_user",
    metadata,
    _id(),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200)),
    sa.Column("email", sa.String(255)),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("language", sa.String(2), nullable=False, server_default="en"),
    sa.Column("mask_numbers", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_utc", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
)

# A user's scope: the extension groups, extensions and queues they may see.
user_scope = sa.Table(
    "user_scope",
    metadata,
    sa.Column("user_id", BigId, sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),  # all | extension_group | extension | queue
    sa.Column("value", sa.String(200), primary_key=True),
)

# A signed-in browser: the cookie holds a random id, the table its SHA-256 (a stolen
# database does not hand out sessions). Deleting the row logs that browser out.
user_session = sa.Table(
    "user_session",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", BigId, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_utc", sa.DateTime, nullable=False),
    sa.Column("last_seen_utc", sa.DateTime, nullable=False),
    sa.Column("expires_utc", sa.DateTime, nullable=False),  # absolute end; idle end = last_seen + idle
    sa.Column("ip", sa.String(45)),
    sa.Column("user_agent", sa.String(255)),
    sa.Index("ix_user_session_user_id", "user_id"),
)

# Failed sign-ins counted per client address ("ip:203.0.113.9"), per user name and address
# ("ip-user:203.0.113.9|anna") and per user name from every address ("user:anna") — names
# that exist or not alike, so both answer the same (data.access.login; migration 0012).
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("username", sa.String(100)),  # the name of a user-name key (reset-password clears them)
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("window_start_utc", sa.DateTime, nullable=False),
    sa.Column("locked_until_utc", sa.DateTime),
    sa.Index("ix_login_throttle_username", "username"),
)

# Addresses a user signed in from (the last time each): a correct password from one of them
# is let through while other addresses are throttled for that user.
login_address = sa.Table(
    "login_address",
    metadata,
    sa.Column("user_id", BigId, sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ip", sa.String(45), primary_key=True),
    sa.Column("last_login_utc", sa.DateTime, nullable=False),
)

user_preference = sa.Table(
    "user_preference",
    metadata,
    sa.Column("user_id", BigId, sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),  # e.g. "cdr.columns"
    sa.Column("value", sa.JSON, nullable=False),
)

display_token = sa.Table(
    "display_token",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("queues", sa.JSON, nullable=False),  # list of queue numbers it may show
    sa.Column("created_by", BigId, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
    sa.Column("created_utc", sa.DateTime, nullable=False),
    sa.Column("revoked_utc", sa.DateTime),
    sa.Column("last_used_utc", sa.DateTime),
)

schedule = sa.Table(
    "schedule",
    metadata,
    _id(),
    sa.Column("owner_id", BigId, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # cdr | report
    sa.Column("report_type", sa.String(40)),  # for kind=report
    sa.Column("filters", sa.JSON, nullable=False),  # extensions, groups, queues, directions, report filters
    sa.Column("period", sa.String(20), nullable=False),  # today, yesterday, this_week, ..., fixed
    sa.Column("fixed_from_utc", sa.DateTime),
    sa.Column("fixed_to_utc", sa.DateTime),
    sa.Column("frequency", sa.String(8), nullable=False),  # once | daily | weekly | monthly
    sa.Column("run_time", sa.String(5), nullable=False),  # HH:MM, PBX local time
    sa.Column("weekday", sa.Integer),  # 0 = Monday
    sa.Column("day_of_month", sa.Integer),
    sa.Column("once_date", sa.Date),
    sa.Column("recipients", sa.Text, nullable=False),  # "a@x; b@y"
    sa.Column("link_valid_hours", sa.Integer, nullable=False, server_default="72"),
    sa.Column("format", sa.String(4), nullable=False),  # csv | xlsx | pdf
    sa.Column("language", sa.String(2), nullable=False, server_default="en"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_utc", sa.DateTime, nullable=False),
    sa.Column("updated_utc", sa.DateTime, nullable=False),
)

# One row per due run; the unique run key makes "sent exactly once" a database fact.
schedule_run = sa.Table(
    "schedule_run",
    metadata,
    _id(),
    sa.Column("schedule_id", BigId, sa.ForeignKey("schedule.id", ondelete="SET NULL")),
    sa.Column("run_key", sa.String(100), nullable=False, unique=True),
    sa.Column("due_utc", sa.DateTime, nullable=False),
    sa.Column("period_from_utc", sa.DateTime, nullable=False),
    sa.Column("period_to_utc", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_utc", sa.DateTime),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("claimed_utc", sa.DateTime),
    sa.Column("error", sa.Text),
    sa.Column("sent_utc", sa.DateTime),
    sa.Index("ix_schedule_run_status_next", "status", "next_attempt_utc"),
    sa.Index("ix_schedule_run_schedule_id_due_utc", "schedule_id", "due_utc"),
)

# Generated files: the "Download list" and "Download scheduled reports" pages.
delivery = sa.Table(
    "delivery",
    metadata,
    _id(),
    sa.Column("schedule_id", BigId, sa.ForeignKey("schedule.id", ondelete="SET NULL")),
    sa.Column("run_id", BigId, sa.ForeignKey("schedule_run.id", ondelete="SET NULL")),
    sa.Column("owner_id", BigId, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
    sa.Column("kind", sa.String(8), nullable=False),  # cdr | report
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("format", sa.String(4), nullable=False),
    sa.Column("path", sa.String(500)),  # relative to CALLBOARD_FILES_DIR
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("record_count", sa.Integer),
    sa.Column("total_count", sa.Integer),  # > record_count when capped
    sa.Column("period_from_utc", sa.DateTime),
    sa.Column("period_to_utc", sa.DateTime),
    sa.Column("token_hash", sa.String(128), unique=True),
    sa.Column("expires_utc", sa.DateTime),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("created_utc", sa.DateTime, nullable=False),
    # 0005: download name, MIME type, language, the view link's page path + query, and the
    # salt the emailed token is an HMAC of (re-sendable after a crash; see scheduler.links).
    sa.Column("filename", sa.String(255)),
    sa.Column("mimetype", sa.String(100)),
    sa.Column("language", sa.String(2)),
    sa.Column("view_path", sa.Text),
    sa.Column("token_salt", sa.String(64)),
    sa.Index("ix_delivery_created", "created_utc"),
    sa.Index("ix_delivery_run_id", "run_id"),
)

email_template = sa.Table(
    "email_template",
    metadata,
    _id(),
    sa.Column("kind", sa.String(8), nullable=False),  # cdr | report
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_utc", sa.DateTime, nullable=False),
    sa.Column("updated_by", BigId, sa.ForeignKey("app_user.id", ondelete="SET NULL")),
    sa.UniqueConstraint("kind", "language"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("at_utc", sa.DateTime, nullable=False),
    sa.Column("user_id", BigId),
    sa.Column("username", sa.String(100)),
    sa.Column("action", sa.String(40), nullable=False),  # login, login_failed, delete_call, ...
    sa.Column("object_type", sa.String(40)),
    sa.Column("object_id", sa.String(100)),
    sa.Column("details", sa.JSON),
    sa.Column("ip", sa.String(45)),
    sa.Index("ix_audit_log_at", "at_utc"),
    sa.Index("ix_audit_log_action_at", "action", "at_utc"),
)

# Incremental imports remember how far they read each file / table.
import_state = sa.Table(
    "import_state",
    metadata,
    _id(),
    _source(),
    sa.Column("kind", sa.String(20), nullable=False),  # asterisk-cdr | queue-log | ...
    sa.Column("location", sa.String(500), nullable=False),  # path or DB URL without password
    sa.Column("fingerprint", sa.String(128)),  # hash of the first bytes: detects rotation
    sa.Column("position", sa.BigInteger, nullable=False, server_default="0"),  # byte offset / last id
    sa.Column("lines", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_utc", sa.DateTime, nullable=False),
    sa.UniqueConstraint("source_id", "kind", "location"),
)

settings_kv = sa.Table(
    "settings_kv",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)

# --------------------------------------------------------------------------- time & aggregates

# One row per UTC hour: its local day / hour / month in the PBX time zone. Reports join it
# to bucket in local time; a DST day simply has 23 or 25 rows. Filled for the hours that
# hold data (data.timebuckets.ensure_hours); rebuilt when CALLBOARD_TIMEZONE changes.
time_hour = sa.Table(
    "time_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("local_start", sa.DateTime, nullable=False),  # wall-clock start of the hour
    sa.Column("local_day", sa.Date, nullable=False),
    sa.Column("local_hour", sa.Integer, nullable=False),
    sa.Column("local_month", sa.Date, nullable=False),  # first day of the local month
    sa.Column("local_weekday", sa.Integer, nullable=False),  # 0 = Monday
    sa.Column("utc_offset_min", sa.Integer, nullable=False),
    sa.Index("ix_time_hour_local_day", "local_day"),
)

# Calls per UTC hour, per direction / status / extension. Each call contributes one
# 'owner' row (its `extension`, '' when none) and internal calls one more 'peer' row (the
# callee extension). Totals sum party='owner' only; per-extension statistics sum both.
agg_call_hour = sa.Table(
    "agg_call_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),
    sa.Column("party", sa.String(5), primary_key=True),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("duration_s", sa.BigInteger, nullable=False),
    sa.Column("ring_s", sa.BigInteger, nullable=False),
    sa.Column("talk_s", sa.BigInteger, nullable=False),
    sa.Column("hold_s", sa.BigInteger, nullable=False),
    sa.Column("recorded", sa.Integer, nullable=False),
)

# Queue calls per UTC hour of entering the queue, per queue and outcome. Short abandons and
# "answered within target" use the queue's thresholds at refresh time; changing a queue's
# thresholds recomputes that queue's rows (data.aggregates.refresh_queue).
agg_queue_hour = sa.Table(
    "agg_queue_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("queue", sa.String(32), primary_key=True),
    sa.Column("outcome", sa.String(12), primary_key=True),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("short_abandons", sa.Integer, nullable=False),
    sa.Column("within_sl", sa.Integer, nullable=False),
    sa.Column("wait_s", sa.BigInteger, nullable=False),
    sa.Column("wait_max_s", sa.Integer, nullable=False),
    sa.Column("talk_s", sa.BigInteger, nullable=False),
    # Calls whose talk is known (the divisor of average talk) and calls with no exit yet
    # (still waiting / still talking) — migration 0011.
    sa.Column("talked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("open_calls", sa.Integer, nullable=False, server_default="0"),
)


def _call_measures() -> list[sa.Column]:
    return [
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.BigInteger, nullable=False),
        sa.Column("ring_s", sa.BigInteger, nullable=False),
        sa.Column("talk_s", sa.BigInteger, nullable=False),
        sa.Column("hold_s", sa.BigInteger, nullable=False),
        sa.Column("recorded", sa.Integer, nullable=False),
    ]


# Rollups of agg_call_hour, for long ranges (migration 0002). Each is recomputed from
# agg_call_hour by the same refresh, so they can never disagree with it.
# Every call once (the 'owner' rows), without the extension: PBX-wide activity reads at
# most (directions x statuses) rows an hour, however many extensions there are.
agg_call_total_hour = sa.Table(
    "agg_call_total_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    *_call_measures(),
)

# agg_call_hour per local day (PBX time zone): per-extension reports over months read
# ~24x fewer rows. Recomputed for every local day a refresh touches.
agg_call_day = sa.Table(
    "agg_call_day",
    metadata,
    sa.Column("local_day", sa.Date, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),
    sa.Column("party", sa.String(5), primary_key=True),
    *_call_measures(),
)

# Calls per hour and our number: kind 'did' (inbound, by called DID) and 'dod' (outbound,
# by presented caller ID) — the DID/DOD report without scanning calls.
agg_number_hour = sa.Table(
    "agg_number_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(4), primary_key=True),
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("talk_s", sa.BigInteger, nullable=False),
)

# Each call once per hour with every column a Scope can narrow by (extension, peer
# extension, queue) and its DID / outbound caller ID: PBX activity and DID/DOD for a
# restricted scope or an extension filter sum the rows whose extension, peer or queue is
# in the scope — a call whose two extensions are both in scope is still one row, so it is
# counted once (agg_call_hour has a row per extension and would count it twice).
agg_call_scope_hour = sa.Table(
    "agg_call_scope_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),  # '' when none
    sa.Column("peer_extension", sa.String(32), primary_key=True),  # '' when none
    sa.Column("queue", sa.String(32), primary_key=True),  # '' when none
    sa.Column("number", sa.String(32), primary_key=True),  # inbound: DID, outbound: caller ID, else ''
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("talk_s", sa.BigInteger, nullable=False),
    # A small scope (a team's extensions, a queue) reads its rows by index (a BitmapOr on
    # PostgreSQL) instead of the whole range.
    sa.Index("ix_agg_call_scope_hour_extension", "extension", "bucket_utc"),
    sa.Index("ix_agg_call_scope_hour_peer_extension", "peer_extension", "bucket_utc"),
    sa.Index("ix_agg_call_scope_hour_queue", "queue", "bucket_utc"),
)

# Ring groups per hour of the call's start (the ring-groups report's unit): calls that went
# to the group (call.ring_group or a leg via it), those a member answered, and the answered
# legs' count, ring and talk seconds; per member, the calls it answered. A call starts in
# one hour, so the hours add up exactly.
agg_ring_group_hour = sa.Table(
    "agg_ring_group_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),
    sa.Column("ring_group", sa.String(32), primary_key=True),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("answered", sa.Integer, nullable=False),
    sa.Column("legs", sa.Integer, nullable=False),
    sa.Column("ring_s", sa.BigInteger, nullable=False),
    sa.Column("talk_s", sa.BigInteger, nullable=False),
)

agg_ring_group_member_hour = sa.Table(
    "agg_ring_group_member_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),
    sa.Column("ring_group", sa.String(32), primary_key=True),
    sa.Column("extension", sa.String(32), primary_key=True),
    sa.Column("answered", sa.Integer, nullable=False),
)

# Queue agents per hour: answered queue calls and their talk (by the hour the call entered
# the queue) and ring-no-answer attempts (by the attempt's hour), per queue and agent.
agg_agent_hour = sa.Table(
    "agg_agent_hour",
    metadata,
    sa.Column("bucket_utc", sa.DateTime, primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("queue", sa.String(32), primary_key=True),
    sa.Column("agent", sa.String(64), primary_key=True),
    sa.Column("answered", sa.Integer, nullable=False),
    sa.Column("talk_s", sa.BigInteger, nullable=False),
    sa.Column("ring_no_answer", sa.Integer, nullable=False),
)

# IVR per hour of the call's START (migration 0009): the calls that entered each IVR (by
# call.ivr or by a choice in it; a call once per IVR) in the row with option '' and the
# choices per option (0-9 * # timeout invalid). Choices count in the hour their call
# started, like every other call metric, so the hours add up exactly.
def _ivr_hour_columns(*scope_columns: str) -> list[sa.Column]:
    return [
        sa.Column("bucket_utc", sa.DateTime, primary_key=True),
        sa.Column("source_id", sa.Integer, primary_key=True),
        sa.Column("direction", sa.String(10), primary_key=True),
        sa.Column("ivr", sa.String(32), primary_key=True),
        sa.Column("option", sa.String(8), primary_key=True),  # '' = the entries row
        # the choices' next destination (ivr_choice.next_dest, '' unknown / the entries row; 0010)
        sa.Column("next_dest", sa.String(64), primary_key=True),
        *(sa.Column(name, sa.String(32), primary_key=True) for name in scope_columns),  # '' when none
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("choices", sa.Integer, nullable=False),
    ]


agg_ivr_hour = sa.Table("agg_ivr_hour", metadata, *_ivr_hour_columns())

# The same per call's extension, peer extension and queue ('' when none), so a restricted
# scope or an extension filter narrows it exactly as call_clause narrows `call` (a call has
# one such triple: entries still add up to distinct calls). Read by index, like
# agg_call_scope_hour; ~9x the rows of agg_ivr_hour, so unrestricted views read that one.
agg_ivr_scope_hour = sa.Table(
    "agg_ivr_scope_hour",
    metadata,
    *_ivr_hour_columns("extension", "peer_extension", "queue"),
    sa.Index("ix_agg_ivr_scope_hour_extension", "extension", "bucket_utc"),
    sa.Index("ix_agg_ivr_scope_hour_peer_extension", "peer_extension", "bucket_utc"),
    sa.Index("ix_agg_ivr_scope_hour_queue", "queue", "bucket_utc"),
)

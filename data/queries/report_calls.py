"""The calls behind a report, one row each — for "CSV with calls": the same scope, filter and
range as the report's query, through the call ids each domain module gives."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.privacy import visible
from data.queries.callbacks import callback_call_ids
from data.queries.ivr import ivr_call_ids
from data.queries.missed import unreturned_call_ids
from data.queries.queue_agents import answered_agent_call_ids
from data.queries.queues import queue_call_ids
from data.queries.report_filter import ReportFilter, direction_clause
from data.queries.ring_groups import ring_group_call_ids
from data.queries.surveys import survey_call_ids
from data.scope import Scope, call_clause, extension_clause

# Reports whose calls are a list of ids from their own tables (queue calls, IVR choices, ...).
CALL_IDS = {
    "ivr": ivr_call_ids,
    "ring-groups": ring_group_call_ids,
    "queue-agents": answered_agent_call_ids,
    "missed-unreturned": unreturned_call_ids,
    "queue-callbacks": callback_call_ids,
    "queue-satisfaction": survey_call_ids,
    "queue-performance": queue_call_ids,
    "queue-wait-talk": queue_call_ids,
}


def report_calls(report: str, scope: Scope, flt: ReportFilter, tz: ZoneInfo) -> sa.Select:
    """The calls a report counted, one row each (a call counted for two extensions is
    listed once), oldest first — for "CSV with calls"."""
    start, end = flt.bounds(tz)
    c = s.call
    where = [c.c.start_utc >= start, c.c.start_utc < end, direction_clause(c.c.direction, flt)]
    if report in ("extension-statistics", "extension-activity"):
        def counted(col):
            return sa.and_(col.is_not(None), col != "", extension_clause(scope, col),
                           extension_clause(flt.selection(), col) if flt.has_extension_filter else sa.true())

        where.append(sa.or_(counted(c.c.extension), counted(c.c.peer_extension)))
    elif report in ("pbx-activity", "did-dod"):
        where.append(call_clause(scope))
        if flt.has_extension_filter:
            where.append(call_clause(flt.selection()))
        if report == "did-dod":
            where.append(sa.or_(
                sa.and_(c.c.direction == "inbound", c.c.did.is_not(None), c.c.did != ""),
                sa.and_(c.c.direction == "outbound", c.c.outbound_cid.is_not(None), c.c.outbound_cid != ""),
            ))
    elif report in CALL_IDS:
        where = [c.c.id.in_(CALL_IDS[report](scope, flt, tz))]
    else:
        raise ValueError(f"unknown report {report!r}")
    return (
        sa.select(c.c.start_utc, c.c.direction, c.c.status, visible(c.c.from_number, scope),
                  visible(c.c.to_number, scope), c.c.extension,
                  c.c.peer_extension, c.c.did, c.c.outbound_cid, c.c.ring_s, c.c.talk_s, c.c.hold_s)
        .where(*where)
        .order_by(c.c.start_utc, c.c.id)
    )

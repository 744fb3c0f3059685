"""Queue satisfaction (queue-satisfaction): survey answers per queue or agent and score key,
and the answered queue calls they are a share of. Facts path only (survey_answer is a small
table)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import schema as s
from data.queries.report_filter import ReportFilter
from data.scope import Scope, extension_clause, queue_clause


def survey_scores(scope: Scope, flt: ReportFilter, tz: ZoneInfo, level: str) -> sa.Select:
    """Survey answers given in the range per queue (level 'queue', queue_clause) or per
    agent (level 'agent', extension_clause) and score key. Columns: who, score_key,
    answers, points."""
    start, end = flt.bounds(tz)
    sv = s.survey_answer
    who = sv.c.queue if level == "queue" else sv.c.agent
    scoped = queue_clause(scope, who) if level == "queue" else extension_clause(scope, who)
    return (sa.select(who.label("who"), sv.c.score_key, sa.func.count().label("answers"),
                      sa.func.sum(sv.c.points).label("points"))
            .where(sv.c.at_utc >= start, sv.c.at_utc < end, who.is_not(None), who != "", scoped,
                   sv.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(who, sv.c.score_key).order_by(who, sv.c.score_key))


def answered_queue_calls(scope: Scope, flt: ReportFilter, tz: ZoneInfo, level: str) -> sa.Select:
    """Answered queue calls (outcome 'answered', entered in the range) per queue or per
    answering agent — the participation denominator. Columns: who, answered."""
    start, end = flt.bounds(tz)
    qc = s.queue_call
    who = qc.c.queue if level == "queue" else qc.c.agent
    scoped = queue_clause(scope, who) if level == "queue" else extension_clause(scope, who)
    return (sa.select(who.label("who"), sa.func.count().label("answered"))
            .where(qc.c.enter_utc >= start, qc.c.enter_utc < end, qc.c.outcome == "answered",
                   who.is_not(None), who != "", scoped,
                   qc.c.queue.in_(flt.queues) if flt.queues else sa.true())
            .group_by(who).order_by(who))


def survey_call_ids(scope: Scope, flt: ReportFilter, tz: ZoneInfo):
    """The ids of the calls behind queue-satisfaction (for report_calls)."""
    start, end = flt.bounds(tz)
    sv = s.survey_answer
    return sa.select(sv.c.call_id).where(
        sv.c.at_utc >= start, sv.c.at_utc < end,
        sa.or_(queue_clause(scope, sv.c.queue), extension_clause(scope, sv.c.agent)),
        sv.c.queue.in_(flt.queues) if flt.queues else sa.true())

"""Calls per local day and direction — the overview page and the model for report queries.

With an unrestricted scope the hourly totals (agg_call_total_hour) answer it; a restricted
scope needs the facts (which extensions a call touched), so the same result comes from `call` directly.
Both paths return the same columns and, by the aggregate's construction, the same numbers.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from data import schema as s
from data.scope import Scope, call_clause
from data.timebuckets import hour_floor

ANSWERED = "answered"


def calls_per_day(scope: Scope, start_utc: datetime, end_utc: datetime) -> sa.Select:
    """local_day, direction, calls, answered, talk_s for calls starting in [start, end)."""
    th = s.time_hour
    if scope.all:
        # Every call once per hour without the extension dimension: ~15x fewer rows than
        # agg_call_hour's owner rows (measured in bench/: 28 ms instead of 370 ms for a year).
        a = s.agg_call_total_hour
        answered = sa.func.sum(sa.case((a.c.status == ANSWERED, a.c.calls), else_=0))
        return (
            sa.select(
                th.c.local_day,
                a.c.direction,
                sa.func.sum(a.c.calls).label("calls"),
                answered.label("answered"),
                # sum(bigint) is numeric in PostgreSQL (a Decimal in Python): cast back so
                # both paths return plain integers.
                sa.cast(sa.func.sum(a.c.talk_s), sa.BigInteger).label("talk_s"),
            )
            .join(th, th.c.bucket_utc == a.c.bucket_utc)
            .where(a.c.bucket_utc >= start_utc, a.c.bucket_utc < end_utc)
            .group_by(th.c.local_day, a.c.direction)
            .order_by(th.c.local_day, a.c.direction)
        )
    c = s.call
    answered = sa.func.sum(sa.case((c.c.status == ANSWERED, 1), else_=0))
    return (
        sa.select(
            th.c.local_day,
            c.c.direction,
            sa.func.count().label("calls"),
            answered.label("answered"),
            sa.func.sum(c.c.talk_s).label("talk_s"),
        )
        .join(th, th.c.bucket_utc == hour_floor(c.c.start_utc))
        .where(c.c.start_utc >= start_utc, c.c.start_utc < end_utc, call_clause(scope))
        .group_by(th.c.local_day, c.c.direction)
        .order_by(th.c.local_day, c.c.direction)
    )


def data_range(scope: Scope) -> sa.Select:
    """First and last call start the scope can see."""
    c = s.call
    return sa.select(sa.func.min(c.c.start_utc), sa.func.max(c.c.start_utc), sa.func.count()).where(call_clause(scope))

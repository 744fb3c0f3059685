"""Calls per local day and direction — the overview page and the model for report queries.

Every query takes the user's Scope and reads the hourly rollups: an unrestricted scope
``agg_call_total_hour`` (every call once per hour, no extension dimension); a restricted
one ``agg_call_scope_hour`` narrowed by ``call_clause`` on its extension / peer extension /
queue columns, exactly as ``call`` would be narrowed — each call is one row there, so a
call seen through two of the scope's extensions still counts once. An empty scope sees
nothing. Both rollups give, by construction, the numbers the facts give.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from data import schema as s
from data.scope import Scope, call_clause

ANSWERED = "answered"


def _rollup(scope: Scope):
    """(the hourly rollup answering this scope, the clause narrowing it to the scope)."""
    if scope.all:
        # ~15x fewer rows than agg_call_hour's owner rows (bench/: 28 ms instead of 370 ms a year).
        return s.agg_call_total_hour, sa.true()
    a = s.agg_call_scope_hour
    return a, call_clause(scope, a)


def calls_per_day(scope: Scope, start_utc: datetime, end_utc: datetime) -> sa.Select:
    """local_day, direction, calls, answered, talk_s for calls starting in [start, end)."""
    th = s.time_hour
    a, in_scope = _rollup(scope)
    answered = sa.func.sum(sa.case((a.c.status == ANSWERED, a.c.calls), else_=0))
    return (
        sa.select(
            th.c.local_day,
            a.c.direction,
            # sum() is numeric in PostgreSQL (a Decimal in Python): cast back to integers.
            sa.cast(sa.func.sum(a.c.calls), sa.BigInteger).label("calls"),
            sa.cast(answered, sa.BigInteger).label("answered"),
            sa.cast(sa.func.sum(a.c.talk_s), sa.BigInteger).label("talk_s"),
        )
        .join(th, th.c.bucket_utc == a.c.bucket_utc)
        .where(a.c.bucket_utc >= start_utc, a.c.bucket_utc < end_utc, in_scope)
        .group_by(th.c.local_day, a.c.direction)
        .order_by(th.c.local_day, a.c.direction)
    )


def data_range(scope: Scope) -> sa.Select:
    """The first and last hour (UTC bucket) with a call the scope can see, and how many calls
    it sees in all — from the rollup (a count over ``call`` with a scope's OR of extensions
    and queues reads every one of its calls)."""
    a, in_scope = _rollup(scope)
    return sa.select(sa.func.min(a.c.bucket_utc), sa.func.max(a.c.bucket_utc),
                     sa.cast(sa.func.coalesce(sa.func.sum(a.c.calls), 0), sa.BigInteger)).where(in_scope)


def first_and_last_call(scope: Scope, first_hour: datetime, last_hour: datetime) -> sa.Select:
    """The exact first and last call start the scope can see, given the hours data_range
    found: each an index range scan of one hour of ``call``."""
    c = s.call
    hour = timedelta(hours=1)

    def within(fn, start):
        return (sa.select(fn(c.c.start_utc))
                .where(c.c.start_utc >= start, c.c.start_utc < start + hour, call_clause(scope))
                .scalar_subquery())

    return sa.select(within(sa.func.min, first_hour), within(sa.func.max, last_hour))

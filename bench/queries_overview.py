"""Bench queries of the overview: calls per local day and direction.

The same question four ways: from the hourly aggregates (what the app does for an
unrestricted scope), from the facts for a restricted scope, as a bare GROUP BY over the raw
`call` rows (local day via AT TIME ZONE), and the naive way (raw rows into pandas, then
group). The first, third and fourth must return identical rows; the harness checks.
"""

from __future__ import annotations

import sqlalchemy as sa

from bench.harness import APPROACH_BARE, APPROACH_NAIVE, RANGE_MONTH, RANGE_YEAR, register
from data import schema as s
from data.queries.overview import calls_per_day
from data.scope import Scope

QUESTION = "overview.calls_per_day"


@register("overview.calls_per_day.aggregates", question=QUESTION, approach="aggregates")
def _aggregates(ctx, rng):
    """data.queries.overview.calls_per_day with Scope.everything(): agg_call_hour joined to time_hour."""
    return ctx.all(calls_per_day(Scope.everything(), rng.start_utc, rng.end_utc))


def bare_calls_per_day(tz_name: str, start_utc, end_utc) -> sa.Select:
    """GROUP BY over raw calls, local day computed in PostgreSQL with AT TIME ZONE."""
    c = s.call
    local_day = sa.cast(sa.func.timezone(tz_name, sa.func.timezone("UTC", c.c.start_utc)), sa.Date).label("local_day")
    return (
        sa.select(
            local_day,
            c.c.direction,
            sa.func.count().label("calls"),
            sa.func.sum(sa.case((c.c.status == "answered", 1), else_=0)).label("answered"),
            sa.func.sum(c.c.talk_s).label("talk_s"),
        )
        .where(c.c.start_utc >= start_utc, c.c.start_utc < end_utc)
        .group_by(local_day, c.c.direction)
        .order_by(local_day, c.c.direction)
    )


@register("overview.calls_per_day.bare_sql", question=QUESTION, approach=APPROACH_BARE)
def _bare_sql(ctx, rng):
    """SELECT local day (AT TIME ZONE), direction, count(*), ... FROM call WHERE range GROUP BY 1, 2."""
    return ctx.all(bare_calls_per_day(ctx.tz_name, rng.start_utc, rng.end_utc))


@register("overview.calls_per_day.naive_pandas", question=QUESTION, approach=APPROACH_NAIVE,
          ranges=(RANGE_MONTH, RANGE_YEAR), guarded=True)
def _naive(ctx, rng):
    """pd.read_sql(SELECT * FROM call WHERE range), local day in pandas, DataFrame.groupby."""
    import pandas as pd

    c = s.call
    with ctx.engine.connect() as conn:
        df = pd.read_sql(sa.select(c).where(c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc), conn)
    df["local_day"] = df["start_utc"].dt.tz_localize("UTC").dt.tz_convert(ctx.tz_name).dt.date
    df["is_answered"] = (df["status"] == "answered").astype("int64")
    out = (
        df.groupby(["local_day", "direction"], as_index=False)
        .agg(calls=("id", "size"), answered=("is_answered", "sum"), talk_s=("talk_s", "sum"))
        .sort_values(["local_day", "direction"])
    )
    return out


def _facts(scope_name: str):
    def run(ctx, rng):
        scope = ctx.scopes.get(scope_name)
        if scope is None:
            raise LookupError(f"no {scope_name} scope in this database (no extensions / groups)")
        return ctx.all(calls_per_day(scope, rng.start_utc, rng.end_utc))

    return run


for _scope, _what in (("one_extension", "one extension"), ("group", "one extension group"),
                      ("all_extensions", "every extension listed")):
    register(f"overview.calls_per_day.facts.{_scope}", question=QUESTION, approach="facts", comparable=False,
             description=f"data.queries.overview.calls_per_day with a restricted scope ({_what}): "
                         "the facts path over `call` joined to time_hour")(_facts(_scope))

"""Bench: the server work of a report page's update — query, table rows and figures.

For each call report this times what the page callback does (callboard.reports.registry.run_report,
callboard.web.report_ui.grid_rows and the page's fig_* builders, without importing the page
module, which would register a Dash page), on the automatic path (aggregates for an
unrestricted scope) and on the facts path, beside a bare GROUP BY over raw `call` rows
answering the same question. Page-level specs return a DataFrame with names and derived
columns, so they are timed, not compared row for row (comparable=False).
"""

from __future__ import annotations

import sqlalchemy as sa

from bench.harness import APPROACH_BARE, register
from data import schema as s
from data.scope import Scope


def _page_update(report: str, *, by: str | None = None, path: str | None = None):
    def run(ctx, rng):
        from callboard.reports.registry import BY_ID, run_report
        from callboard.web.report_ui import grid_rows
        from data.queries.report_filter import ReportFilter

        kwargs = {"by": by} if by else {}
        flt = ReportFilter(rng.first_day, rng.last_day, **kwargs)
        result = run_report(report, Scope.everything(), flt, engine=ctx.engine, tz=ctx.tz, path=path)
        grid_rows(result, "en")
        if not result.empty:
            BY_ID[report].figures(result, "en")  # the charts its page draws
        return result.df

    return run


for _report, _by in (("extension-statistics", None), ("pbx-activity", "hour_of_day"), ("did-dod", "day")):
    _q = f"reports.{_report}"
    register(f"{_q}.page", question=_q, approach="aggregates", comparable=False,
             description=f"{_report} page update (query + table + figures), automatic path "
                         "(rollup aggregates for an unrestricted scope)")(_page_update(_report, by=_by))
    register(f"{_q}.page_facts", question=_q, approach="facts", comparable=False,
             description=f"{_report} page update forced onto the facts path (what a restricted scope costs)")(
        _page_update(_report, by=_by, path="facts"))


@register("reports.extension-statistics.bare_sql", question="reports.extension-statistics", approach=APPROACH_BARE,
          comparable=False)
def _stats_bare(ctx, rng):
    """GROUP BY extension, status over raw calls (owner and internal peer), no aggregates."""
    c = s.call

    def part(col):
        return sa.select(col.label("extension"), c.c.status, c.c.talk_s).where(
            c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc, col.is_not(None))

    u = sa.union_all(part(c.c.extension), part(c.c.peer_extension)).subquery()
    return ctx.all(sa.select(u.c.extension, u.c.status, sa.func.count(), sa.func.sum(u.c.talk_s))
                   .group_by(u.c.extension, u.c.status))


@register("reports.pbx-activity.bare_sql", question="reports.pbx-activity", approach=APPROACH_BARE, comparable=False)
def _pbx_bare(ctx, rng):
    """GROUP BY local hour of day (AT TIME ZONE), direction, status over raw calls."""
    c = s.call
    hour = sa.extract("hour", sa.func.timezone(ctx.tz_name, sa.func.timezone("UTC", c.c.start_utc))).label("h")
    return ctx.all(sa.select(hour, c.c.direction, c.c.status, sa.func.count())
                   .where(c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc)
                   .group_by(hour, c.c.direction, c.c.status))


@register("reports.did-dod.bare_sql", question="reports.did-dod", approach=APPROACH_BARE, comparable=False)
def _did_bare(ctx, rng):
    """GROUP BY local day, DID over raw inbound calls (and caller ID over outbound)."""
    c = s.call
    day = sa.cast(sa.func.timezone(ctx.tz_name, sa.func.timezone("UTC", c.c.start_utc)), sa.Date).label("d")
    number = sa.case((c.c.direction == "inbound", c.c.did), else_=c.c.outbound_cid).label("n")
    return ctx.all(sa.select(day, c.c.direction, number, sa.func.count())
                   .where(c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc,
                          c.c.direction.in_(("inbound", "outbound")))
                   .group_by(day, c.c.direction, number))

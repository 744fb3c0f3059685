"""Bench: the server work of the queue, IVR, ring-group and agent report pages, the staffing
view, and restricted-scope variants of the call reports — query, table rows and figures, as
the page callback does (callboard.reports.registry.run_report, callboard.web.report_ui.grid_rows and the
report's charts from its registry entry).

Restricted scopes: the extension group "Back office" (8 of the 40 extensions of the generated call centre)
and, for the queue reports, the queue 600. They now read the rollups narrowed by the scope
(see data.queries.report_path); the ``.page_facts`` twins force the facts path, which is what a
restricted scope cost before. Beside them, a bare GROUP BY over raw rows answering the same
question, for the ratio. Page-level specs return frames with names and derived columns, so
they are timed, not compared row for row (comparable=False).
"""

from __future__ import annotations

import sqlalchemy as sa

from bench.harness import APPROACH_BARE, register
from data import schema as s
from data.scope import Scope

GROUP_SCOPE = Scope.of(groups=["Back office"])
QUEUE_SCOPE = Scope.of(queues=["600"])


def page_update(report: str, *, scope: Scope = Scope.everything(), path: str | None = None, **options):
    """What a report page's update does on the server, for the bench range."""

    def run(ctx, rng):
        from callboard.reports.registry import BY_ID, run_report
        from callboard.web.report_ui import grid_rows
        from data.queries.report_filter import ReportFilter

        flt = ReportFilter(rng.first_day, rng.last_day, **options)
        result = run_report(report, scope, flt, engine=ctx.engine, tz=ctx.tz, path=path)
        grid_rows(result, "en")
        if not result.empty:
            BY_ID[report].figures(result, "en")
        return result.df

    return run


def _pages(report: str, label: str, *, facts: bool, scope: Scope = Scope.everything(), **options) -> None:
    question = f"reports.{label}"
    register(f"{question}.page", question=question, approach="aggregates" if facts else "facts",
             comparable=False, description=f"{report} page update (query + table + figures), automatic path")(
        page_update(report, scope=scope, **options))
    if facts:
        register(f"{question}.page_facts", question=question, approach="facts", comparable=False,
                 description=f"{report} page update forced onto the facts path")(
            page_update(report, scope=scope, path="facts", **options))


# Unrestricted scope.
_pages("queue-performance", "queue-performance", facts=True, by="queue")
_pages("queue-performance", "queue-performance-hourly", facts=True, by="hour_of_day")
_pages("queue-performance", "staffing", facts=True, by="staffing")
_pages("queue-wait-talk", "queue-wait-talk", facts=True, by="day")
_pages("ivr", "ivr", facts=True, by="day")
_pages("ring-groups", "ring-groups", facts=True)
_pages("queue-agents", "queue-agents", facts=True)
# Restricted scopes (an extension group; one queue).
_pages("extension-statistics", "scoped.extension-statistics", facts=True, scope=GROUP_SCOPE)
_pages("pbx-activity", "scoped.pbx-activity", facts=True, scope=GROUP_SCOPE, by="hour_of_day")
_pages("did-dod", "scoped.did-dod", facts=True, scope=GROUP_SCOPE, by="day")
_pages("queue-performance", "scoped.queue-performance", facts=True, scope=QUEUE_SCOPE, by="queue")
_pages("ivr", "scoped.ivr", facts=True, scope=GROUP_SCOPE, by="day")
_pages("ivr", "scoped-queue.ivr", facts=True, scope=QUEUE_SCOPE, by="day")


def _local(ctx, col):
    return sa.func.timezone(ctx.tz_name, sa.func.timezone("UTC", col))


@register("reports.queue-performance.bare_sql", question="reports.queue-performance", approach=APPROACH_BARE,
          comparable=False)
def _queue_bare(ctx, rng):
    """GROUP BY queue, outcome over raw queue calls (thresholds from the queue table)."""
    qc, qt = s.queue_call, s.queue
    short = sa.case((sa.and_(qc.c.outcome == "abandoned", qc.c.wait_s < qt.c.short_abandon_s), 1), else_=0)
    within = sa.case((sa.and_(qc.c.outcome == "answered", qc.c.wait_s <= qt.c.sl_target_s), 1), else_=0)
    return ctx.all(sa.select(qc.c.queue, qc.c.outcome, sa.func.count(), sa.func.sum(short), sa.func.sum(within),
                             sa.func.sum(qc.c.wait_s), sa.func.max(qc.c.wait_s), sa.func.sum(qc.c.talk_s))
                   .select_from(qc.outerjoin(qt, sa.and_(qt.c.number == qc.c.queue, qt.c.source_id == qc.c.source_id)))
                   .where(qc.c.enter_utc >= rng.start_utc, qc.c.enter_utc < rng.end_utc)
                   .group_by(qc.c.queue, qc.c.outcome))


for _label in ("queue-performance-hourly", "staffing"):
    @register(f"reports.{_label}.bare_sql", question=f"reports.{_label}", approach=APPROACH_BARE, comparable=False)
    def _queue_hour_bare(ctx, rng):
        """GROUP BY local hour of day (AT TIME ZONE), queue, outcome over raw queue calls."""
        qc = s.queue_call
        hour = sa.extract("hour", _local(ctx, qc.c.enter_utc)).label("h")
        return ctx.all(sa.select(hour, qc.c.queue, qc.c.outcome, sa.func.count(), sa.func.sum(qc.c.wait_s),
                                 sa.func.sum(qc.c.talk_s))
                       .where(qc.c.enter_utc >= rng.start_utc, qc.c.enter_utc < rng.end_utc)
                       .group_by(hour, qc.c.queue, qc.c.outcome))


@register("reports.queue-wait-talk.bare_sql", question="reports.queue-wait-talk", approach=APPROACH_BARE,
          comparable=False)
def _wait_bare(ctx, rng):
    """GROUP BY local day, queue over raw queue calls: waits and talk."""
    qc = s.queue_call
    day = sa.cast(_local(ctx, qc.c.enter_utc), sa.Date).label("d")
    return ctx.all(sa.select(day, qc.c.queue, sa.func.count(), sa.func.sum(qc.c.wait_s), sa.func.sum(qc.c.talk_s))
                   .where(qc.c.enter_utc >= rng.start_utc, qc.c.enter_utc < rng.end_utc)
                   .group_by(day, qc.c.queue))


@register("reports.ivr.bare_sql", question="reports.ivr", approach=APPROACH_BARE, comparable=False)
def _ivr_bare(ctx, rng):
    """GROUP BY IVR, option over raw IVR choices."""
    ch = s.ivr_choice
    return ctx.all(sa.select(ch.c.ivr, ch.c.option, sa.func.count())
                   .where(ch.c.at_utc >= rng.start_utc, ch.c.at_utc < rng.end_utc).group_by(ch.c.ivr, ch.c.option))


@register("reports.ring-groups.bare_sql", question="reports.ring-groups", approach=APPROACH_BARE, comparable=False)
def _rg_bare(ctx, rng):
    """GROUP BY ring group, member over raw answered legs joined to their calls."""
    c, leg = s.call, s.call_leg
    return ctx.all(sa.select(leg.c.via, leg.c.extension, sa.func.count(), sa.func.sum(leg.c.talk_s))
                   .select_from(leg.join(c, c.c.id == leg.c.call_id))
                   .where(c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc,
                          leg.c.via_type == "ring_group", leg.c.status == "answered")
                   .group_by(leg.c.via, leg.c.extension))


@register("reports.queue-agents.bare_sql", question="reports.queue-agents", approach=APPROACH_BARE, comparable=False)
def _agents_bare(ctx, rng):
    """GROUP BY agent over raw answered queue calls (calls and talk only)."""
    qc = s.queue_call
    return ctx.all(sa.select(qc.c.agent, sa.func.count(), sa.func.sum(qc.c.talk_s))
                   .where(qc.c.enter_utc >= rng.start_utc, qc.c.enter_utc < rng.end_utc, qc.c.outcome == "answered")
                   .group_by(qc.c.agent))


def _group_members():
    g, m = s.extension_group, s.extension_group_member
    return sa.select(m.c.extension).join(g, g.c.id == m.c.group_id).where(g.c.name == "Back office")


@register("reports.scoped.pbx-activity.bare_sql", question="reports.scoped.pbx-activity", approach=APPROACH_BARE,
          comparable=False)
def _scoped_pbx_bare(ctx, rng):
    """GROUP BY local hour, direction over raw calls touching a Back office extension."""
    c = s.call
    hour = sa.extract("hour", _local(ctx, c.c.start_utc)).label("h")
    members = _group_members()
    return ctx.all(sa.select(hour, c.c.direction, sa.func.count())
                   .where(c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc,
                          sa.or_(c.c.extension.in_(members), c.c.peer_extension.in_(members)))
                   .group_by(hour, c.c.direction))


@register("reports.scoped.extension-statistics.bare_sql", question="reports.scoped.extension-statistics",
          approach=APPROACH_BARE, comparable=False)
def _scoped_stats_bare(ctx, rng):
    """GROUP BY extension, status over raw calls (owner and peer) of Back office extensions."""
    c = s.call
    members = _group_members()

    def part(col):
        return sa.select(col.label("extension"), c.c.status, c.c.talk_s).where(
            c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc, col.in_(members))

    u = sa.union_all(part(c.c.extension), part(c.c.peer_extension)).subquery()
    return ctx.all(sa.select(u.c.extension, u.c.status, sa.func.count(), sa.func.sum(u.c.talk_s))
                   .group_by(u.c.extension, u.c.status))


@register("reports.scoped.did-dod.bare_sql", question="reports.scoped.did-dod", approach=APPROACH_BARE,
          comparable=False)
def _scoped_did_bare(ctx, rng):
    """GROUP BY local day, DID / caller ID over raw calls touching a Back office extension."""
    c = s.call
    day = sa.cast(_local(ctx, c.c.start_utc), sa.Date).label("d")
    number = sa.case((c.c.direction == "inbound", c.c.did), else_=c.c.outbound_cid).label("n")
    members = _group_members()
    return ctx.all(sa.select(day, c.c.direction, number, sa.func.count())
                   .where(c.c.start_utc >= rng.start_utc, c.c.start_utc < rng.end_utc,
                          c.c.direction.in_(("inbound", "outbound")),
                          sa.or_(c.c.extension.in_(members), c.c.peer_extension.in_(members)))
                   .group_by(day, c.c.direction, number))


@register("reports.scoped.queue-performance.bare_sql", question="reports.scoped.queue-performance",
          approach=APPROACH_BARE, comparable=False)
def _scoped_queue_bare(ctx, rng):
    """GROUP BY outcome over raw queue calls of queue 600."""
    qc = s.queue_call
    return ctx.all(sa.select(qc.c.outcome, sa.func.count(), sa.func.sum(qc.c.wait_s), sa.func.sum(qc.c.talk_s))
                   .where(qc.c.enter_utc >= rng.start_utc, qc.c.enter_utc < rng.end_utc, qc.c.queue == "600")
                   .group_by(qc.c.outcome))

"""Which path a call report reads: the aggregates or the facts.

Each report has two paths with the same columns and, by construction of the aggregates
(data.aggregates), the same numbers (tests check both on the same data):

- aggregate path: ``agg_call_day`` (per-extension reports over whole local days),
  ``agg_call_total_hour`` (PBX-wide activity), ``agg_call_hour`` (per extension and hour)
  or ``agg_number_hour`` (DID/DOD), joined to ``time_hour`` for local buckets, whenever
  the report needs nothing finer than those dimensions. A restricted scope narrows them
  the way the facts path narrows ``call``: per-extension rollups by extension_clause (owner
  and peer rows, as counted), ``agg_queue_hour`` by queue_clause, and PBX / DID-DOD totals
  for a restricted scope or an extension filter come from ``agg_call_scope_hour`` (one row
  per call with extension, peer and queue, so a call both of whose extensions are in scope
  is counted once);
- facts path: ``call`` (joined to ``time_hour`` for local buckets) — sub-hour buckets and
  the reports no rollup holds (callbacks, surveys, missed) and restricted scopes of ring
  groups (their rollups have no extension columns).

Counting rules (see data.metrics.DEFINITIONS): calls belong to the hour they *started*
in; per-extension numbers count an internal call for both extensions (owner + peer rows);
PBX totals count each call once (party = 'owner'). ``path=None`` picks automatically;
``path="facts"`` / ``"aggregate"`` forces one (tests, bench)."""

from __future__ import annotations

from data.queries.report_filter import ReportFilter
from data.scope import Scope


def choose_path(path: str | None, aggregate_ok: bool) -> str:
    """The path a query takes: the one asked for (refused when the aggregates cannot answer),
    or the aggregates whenever they can."""
    if path is None:
        return "aggregate" if aggregate_ok else "facts"
    if path not in ("aggregate", "facts"):
        raise ValueError(f"unknown path {path!r}")
    if path == "aggregate" and not aggregate_ok:
        raise ValueError("this scope / filter cannot be answered from the aggregates")
    return path


def uses_aggregates(report: str, scope: Scope, flt: ReportFilter) -> bool:
    """Which path the automatic choice takes (for notes, tests and the bench)."""
    # A restricted scope narrows the per-extension rollups by extension_clause (the same
    # owner / peer rows the facts path counts), the queue rollup by queue_clause, and PBX /
    # DID-DOD totals through agg_call_scope_hour (each call one row: counted once).
    if report in ("extension-statistics", "pbx-activity", "did-dod", "queue-performance", "queue-wait-talk"):
        return True
    if report == "extension-activity":
        return flt.interval in (60, 1440)
    if report == "ring-groups":  # the ring-group rollups have no extension / scope columns
        return scope.all and not flt.has_extension_filter
    if report == "ivr":  # agg_ivr_hour, or agg_ivr_scope_hour for a scope / extension filter
        return True
    if report == "queue-agents":  # agg_agent_hour has the agent and the queue: every filter applies
        return True
    return False

"""The report registry: every report, once.

An entry names the report's id (the URL segment under /reports/, the CLI name, the value
stored in a schedule and the stem of its files), its title and one-sentence summary
(msgids: the menu, the page heading, the emailed file, the help), its own filter options
with their defaults and the shared filters it reads, the runner that computes its table
(callboard.reports.runners), the figure builder that draws it
(callboard.reports.report_figures), the access level it needs, and the prefix of its
page's component ids.

Who reads it: the navigation and the pages (dashboards/reports/<id>.py: one per entry),
the report and export commands, the schedules' report choices and their validation, the
file routes, the exporters and the benches. Adding a report: its query
(data/queries/<domain>.py), its runner, its figure builder, an entry here, and a page file
of five lines (tests/callboard/reports/test_registry.py checks that every entry has them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from callboard.core.i18n import N_
from data.access.policy import VIEWER

if TYPE_CHECKING:  # the registry itself stays light: `callboard --help` lists the reports
    from zoneinfo import ZoneInfo

    import plotly.graph_objects as go
    from sqlalchemy.engine import Engine

    from callboard.reports.results import ReportResult
    from data.queries.report_filter import ReportFilter
    from data.scope import Scope


@dataclass(frozen=True)
class Option:
    """A report-specific choice: URL key, msgid label, (value, msgid) choices, default."""

    key: str  # "by" | "interval" | "queues" | "hours" (a ReportFilter field)
    label: str
    choices: tuple[tuple[str, str], ...]
    default: str
    # A multi-select (values not checked against `choices`); its choices come from
    # ``dynamic(scope)`` -> [(value, label)], e.g. the queues the scope may see.
    multi: bool = False
    dynamic: Callable[[Scope], list[tuple[str, str]]] | None = None
    placeholder: str = ""


def _queue_choices(scope: Scope) -> list[tuple[str, str]]:
    from data import db
    from data.queries.queues import queue_options

    return [(n, f"{n} – {name}" if name else n) for n, name in db.fetch_all(queue_options(scope))]


# Options shared by several reports.
BY_PERIOD = Option("by", N_("Group by"), (("hour_of_day", N_("Hour of day")), ("day", N_("Day")),
                                          ("month", N_("Month"))), "day")
BY_DAY_MONTH = Option("by", N_("Group by"), (("day", N_("Day")), ("month", N_("Month"))), "day")
BY_QUEUE_PERIOD = Option("by", N_("Group by"), (("queue", N_("Queue")), ("hour_of_day", N_("Hour of day")),
                                                ("day", N_("Day")), ("month", N_("Month")),
                                                ("staffing", N_("Staffing per hour (Erlang C)"))), "queue")
QUEUES = Option("queues", N_("Queues"), (), "", multi=True, dynamic=_queue_choices, placeholder=N_("All queues"))
INTERVAL = Option("interval", N_("Interval"), (("15", N_("15 minutes")), ("30", N_("30 minutes")),
                                               ("60", N_("Hour")), ("1440", N_("Day"))), "60")
RETURNED_WITHIN = Option("hours", N_("Returned within (hours)"),
                         (("4", "4"), ("8", "8"), ("24", "24"), ("48", "48"), ("72", "72")), "24")

# Which shared filters a report reads (the others are not shown and not read from the URL):
# "ext" (extensions), "group" (extension groups), "dir" (directions).
ALL_FILTERS = ("ext", "group", "dir")
EXTENSION_FILTERS = ("ext", "group")  # agents / callers of chosen extensions; no direction
QUEUE_ONLY = ()  # queue reports narrow by queue (their own option) and scope only

@dataclass(frozen=True)
class Report:
    id: str
    title: str  # msgid
    summary: str  # msgid: one sentence saying what the report shows
    runner_name: str  # its function in callboard.reports.runners
    figures_name: str  # its figure builder in callboard.reports.report_figures
    prefix: str  # of the page's component ids ("qp-grid")
    options: tuple[Option, ...] = ()
    shared: tuple[str, ...] = ALL_FILTERS
    level: str = VIEWER  # the least role that may run it (always within the user's scope)

    @property
    def runner(self) -> Callable[..., tuple]:
        """``runner(scope, filter, tz, engine, path) -> (columns, table, chart frame, calls,
        notes[, filter used[, sections]])``."""
        return getattr(import_module("callboard.reports.runners"), self.runner_name)

    @property
    def figures(self) -> Callable[[ReportResult, str], list[go.Figure]]:
        """``figures(result, lang) -> [go.Figure]``: what its page and its PDF draw."""
        return getattr(import_module("callboard.reports.report_figures"), self.figures_name)

    @property
    def path(self) -> str:
        return f"/reports/{self.id}"

    @property
    def page_module(self) -> str:
        """The page's module (dashboards/reports/<id with underscores>.py: the file is the URL)."""
        return "dashboards.reports." + self.id.replace("-", "_")


REPORTS: tuple[Report, ...] = (
    Report("extension-statistics", N_("Extension call statistics"),
           N_("Per extension: calls by status, total and average talk time, status split pie charts."),
           "run_extension_statistics", "extension_statistics", "es"),
    Report("extension-activity", N_("Extension call activity"),
           N_("Calls of chosen extensions per hour (or 15/30 minutes) of a day or a range of days."),
           "run_extension_activity", "extension_activity", "ea", options=(INTERVAL,)),
    Report("pbx-activity", N_("PBX call activity"),
           N_("Internal, inbound and outbound calls by hour of day, by day and by month, answered vs unanswered."),
           "run_pbx_activity", "pbx_activity", "pa", options=(BY_PERIOD,)),
    Report("did-dod", N_("DID/DOD activity"),
           N_("Calls per DID (our called number) and per outbound caller ID over time."),
           "run_did_dod", "did_dod", "dd", options=(BY_DAY_MONTH,)),
    Report("ivr", N_("IVR report"),
           N_("Per IVR: calls entered and how often each option was chosen, including timeout and invalid input."),
           "run_ivr", "ivr", "iv", options=(BY_DAY_MONTH,)),
    Report("queue-wait-talk", N_("Queue wait and talk time"),
           N_("Average wait (answered and all) and average talk time by hour, day or month."),
           "run_queue_wait_talk", "queue_wait_talk", "qw", options=(BY_PERIOD, QUEUES), shared=QUEUE_ONLY),
    Report("queue-performance", N_("Queue performance"),
           N_("Offered, answered, abandoned, service level, abandon rate, ASA and an Erlang C staffing view."),
           "run_queue_performance", "queue_performance", "qp", options=(BY_QUEUE_PERIOD, QUEUES),
           shared=QUEUE_ONLY),
    Report("queue-callbacks", N_("Queue callbacks"),
           N_("Callbacks requested, completed and failed, and each callback with its outcome."),
           "run_queue_callbacks", "queue_callbacks", "qcb", options=(QUEUES,), shared=QUEUE_ONLY),
    Report("queue-satisfaction", N_("Queue satisfaction survey"),
           N_("Per queue and agent: answers per score key, total points, average score, participation."),
           "run_queue_satisfaction", "queue_satisfaction", "qsat", options=(QUEUES,), shared=QUEUE_ONLY),
    Report("queue-agents", N_("Queue agent activity"),
           N_("Agent login sessions, pauses with reasons, and per-agent answered, missed, talk time and occupancy."),
           "run_queue_agents", "queue_agents", "qa", options=(QUEUES,), shared=EXTENSION_FILTERS),
    Report("ring-groups", N_("Ring group statistics"),
           N_("Per ring group: calls, answered, missed, answered by each member, average ring and talk time."),
           "run_ring_groups", "ring_groups", "rg"),
    Report("missed-unreturned", N_("Missed and unreturned calls"),
           N_("Missed or abandoned inbound calls whose caller was neither called back nor got through later."),
           "run_missed_unreturned", "missed_unreturned", "mu", options=(RETURNED_WITHIN,),
           shared=EXTENSION_FILTERS),
)
BY_ID: dict[str, Report] = {r.id: r for r in REPORTS}
IDS: tuple[str, ...] = tuple(BY_ID)


def get(report_id: str) -> Report:
    """The entry of `report_id`; ValueError naming the known ones otherwise."""
    try:
        return BY_ID[report_id]
    except KeyError:
        raise ValueError(f"unknown report {report_id!r} (one of {', '.join(IDS)})") from None


def title(report_id: str) -> str:
    """The msgid of a report's title (the id itself for one no longer registered, e.g. in an
    old schedule's history)."""
    return BY_ID[report_id].title if report_id in BY_ID else report_id


def run_report(report: str, scope: Scope, flt: ReportFilter, *, engine: Engine | None = None,
               tz: ZoneInfo | None = None, path: str | None = None) -> ReportResult:
    """Run a registered report for `scope`: its table rounded once to each column's precision,
    the frame its chart draws, the filter used and the data path (aggregate | facts)."""
    from callboard.core.settings import get_settings
    from callboard.reports.results import ReportResult, round_to_precision
    from callboard.reports.runners import groups_expanded
    from data.queries.report_path import uses_aggregates

    entry = get(report)
    tz = tz or get_settings().tz
    run_scope, run_flt = groups_expanded(scope, flt, engine)
    out = entry.runner(run_scope, run_flt, tz, engine, path)
    cols, df, chart, total, notes = out[:5]
    used = path or ("aggregate" if uses_aggregates(report, run_scope, out[5] if len(out) > 5 else run_flt)
                    else "facts")
    if len(out) > 5:  # a runner may change by / interval; the result keeps the groups as asked
        flt = out[5].with_(extensions=flt.extensions, groups=flt.groups)
    sections = out[6] if len(out) > 6 else []
    round_to_precision(df, cols)
    for sec in sections:
        round_to_precision(sec.df, sec.columns)
    return ReportResult(report, flt, cols, df, chart, total, used, notes, sections)


def charts(result: ReportResult, lang: str) -> list[go.Figure]:
    """The charts of `result`'s report, as its page draws them (none for an empty result):
    the page and the PDF export draw the very same figures."""
    if result.empty:
        return []
    return BY_ID[result.report].figures(result, lang)

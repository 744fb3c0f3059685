"""Report /reports/queue-performance: per queue (and per local hour of day, day or month)
offered, answered, abandoned, short abandons, timed out, exited by key, no agents, service
level, abandon rate, ASA, longest wait and average talk (definitions: data.metrics); grouped
by "staffing", the agents Erlang C needs per local hour of day beside the agents logged in."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import BY_QUEUE_PERIOD, QUEUE_ONLY, QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-performance"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("queue-performance", PATH, "qp", figures=REPORT_FIGURES["queue-performance"],
                  options=(BY_QUEUE_PERIOD, QUEUES), shared=QUEUE_ONLY)
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/queue-performance: per queue (and per local hour of day, day or month)
offered, answered, abandoned, short abandons, timed out, exited by key, no agents, service
level, abandon rate, ASA, longest wait and average talk (definitions: data.metrics); grouped
by "staffing", the agents Erlang C needs per local hour of day beside the agents logged in."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["queue-performance"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

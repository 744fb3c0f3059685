"""Report /reports/queue-agents: per agent the queue calls answered, ring-no-answer, talk,
logged-in and pause time clipped to the range, occupancy (data.metrics) and pause time per
reason; below it the login sessions and the pauses with their reasons (also in the CSV)."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["queue-agents"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

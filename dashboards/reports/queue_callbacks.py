"""Report /reports/queue-callbacks: the table is the activity — each callback requested in
the range with its outcome, attempts, agent and time to callback (what a manager follows
up); the chart is the per-queue summary (requested, completed, failed, average time to
callback; definitions: data.metrics)."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["queue-callbacks"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/queue-callbacks: the table is the activity — each callback requested in
the range with its outcome, attempts, agent and time to callback (what a manager follows
up); the chart is the per-queue summary (requested, completed, failed, average time to
callback; definitions: data.metrics)."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import QUEUE_ONLY, QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-callbacks"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("queue-callbacks", PATH, "qcb", figures=REPORT_FIGURES["queue-callbacks"], options=(QUEUES,),
                  shared=QUEUE_ONLY)
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/queue-agents: per agent the queue calls answered, ring-no-answer, talk,
logged-in and pause time clipped to the range, occupancy (data.metrics) and pause time per
reason; below it the login sessions and the pauses with their reasons (also in the CSV)."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import EXTENSION_FILTERS, QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-agents"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("queue-agents", PATH, "qa", figures=REPORT_FIGURES["queue-agents"], options=(QUEUES,),
                  shared=EXTENSION_FILTERS)
layout = page_layout(PAGE)
register_callbacks(PAGE)

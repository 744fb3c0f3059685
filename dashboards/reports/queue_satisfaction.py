"""Report /reports/queue-satisfaction: per queue and per agent, answers per score key, total
points, average score (points ÷ answers, 2 decimals) and participation rate (answers ÷
answered queue calls); definitions: data.metrics."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import QUEUE_ONLY, QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-satisfaction"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("queue-satisfaction", PATH, "qsat", figures=REPORT_FIGURES["queue-satisfaction"], options=(QUEUES,),
                  shared=QUEUE_ONLY)
layout = page_layout(PAGE)
register_callbacks(PAGE)

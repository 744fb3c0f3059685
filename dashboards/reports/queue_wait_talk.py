"""Report /reports/queue-wait-talk: average wait (answered), average wait (all) and
average talk per queue, by local hour of day, day or month (definitions: data.metrics)."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import BY_PERIOD, QUEUE_ONLY, QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-wait-talk"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("queue-wait-talk", PATH, "qw", figures=REPORT_FIGURES["queue-wait-talk"], options=(BY_PERIOD, QUEUES),
                  shared=QUEUE_ONLY)
layout = page_layout(PAGE)
register_callbacks(PAGE)

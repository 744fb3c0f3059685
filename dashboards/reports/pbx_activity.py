"""Report /reports/pbx-activity: inbound, outbound and internal calls by local hour of day,
day or month, and answered vs unanswered. Each call counts once."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import BY_PERIOD, ReportPage, page_layout, register_callbacks

PATH = "/reports/pbx-activity"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("pbx-activity", PATH, "pa", figures=REPORT_FIGURES["pbx-activity"], options=(BY_PERIOD,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

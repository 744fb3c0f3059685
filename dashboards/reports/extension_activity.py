"""Report /reports/extension-activity: calls of the chosen extensions per 15 / 30 minutes,
hour or day of the chosen range, in the PBX's local time."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import INTERVAL, ReportPage, page_layout, register_callbacks

PATH = "/reports/extension-activity"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("extension-activity", PATH, "ea", figures=REPORT_FIGURES["extension-activity"], options=(INTERVAL,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

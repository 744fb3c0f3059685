"""Report /reports/extension-statistics: per extension, calls by status, talk and hold time,
with the status split as pie charts (overall, and per extension when a few are chosen)."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PATH = "/reports/extension-statistics"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("extension-statistics", PATH, "es", figures=REPORT_FIGURES["extension-statistics"])
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/ivr: per IVR, the calls that entered it and each option chosen (0-9, *,
#, timeout, invalid) in total (the table) and over local days / months (stacked bars)."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import BY_DAY_MONTH, ReportPage, page_layout, register_callbacks

PATH = "/reports/ivr"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("ivr", PATH, "iv", figures=REPORT_FIGURES["ivr"], options=(BY_DAY_MONTH,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/did-dod: calls per DID (inbound, by our called number) and per outbound
caller ID over time, as line charts, with the table per period and number."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import BY_DAY_MONTH, ReportPage, page_layout, register_callbacks

PATH = "/reports/did-dod"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("did-dod", PATH, "dd", figures=REPORT_FIGURES["did-dod"], options=(BY_DAY_MONTH,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

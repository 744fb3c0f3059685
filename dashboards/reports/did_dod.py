"""Report /reports/did-dod: calls per DID (inbound, by our called number) and per outbound
caller ID over time, as line charts, with the table per period and number."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["did-dod"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

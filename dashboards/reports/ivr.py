"""Report /reports/ivr: per IVR, the calls that entered it and each option chosen (0-9, *,
#, timeout, invalid) in total (the table) and over local days / months (stacked bars)."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["ivr"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

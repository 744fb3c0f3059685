"""Report /reports/pbx-activity: inbound, outbound and internal calls by local hour of day,
day or month, and answered vs unanswered. Each call counts once."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["pbx-activity"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/missed-unreturned: callers whose missed inbound calls were neither
called back nor answered on a new call within N hours — a list to act on."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["missed-unreturned"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

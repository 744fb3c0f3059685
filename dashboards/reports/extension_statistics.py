"""Report /reports/extension-statistics: per extension, calls by status, talk and hold time,
with the status split as pie charts (overall, and per extension when a few are chosen)."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["extension-statistics"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/extension-activity: calls of the chosen extensions per 15 / 30 minutes,
hour or day of the chosen range, in the PBX's local time."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["extension-activity"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

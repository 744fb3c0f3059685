"""Report /reports/ring-groups: per ring group, calls, answered, missed, average ring and
talk time, and the calls each member answered (bars beside the table)."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["ring-groups"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

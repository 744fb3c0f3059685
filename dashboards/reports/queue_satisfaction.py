"""Report /reports/queue-satisfaction: per queue and per agent, answers per score key, total
points, average score (points ÷ answers, 2 decimals) and participation rate (answers ÷
answered queue calls); definitions: data.metrics."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["queue-satisfaction"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

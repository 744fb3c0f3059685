"""Report /reports/queue-wait-talk: average wait (answered), average wait (all) and
average talk per queue, by local hour of day, day or month (definitions: data.metrics)."""

import dash

from callboard.reports.registry import BY_ID
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PAGE = ReportPage(BY_ID["queue-wait-talk"])
dash.register_page(__name__, path=PAGE.path)
layout = page_layout(PAGE)
register_callbacks(PAGE)

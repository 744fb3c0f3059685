"""Report /reports/ring-groups: per ring group, calls, answered, missed, average ring and
talk time, and the calls each member answered (bars beside the table)."""

import dash

from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import ReportPage, page_layout, register_callbacks

PATH = "/reports/ring-groups"
dash.register_page(__name__, path=PATH)


PAGE = ReportPage("ring-groups", PATH, "rg", figures=REPORT_FIGURES["ring-groups"])
layout = page_layout(PAGE)
register_callbacks(PAGE)

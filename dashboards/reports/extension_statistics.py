"""Report /reports/extension-statistics: per extension, calls by status, talk and hold time,
with the status split as pie charts (overall, and per extension when a few are chosen)."""

import dash

from callboard.figures import fig_status_pies
from callboard.report_ui import ReportPage, page_layout, register_callbacks

PATH = "/reports/extension-statistics"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    per_extension = 0 < len(result.df) <= 4 and result.filter.has_extension_filter
    return [fig_status_pies(result.df, lang, per_extension=per_extension)]


PAGE = ReportPage("extension-statistics", PATH, "es", figures=_figures)
layout = page_layout(PAGE)
register_callbacks(PAGE)

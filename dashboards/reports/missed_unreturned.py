"""Report /reports/missed-unreturned: callers whose missed inbound calls were neither
called back nor answered on a new call within N hours — a list to act on."""

import dash

from callboard.core.i18n import N_
from callboard.reports.report_figures import REPORT_FIGURES
from callboard.web.report_ui import EXTENSION_FILTERS, Option, ReportPage, page_layout, register_callbacks

PATH = "/reports/missed-unreturned"
dash.register_page(__name__, path=PATH)

HOURS = Option("hours", N_("Returned within (hours)"), (("4", "4"), ("8", "8"), ("24", "24"), ("48", "48"),
                                                         ("72", "72")), "24")


PAGE = ReportPage("missed-unreturned", PATH, "mu", figures=REPORT_FIGURES["missed-unreturned"], options=(HOURS,),
                  shared=EXTENSION_FILTERS)
layout = page_layout(PAGE)
register_callbacks(PAGE)

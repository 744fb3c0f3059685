"""Report /reports/did-dod: calls per DID (inbound, by our called number) and per outbound
caller ID over time, as line charts, with the table per period and number."""

import dash

from callboard.figures import fig_did_dod
from callboard.i18n import translator
from callboard.report_ui import BY_DAY_MONTH, ReportPage, page_layout, register_callbacks
from callboard.reports import PERIOD_LABELS, display_value

PATH = "/reports/did-dod"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    col = result.columns[0]
    chart = result.chart.assign(label=[display_value(col, v, lang) for v in result.chart["period"]])
    return [fig_did_dod(chart, lang, _(PERIOD_LABELS[result.filter.by]))]


PAGE = ReportPage("did-dod", PATH, "dd", figures=_figures, options=(BY_DAY_MONTH,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

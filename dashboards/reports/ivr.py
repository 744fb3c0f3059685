"""Report /reports/ivr: per IVR, the calls that entered it and each option chosen (0-9, *,
#, timeout, invalid) in total (the table) and over local days / months (stacked bars)."""

import dash

from callboard.figures import fig_ivr_options
from callboard.i18n import translator
from callboard.report_ui import BY_DAY_MONTH, ReportPage, page_layout, register_callbacks
from callboard.reports import PERIOD_LABELS, Col, display_value, ivr_option_label

PATH = "/reports/ivr"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    col = Col("period", PERIOD_LABELS[result.filter.by],
              "date" if result.filter.by == "day" else "month")
    chart = result.chart.assign(label=[display_value(col, v, lang) for v in result.chart["period"]],
                                option_label=[ivr_option_label(o, lang) for o in result.chart["option"]])
    return [fig_ivr_options(chart, lang, _(PERIOD_LABELS[result.filter.by]))]


PAGE = ReportPage("ivr", PATH, "iv", figures=_figures, options=(BY_DAY_MONTH,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/pbx-activity: inbound, outbound and internal calls by local hour of day,
day or month, and answered vs unanswered. Each call counts once."""

import dash

from callboard.figures import fig_answered_split, fig_pbx_directions
from callboard.i18n import translator
from callboard.report_ui import BY_PERIOD, ReportPage, labels, page_layout, register_callbacks
from callboard.reports import PERIOD_LABELS

PATH = "/reports/pbx-activity"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    df = result.df.assign(label=labels(result, "period", lang))
    x_title = _(PERIOD_LABELS[result.filter.by])
    return [fig_pbx_directions(df, lang, x_title), fig_answered_split(df, lang, x_title)]


PAGE = ReportPage("pbx-activity", PATH, "pa", figures=_figures, options=(BY_PERIOD,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

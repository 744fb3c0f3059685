"""Report /reports/queue-performance: per queue (and per local hour of day, day or month)
offered, answered, abandoned, short abandons, timed out, exited by key, no agents, service
level, abandon rate, ASA, longest wait and average talk (definitions: data.metrics)."""

import dash

from callboard.figures import fig_queue_outcomes, fig_queue_rates
from callboard.i18n import translator
from callboard.report_ui import BY_QUEUE_PERIOD, QUEUES, ReportPage, labels, page_layout, register_callbacks
from callboard.reports import PERIOD_LABELS

PATH = "/reports/queue-performance"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    by = result.filter.by
    df = result.df.assign(label=result.df["queue"] if by == "queue" else labels(result, "period", lang))
    x_title = _(PERIOD_LABELS[by])
    return [fig_queue_outcomes(df, lang, x_title), fig_queue_rates(df, lang, x_title)]


PAGE = ReportPage("queue-performance", PATH, "qp", figures=_figures, options=(BY_QUEUE_PERIOD, QUEUES))
layout = page_layout(PAGE)
register_callbacks(PAGE)

"""Report /reports/queue-wait-talk: average wait (answered), average wait (all) and
average talk per queue, by local hour of day, day or month (definitions: data.metrics)."""

import dash

from callboard.figures import fig_queue_wait_talk
from callboard.i18n import translator
from callboard.report_ui import BY_PERIOD, QUEUES, ReportPage, labels, page_layout, register_callbacks
from callboard.reports import PERIOD_LABELS

PATH = "/reports/queue-wait-talk"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    df = result.df.assign(label=labels(result, "period", lang))
    return [fig_queue_wait_talk(df, lang, _(PERIOD_LABELS[result.filter.by]))]


PAGE = ReportPage("queue-wait-talk", PATH, "qw", figures=_figures, options=(BY_PERIOD, QUEUES))
layout = page_layout(PAGE)
register_callbacks(PAGE)

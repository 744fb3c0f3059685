"""Report /reports/queue-satisfaction: per queue and per agent, answers per score key, total
points, average score (points ÷ answers, 2 decimals) and participation rate (answers ÷
answered queue calls); definitions: data.metrics."""

import dash

from callboard.figures import fig_queue_satisfaction
from callboard.i18n import translator
from callboard.report_ui import QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-satisfaction"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    df = result.df
    label = [(f"{_('Queue')} {q}" if q else f"{_('Agent')} {a}") for q, a in zip(df["queue"], df["agent"])]
    return [fig_queue_satisfaction(df.assign(label=label), lang)]


PAGE = ReportPage("queue-satisfaction", PATH, "qsat", figures=_figures, options=(QUEUES,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

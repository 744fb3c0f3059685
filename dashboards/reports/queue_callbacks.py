"""Report /reports/queue-callbacks: the table is the activity — each callback requested in
the range with its outcome, attempts, agent and time to callback (what a manager follows
up); the chart is the per-queue summary (requested, completed, failed, average time to
callback; definitions: data.metrics)."""

import dash

from callboard.figures import fig_queue_callbacks
from callboard.report_ui import QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-callbacks"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    chart = result.chart
    label = [f"{q} – {n}" if n else q for q, n in zip(chart["queue"], chart["name"])]
    return [fig_queue_callbacks(chart.assign(label=label), lang)]


PAGE = ReportPage("queue-callbacks", PATH, "qcb", figures=_figures, options=(QUEUES,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

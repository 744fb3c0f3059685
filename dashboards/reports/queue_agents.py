"""Report /reports/queue-agents: per agent the queue calls answered, ring-no-answer, talk,
logged-in and pause time clipped to the range, occupancy (data.metrics) and pause time per
reason."""

import dash

from callboard.figures import fig_queue_agents
from callboard.report_ui import QUEUES, ReportPage, page_layout, register_callbacks

PATH = "/reports/queue-agents"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    df = result.df.assign(label=[f"{a} {n}".strip() for a, n in zip(result.df["agent"], result.df["name"])])
    return [fig_queue_agents(df, lang)]


PAGE = ReportPage("queue-agents", PATH, "qa", figures=_figures, options=(QUEUES,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

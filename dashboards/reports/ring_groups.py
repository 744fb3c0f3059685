"""Report /reports/ring-groups: per ring group, calls, answered, missed, average ring and
talk time, and the calls each member answered (bars beside the table)."""

import dash

from callboard.figures import fig_ring_groups
from callboard.report_ui import ReportPage, page_layout, register_callbacks

PATH = "/reports/ring-groups"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    chart = result.chart.assign(label=[f"{g} – {n}" if n else g
                                       for g, n in zip(result.chart["ring_group"], result.chart["name"])])
    members = [c.key.split(":", 1)[1] for c in result.columns if c.key.startswith("member:")]
    return [fig_ring_groups(chart, members, lang)]


PAGE = ReportPage("ring-groups", PATH, "rg", figures=_figures)
layout = page_layout(PAGE)
register_callbacks(PAGE)

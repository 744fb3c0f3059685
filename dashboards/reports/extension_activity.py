"""Report /reports/extension-activity: calls of the chosen extensions per 15 / 30 minutes,
hour or day of the chosen range, in the PBX's local time."""

import dash

from callboard.figures import fig_extension_activity
from callboard.i18n import translator
from callboard.report_ui import INTERVAL, ReportPage, page_layout, register_callbacks
from callboard.reports import display_value, time_label

PATH = "/reports/extension-activity"
dash.register_page(__name__, path=PATH)


def _figures(result, lang):
    _ = translator(lang)
    col = result.columns[0]
    if col.kind == "datetime" and result.filter.days == 1:  # one day: the time is enough
        label = [time_label(v) for v in result.chart["time"]]
    else:
        label = [display_value(col, v, lang) for v in result.chart["time"]]
    chart = result.chart.assign(label=label)
    return [fig_extension_activity(chart, lang, _(col.label))]


PAGE = ReportPage("extension-activity", PATH, "ea", figures=_figures, options=(INTERVAL,))
layout = page_layout(PAGE)
register_callbacks(PAGE)

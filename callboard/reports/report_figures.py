"""The charts of each report: ``<report>(result, lang) -> [go.Figure]``, named by its entry in
callboard.reports.registry (``registry.charts`` draws a result's), for the report pages
(dashboards/reports/*) and the PDF export, so a PDF shows the very charts its page shows. Pure: frames in, figures out (no Dash, no database),
which lets exporters use it without importing a page (importing a page registers it).
"""

from __future__ import annotations



from callboard.reports.figures import (
    fig_answered_split,
    fig_did_dod,
    fig_extension_activity,
    fig_ivr_options,
    fig_missed_unreturned,
    fig_pbx_directions,
    fig_queue_agents,
    fig_queue_callbacks,
    fig_queue_outcomes,
    fig_queue_rates,
    fig_queue_satisfaction,
    fig_queue_staffing,
    fig_queue_wait_talk,
    fig_ring_groups,
    fig_status_pies,
)
from callboard.core.i18n import translator
from callboard.reports.results import Col, PERIOD_LABELS, ReportResult, display_value, ivr_option_label, time_label


def labels(result: ReportResult, key: str, lang: str) -> list[str]:
    """Axis labels for a chart: the table's display text of column `key`."""
    col = next(c for c in result.columns if c.key == key)
    return [display_value(col, v, lang) for v in result.df[key]] if key in result.df else []


def extension_statistics(result, lang):
    per_extension = 0 < len(result.df) <= 4 and result.filter.has_extension_filter
    return [fig_status_pies(result.df, lang, per_extension=per_extension)]


def pbx_activity(result, lang):
    _ = translator(lang)
    df = result.df.assign(label=labels(result, "period", lang))
    x_title = _(PERIOD_LABELS[result.filter.by])
    return [fig_pbx_directions(df, lang, x_title), fig_answered_split(df, lang, x_title)]


def extension_activity(result, lang):
    _ = translator(lang)
    col = result.columns[0]
    if col.kind == "datetime" and result.filter.days == 1:  # one day: the time is enough
        label = [time_label(v) for v in result.chart["time"]]
    else:
        label = [display_value(col, v, lang) for v in result.chart["time"]]
    chart = result.chart.assign(label=label)
    return [fig_extension_activity(chart, lang, _(col.label))]


def did_dod(result, lang):
    _ = translator(lang)
    col = result.columns[0]
    chart = result.chart.assign(label=[display_value(col, v, lang) for v in result.chart["period"]])
    return [fig_did_dod(chart, lang, _(PERIOD_LABELS[result.filter.by]))]


def ivr(result, lang):
    _ = translator(lang)
    col = Col("period", PERIOD_LABELS[result.filter.by], "date" if result.filter.by == "day" else "month")
    chart = result.chart.assign(label=[display_value(col, v, lang) for v in result.chart["period"]],
                                option_label=[ivr_option_label(o, lang) for o in result.chart["option"]])
    return [fig_ivr_options(chart, lang, _(PERIOD_LABELS[result.filter.by]))]


def ring_groups(result, lang):
    chart = result.chart.assign(label=[f"{g} – {n}" if n else g
                                       for g, n in zip(result.chart["ring_group"], result.chart["name"])])
    members = [c.key.split(":", 1)[1] for c in result.columns if c.key.startswith("member:")]
    return [fig_ring_groups(chart, members, lang)]


def queue_performance(result, lang):
    _ = translator(lang)
    by = result.filter.by
    df = result.df.assign(label=result.df["queue"] if by == "queue" else labels(result, "period", lang))
    x_title = _(PERIOD_LABELS[by])
    if by == "staffing":
        return [fig_queue_staffing(df, lang, x_title)]
    return [fig_queue_outcomes(df, lang, x_title), fig_queue_rates(df, lang, x_title)]


def queue_wait_talk(result, lang):
    _ = translator(lang)
    df = result.df.assign(label=labels(result, "period", lang))
    return [fig_queue_wait_talk(df, lang, _(PERIOD_LABELS[result.filter.by]))]


def queue_callbacks(result, lang):
    chart = result.chart
    label = [f"{q} – {n}" if n else q for q, n in zip(chart["queue"], chart["name"])]
    return [fig_queue_callbacks(chart.assign(label=label), lang)]


def queue_satisfaction(result, lang):
    _ = translator(lang)
    df = result.df
    label = [(f"{_('Queue')} {q}" if q else f"{_('Agent')} {a}") for q, a in zip(df["queue"], df["agent"])]
    return [fig_queue_satisfaction(df.assign(label=label), lang)]


def queue_agents(result, lang):
    df = result.df.assign(label=[f"{a} {n}".strip() for a, n in zip(result.df["agent"], result.df["name"])])
    return [fig_queue_agents(df, lang)]


def missed_unreturned(result, lang):
    return [fig_missed_unreturned(result.df, lang)]

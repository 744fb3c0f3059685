"""Pure figure builders ``fig_*(df, lang) -> go.Figure``, shared by pages and PDF exports.

Colours: the Okabe-Ito palette (safe for colour-blind readers); series also differ by
name and order, never by colour alone.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from callboard.core.i18n import N_, translator

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
DIRECTION_COLORS = {"inbound": "#0072B2", "outbound": "#E69F00", "internal": "#009E73"}
DIRECTION_LABELS = {"inbound": "Inbound", "outbound": "Outbound", "internal": "Internal"}


def _base_layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        template="plotly_white",
        colorway=OKABE_ITO,
        margin=dict(l=40, r=20, t=50, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
        height=360,
    )
    return fig


def fig_calls_per_day(df: pd.DataFrame, lang: str) -> go.Figure:
    """Stacked bars: calls per local day by direction. df: local_day, direction, calls."""
    _ = translator(lang)
    fig = go.Figure()
    for direction in ("inbound", "outbound", "internal"):
        part = df[df["direction"] == direction]
        fig.add_bar(
            x=part["local_day"],
            y=part["calls"],
            name=_(DIRECTION_LABELS[direction]),
            marker_color=DIRECTION_COLORS[direction],
        )
    fig.update_layout(barmode="stack", xaxis_title=_("Day"), yaxis_title=_("Calls"))
    return _base_layout(fig, _("Calls per day"))


# --------------------------------------------------------------------------- call reports
# Builders for the call reports (callboard.reports.runners gives them their frames). Status and
# direction series carry their names in the legend and on the slices / hover, and the
# unanswered bars a hatch pattern, so no reading depends on colour alone.

STATUS_COLORS = {
    "answered": "#009E73",
    "no_answer": "#E69F00",
    "busy": "#D55E00",
    "failed": "#000000",
    "voicemail": "#56B4E9",
    "abandoned": "#CC79A7",
}
LINE_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
LINE_MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down"]


def fig_status_pies(df: pd.DataFrame, lang: str, per_extension: bool = False) -> go.Figure:
    """Status split pies. df: extension, answered, no_answer, ... (one row per extension).
    The first pie is all listed extensions together; with per_extension, one pie per row
    follows (at most 4)."""
    from plotly.subplots import make_subplots

    from data.metrics import STATUS_LABELS

    _ = translator(lang)
    statuses = list(STATUS_LABELS)
    pies = [(_("All listed extensions"), df[statuses].sum())]
    if per_extension:
        pies += [(str(r["extension"]), r[statuses]) for _i, r in df.head(4).iterrows()]
    fig = make_subplots(rows=1, cols=len(pies), specs=[[{"type": "domain"}] * len(pies)],
                        subplot_titles=[t for t, _v in pies])
    labels = [_(STATUS_LABELS[k]) for k in statuses]
    for i, (title, values) in enumerate(pies, start=1):
        fig.add_trace(
            go.Pie(labels=labels, values=[int(values[k]) for k in statuses], name=title, sort=False,
                   marker=dict(colors=[STATUS_COLORS[k] for k in statuses], line=dict(color="#fff", width=1)),
                   textinfo="label+percent", textposition="inside", hole=0.35,
                   hovertemplate="%{label}: %{value} (%{percent})<extra>" + title + "</extra>"),
            row=1, col=i,
        )
    fig = _base_layout(fig, _("Calls by status"))
    fig.update_layout(legend=dict(orientation="v", yanchor="middle", y=0.5, xanchor="left", x=1.02),
                      margin=dict(l=20, r=140, t=70, b=20))
    return fig


def fig_pbx_directions(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Stacked bars per period by direction. df: label, inbound, outbound, internal."""
    _ = translator(lang)
    fig = go.Figure()
    for direction in ("inbound", "outbound", "internal"):
        fig.add_bar(x=df["label"], y=df[direction], name=_(DIRECTION_LABELS[direction]),
                    marker_color=DIRECTION_COLORS[direction])
    fig.update_layout(barmode="stack", xaxis_title=x_title, yaxis_title=_("Calls"), xaxis_type="category")
    fig = _base_layout(fig, _("Calls by direction"))
    fig.update_layout(legend_traceorder="normal")
    return fig


def fig_answered_split(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Stacked bars per period: answered (solid) and unanswered (hatched). df: label,
    answered, unanswered."""
    _ = translator(lang)
    fig = go.Figure()
    fig.add_bar(x=df["label"], y=df["answered"], name=_("Answered"), marker_color=STATUS_COLORS["answered"])
    fig.add_bar(x=df["label"], y=df["unanswered"], name=_("Unanswered"), marker_color=STATUS_COLORS["no_answer"],
                marker_pattern_shape="/")
    fig.update_layout(barmode="stack", xaxis_title=x_title, yaxis_title=_("Calls"), xaxis_type="category")
    fig = _base_layout(fig, _("Answered and unanswered calls"))
    fig.update_layout(legend_traceorder="normal")
    return fig


def fig_extension_activity(df: pd.DataFrame, lang: str, x_title: str, top: int = 10) -> go.Figure:
    """One line per extension over time (markers and dashes differ too). df: label,
    extension, calls. More than `top` extensions: the busiest `top`, the rest as one
    "Other extensions" line."""
    _ = translator(lang)
    fig = go.Figure()
    totals = df.groupby("extension", sort=False)["calls"].sum().sort_values(ascending=False, kind="stable")
    keep = list(totals.index[:top])
    series = [(str(e), df[df["extension"] == e]) for e in keep]
    if len(totals) > top:
        rest = df[~df["extension"].isin(keep)].groupby("label", sort=False)["calls"].sum().reset_index()
        series.append((_("Other extensions"), rest))
    for i, (name, part) in enumerate(series):
        fig.add_scatter(x=part["label"], y=part["calls"], name=name, mode="lines+markers",
                        line=dict(color=OKABE_ITO[i % len(OKABE_ITO)], dash=LINE_DASHES[i % len(LINE_DASHES)]),
                        marker=dict(symbol=LINE_MARKERS[i % len(LINE_MARKERS)]))
    fig.update_layout(xaxis_title=x_title, yaxis_title=_("Calls"), xaxis_type="category")
    return _base_layout(fig, _("Calls per extension"))


def fig_did_dod(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Lines of calls per number over time: DIDs (inbound) above, caller IDs (outbound)
    below. df: label, kind ('did' | 'dod'), number, calls; optional name (of the number)."""
    from plotly.subplots import make_subplots

    _ = translator(lang)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=[_("Calls per DID (inbound)"), _("Calls per outbound caller ID")])
    i = 0
    for row, kind in ((1, "did"), (2, "dod")):
        part = df[df["kind"] == kind]
        for number, series in part.groupby("number", sort=True):
            name = f"{kind.upper()} {number}"
            if "name" in series and series["name"].iloc[0]:
                name += f" – {series['name'].iloc[0]}"
            fig.add_scatter(x=series["label"], y=series["calls"], name=name, mode="lines+markers",
                            line=dict(color=OKABE_ITO[i % len(OKABE_ITO)], dash=LINE_DASHES[i % len(LINE_DASHES)]),
                            marker=dict(symbol=LINE_MARKERS[i % len(LINE_MARKERS)]), row=row, col=1)
            i += 1
    fig.update_xaxes(type="category")
    fig.update_xaxes(title_text=x_title, row=2, col=1)
    fig.update_yaxes(title_text=_("Calls"))
    fig = _base_layout(fig, _("DID/DOD activity"))
    fig.update_layout(height=560, legend=dict(orientation="v", yanchor="top", y=1, xanchor="left", x=1.02),
                      margin=dict(l=50, r=20, t=70, b=40))
    return fig


BAR_PATTERNS = ["", "/", ".", "x", "\\", "+", "-", "|"]


def fig_ivr_options(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Stacked bars of IVR choices per period by option (colour and hatching differ, and
    each option is named in the legend and hover). df: label, option, option_label, choices."""
    _ = translator(lang)
    fig = go.Figure()
    for i, (option, part) in enumerate(df.groupby("option", sort=False)):
        fig.add_bar(x=part["label"], y=part["choices"], name=str(part["option_label"].iloc[0]),
                    marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                    marker_pattern_shape=BAR_PATTERNS[(i // len(OKABE_ITO) + i) % len(BAR_PATTERNS)])
    fig.update_layout(barmode="stack", xaxis_title=x_title, yaxis_title=_("Choices"), xaxis_type="category")
    fig = _base_layout(fig, _("IVR options chosen"))
    fig.update_layout(legend_traceorder="normal")
    return fig


def fig_ring_groups(df: pd.DataFrame, members: list[str], lang: str) -> go.Figure:
    """Per ring group: answered (solid) and missed (hatched) stacked, beside the calls each
    member answered (grouped bars, hatched differently). df: label, answered, missed,
    member:<ext> columns."""
    from plotly.subplots import make_subplots

    _ = translator(lang)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_("Answered and missed calls"), _("Answered by member")])
    fig.add_bar(x=df["label"], y=df["answered"], name=_("Answered"), marker_color=STATUS_COLORS["answered"],
                legendgroup="calls", offsetgroup="calls", row=1, col=1)
    fig.add_bar(x=df["label"], y=df["missed"], name=_("Missed"), marker_color=STATUS_COLORS["no_answer"],
                marker_pattern_shape="/", legendgroup="calls", offsetgroup="calls", row=1, col=1)
    for i, ext in enumerate(members):
        fig.add_bar(x=df["label"], y=df[f"member:{ext}"], name=ext, marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                    marker_pattern_shape=BAR_PATTERNS[i % len(BAR_PATTERNS)], legendgroup="members",
                    offsetgroup=f"m{i}", row=1, col=2)
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text=_("Calls"))
    fig = _base_layout(fig, _("Ring group statistics"))
    fig.update_layout(barmode="relative", height=420, margin=dict(l=50, r=20, t=80, b=40))
    return fig


QUEUE_OUTCOME_SERIES = (("answered", N_("Answered")), ("abandoned", N_("Abandoned")),
                        ("short_abandons", N_("Short abandons")), ("timed_out", N_("Timed out")),
                        ("exit_key", N_("Exited by key")), ("no_agents", N_("No agents")),
                        ("waiting", N_("Still waiting")))


def fig_queue_outcomes(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Stacked bars per x label (a queue, or a period summed over the queues) by queue
    outcome. df: label, answered, abandoned, short_abandons, timed_out, exit_key, no_agents
    [, waiting: callers still waiting at the end of the data, drawn only when there are any]."""
    _ = translator(lang)
    series = [(k, lb) for k, lb in QUEUE_OUTCOME_SERIES
              if k in df and (k != "waiting" or df[k].sum() > 0)]
    sums = df.groupby("label", sort=False)[[k for k, _l in series]].sum().reset_index()
    fig = go.Figure()
    for i, (key, label) in enumerate(series):
        fig.add_bar(x=sums["label"], y=sums[key], name=_(label), marker_color=OKABE_ITO[i],
                    marker_pattern_shape="/" if key == "short_abandons" else "")
    fig.update_layout(barmode="stack", xaxis_title=x_title, yaxis_title=_("Calls"), xaxis_type="category")
    fig = _base_layout(fig, _("Queue calls by outcome"))
    fig.update_layout(legend_traceorder="normal")
    return fig


def fig_queue_rates(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Service level and abandon rate (in %) per x label, one line pair per queue.
    df: label, queue, service_level, abandon_rate (ratios or None)."""
    _ = translator(lang)
    fig = go.Figure()
    for i, (queue, part) in enumerate(df.groupby("queue", sort=True)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        pct = lambda s: [None if v is None or v != v else round(float(v) * 100, 1) for v in s]  # noqa: E731
        fig.add_scatter(x=part["label"], y=pct(part["service_level"]), name=f"{queue}: {_('Service level')}",
                        mode="lines+markers", line=dict(color=colour))
        fig.add_scatter(x=part["label"], y=pct(part["abandon_rate"]), name=f"{queue}: {_('Abandon rate')}",
                        mode="lines+markers", line=dict(color=colour, dash="dot"))
    fig.update_layout(xaxis_title=x_title, yaxis_title="%", xaxis_type="category", yaxis_range=[0, 100])
    return _base_layout(fig, _("Service level and abandon rate"))


def fig_queue_staffing(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Per hour of day and queue: agents needed (Erlang C, bars) beside the mean agents
    logged in (line with markers); understaffed hours carry a ⚠ marker on the line, so the
    reading does not depend on colour. df: label, queue, agents_needed, logged_in, staffing."""
    _ = translator(lang)
    fig = go.Figure()
    for i, (queue, part) in enumerate(df.groupby("queue", sort=True)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        fig.add_bar(x=part["label"], y=[None if v is None else int(v) for v in part["agents_needed"]],
                    name=f"{queue}: {_('Agents needed')}", marker_color=colour, opacity=0.55)
        fig.add_scatter(x=part["label"], y=[None if v is None else round(float(v), 2) for v in part["logged_in"]],
                        name=f"{queue}: {_('Agents logged in')}", mode="lines+markers+text",
                        text=["⚠" if w == "short" else "" for w in part["staffing"]], textposition="top center",
                        line=dict(color=colour, dash="dot"), marker=dict(symbol="diamond"))
    fig.update_layout(barmode="group", xaxis_title=x_title, yaxis_title=_("Agents"), xaxis_type="category")
    return _base_layout(fig, _("Agents needed and logged in"))


def fig_queue_wait_talk(df: pd.DataFrame, lang: str, x_title: str) -> go.Figure:
    """Average wait (answered), average wait (all) and average talk in seconds per period,
    per queue. df: label, queue, avg_wait_answered_s, avg_wait_all_s, avg_talk_s."""
    _ = translator(lang)
    fig = go.Figure()
    series = (("avg_wait_answered_s", N_("Average wait (answered)"), "solid"),
              ("avg_wait_all_s", N_("Average wait (all)"), "dash"), ("avg_talk_s", N_("Average talk time"), "dot"))
    for i, (queue, part) in enumerate(df.groupby("queue", sort=True)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        for key, label, dash in series:
            y = [None if v is None or v != v else round(float(v), 1) for v in part[key]]
            fig.add_scatter(x=part["label"], y=y, name=f"{queue}: {_(label)}", mode="lines+markers",
                            line=dict(color=colour, dash=dash))
    fig.update_layout(xaxis_title=x_title, yaxis_title=_("Seconds"), xaxis_type="category")
    return _base_layout(fig, _("Queue wait and talk times"))


def fig_queue_callbacks(df: pd.DataFrame, lang: str) -> go.Figure:
    """Per queue: callbacks requested, completed, failed (grouped bars); the average time
    to callback in the hover. df: label, requested, completed, failed, avg_ttc_s."""
    _ = translator(lang)
    fig = go.Figure()
    ttc = [f"{v / 60:.1f} min" if v is not None and not pd.isna(v) else "–" for v in df["avg_ttc_s"]]
    for i, (key, label) in enumerate((("requested", N_("Requested")), ("completed", N_("Completed")),
                                      ("failed", N_("Failed")))):
        fig.add_bar(x=df["label"], y=df[key], name=_(label), marker_color=OKABE_ITO[i],
                    customdata=ttc, hovertemplate="%{x}: %{y}<br>" + _("Average time to callback") + ": %{customdata}")
    fig.update_xaxes(type="category", title_text=_("Queue"))
    fig.update_yaxes(title_text=_("Callbacks"))
    fig = _base_layout(fig, _("Queue callbacks"))
    fig.update_layout(barmode="group")
    return fig


def fig_queue_satisfaction(df: pd.DataFrame, lang: str) -> go.Figure:
    """Average score per queue / agent (bars), participation in the hover. df: label,
    avg_score, participation."""
    _ = translator(lang)
    part = [f"{v * 100:.1f} %" if v is not None and not pd.isna(v) else "–" for v in df["participation"]]
    fig = go.Figure()
    fig.add_bar(x=df["label"], y=[None if v is None else float(v) for v in df["avg_score"]], name=_("Average score"),
                marker_color=OKABE_ITO[0], customdata=part,
                hovertemplate="%{x}: %{y:.2f}<br>" + _("Participation rate") + ": %{customdata}")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text=_("Average score"))
    return _base_layout(fig, _("Queue satisfaction survey"))


def fig_queue_agents(df: pd.DataFrame, lang: str) -> go.Figure:
    """Per agent: answered (solid) and ring-no-answer (hatched) queue calls, beside the
    occupancy. df: label, answered, ring_no_answer, occupancy."""
    from plotly.subplots import make_subplots

    _ = translator(lang)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_("Queue calls"), _("Occupancy")])
    fig.add_bar(x=df["label"], y=df["answered"], name=_("Answered"), marker_color=STATUS_COLORS["answered"],
                row=1, col=1)
    fig.add_bar(x=df["label"], y=df["ring_no_answer"], name=_("Ring no answer"),
                marker_color=STATUS_COLORS["no_answer"], marker_pattern_shape="/", row=1, col=1)
    occ = [None if v is None else float(v) * 100 for v in df["occupancy"]]
    fig.add_bar(x=df["label"], y=occ, name=_("Occupancy"), marker_color=OKABE_ITO[0], row=1, col=2)
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text=_("Calls"), row=1, col=1)
    fig.update_yaxes(title_text="%", row=1, col=2)
    fig = _base_layout(fig, _("Queue agents"))
    fig.update_layout(barmode="group", height=420, margin=dict(l=50, r=20, t=80, b=40))
    return fig


def fig_missed_unreturned(df: pd.DataFrame, lang: str) -> go.Figure:
    """Missed calls not returned, per caller (the table's rows). df: caller, missed."""
    _ = translator(lang)
    fig = go.Figure()
    fig.add_bar(x=df["caller"], y=df["missed"], name=_("Missed calls"), marker_color=STATUS_COLORS["no_answer"])
    fig.update_layout(xaxis_title=_("Caller"), yaxis_title=_("Missed calls"), xaxis_type="category")
    return _base_layout(fig, _("Missed calls not returned"))


def fig_today_vs_last_week(today: pd.DataFrame, last_week: pd.DataFrame, lang: str, weekday: str) -> go.Figure:
    """Calls per local hour: today (bars) against the same weekday a week ago (dashed line
    with markers). Frames: period (hour 0-23), calls."""
    _ = translator(lang)
    fig = go.Figure()
    fig.add_bar(x=list(today["period"]), y=list(today["calls"]), name=_("Today"), marker_color=OKABE_ITO[0])
    fig.add_scatter(x=list(last_week["period"]), y=list(last_week["calls"]), mode="lines+markers",
                    name=_("{weekday} last week", weekday=weekday), line=dict(color=OKABE_ITO[1], dash="dash"),
                    marker=dict(symbol="square"))
    fig.update_layout(xaxis=dict(title=_("Hour"), dtick=1, range=[-0.5, 23.5]), yaxis_title=_("Calls"))
    return _base_layout(fig, _("Calls per hour: today and the same weekday last week"))

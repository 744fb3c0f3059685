"""Pure figure builders ``fig_*(df, lang) -> go.Figure``, shared by pages and PDF exports.

Colours: the Okabe-Ito palette (safe for colour-blind readers); series also differ by
name and order, never by colour alone.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from callboard.i18n import translator

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

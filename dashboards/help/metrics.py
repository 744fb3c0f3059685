"""About the metrics (/help/metrics): every definition, from data.metrics, in the user's language."""

import dash
from dash import html

from callboard.i18n import translator
from data.metrics import DEFINITIONS

dash.register_page(__name__, path="/help/metrics")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    return html.Div(
        [
            html.H2(_("About the metrics")),
            html.P(_("Every report, export and wallboard uses these definitions.")),
            html.Dl([html.Dd(_(text), id=f"metric-{key}") for key, text in DEFINITIONS.items()]),
        ]
    )

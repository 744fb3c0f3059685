"""Unknown address."""

import dash
from dash import dcc, html

from callboard.core.i18n import translator

dash.register_page(__name__, path="/404")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    return html.Div([html.H2(_("Page not found")), dcc.Link(_("Back to the overview"), href="/")])

"""Wallboard /wallboard: full screen, dark, no navigation (placeholder until the live work item)."""

import dash
from dash import html

from callboard.i18n import translator

PATH = "/wallboard"
dash.register_page(__name__, path=PATH)


def layout(lang: str = "en", **query):
    # A wall display is configured by its URL, language included (?lang=cs).
    _ = translator(query.get("lang") or lang)
    return html.Div(
        [
            html.H1(_("Wallboard"), className="wallboard-title"),
            html.P(_("Live queue figures will appear here once live call events are connected."),
                   className="wallboard-note coming-soon"),
        ],
        className="wallboard",
    )

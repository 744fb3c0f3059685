"""Wallboard /wallboard: full screen, dark, no navigation (placeholder until the live work item)."""

from urllib.parse import parse_qs

import dash
from dash import html

from callboard.i18n import LANGUAGES, translator

PATH = "/wallboard"
dash.register_page(__name__, path=PATH)


def url_language() -> str | None:
    """The ``?lang=`` of the address being rendered, if any.

    Dash hands the layout the routing input ``lang`` (the persisted EN/CS switch) *over* a
    query parameter of the same name, so ``layout(lang=...)`` never sees ``?lang=cs``; read
    the query string the routing callback received instead.
    """
    try:
        search = dash.ctx.inputs.get("_pages_location.search") or ""
    except Exception:  # not inside a callback (the validation layout)
        return None
    value = (parse_qs(search.lstrip("?")).get("lang") or [None])[0]
    return value if value in LANGUAGES else None


def layout(lang: str = "en", **_query):
    # A wall display is configured by its URL, language included (?lang=cs); its browser
    # usually has no language chosen.
    _ = translator(url_language() or lang)
    return html.Div(
        [
            html.H1(_("Wallboard"), className="wallboard-title"),
            html.P(_("Live queue figures will appear here once live call events are connected."),
                   className="wallboard-note coming-soon"),
        ],
        className="wallboard",
    )

"""Shared bits of the screens that only some roles may use."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from callboard.i18n import translator


def forbidden(lang: str, title: str) -> html.Div:
    """What a page says to a user whose role may not use it (the guard normally refuses
    first; this is the page's own second check). title: the page's msgid."""
    _ = translator(lang)
    return html.Div([html.H2(_(title)), dbc.Alert(_("You may not open this page or do this."), color="danger",
                                                  id="access-forbidden")])

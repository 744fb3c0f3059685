"""Shared bits of the screens that only some roles may use."""

from __future__ import annotations

import functools
from typing import Callable

import dash_bootstrap_components as dbc
from dash import html

from callboard.core.i18n import translator


def forbidden(lang: str, title: str) -> html.Div:
    """What a page says to a user whose role may not use it (the guard normally refuses
    first; this is the page's own second check). title: the page's msgid."""
    _ = translator(lang)
    return html.Div([html.H2(_(title)), dbc.Alert(_("You may not open this page or do this."), color="danger",
                                                  id="access-forbidden")])


def refusal_for(path: str, lang: str) -> html.Div | None:
    """The "not allowed" content when the principal of this request (signed-in user or wall
    display; callboard.web.access) is below the page's level (data.access.policy), else None."""
    from callboard.web import access
    from data.access import policy
    from callboard.web.navigation import BY_PATH

    user = access.current_user()
    if policy.allows(policy.page_level(path), role=user.role if user else None, display=access.is_display()):
        return None
    section = BY_PATH.get(path)
    return forbidden(lang, section.title if section else "Callboard")


def checks_level(path: str) -> Callable[[Callable], Callable]:
    """Decorates a page's layout so that it checks the page's own level first: someone below
    it gets the "not allowed" content, never the page's data — even if a request reached the
    layout past the guard (issue 15: the router once rendered pages by the wrong input).

        @checks_level(PATH)
        def layout(lang: str = "en", **query): ...
    """
    def decorate(layout: Callable) -> Callable:
        @functools.wraps(layout)
        def checked_layout(lang: str = "en", **query):
            refused = refusal_for(path, lang)
            return refused if refused is not None else layout(lang=lang, **query)

        checked_layout.callboard_checks_level = True
        return checked_layout

    return decorate

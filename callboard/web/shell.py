"""The app shell: navigation, language switch, page container. Pages live in dashboards/."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from data.features import chats_enabled
from callboard.core.i18n import translator
from callboard.web.navigation import MENU_GROUPS, SECTIONS
from callboard.core.settings import get_settings

# Pages shown without navigation chrome (wall displays).
CHROMELESS_PREFIXES = ("/wallboard",)


def visible_sections(role: str | None = "admin"):
    """The sections of the menu: switched-on features the role may open (policy.page_level)."""
    from data.access import policy

    settings = get_settings()
    for section in SECTIONS:
        if section.path == "/recordings" and not settings.recordings_enabled:
            continue
        if section.path == "/chats" and not chats_enabled():
            continue
        if not policy.allows(policy.page_level(section.path), role=role):
            continue
        yield section


def user_menu(lang: str, user) -> dbc.DropdownMenu | None:
    """The signed-in user's menu: change password, sign out (a POST with the CSRF token)."""
    if user is None:
        return None
    from flask import request

    from data.access import sessions

    _ = translator(lang)
    token = sessions.csrf_token_for(request.cookies.get(sessions.COOKIE) or "")
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(_("Change password"), href=f"/account/password?lang={lang}", external_link=True,
                                 id="user-password"),
            dbc.DropdownMenuItem(divider=True),
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=token),
                    html.Button(_("Sign out"), type="submit", className="dropdown-item", id="user-logout"),
                ],
                method="POST", action="/logout",
            ),
        ],
        label=user.username, nav=True, in_navbar=True, align_end=True, id="user-menu",
    )


def navbar(lang: str, pathname: str | None, role: str | None = None) -> dbc.Navbar:
    """The menu of what the signed-in user's role may open (role: that role's menu instead,
    e.g. outside a request)."""
    from callboard.web import access

    _ = translator(lang)
    user = access.current_user()
    items: list = []
    groups: dict[str, list] = {g: [] for g in MENU_GROUPS}
    for section in visible_sections(role or (user.role if user else None)):
        if section.path == "/":
            continue
        if section.group:
            groups[section.group].append(
                dbc.DropdownMenuItem(_(section.title), href=section.path, active=pathname == section.path)
            )
        else:
            items.append(dbc.NavItem(dbc.NavLink(_(section.title), href=section.path, active=pathname == section.path)))
    menus = [
        dbc.DropdownMenu(children, label=_(group), nav=True, in_navbar=True, id=f"menu-{i}")
        for i, (group, children) in enumerate(groups.items())
        if children
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Callboard", href="/"),
                dbc.Nav(items[:2] + menus[:1] + items[2:] + menus[1:], navbar=True, className="me-auto"),
                dbc.Nav([user_menu(lang, user)], navbar=True, className="user-nav") if user else None,
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )


def lang_switch() -> html.Div:
    default = get_settings().default_language
    return html.Div(
        dcc.RadioItems(
            id="lang",
            options=[{"label": "EN", "value": "en"}, {"label": "CS", "value": "cs"}],
            value=default,
            inline=True,
            persistence=True,
            persistence_type="local",
            inputClassName="me-1",
            labelClassName="me-2",
        ),
        className="lang-switch",
        title="Language / Jazyk",
    )


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url"),
            html.Div(id="chrome", children=[html.Div(id="navbar-slot"), lang_switch()]),
            dbc.Container(dash.page_container, fluid=True, id="page-slot"),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("navbar-slot", "children"),
        Output("chrome", "style"),
        Input("lang", "value"),
        Input("url", "pathname"),
    )
    def _render_chrome(lang, pathname):
        hidden = any((pathname or "").startswith(p) for p in CHROMELESS_PREFIXES)
        return navbar(lang, pathname), ({"display": "none"} if hidden else {})

"""Page /admin/display-tokens (administrators): tokens that let a wall display show chosen
queues without a login. The address with the token is shown once, when it is created
(only its hash is kept); revoking stops the display on its next refresh."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callboard.web import access
from data.access import display_tokens
from data.access.options import queue_options
from callboard.core.formatting import fmt_local_datetime
from callboard.core.i18n import translator
from callboard.core.bad_input import expect
from callboard.web.input_checks import Id, Text, Texts, checked_inputs
from callboard.core.settings import get_settings

PATH = "/admin/display-tokens"
dash.register_page(__name__, path=PATH)


def wallboard_url(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/wallboard?token={token}"


def tokens_table(lang: str):
    _ = translator(lang)
    tokens = display_tokens.list_tokens()
    if not tokens:
        return dbc.Alert(_("No display tokens yet."), color="info", id="dtok-empty")
    rows = []
    for t in tokens:
        state = (_("revoked {when}", when=fmt_local_datetime(t.revoked_utc, lang)) if t.revoked_utc
                 else _("active"))
        action = None if t.revoked_utc else dbc.Button(
            _("Revoke"), id={"type": "dtok-revoke", "tid": t.id}, n_clicks=0, color="danger", outline=True, size="sm")
        rows.append(html.Tr([html.Td(t.name), html.Td(", ".join(t.queues)),
                             html.Td(fmt_local_datetime(t.created_utc, lang) if t.created_utc else "—"),
                             html.Td(fmt_local_datetime(t.last_used_utc, lang) if t.last_used_utc else "—"),
                             html.Td(state), html.Td(action)]))
    head = html.Thead(html.Tr([html.Th(_("Name")), html.Th(_("Queues")), html.Th(_("Created")),
                               html.Th(_("Last used")), html.Th(_("State")), html.Th("")]))
    return dbc.Table([head, html.Tbody(rows)], striped=True, size="sm", id="dtok-table")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    return html.Div([
        html.H2(_("Display tokens")),
        html.P(_("A display token lets a wall display show the chosen queues without signing in, read-only. "
                 "Put the address shown after creating it into the display's browser."), className="text-muted"),
        dbc.Row([
            dbc.Col(dbc.Input(id="dtok-name", placeholder=_("Name (e.g. where the display hangs)")), md=4),
            dbc.Col(dcc.Dropdown(id="dtok-queues", options=queue_options(), multi=True, placeholder=_("Queues")),
                    md=5),
            dbc.Col(dbc.Button(_("Create token"), id="dtok-create", n_clicks=0, color="primary"), md=3),
        ], className="mb-2 g-2"),
        dbc.Alert(id="dtok-result", is_open=False),
        html.Div(tokens_table(lang), id="dtok-list"),
    ])


@callback(
    Output("dtok-result", "children"), Output("dtok-result", "color"), Output("dtok-result", "is_open"),
    Output("dtok-list", "children"),
    Input("dtok-create", "n_clicks"), Input({"type": "dtok-revoke", "tid": ALL}, "n_clicks"),
    State("dtok-name", "value"), State("dtok-queues", "value"), State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _change(_create, _revokes, name: Text, queues: Texts, lang):
    if not access.is_admin():
        raise PreventUpdate
    _ = translator(lang)
    trig = ctx.triggered_id
    if trig is None or not (ctx.triggered and ctx.triggered[0]["value"]):
        return no_update, no_update, no_update, no_update  # buttons rendered, not clicked
    if isinstance(trig, dict):
        display_tokens.revoke(int(expect(trig.get("tid"), Id, "dtok-revoke tid")))
        return _("The token was revoked; its display stops at its next refresh."), "success", True, tokens_table(lang)
    user = access.current_user()
    try:
        token = display_tokens.create(name or "", queues or (), created_by=user.id if user else None)
    except display_tokens.TokenError as exc:
        return _(exc.msgid, **exc.params), "danger", True, no_update
    url = wallboard_url(token)
    message = [html.Div(_("Token created. Its address is shown only now — copy it:")),
               html.Code(url, id="dtok-url", className="user-select-all")]
    return message, "success", True, tokens_table(lang)

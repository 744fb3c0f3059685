"""Page /admin/users (administrators): users, their role, scope, lock and password.

Every change goes through data.access.users (the same functions as ``callboard users``)
and is written to the audit log. The callbacks check the role again: the request guard
already refuses non-administrators (policy prefix "admin-").
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callboard.web import access
from data.access import users
from data.access.options import group_options, queue_options
from data.access.passwords import WeakPassword
from callboard.core.formatting import fmt_local_datetime
from callboard.core.i18n import N_, translator
from callboard.web.input_checks import Text, Texts, checked_inputs

PATH = "/admin/users"
dash.register_page(__name__, path=PATH)

ROLE_LABELS = {"admin": N_("Administrator"), "manager": N_("Manager"), "viewer": N_("Viewer")}


def _require_admin() -> None:
    if not access.is_admin():
        raise PreventUpdate


def _scope_text(user: users.UserRecord, _) -> str:
    if user.role == "admin":
        return _("everything")
    parts = []
    for kind, label in (("extension_group", _("groups")), ("queue", _("queues")), ("extension", _("extensions"))):
        if user.scope.get(kind):
            parts.append(f"{label}: {', '.join(user.scope[kind])}")
    return "; ".join(parts) or _("nothing (no groups or queues assigned)")


def users_table(lang: str) -> dbc.Table:
    _ = translator(lang)
    rows = []
    for u in users.list_users():
        state = _("disabled") if u.disabled else (
            _("locked until {when}", when=fmt_local_datetime(u.locked_until_utc, lang))
            if u.locked_until_utc else _("active"))
        rows.append(html.Tr([html.Td(u.username), html.Td(_(ROLE_LABELS.get(u.role, u.role))),
                             html.Td(_scope_text(u, _)), html.Td(state)]))
    head = html.Thead(html.Tr([html.Th(_("User name")), html.Th(_("Role")), html.Th(_("Sees")), html.Th(_("State"))]))
    return dbc.Table([head, html.Tbody(rows)], striped=True, size="sm", id="admin-users-table")


def _role_options(_):
    return [{"label": _(label), "value": role} for role, label in ROLE_LABELS.items()]


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    names = [u.username for u in users.list_users()]
    return html.Div(
        [
            html.H2(_("Users")),
            html.P(_("Administrators see everything. Managers and viewers see the calls of the extension groups "
                     "and queues assigned to them — nothing when none are assigned. Viewers cannot change "
                     "anything."), className="text-muted"),
            html.Div(users_table(lang), id="admin-users-list"),
            dbc.Alert(id="admin-users-result", is_open=False, className="mt-2"),
            dbc.Row([
                dbc.Col([
                    html.H4(_("Add a user"), className="h5"),
                    dbc.Input(id="admin-new-name", placeholder=_("User name"), className="mb-2"),
                    dbc.Input(id="admin-new-password", type="password", placeholder=_("Password"),
                              autocomplete="new-password", className="mb-2"),
                    dbc.Select(id="admin-new-role", options=_role_options(_), value="viewer", className="mb-2"),
                    dbc.Button(_("Add user"), id="admin-add", n_clicks=0, color="primary"),
                ], md=4),
                dbc.Col([
                    html.H4(_("Change a user"), className="h5"),
                    dcc.Dropdown(id="admin-user", options=names, placeholder=_("User name"), className="mb-2"),
                    dbc.Select(id="admin-role", options=_role_options(_), className="mb-2"),
                    html.Label(_("Extension groups"), htmlFor="admin-groups"),
                    dcc.Dropdown(id="admin-groups", options=group_options(), multi=True, className="mb-2"),
                    html.Label(_("Queues"), htmlFor="admin-queues"),
                    dcc.Dropdown(id="admin-queues", options=queue_options(), multi=True, className="mb-2"),
                    html.Label(_("Extensions (comma separated)"), htmlFor="admin-extensions"),
                    dbc.Input(id="admin-extensions", className="mb-2"),
                    dbc.Checkbox(id="admin-disabled", label=_("Disabled (cannot sign in)"), value=False,
                                 className="mb-2"),
                    dbc.Button(_("Save"), id="admin-save", n_clicks=0, color="primary", className="me-2"),
                    dbc.Input(id="admin-reset-password", type="password", placeholder=_("New password"),
                              autocomplete="new-password", className="mt-3 mb-2"),
                    dbc.Button(_("Reset password"), id="admin-reset", n_clicks=0, color="secondary"),
                ], md=5),
            ], className="mt-3"),
        ]
    )


@callback(
    Output("admin-role", "value"), Output("admin-groups", "value"), Output("admin-queues", "value"),
    Output("admin-extensions", "value"), Output("admin-disabled", "value"),
    Input("admin-user", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _load_user(username: Text):
    _require_admin()
    user = users.get_user(username) if username else None
    if user is None:
        return None, [], [], "", False
    return (user.role, list(user.scope.get("extension_group", ())), list(user.scope.get("queue", ())),
            ", ".join(user.scope.get("extension", ())), user.disabled)


@callback(
    Output("admin-users-result", "children"), Output("admin-users-result", "color"),
    Output("admin-users-result", "is_open"), Output("admin-users-list", "children"),
    Output("admin-user", "options"), Output("admin-new-password", "value"),
    Output("admin-reset-password", "value"),
    Input("admin-add", "n_clicks"), Input("admin-save", "n_clicks"), Input("admin-reset", "n_clicks"),
    State("admin-new-name", "value"), State("admin-new-password", "value"), State("admin-new-role", "value"),
    State("admin-user", "value"), State("admin-role", "value"), State("admin-groups", "value"),
    State("admin-queues", "value"), State("admin-extensions", "value"), State("admin-disabled", "value"),
    State("admin-reset-password", "value"), State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _change(_add, _save, _reset, new_name: Text, new_password: Text, new_role: Text, username: Text, role: Text,
            groups: Texts, queues: Texts, extensions: Text, disabled: bool | None, reset_password: Text, lang):
    _require_admin()
    _ = translator(lang)
    actor = None  # the signed-in administrator of this request
    try:
        if ctx.triggered_id == "admin-add":
            users.add_user(new_name or "", new_password or "", new_role or "viewer", language=lang, actor=actor)
            message = _("The user {name} was added.", name=new_name)
        elif not username:
            return _("Choose a user first."), "warning", True, no_update, no_update, no_update, no_update
        elif ctx.triggered_id == "admin-save":
            me = access.current_user()
            if me and me.username == username and (role != "admin" or disabled):
                return (_("You cannot take away your own administrator role or disable yourself."), "warning", True,
                        no_update, no_update, no_update, no_update)
            current = users.get_user(username)
            if current and current.role != role:
                users.set_role(username, role, actor=actor)
            users.set_scope(username, groups=groups or (), queues=queues or (),
                            extensions=[e for e in (extensions or "").replace(";", ",").split(",")], actor=actor)
            if current and current.disabled != bool(disabled):
                users.set_disabled(username, bool(disabled), actor=actor)
            message = _("The user {name} was saved.", name=username)
        else:
            users.set_password(username, reset_password or "", actor=actor)
            message = _("The password of {name} was reset; their sessions were signed out.", name=username)
    except WeakPassword as exc:
        return _(exc.msgid, **exc.params), "danger", True, no_update, no_update, no_update, no_update
    except users.UserError as exc:
        return _(exc.msgid, **exc.params), "danger", True, no_update, no_update, no_update, no_update
    names = [u.username for u in users.list_users()]
    return message, "success", True, users_table(lang), names, "", ""

"""Page /admin/audit (administrators): the audit log, newest first, filtered by action,
user and local days (the PBX's time zone)."""

from __future__ import annotations

import json
from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from callboard import access
from callboard.auth import audit
from callboard.auth.ui import forbidden
from callboard.formatting import fmt_local_datetime, tz_label
from callboard.i18n import N_, translator
from callboard.settings import get_settings
from data import db

PATH = "/admin/audit"
dash.register_page(__name__, path=PATH)
LIMIT = 500


def _table(rows, lang: str):
    _ = translator(lang)
    if not rows:
        return dbc.Alert(_("No audit entries match these filters."), color="info", id="audit-empty")
    head = html.Thead(html.Tr([html.Th(_("Time ({zone})", zone=tz_label())), html.Th(_("User")),
                               html.Th(_("Action")), html.Th(_("Object")), html.Th(_("Details")),
                               html.Th(_("Address"))]))
    body = html.Tbody([
        html.Tr([html.Td(fmt_local_datetime(r.at_utc, lang)), html.Td(r.username or "—"), html.Td(r.action),
                 html.Td(":".join(x for x in (r.object_type, r.object_id) if x) or "—"),
                 html.Td(html.Code(json.dumps(r.details, ensure_ascii=False)) if r.details else "—"),
                 html.Td(r.ip or "—")])
        for r in rows
    ])
    return dbc.Table([head, body], striped=True, size="sm", responsive=True, id="audit-table")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    if not access.is_admin():
        return forbidden(lang, N_("Audit log"))
    return html.Div([
        html.H2(_("Audit log")),
        html.P(_("Sign-ins, deletions, downloads, schedule and user changes; the newest {n} matching entries.",
                 n=LIMIT), className="text-muted"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="audit-action", options=audit.actions(), placeholder=_("Action")), md=3),
            dbc.Col(dbc.Input(id="audit-user", placeholder=_("User name"), debounce=True), md=3),
            dbc.Col(dcc.DatePickerRange(id="audit-dates", display_format="YYYY-MM-DD",
                                        start_date_placeholder_text=_("From"), end_date_placeholder_text=_("To"),
                                        clearable=True), md=5),
        ], className="mb-3 g-2"),
        html.Div(id="audit-results"),
    ])


@callback(
    Output("audit-results", "children"),
    Input("audit-action", "value"), Input("audit-user", "value"), Input("audit-dates", "start_date"),
    Input("audit-dates", "end_date"), State("lang", "value"),
)
def _results(action, username, start, end, lang):
    if not access.is_admin():
        raise PreventUpdate
    stmt = audit.entries_query(action=action or None, username=(username or "").strip() or None,
                               day_from=date.fromisoformat(start[:10]) if start else None,
                               day_to=date.fromisoformat(end[:10]) if end else None,
                               tz=get_settings().tz, limit=LIMIT)
    return _table(db.fetch_all(stmt), lang)

"""Page /admin/audit (administrators): the audit log, newest first, filtered by action,
user and local days (the PBX's time zone)."""

from __future__ import annotations

import json
from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from callboard.web import access
from data.access import audit
from callboard.core.formatting import fmt_local_datetime, tz_label
from callboard.core.i18n import N_, translator
from callboard.web.input_checks import Day, Text, checked_inputs
from callboard.core.settings import get_settings
from data import db

PATH = "/admin/audit"
dash.register_page(__name__, path=PATH)
LIMIT = 500

# What each action code means, for people; an unknown code is shown as it is stored.
ACTION_LABELS = {
    "login": N_("Signed in"),
    "login_failed": N_("Sign-in refused"),
    "logout": N_("Signed out"),
    "password_change": N_("Password changed"),
    "password_change_failed": N_("Password change refused"),
    "password_reset": N_("Password reset by an administrator"),
    "user_add": N_("User added"),
    "user_change": N_("User changed"),
    "display_token_add": N_("Display token created"),
    "display_token_revoke": N_("Display token revoked"),
    "export_records": N_("Call records downloaded (CSV)"),
    "export_chats": N_("Chat sessions downloaded (CSV)"),
    "play_recording": N_("Recording played"),
    "download_recording": N_("Recording downloaded"),
    "download_file": N_("Generated file downloaded"),
    "export_report_calls": N_("Report's calls downloaded (CSV)"),
    "delete_recording": N_("Recording deleted"),
    "delete_call": N_("Call deleted"),
    "schedule_create": N_("Schedule created"),
    "schedule_edit": N_("Schedule changed"),
    "schedule_pause": N_("Schedule paused"),
    "schedule_resume": N_("Schedule resumed"),
    "schedule_delete": N_("Schedule deleted"),
    "schedule_run_now": N_("Schedule run now"),
    "email_template_edit": N_("Email template changed"),
    "privacy_erase": N_("Phone number erased"),
    "privacy_masking": N_("Number masking changed"),
    "retention_policy": N_("Retention periods changed"),
    "retention_run": N_("Retention run"),
    "number_class_change": N_("Number class set (sources)"),
    "number_class_apply": N_("Stored calls derived again (sources)"),
}


def action_label(action: str, _) -> str:
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _table(rows, lang: str):
    _ = translator(lang)
    if not rows:
        return dbc.Alert(_("No audit entries match these filters."), color="info", id="audit-empty")
    head = html.Thead(html.Tr([html.Th(_("Time ({zone})", zone=tz_label())), html.Th(_("User")),
                               html.Th(_("Action")), html.Th(_("Object")), html.Th(_("Details")),
                               html.Th(_("Address"))]))
    body = html.Tbody([
        html.Tr([html.Td(fmt_local_datetime(r.at_utc, lang)), html.Td(r.username or "—"),
                 html.Td(action_label(r.action, _), title=r.action),
                 html.Td(":".join(x for x in (r.object_type, r.object_id) if x) or "—"),
                 html.Td(html.Code(json.dumps(r.details, ensure_ascii=False)) if r.details else "—"),
                 html.Td(r.ip or "—")])
        for r in rows
    ])
    return dbc.Table([head, body], striped=True, size="sm", responsive=True, id="audit-table")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    return html.Div([
        html.H2(_("Audit log")),
        html.P(_("Sign-ins, deletions, downloads, schedule and user changes; the newest {n} matching entries.",
                 n=LIMIT), className="text-muted"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="audit-action", placeholder=_("Action"),
                                 options=[{"label": action_label(a, _), "value": a} for a in audit.actions()]), md=3),
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
@checked_inputs
def _results(action: Text, username: Text, start: Day, end: Day, lang):
    if not access.is_admin():
        raise PreventUpdate
    stmt = audit.entries_query(action=action or None, username=(username or "").strip() or None,
                               day_from=date.fromisoformat(start[:10]) if start else None,
                               day_to=date.fromisoformat(end[:10]) if end else None,
                               tz=get_settings().tz, limit=LIMIT)
    return _table(db.fetch_all(stmt), lang)

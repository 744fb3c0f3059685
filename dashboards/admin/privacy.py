"""Page /admin/privacy (administrators): find everything stored about one phone number,
erase it after a confirmation (one transaction, audited with a salted hash only), and
choose which roles see external numbers masked."""

from __future__ import annotations

from typing import Annotated, Literal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import AfterValidator

from callboard.web import access
from callboard.core.formatting import fmt_local_datetime, fmt_number
from callboard.core.i18n import N_, translator
from callboard.web.input_checks import Text, checked_inputs
from dashboards.admin.retention import actor
from data import privacy
from data.queries.calls import DIRECTION_LABELS, STATUS_LABELS

PATH = "/admin/privacy"
dash.register_page(__name__, path=PATH)
SHOWN_CALLS = 200
HIDDEN = {"display": "none"}

COUNT_LABELS = {
    "calls": N_("Calls (as caller, callee or a dialled leg)"), "recordings": N_("Recordings (files and rows)"),
    "queue_calls": N_("Queue paths"), "callbacks": N_("Callbacks"), "surveys": N_("Survey answers"),
    "ivr_choices": N_("IVR choices"), "chat_sessions": N_("Chat sessions (with their messages)"),
    "chat_messages": N_("Mentions in other chat messages (redacted)"), "live_queue": N_("Callers waiting now"),
    "audit_entries": N_("Mentions in the audit log (redacted)"), "files": N_("Generated files that contain it"),
}
ROLE_LABELS = {"admin": N_("Administrator"), "manager": N_("Manager"), "viewer": N_("Viewer")}


def _findings(f: privacy.Findings, lang: str):
    _ = translator(lang)
    if f.empty:
        return dbc.Alert(_("Nothing is stored about {number}.", number=f.number), color="info", id="priv-nothing")
    counts = f.counts()
    summary = dbc.Table(html.Tbody([html.Tr([html.Td(_(COUNT_LABELS[k])), html.Td(fmt_number(n, lang))])
                                    for k, n in counts.items() if n]), size="sm", id="priv-counts")
    calls = []
    # An administrator whose role is masked sees the other parties masked here too.
    show = privacy.mask_number if access.current_scope().mask_external else (lambda v: v)
    if f.calls:
        head = html.Thead(html.Tr([html.Th(_("Start")), html.Th(_("Communication type")), html.Th(_("From")),
                                   html.Th(_("To")), html.Th(_("Status"))]))
        body = html.Tbody([html.Tr([html.Td(fmt_local_datetime(c["start_utc"], lang)),
                                    html.Td(_(DIRECTION_LABELS.get(c["direction"], c["direction"]))),
                                    html.Td(show(c["from_number"])), html.Td(show(c["to_number"])),
                                    html.Td(_(STATUS_LABELS.get(c["status"], c["status"])))])
                           for c in f.calls[:SHOWN_CALLS]])
        calls = [html.H5(_("Calls")), dbc.Table([head, body], size="sm", striped=True, id="priv-calls")]
        if len(f.calls) > SHOWN_CALLS:
            calls.append(html.P(_("The first {n} calls are shown.", n=SHOWN_CALLS), className="text-muted"))
    files = [html.H5(_("Generated files")), html.Ul([html.Li(html.Code(p)) for p in f.files])] if f.files else []
    return html.Div([
        html.H4(_("Stored about {number}", number=f.number)), summary, *calls, *files,
    ])


MaskableRoles = list[Literal[privacy.MASKABLE_ROLES]] | None  # the priv-mask-roles checklist


def _is_e164(text: str) -> str:
    if privacy.normalise(text) != text:  # InvalidNumber (a ValueError) for no number at all
        raise ValueError("not a number in E.164 form")
    return text


E164 = Annotated[str, AfterValidator(_is_e164)] | None  # the priv-e164 store: the number found


def _masking(lang: str):
    _ = translator(lang)
    return html.Div([
        html.H3(_("Masked numbers"), className="mt-5"),
        html.P(_("Users of the checked roles see external numbers masked (e.g. +420777••••56) in every page, "
                 "export, email and PDF; internal extensions stay visible."), className="text-muted"),
        dbc.Checklist(id="priv-mask-roles", options=[{"label": _(ROLE_LABELS[r]), "value": r}
                                                     for r in privacy.MASKABLE_ROLES],
                      value=sorted(privacy.masked_roles()), inline=True),
        dbc.Button(_("Save"), id="priv-mask-save", color="primary", size="sm", className="mt-2"),
        html.Div(id="priv-mask-message", className="mt-2"),
    ])


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    return html.Div([
        html.H2(_("Erasure by phone number")),
        html.P(_("Find everything stored about one phone number — calls, recordings, chats, queue paths, "
                 "callbacks, surveys, generated files — and erase it (an erasure request). Any spelling works: "
                 "+420 777 123 456, 00420777123456 or 777123456."), className="text-muted"),
        dbc.InputGroup([dbc.Input(id="priv-number", placeholder=_("Phone number"), type="text"),
                        dbc.Button(_("Find"), id="priv-find", color="primary")], className="mb-3",
                       style={"maxWidth": "32rem"}),
        dcc.Store(id="priv-e164"),
        html.Div(id="priv-result"),
        dbc.Button(_("Erase everything about this number"), id="priv-erase", color="danger",
                   style={"display": "none"}),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(_("Erase this number?"))),
            dbc.ModalBody(id="priv-confirm-body"),
            dbc.ModalFooter([dbc.Button(_("Cancel"), id="priv-cancel", color="secondary"),
                             dbc.Button(_("Erase"), id="priv-confirm", color="danger")]),
        ], id="priv-modal", is_open=False),
        _masking(lang),
    ])


@callback(
    Output("priv-result", "children"),
    Output("priv-e164", "data"),
    Output("priv-modal", "is_open"),
    Output("priv-confirm-body", "children"),
    Output("priv-erase", "style"),
    Input("priv-find", "n_clicks"), Input("priv-number", "n_submit"),
    Input("priv-erase", "n_clicks"), Input("priv-cancel", "n_clicks"), Input("priv-confirm", "n_clicks"),
    State("priv-number", "value"), State("priv-e164", "data"), State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _act(_find, _submit, erase_clicks, _cancel, _confirm, number: Text, e164: E164, lang):
    if not access.is_admin():
        raise PreventUpdate
    _ = translator(lang)
    no = dash.no_update
    trigger = ctx.triggered_id
    if trigger in ("priv-find", "priv-number"):
        try:
            found = privacy.find(number or "")
        except privacy.InvalidNumber as exc:
            return dbc.Alert(_(exc.msgid, **exc.params), color="danger", id="priv-error"), None, False, no, HIDDEN
        return _findings(found, lang), found.number, False, no, (HIDDEN if found.empty else {})
    if trigger == "priv-erase":
        if not erase_clicks or not e164:
            raise PreventUpdate
        found = privacy.find(e164)
        what = ", ".join(f"{_(COUNT_LABELS[k])}: {fmt_number(n, lang)}" for k, n in found.counts().items() if n)
        return no, no, True, html.Div([html.P(_("Everything stored about {number} is removed for good:",
                                                number=e164)), html.P(what),
                                       html.P(_("The audit log keeps only a salted hash of the number."))]), no
    if trigger == "priv-cancel":
        return no, no, False, no, no
    if trigger == "priv-confirm" and e164:
        result = privacy.erase(e164, actor=actor())
        done = ", ".join(f"{_(COUNT_LABELS[k])}: {fmt_number(n, lang)}" for k, n in result.counts.items() if n)
        return (dbc.Alert([html.P(_("Erased.")), html.P(done)], color="success", id="priv-erased"), None, False, no,
                HIDDEN)
    raise PreventUpdate


@callback(
    Output("priv-mask-message", "children"),
    Input("priv-mask-save", "n_clicks"),
    State("priv-mask-roles", "value"), State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _save_masking(_n, roles: MaskableRoles, lang):
    if not access.is_admin():
        raise PreventUpdate
    privacy.set_masked_roles(roles or [], actor=actor())
    return dbc.Alert(translator(lang)("Saved."), color="success", duration=4000, id="priv-mask-saved")

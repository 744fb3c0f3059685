"""Page /email-template: the administrator edits the subject and body of the report emails
(per kind and language) with placeholders, previews them and saves them.

Templates are rendered in a Jinja2 sandbox (scheduler.templates): a template that does
not parse, names an unknown placeholder, tries to reach Python objects or goes over the
render limits (text length, steps) is refused with the reason under its field, and nothing
is saved. Ids start with ``et-``.
"""

from typing import Annotated, Literal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from pydantic import StringConstraints

from callboard.web import access
from callboard.core.formatting import fmt_number
from callboard.core.i18n import LANGUAGES, N_, translator
from callboard.core.bad_input import BadInput, NoNul
from callboard.web.input_checks import Text, checked_inputs
from scheduler import templates

PATH = "/email-template"
dash.register_page(__name__, path=PATH)

KINDS = {"report": N_("Scheduled reports"), "cdr": N_("Call-record exports")}
# What the form's controls send (the dropdowns' choices; the subject as long as its column).
TemplateKind = Literal[tuple(KINDS)] | None
TemplateLanguage = Literal[LANGUAGES] | None
Subject = Annotated[str, StringConstraints(max_length=500), NoNul] | None


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    subject, body = templates.stored("report", lang)
    placeholders = [html.Li([html.Code("{{ " + k + " }}"), " — ", html.Span(str(v), className="text-muted")])
                    for k, v in templates.PLACEHOLDERS.items()]
    return html.Div([
        html.H1(_("Email template"), className="h3"),
        html.P(_("Subject and body of the emails with scheduled files. The placeholders listed on the right "
                 "are replaced for each email; the default template shows how to add text only when a file "
                 "was capped."),
               className="text-muted small"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Emails of"), html_for="et-kind", className="small mb-1"),
                     dcc.Dropdown(id="et-kind", value="report", clearable=False,
                                  options=[{"label": _(v), "value": k} for k, v in KINDS.items()])], md=3),
            dbc.Col([dbc.Label(_("Language"), html_for="et-lang", className="small mb-1"),
                     dcc.Dropdown(id="et-lang", value=lang, clearable=False,
                                  options=[{"label": "English", "value": "en"}, {"label": "Čeština", "value": "cs"}])],
                    md=2),
        ], className="mb-2"),
        dbc.Row([
            dbc.Col([
                dbc.Label(_("Subject"), html_for="et-subject", className="small mb-1"),
                dbc.Input(id="et-subject", value=subject, maxLength=500),
                html.Div(id="et-err-subject", className="invalid-feedback d-block", role="alert"),
                dbc.Label(_("Body"), html_for="et-body", className="small mb-1 mt-2"),
                dbc.Textarea(id="et-body", value=body, rows=14, style={"fontFamily": "monospace"}),
                html.Div(id="et-err-body", className="invalid-feedback d-block", role="alert"),
                html.Div([dbc.Button(_("Preview"), id="et-preview-btn", color="secondary", className="me-2"),
                          dbc.Button(_("Save"), id="et-save", color="primary", className="me-2"),
                          dbc.Button(_("Restore the default"), id="et-default", color="secondary", outline=True)],
                         className="mt-2"),
                html.Div(id="et-message", className="mt-2"),
            ], md=7),
            dbc.Col([html.H2(_("Placeholders"), className="h6"), html.Ul(placeholders, className="small")], md=5),
        ]),
        html.H2(_("Preview"), className="h5 mt-3"),
        html.Div(id="et-preview", className="border rounded p-2 bg-light"),
    ])


def _preview(subject, body, _):
    try:
        templates.check(subject or "", body or "")
        mail = templates.render(subject, body, templates.PLACEHOLDERS)
    except templates.TemplateInvalid as exc:
        return exc, None
    return None, html.Div([html.Div([html.B(_("Subject") + ": "), mail.subject]),
                           html.Pre(mail.text, className="mb-0 mt-2", style={"whiteSpace": "pre-wrap"})])


def _errors(exc, lang):
    _ = translator(lang)
    # The render limits come with a translatable reason (numbers per locale); Jinja's own
    # errors are English.
    if exc.msgid:
        why = _(exc.msgid, **{k: fmt_number(v, lang) if isinstance(v, int) else v for k, v in exc.params.items()})
    else:
        why = exc.reason
    reason = _("The template is refused: {reason}", reason=why)
    return (reason, "") if exc.field == "subject" else ("", reason)


@callback(
    Output("et-subject", "value"),
    Output("et-body", "value"),
    Input("et-kind", "value"),
    Input("et-lang", "value"),
    Input("et-default", "n_clicks"),
    prevent_initial_call=True,
)
@checked_inputs
def _load(kind: TemplateKind, lang: TemplateLanguage, _n):
    if dash.ctx.triggered_id == "et-default":
        return templates.DEFAULTS.get(lang, templates.DEFAULTS["en"])
    return templates.stored(kind, lang)


@callback(
    Output("et-err-subject", "children"),
    Output("et-err-body", "children"),
    Output("et-preview", "children"),
    Output("et-message", "children"),
    Input("et-preview-btn", "n_clicks"),
    Input("et-save", "n_clicks"),
    State("et-kind", "value"),
    State("et-lang", "value"),
    State("et-subject", "value"),
    State("et-body", "value"),
    State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _preview_or_save(_p, _s, kind: TemplateKind, tlang: TemplateLanguage, subject: Subject, body: Text, lang):
    _ = translator(lang)
    exc, preview = _preview(subject, body, _)
    if exc is not None:
        e_subject, e_body = _errors(exc, lang)
        return e_subject, e_body, no_update, dbc.Alert(_("Not saved."), color="danger", className="py-2") \
            if dash.ctx.triggered_id == "et-save" else ""
    if dash.ctx.triggered_id != "et-save":
        return "", "", preview, ""
    user = access.current_user()
    if user is not None and not user.is_admin:  # the page is the administrator's; so is saving
        return "", "", preview, dbc.Alert(_("Not saved."), color="danger", className="py-2")
    if kind is None or tlang is None:  # the dropdowns are never cleared: a hand-made request
        raise BadInput("et-kind, et-lang: a template is saved for a kind and a language")
    templates.save(kind, tlang, subject, body, user_id=user.id if user else None)
    try:
        from data.access import audit

        audit.record("email_template_edit", f"email_template:{kind}:{tlang}", {"subject": subject[:200]})
    except ImportError:
        pass
    return "", "", preview, dbc.Alert(_("Template saved."), color="success", className="py-2", duration=6000)

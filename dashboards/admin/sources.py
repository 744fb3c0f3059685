"""Page /admin/sources (administrators): what Callboard learned about each PBX (source) from
its call records — its trunks, its phones, and what its numbers and dialplan contexts are
(queue, ring group, IVR, conference room, voicemail, feature code, extension) — to confirm,
rename or reclassify (issue 14, rules 4 and 5).

A change is the user's word (number_class origin 'user'): every later import honours it and
never relearns it. Calls already imported are derived again from their stored legs by the
"Apply to the stored calls" button (the calls the changed names appear in, one transaction)
or, for a whole source, by ``callboard db rebuild-calls --source NAME``. Every change is
written to the audit log.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import sqlalchemy as sa
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callboard.web import access
from data.access import audit
from callboard.core.formatting import fmt_local_datetime, fmt_number
from callboard.core.i18n import N_, translator
from callboard.core.bad_input import expect
from callboard.web.input_checks import Id, Text, Texts, checked_inputs
from data import db
from data import schema as s
from data.importers import rules as number_rules

PATH = "/admin/sources"
dash.register_page(__name__, path=PATH)

CLASS_LABELS = {
    "extension": N_("Extension (phone)"), "trunk": N_("Trunk"), "queue": N_("Queue"),
    "ring_group": N_("Ring group"), "ivr": N_("IVR"), "conference": N_("Conference room"),
    "voicemail": N_("Voicemail"), "feature": N_("Feature code"),
}
SECTIONS = (  # (title, which rows)
    (N_("Trunks"), lambda r: r.namespace == number_rules.PEER and r.kind == "trunk"),
    (N_("Phones (channel endpoints)"), lambda r: r.namespace == number_rules.PEER and r.kind != "trunk"),
    (N_("Numbers"), lambda r: r.namespace == number_rules.NUMBER),
    (N_("IVR contexts"), lambda r: r.namespace == number_rules.CONTEXT),
)
CHOICES = {number_rules.PEER: number_rules.PEER_CLASSES, number_rules.NUMBER: number_rules.NUMBER_CLASSES,
           number_rules.CONTEXT: ("ivr",)}


def _sources() -> list:
    return db.fetch_all(sa.select(s.source.c.id, s.source.c.name).order_by(s.source.c.id))


def _key(row) -> str:
    return f"{row.namespace}|{row.name}"


def classes_view(source_id: int | None, lang: str):
    _ = translator(lang)
    if source_id is None:
        return dbc.Alert(_("No calls imported yet: the classes appear with the first CDR import."), color="info",
                         id="admin-src-empty")
    with db.get_engine().connect() as conn:
        rows = number_rules.list_classes(conn, source_id)
    if not rows:
        return dbc.Alert(_("Nothing learned for this source yet."), color="info", id="admin-src-empty")
    parts = []
    head = html.Thead(html.Tr([html.Th(_("Name in the CDR")), html.Th(_("Class")), html.Th(_("Shown as")),
                               html.Th(_("Seen (legs)")), html.Th(_("Last seen")), html.Th(_("Set by")),
                               html.Th("")]))
    for title, which in SECTIONS:
        mine = [r for r in rows if which(r)]
        if not mine:
            continue
        body = []
        for r in mine:
            key = _key(r)
            options = [{"label": _(CLASS_LABELS[c]), "value": c} for c in CHOICES[r.namespace]]
            body.append(html.Tr([
                html.Td(html.Code(r.name)),
                html.Td(dbc.Select(id={"type": "admin-src-kind", "key": key}, options=options, value=r.kind,
                                   size="sm", style={"minWidth": "11rem"})),
                html.Td(dbc.Input(id={"type": "admin-src-label", "key": key}, value=r.label or "", size="sm",
                                  placeholder=r.name, maxLength=100, style={"minWidth": "9rem"})
                        if r.namespace == number_rules.PEER else "—"),
                html.Td(fmt_number(int(r.seen or 0), lang), className="text-end"),
                html.Td(fmt_local_datetime(r.last_seen_utc, lang) if r.last_seen_utc else "—"),
                html.Td(dbc.Badge(_("you") if r.origin == "user" else _("learned"),
                                  color="success" if r.origin == "user" else "secondary")),
                html.Td(dbc.Button(_("Confirm") if r.origin != "user" else _("Save"),
                                   id={"type": "admin-src-save", "key": key}, n_clicks=0, size="sm",
                                   color="primary", outline=True)),
            ]))
        parts.append(html.H4(_(title), className="h5 mt-3"))
        parts.append(dbc.Table([head, html.Tbody(body)], striped=True, size="sm", responsive=True,
                               className="align-middle"))
    return html.Div(parts, id="admin-src-classes")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    sources = _sources()
    options = [{"label": r.name, "value": str(r.id)} for r in sources]
    first = options[0]["value"] if options else None
    return html.Div([
        html.H2(_("Sources")),
        html.P(_("What Callboard learned from each PBX's call records: its trunks and phones, and what its "
                 "numbers are. Only extensions appear in the extension reports, only queues in the queue "
                 "reports. Confirm what is right, rename a trunk, or choose the right class: your word is "
                 "kept and every later import follows it."), className="text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Source"), html_for="admin-src-source"),
                     dbc.Select(id="admin-src-source", options=options, value=first)], md=4),
        ], className="mb-2"),
        dbc.Alert(id="admin-src-result", is_open=False),
        html.Div(classes_view(int(first) if first else None, lang), id="admin-src-list"),
        dcc.Store(id="admin-src-pending", data=[]),
        html.Div([
            dbc.Button(_("Apply to the stored calls"), id="admin-src-apply", n_clicks=0, color="warning",
                       className="me-2"),
            html.Span(_("Calls already imported keep their old classes until then. The button derives the calls "
                        "the changed names appear in again from their call legs; for a whole source run "
                        "callboard db rebuild-calls --source NAME."), className="text-muted small"),
        ], className="mt-3"),
    ])


@callback(Output("admin-src-list", "children", allow_duplicate=True), Input("admin-src-source", "value"),
          State("lang", "value"), prevent_initial_call=True)
@checked_inputs
def _show(source: Id | None, lang):
    if not access.is_admin():
        raise PreventUpdate
    return classes_view(int(source) if source else None, lang)


def _source_name(source_id: int) -> str:
    return next((r.name for r in _sources() if r.id == source_id), str(source_id))


@callback(
    Output("admin-src-result", "children"), Output("admin-src-result", "color"),
    Output("admin-src-result", "is_open"), Output("admin-src-list", "children"),
    Output("admin-src-pending", "data"),
    Input({"type": "admin-src-save", "key": ALL}, "n_clicks"),
    State({"type": "admin-src-kind", "key": ALL}, "value"), State({"type": "admin-src-label", "key": ALL}, "value"),
    State("admin-src-source", "value"), State("admin-src-pending", "data"), State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _save(_clicks, kinds: list[Text] | None, labels: list[Text] | None, source: Id | None, pending: Texts, lang):
    if not access.is_admin():
        raise PreventUpdate
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not (ctx.triggered and ctx.triggered[0]["value"]) or not source:
        return no_update, no_update, no_update, no_update, no_update  # rendered, not clicked
    _ = translator(lang)
    key = expect(trig["key"], str, "admin-src-save key")  # a button's "namespace|name"
    kind_by = {i["id"]["key"]: v for i, v in zip(ctx.states_list[0], kinds)}
    label_by = {i["id"]["key"]: v for i, v in zip(ctx.states_list[1], labels)}
    namespace, _sep, name = key.partition("|")
    source_id = int(source)
    label = label_by.get(key) if namespace == number_rules.PEER else None
    try:
        with db.transaction() as conn:
            before = number_rules.set_class(conn, source_id, namespace, name, kind=kind_by.get(key), label=label)
            audit.record("number_class_change", f"source:{source_id}",
                         {"source": _source_name(source_id), "namespace": namespace, "name": name,
                          "class": kind_by.get(key), "label": label or None,
                          "before": before.cls if before else None}, conn=conn)
    except ValueError as exc:
        return str(exc), "danger", True, no_update, no_update
    pending = sorted(set(pending or []) | {name} | ({before.label} if before and before.label else set()))
    text = _("Saved: {name} is now {cls}. New imports follow it; press “Apply to the stored calls” to "
             "update the calls already imported.", name=name, cls=_(CLASS_LABELS[kind_by.get(key) or before.cls]))
    return text, "success", True, classes_view(source_id, lang), pending


@callback(
    Output("admin-src-result", "children", allow_duplicate=True),
    Output("admin-src-result", "color", allow_duplicate=True),
    Output("admin-src-result", "is_open", allow_duplicate=True),
    Output("admin-src-pending", "data", allow_duplicate=True),
    Input("admin-src-apply", "n_clicks"), State("admin-src-source", "value"), State("admin-src-pending", "data"),
    State("lang", "value"), prevent_initial_call=True,
)
@checked_inputs
def _apply(n_clicks, source: Id | None, pending: Texts, lang):
    if not access.is_admin() or not n_clicks:
        raise PreventUpdate
    _ = translator(lang)
    if not source or not pending:
        return _("Nothing changed since the last apply."), "info", True, no_update
    from data.importers.asterisk.rederive import rederive_for

    source_id = int(source)
    n = rederive_for(db.get_engine(), source_id, list(pending))
    audit.record("number_class_apply", f"source:{source_id}",
                 {"source": _source_name(source_id), "names": list(pending), "calls": n})
    return _("{n} stored calls derived again.", n=fmt_number(n, lang)), "success", True, []

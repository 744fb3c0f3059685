"""Page /admin/retention (administrators): how long each kind of data is kept, a preview
(dry run) of what the daily job would remove now, running it, and its last summary."""

from __future__ import annotations

import threading
from datetime import datetime

import dash
import dash_bootstrap_components as dbc
import sqlalchemy as sa
from dash import ALL, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from callboard.web import access
from callboard.core.formatting import fmt_local_datetime, fmt_number
from callboard.core.i18n import N_, translator
from data import db, retention
from data import schema as s

PATH = "/admin/retention"
dash.register_page(__name__, path=PATH)

UNIT_LABELS = {"days": N_("days"), "months": N_("months"), "forever": N_("forever")}
RELATED_LABELS = {
    "call_legs": N_("call legs"), "queue_calls": N_("queue paths"), "ivr_choices": N_("IVR choices"),
    "survey_answers": N_("survey answers"), "recordings": N_("recordings"), "callbacks": N_("callbacks"),
    "chat_messages": N_("chat messages"), "chat_events": N_("chat events"),
}


def actor() -> dict:
    """The signed-in administrator, for audit entries written by admin pages."""
    from flask import has_request_context, request

    user = access.current_user()
    return {"user_id": getattr(user, "id", None), "username": getattr(user, "username", None),
            "ip": request.remote_addr if has_request_context() else None}


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def _policy_rows(lang: str):
    _ = translator(lang)
    policy = retention.load_policy()
    units = [{"label": _(UNIT_LABELS[u]), "value": u} for u in ("days", "months", "forever")]
    rows = []
    for kind in retention.KINDS:
        keep = policy[kind]
        rows.append(html.Tr([
            html.Td(_(retention.KIND_LABELS[kind])),
            html.Td(dbc.Input(id={"type": "ret-amount", "kind": kind}, type="number", min=1, step=1,
                              value=keep.amount, disabled=False, size="sm", style={"maxWidth": "7rem"})),
            html.Td(dbc.Select(id={"type": "ret-unit", "kind": kind}, options=units, size="sm",
                               value="forever" if keep.forever else keep.unit, style={"maxWidth": "9rem"})),
        ]))
    head = html.Thead(html.Tr([html.Th(_("Data")), html.Th(_("Keep")), html.Th(_("Unit"))]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", id="ret-policy", className="align-middle")


def _report_table(report: dict, lang: str):
    _ = translator(lang)
    head = html.Thead(html.Tr([html.Th(_("Data")), html.Th(_("Older than")), html.Th(_("Rows")),
                               html.Th(_("Files")), html.Th(_("Space freed")), html.Th(_("Also removed"))]))
    body = []
    for kind, k in report["kinds"].items():
        cutoff = (fmt_local_datetime(datetime.fromisoformat(k["cutoff_utc"]), lang) if k.get("cutoff_utc")
                  else _("kept forever"))
        related = ", ".join(f"{fmt_number(n, lang)} {_(RELATED_LABELS.get(name, name))}"
                            for name, n in (k.get("related_rows") or {}).items() if n)
        body.append(html.Tr([html.Td(_(retention.KIND_LABELS[kind])), html.Td(cutoff),
                             html.Td(fmt_number(k["rows"], lang)), html.Td(fmt_number(k["files"], lang)),
                             html.Td(_size(k["bytes_freed"])), html.Td(related or "—")]))
    failed = [f for k in report["kinds"].values() for f in k.get("files_failed") or []]
    parts = [dbc.Table([head, html.Tbody(body)], size="sm", striped=True)]
    if failed:
        parts.append(dbc.Alert([html.P(_("These files could not be removed; their records are kept until they "
                                         "can be:"))] + [html.Div(f"{f['path']} ({f['error']})") for f in failed],
                               color="warning"))
    return html.Div(parts)


def _last_run(lang: str):
    _ = translator(lang)
    a = s.audit_log
    row = db.fetch_all(sa.select(a.c.at_utc, a.c.username, a.c.details).where(a.c.action == "retention_run")
                       .order_by(a.c.at_utc.desc(), a.c.id.desc()).limit(1))
    if not row:
        return html.P(_("The retention job has not run yet."), className="text-muted", id="ret-last")
    r = row[0]
    return html.Div([html.P(_("Last run: {time} by {user}", time=fmt_local_datetime(r.at_utc, lang),
                              user=r.username or "—")),
                     _report_table(r.details, lang)], id="ret-last")


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    return html.Div([
        html.H2(_("Data retention")),
        html.P(_("How long each kind of data is kept. Every night the retention job removes what is older "
                 "(whole days in the PBX's time zone), in small batches, and writes a summary to the audit log."),
               className="text-muted"),
        dbc.Alert(_("Reports follow the call records: the totals behind the reports are recomputed from the calls "
                    "that remain, so a period whose call records were removed shows no calls in the reports."),
                  color="info", id="ret-aggregates-note"),
        _policy_rows(lang),
        html.Div([
            dbc.Button(_("Save"), id="ret-save", color="primary", className="me-2"),
            dbc.Button(_("Preview what would be removed now"), id="ret-preview", color="secondary",
                       className="me-2"),
            dbc.Button(_("Run now"), id="ret-run", color="danger", outline=True),
        ], className="mb-3"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(_("Run the retention job now?"))),
            dbc.ModalBody(_("Everything older than its period is removed for good: records, recordings and "
                            "files.")),
            dbc.ModalFooter([dbc.Button(_("Cancel"), id="ret-run-cancel", color="secondary"),
                             dbc.Button(_("Remove"), id="ret-run-confirm", color="danger")]),
        ], id="ret-run-modal", is_open=False),
        html.Div(id="ret-message"),
        html.H4(_("Last run"), className="mt-4"),
        html.Div(_last_run(lang), id="ret-last-box"),
    ])


@callback(
    Output("ret-message", "children"),
    Output("ret-last-box", "children"),
    Output("ret-run-modal", "is_open"),
    Input("ret-save", "n_clicks"), Input("ret-preview", "n_clicks"), Input("ret-run", "n_clicks"),
    Input("ret-run-cancel", "n_clicks"), Input("ret-run-confirm", "n_clicks"),
    State({"type": "ret-amount", "kind": ALL}, "value"), State({"type": "ret-unit", "kind": ALL}, "value"),
    State("lang", "value"),
    prevent_initial_call=True,
)
def _act(_save, _preview, _run, _cancel, _confirm, amounts, units, lang):
    if not access.is_admin():
        raise PreventUpdate
    _ = translator(lang)
    trigger = ctx.triggered_id
    if trigger == "ret-run":
        return dash.no_update, dash.no_update, True
    if trigger == "ret-run-cancel":
        return dash.no_update, dash.no_update, False
    if trigger == "ret-save":
        policy = {kind: (None if unit == "forever" else {"amount": amount, "unit": unit})
                  for kind, amount, unit in zip(retention.KINDS, amounts, units)}
        try:
            retention.save_policy(policy, actor=actor())
        except retention.InvalidPolicy as exc:
            kind = exc.params.get("kind", "")
            params = dict(exc.params, kind=_(retention.KIND_LABELS[kind]) if kind in retention.KIND_LABELS else kind)
            return dbc.Alert(_(exc.msgid, **params), color="danger", id="ret-error"), dash.no_update, False
        return dbc.Alert(_("Saved."), color="success", id="ret-saved", duration=4000), dash.no_update, False
    if trigger == "ret-preview":
        report = retention.run_retention(dry_run=True)
        return html.Div([html.H4(_("Would be removed now")), _report_table(report.as_json(), lang)],
                        id="ret-preview-result"), dash.no_update, False
    if trigger == "ret-run-confirm":
        # On a large database a run takes minutes: it goes on in the background (batches
        # commit one by one, so an interrupted run leaves consistent data) and writes its
        # summary to the audit log, shown under "Last run".
        threading.Thread(target=retention.run_retention, kwargs={"actor": actor()}, daemon=True,
                         name="retention-run-now").start()
        return (dbc.Alert(_("The retention job started; its summary appears under Last run when it finishes "
                            "(reload the page)."), color="success", id="ret-ran"), dash.no_update, False)
    raise PreventUpdate

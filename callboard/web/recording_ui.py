"""Recording actions shared by the Recordings page and the call records' legs window:
a player with a download link, "Delete recording" / "Delete call" buttons, and the
confirmation dialog (dbc.Modal) that runs ``data.recordings.delete_*``.

Each page calls ``delete_controls(prefix, lang)`` in its layout and
``register_delete_callbacks(prefix, grid_id, ...)`` once at import; the ids carry the
prefix, so the two pages never share a component id. After a delete the page's grid cache
is purged (its rows are asked for again) and ``<prefix>-del-done`` changes, for the page's
own follow-up (e.g. clearing the player).
"""

from __future__ import annotations

import time

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from flask import request

from callboard.core.formatting import fmt_duration, fmt_local_datetime
from callboard.core.i18n import translator
from callboard.web import access
from callboard.web.routes import current_scope, db_id, recording_audio_path
from callboard.core.settings import get_settings
from data import db
from data import recordings as rec
from data.queries.recordings import call_recordings, get_recording


def ask_button(prefix: str, kind: str, obj_id: int, lang: str) -> dbc.Button:
    _ = translator(lang)
    label = _("Delete recording") if kind == "recording" else _("Delete call")
    return dbc.Button(label, id={"type": f"{prefix}-del-ask", "kind": kind, "oid": int(obj_id)}, color="danger",
                      outline=True, size="sm", className="me-2", n_clicks=0)


def player(prefix: str, row, lang: str, *, with_call_delete: bool = True) -> html.Div:
    """One recording: audio element (or "missing"), download link, delete buttons."""
    _ = translator(lang)
    status = rec.file_status(row.path)
    if status == rec.FILE_OK:
        media = [
            html.Audio(src=recording_audio_path(row.id), controls=True, preload="metadata",
                       id={"type": f"{prefix}-audio", "oid": int(row.id)}, className="me-3 align-middle",
                       style={"width": "360px"}),
            html.A(_("Download"), href=recording_audio_path(row.id, download=True),
                   className="btn btn-sm btn-outline-primary me-2", id={"type": f"{prefix}-dl", "oid": int(row.id)}),
        ]
    else:
        text = _("The recording file is missing on disk.") if status == rec.FILE_MISSING else \
            _("The recording's stored path points outside the recordings storage.")
        media = [dbc.Badge(_("Missing"), color="warning", className="me-2 text-dark"),
                 html.Span(text, className="me-3 text-muted")]
    buttons = []
    if access.can_delete():  # deleting is the administrator's (checked again on confirm)
        buttons.append(ask_button(prefix, "recording", row.id, lang))
        if with_call_delete:
            buttons.append(ask_button(prefix, "call", row.call_id, lang))
    return html.Div(
        [
            html.Div(f"{fmt_local_datetime(row.start_utc, lang)} · {row.from_number} → {row.to_number} · "
                     f"{fmt_duration(row.recording_s)}", className="small text-muted mb-1"),
            html.Div(media + buttons, className="d-flex flex-wrap align-items-center"),
        ],
        className="recording-player mb-2",
    )


def call_recordings_panel(prefix: str, call_id: int, lang: str) -> html.Div | None:
    """The legs window's recordings section (None when recordings are off)."""
    if not get_settings().recordings_enabled:
        return None
    _ = translator(lang)
    rows = db.fetch_all(call_recordings(current_scope(), call_id))
    children = [html.H6(_("Recordings"), className="mt-3")]
    if rows:
        children += [player(prefix, r, lang, with_call_delete=False) for r in rows]
    else:
        children.append(html.P(_("This call has no recording."), className="text-muted"))
    return html.Div(children, id=f"{prefix}-call-recordings")


def delete_controls(prefix: str, lang: str) -> list:
    _ = translator(lang)
    return [
        dcc.Store(id=f"{prefix}-del-pending"),
        dcc.Store(id=f"{prefix}-del-done"),
        dbc.Alert(id=f"{prefix}-del-result", is_open=False, dismissable=True, color="success"),
        dbc.Modal(
            [
                dbc.ModalHeader(dbc.ModalTitle(_("Confirm deletion"))),
                dbc.ModalBody(id=f"{prefix}-del-text"),
                dbc.ModalFooter([
                    dbc.Button(_("Cancel"), id=f"{prefix}-del-cancel", color="secondary", n_clicks=0),
                    dbc.Button(_("Delete"), id=f"{prefix}-del-confirm", color="danger", n_clicks=0),
                ]),
            ],
            id=f"{prefix}-del-modal",
            is_open=False,
        ),
    ]


def _question(kind: str, obj_id: int, lang: str) -> str | None:
    _ = translator(lang)
    scope = current_scope()
    if kind == "recording":
        rows = db.fetch_all(get_recording(scope, obj_id))
        if not rows:
            return None
        r = rows[0]
        return _("Delete the recording of the call of {when} from {caller} to {callee}? The file is removed "
                 "for good; the call record stays.", when=fmt_local_datetime(r.start_utc, lang),
                 caller=r.from_number, callee=r.to_number)
    from data.queries.calls import get_call

    rows = db.fetch_all(get_call(scope, obj_id))
    if not rows:
        return None
    c = rows[0]
    return _("Delete the call of {when} from {caller} to {callee} with its legs and recordings? This cannot be "
             "undone.", when=fmt_local_datetime(c.start_utc, lang), caller=c.from_number, callee=c.to_number)


def register_delete_callbacks(prefix: str, grid_id: str, close_modal_id: str | None = None) -> None:
    """The ask / cancel / confirm flow of one page (call once, at import)."""
    outputs = [
        Output(f"{prefix}-del-modal", "is_open"),
        Output(f"{prefix}-del-text", "children"),
        Output(f"{prefix}-del-pending", "data"),
        Output(f"{prefix}-del-result", "children"),
        Output(f"{prefix}-del-result", "color"),
        Output(f"{prefix}-del-result", "is_open"),
        Output(f"{prefix}-del-done", "data"),
    ]
    if close_modal_id:
        outputs.append(Output(close_modal_id, "is_open", allow_duplicate=True))

    @callback(
        *outputs,
        Input({"type": f"{prefix}-del-ask", "kind": ALL, "oid": ALL}, "n_clicks"),
        Input(f"{prefix}-del-cancel", "n_clicks"),
        Input(f"{prefix}-del-confirm", "n_clicks"),
        State(f"{prefix}-del-pending", "data"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    def _flow(_asks, _cancel, _confirm, pending, lang):
        _ = translator(lang)
        out = [no_update] * len(outputs)
        trig = ctx.triggered_id
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        if trig is None or not value:
            return out  # buttons rendered (n_clicks 0), not clicked
        if trig == f"{prefix}-del-cancel":
            out[0], out[2] = False, None
            return out
        if isinstance(trig, dict):
            kind, oid = trig.get("kind"), db_id(trig.get("oid"))
            if kind not in ("recording", "call") or oid is None:  # not a button this page rendered
                return out
            question = _question(kind, oid, lang)
            if question is None:
                out[3:6] = [_(rec.AlreadyDeleted.msgid), "warning", True]
                return out
            out[0], out[1], out[2] = True, question, {"kind": kind, "id": oid}
            return out
        # confirmed
        out[0], out[2] = False, None
        if not isinstance(pending, dict) or pending.get("kind") not in ("recording", "call") \
                or db_id(pending.get("id")) is None:  # nothing asked (or a store the page did not fill)
            return out
        if not access.can_delete():  # the guard already refuses others; never rely on one check
            out[3:6] = [_("Only an administrator may delete calls and recordings."), "danger", True]
            return out
        user = access.current_user()
        actor = {"ip": request.remote_addr if request else None,
                 "user_id": user.id if user else None, "username": user.username if user else None}
        try:
            if pending["kind"] == "recording":
                rec.delete_recording(pending["id"], scope=current_scope(), actor=actor)
                message = _("The recording was deleted.")
            else:
                rec.delete_call(pending["id"], scope=current_scope(), actor=actor)
                message = _("The call and its recordings were deleted.")
        except rec.RecordingError as exc:
            out[3:6] = [_(exc.msgid, **exc.params), "warning", True]
            return out
        except Exception as exc:  # the database refused: nothing was changed (files moved back)
            out[3:6] = [_("The deletion failed and nothing was changed ({error}).", error=type(exc).__name__),
                        "danger", True]
            return out
        out[3:7] = [message, "success", True, {"kind": pending["kind"], "id": pending["id"], "at": time.time()}]
        if close_modal_id:
            out[7] = False
        return out

    clientside_callback(
        """
        function (done) {
            const api = window.dash_ag_grid && dash_ag_grid.getApi && dash_ag_grid.getApi(%r);
            if (api) { api.purgeInfiniteCache(); }
            return window.dash_clientside.no_update;
        }
        """ % grid_id,
        Output(f"{prefix}-del-pending", "data", allow_duplicate=True),
        Input(f"{prefix}-del-done", "data"),
        prevent_initial_call=True,
    )

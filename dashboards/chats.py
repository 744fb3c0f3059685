"""Page /chats: external chat sessions (SMS, WhatsApp, ...) — a SQL-paged list with filters
in the URL (callboard.reports.url_filters), a CSV download (/export/chats.csv) and, for a clicked
session, its message thread and timeline (created, assigned, transferred, closed).
Sessions are narrowed to the user's scope by their agent (data.queries.chats).
When the section is hidden (data.features.chats_enabled: CALLBOARD_CHAT_ENABLED, in
auto mode no chat session stored) the page says chats are not configured.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from callboard.reports.url_filters import ChatsQuery
from data.features import chats_enabled
from callboard.core.formatting import fmt_local_datetime, tz_label
from callboard.web import listing_ui
from callboard.core.i18n import translator
from callboard.web.input_checks import CellClicked, checked_inputs
from callboard.web.routes import CHATS_CSV_PATH, current_scope, db_id
from callboard.core.settings import get_settings
from data import db
from data.queries.chats import (
    CHANNEL_LABELS,
    COLUMNS,
    EVENT_LABELS,
    STATUS_LABELS,
    channel_types,
    count_sessions,
    get_session,
    list_sessions,
    session_events,
    session_messages,
)

PATH = "/chats"
dash.register_page(__name__, path=PATH)

BLOCK = 100


def _filter_or_error(params: dict | None, lang: str):
    return listing_ui.filter_or_error(ChatsQuery, params, lang)


def _label(labels: dict, value, _) -> str:
    return _(labels[value]) if value in labels else (value or "")


def _row(r, lang: str) -> dict:
    _ = translator(lang)
    return {
        "id": str(r.id),
        "session_uid": r.session_uid,
        "created": fmt_local_datetime(r.created_utc, lang),
        "last_active": fmt_local_datetime(r.last_active_utc, lang),
        "sender": r.sender or "",
        "recipient": r.recipient or "",
        "channel_type": _label(CHANNEL_LABELS, r.channel_type, _),
        "channel_number": r.channel_number,
        "agent": r.agent or "",
        "messages": r.message_count,
        "status": _label(STATUS_LABELS, r.status, _),
    }


def _download_href(params: dict | None, lang: str, excel: bool = False) -> str:
    return CHATS_CSV_PATH + ChatsQuery.from_params(params or {}).to_search(lang=lang, excel="1" if excel else "")


def _channel_options(lang: str) -> list[dict]:
    _ = translator(lang)
    values = set(CHANNEL_LABELS)
    try:
        values |= {r[0] for r in db.fetch_all(channel_types(current_scope()))}
    except Exception:  # the list still offers the known channels
        pass
    return [{"label": _label(CHANNEL_LABELS, v, _), "value": v} for v in sorted(values)]


def _not_configured(lang: str) -> html.Div:
    """The page when the chats section is hidden (SPEC §6: no chat channel configured)."""
    _ = translator(lang)
    if get_settings().chat_enabled == "no":
        text = _("External chats are turned off in the settings, so there are no chat sessions to show.")
    else:
        text = _("External chats are not configured: no SMS or WhatsApp channel has delivered any chat "
                 "session yet.")
    return html.Div([html.H2(_("External chats")), dbc.Alert(text, color="info", id="chat-disabled")],
                    id="chats-page")


def layout(lang: str = "en", **query):
    _ = translator(lang)
    if not chats_enabled():
        return _not_configured(lang)
    q = ChatsQuery.from_params(query)
    params = q.to_params()
    _filt, error = _filter_or_error(params, lang)
    filters = dbc.Row(
        [
            *listing_ui.period_controls("chat", q, lang),
            dbc.Col([dbc.Label(_("Channel type")),
                     dcc.Dropdown(id="chat-channel", options=_channel_options(lang), value=list(q.channels),
                                  multi=True, placeholder=_("All"))], md=2),
            dbc.Col([dbc.Label(_("Status")),
                     dcc.Dropdown(id="chat-status", options=[{"label": _(v), "value": k}
                                                            for k, v in STATUS_LABELS.items()],
                                  value=list(q.statuses), multi=True, placeholder=_("All"))], md=2),
            dbc.Col([dbc.Label(_("Number contains"), html_for="chat-number"),
                     dbc.Input(id="chat-number", value=q.number, debounce=True, type="text",
                               placeholder=_("e.g. 777"))], md=2),
            dbc.Col([dbc.Label(_("Agents"), html_for="chat-agent"),
                     dbc.Input(id="chat-agent", value=", ".join(q.agents), debounce=True, type="text",
                               placeholder=_("e.g. 101, 102"))], md=2),
        ],
        className="g-2 mb-2 align-items-end",
    )
    grid = dag.AgGrid(
        id="chat-grid",
        rowModelType="infinite",
        columnDefs=[{"field": k, "colId": k, "headerName": _(label), "sortable": True}
                    for k, (label, _col) in COLUMNS.items()],
        defaultColDef={"resizable": True, "filter": False, "minWidth": 90},
        getRowId="params.data.id",
        dashGridOptions={"maxConcurrentDatasourceRequests": 1, "cacheBlockSize": BLOCK,
                         "infiniteInitialRowCount": 1, "maxBlocksInCache": 20},
        style={"height": "45vh", "width": "100%"},
    )
    return html.Div(
        [
            dcc.Location(id="chat-location", refresh=False),
            dcc.Store(id="chat-query", data=params),
            dcc.Store(id="chat-total"),
            html.H2(_("External chats")),
            html.P(_("Times are in the PBX time zone ({tz}).", tz=tz_label()) + " "
                   + _("Click a session to read its messages."), className="text-muted"),
            filters,
            dbc.Alert(error, id="chat-error", color="danger", is_open=bool(error)),
            dbc.Alert(_("No chat sessions match this filter."), id="chat-empty", color="info", is_open=False),
            html.Div(
                [
                    html.Span(id="chat-count", className="me-3 text-muted"),
                    html.A(_("Download sessions"), id="chat-download",
                           className="btn btn-sm btn-outline-primary me-2", href=_download_href(params, lang)),
                    html.A(_("Download for Excel"), id="chat-download-excel",
                           className="btn btn-sm btn-outline-secondary", href=_download_href(params, lang, True)),
                ],
                className="d-flex align-items-center mb-2",
            ),
            grid,
            html.Div(id="chat-thread", className="mt-3"),
        ],
        id="chats-page",
    )


listing_ui.register_preset_dates("chat")
listing_ui.register_filters_to_url(
    "chat", ChatsQuery,
    (("channels", "channel", listing_ui.choices_value),
     ("statuses", "status", listing_ui.choices_value),
     ("number", "number", listing_ui.text_value),
     ("agents", "agent", listing_ui.split_items)),
    extra_outputs=(Output("chat-download", "href"), Output("chat-download-excel", "href")),
    extra_values=lambda params, lang: (_download_href(params, lang), _download_href(params, lang, True)),
)
listing_ui.register_grid_purge("chat", Output("chat-total", "data", allow_duplicate=True))


listing_ui.register_grid_rows(
    "chat", ChatsQuery, BLOCK, COLUMNS, list_sessions, count_sessions, _row,
    lambda _, count: _("{count} chat sessions", count=count),
)


def _thread(session_id: int, lang: str):
    _ = translator(lang)
    scope = current_scope()
    rows = db.fetch_all(get_session(scope, session_id))
    if not rows:
        return dbc.Alert(_("This chat session no longer exists or is not visible to you."), color="warning")
    sess = rows[0]
    messages = db.fetch_all(session_messages(scope, session_id))
    events = db.fetch_all(session_events(scope, session_id))
    bubbles = [
        html.Div(
            [html.Div(f"{m.sender} · {fmt_local_datetime(m.sent_utc, lang)}", className="small text-muted"),
             html.Div(m.body, style={"whiteSpace": "pre-wrap"})],
            className="chat-message p-2 mb-2 rounded border " + ("ms-5 bg-light" if m.direction == "out" else "me-5"),
        )
        for m in messages
    ] or [html.P(_("This session has no messages."), className="text-muted")]
    timeline = html.Ul(
        [html.Li(f"{fmt_local_datetime(e.at_utc, lang)} — {_label(EVENT_LABELS, e.event, _)}"
                 + (f" ({e.agent})" if e.agent else ""), className="chat-event") for e in events]
        or [html.Li(_("No events are stored for this session."))],
        className="list-unstyled",
    )
    head = html.H5(f"{_label(CHANNEL_LABELS, sess.channel_type, _)} {sess.session_uid}: "
                   f"{sess.external_number} ↔ {sess.channel_number}")
    return dbc.Card(dbc.CardBody([
        head,
        dbc.Row([
            dbc.Col([html.H6(_("Messages")), html.Div(bubbles, id="chat-messages")], md=8),
            dbc.Col([html.H6(_("Timeline")), html.Div(timeline, id="chat-timeline")], md=4),
        ]),
    ]))


@callback(
    Output("chat-thread", "children"),
    Input("chat-grid", "cellClicked"),
    State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _show_thread(clicked: CellClicked | None, lang):
    session_id = db_id((clicked or {}).get("rowId"))
    if session_id is None:  # no row, or not a session's id
        return no_update
    return _thread(session_id, lang)

"""Page /records: call records (CDR) — a SQL-paged grid, filters in the URL, column chooser,
CSV download and each call's legs.

- The grid uses AG Grid's infinite row model: each block request (start/end row, sort
  model) becomes one ``list_calls`` query with OFFSET/LIMIT and a whitelisted ORDER BY;
  the first block also runs ``count_calls`` (the grid's row count), later blocks reuse it.
- Filter controls -> ``rec-query`` store (the URL parameters of callboard.reports.url_filters)
  -> the page's URL (``rec-location.search``, no reload) and a purge of the grid's cache.
  ``layout`` reads the same parameters, so a link reproduces the view.
- The column chooser (secondary columns) persists in the browser (localStorage).
- "Download records" links to /export/records.csv (callboard.web.routes) with the same
  parameters plus the chosen columns.
"""

from __future__ import annotations

from typing import Annotated

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from pydantic import Field

from callboard.web import access
from callboard.web import listing_ui
from callboard.web import recording_ui
from callboard.core.formatting import fmt_duration, fmt_local_datetime, fmt_number, tz_label
from callboard.core.i18n import N_, translator
from callboard.web.input_checks import CellClicked, QueryParams, RowsRequest, RowsTotal, Texts, checked_inputs
from callboard.reports.url_filters import RecordsQuery
from callboard.web.routes import RECORDS_CSV_PATH, current_scope, db_id, format_sort
from data import db
from data.queries.calls import (
    COLUMN_LIST,
    COLUMNS,
    DIRECTION_LABELS,
    HANGUP_BY_LABELS,
    LEG_STATUS_LABELS,
    MAIN_COLUMNS,
    SECONDARY_COLUMNS,
    STATUS_LABELS,
    VIA_LABELS,
    call_legs,
    count_calls,
    get_call,
    list_calls,
    unknown_extensions,
)

PATH = "/records"
dash.register_page(__name__, path=PATH)

BLOCK = 100
REC_OPTIONS = {"": N_("Any"), "yes": N_("With recording"), "no": N_("Without recording")}
# The rec-sort store: the grid's sort as [column key, "asc" | "desc"] pairs (for the downloads).
SortOrder = list[Annotated[list[str], Field(min_length=2, max_length=2)]] | None


# --------------------------------------------------------------------------- helpers

def _filter_or_error(params: dict | None, lang: str):
    """(CallFilter, None) or (None, translated message)."""
    return listing_ui.filter_or_error(RecordsQuery, params, lang)


def _column_defs(lang: str, shown: list[str] | None) -> list[dict]:
    _ = translator(lang)
    shown = set(shown or ())
    defs = []
    for col in COLUMN_LIST:
        d = {"field": col.key, "colId": col.key, "headerName": _(col.label), "sortable": True,
             "hide": not col.main and col.key not in shown}
        if col.key == "start":
            d.update(minWidth=170, sortingOrder=["desc", "asc"])
        elif col.key in ("duration", "ring", "talk"):
            d.update(width=110, type="rightAligned", sortingOrder=["desc", "asc"])
        defs.append(d)
    return defs


def _row(r, lang: str) -> dict:
    """A database row as grid cells (formatted, translated)."""
    _ = translator(lang)
    m = r._mapping

    def party(number, name):
        number, name = number or "", name or ""
        return f"{number} ({name})" if name and number else (name or number)

    hangup_by = m["hangup_by"]
    hangup = " – ".join(x for x in (_(HANGUP_BY_LABELS[hangup_by]) if hangup_by in HANGUP_BY_LABELS else hangup_by,
                                    m["hangup_cause"]) if x)
    return {
        "id": str(m["id"]),
        "start": fmt_local_datetime(m["start_utc"], lang),
        "from": party(m["from_number"], m["from_name"]),
        "to": party(m["to_number"], m["to_name"]),
        "duration": fmt_duration(m["duration_s"]),
        "ring": fmt_duration(m["ring_s"]),
        "talk": fmt_duration(m["talk_s"]),
        "status": _(STATUS_LABELS.get(m["status"], m["status"])),
        "call_uid": m["call_uid"],
        "hangup": hangup,
        "src_trunk": m["src_trunk"] or "",
        "dst_trunk": m["dst_trunk"] or "",
        "direction": _(DIRECTION_LABELS.get(m["direction"], m["direction"])),
        "did": m["did"] or "",
        "outbound_cid": m["outbound_cid"] or "",
        "caller_ip": m["caller_ip"] or "",
        "pin": m["pin"] or "",
        "transferred_to": m["transferred_to"] or "",
        "recorded": bool(m["has_recording"]),
    }


def _download_href(params: dict | None, columns: list[str] | None, lang: str, excel: bool = False,
                   sort: list | None = None) -> str:
    """The CSV of this view: its filter, the chosen columns and the grid's sort order."""
    q = RecordsQuery.from_params(params or {})
    extra = {"cols": ",".join(c for c in SECONDARY_COLUMNS if c in (columns or ())), "lang": lang,
             "sort": format_sort(sort), "excel": "1" if excel else ""}
    return RECORDS_CSV_PATH + (q.to_search(**extra) or "")


# --------------------------------------------------------------------------- layout

def layout(lang: str = "en", **query):
    _ = translator(lang)
    q = RecordsQuery.from_params(query)
    params = q.to_params()
    _filt, error = _filter_or_error(params, lang)
    groups = listing_ui.group_names()
    controls = listing_ui.call_filter_controls("rec", q, lang)

    def opt(labels: dict) -> list[dict]:
        return [{"label": _(v), "value": k} for k, v in labels.items()]

    filters = dbc.Row(
        [
            *listing_ui.period_controls("rec", q, lang, start_date_placeholder_text=_("First day"),
                                        end_date_placeholder_text=_("Last day")),
            controls["number"],
            controls["ext"],
            dbc.Col([dbc.Label(_("Extension groups")),
                     dcc.Dropdown(id="rec-group", options=[{"label": g, "value": g} for g in groups],
                                  value=list(q.groups), multi=True, placeholder=_("All"))], md=2,
                    style={} if groups or q.groups else {"display": "none"}),
            dbc.Col([dbc.Label(_("Status")),
                     dcc.Dropdown(id="rec-status", options=opt(STATUS_LABELS), value=list(q.statuses), multi=True,
                                  placeholder=_("All"))], md=2),
            dbc.Col([dbc.Label(_("Communication type")),
                     dcc.Dropdown(id="rec-dir", options=opt(DIRECTION_LABELS), value=list(q.directions), multi=True,
                                  placeholder=_("All"))], md=2),
            dbc.Col([dbc.Label(_("Recording")),
                     dcc.Dropdown(id="rec-rec", options=opt(REC_OPTIONS), value=q.recording, clearable=False)], md=2),
            controls["trunk"],
            controls["did"],
            controls["dmin"],
            controls["dmax"],
        ],
        className="g-2 mb-2 align-items-end",
        id="rec-filters",
    )
    chooser = html.Div(
        [
            html.Span(_("More columns:"), className="me-2 fw-semibold"),
            dcc.Checklist(
                id="rec-columns",
                options=[{"label": _(COLUMNS[k].label), "value": k} for k in SECONDARY_COLUMNS],
                value=[],
                inline=True,
                persistence=True,
                persistence_type="local",
                inputClassName="me-1",
                labelClassName="me-3",
            ),
        ],
        className="d-flex flex-wrap align-items-center mb-2",
    )
    actions = html.Div(
        [
            html.Span(id="rec-count", className="me-3 text-muted"),
            html.A(_("Download records"), id="rec-download", className="btn btn-sm btn-outline-primary me-2",
                   href=_download_href(params, [], lang)),
            html.A(_("Download for Excel"), id="rec-download-excel", className="btn btn-sm btn-outline-secondary",
                   href=_download_href(params, [], lang, excel=True),
                   title=_("CSV with a BOM and “;” separators, as Czech Excel expects")),
        ],
        className="d-flex align-items-center mb-2",
    )
    grid = dag.AgGrid(
        id="rec-grid",
        rowModelType="infinite",
        columnDefs=_column_defs(lang, []),
        defaultColDef={"resizable": True, "sortable": True, "filter": False, "minWidth": 90},
        getRowId="params.data.id",
        dashGridOptions={
            "maxConcurrentDatasourceRequests": 1,
            "cacheBlockSize": BLOCK,
            "infiniteInitialRowCount": 1,
            "maxBlocksInCache": 20,
            "tooltipShowDelay": 300,
        },
        style={"height": "62vh", "width": "100%"},
    )
    legs_modal = dbc.Modal(
        [dbc.ModalHeader(dbc.ModalTitle(_("Call legs"), id="rec-legs-title")), dbc.ModalBody(id="rec-legs-body")],
        id="rec-legs-modal",
        size="xl",
        is_open=False,
    )
    return html.Div(
        [
            dcc.Location(id="rec-location", refresh=False),
            dcc.Store(id="rec-query", data=params),
            dcc.Store(id="rec-total"),
            dcc.Store(id="rec-sort", data=[]),
            dcc.Store(id="rec-purged"),
            html.H2(_("Call records")),
            html.P(_("Times are in the PBX time zone ({tz}).", tz=tz_label()) + " "
                   + _("Click a row to see the call's legs."), className="text-muted"),
            filters,
            chooser,
            dbc.Alert(error, id="rec-error", color="danger", is_open=bool(error)),
            dbc.Alert(_("No calls match this filter."), id="rec-empty", color="info", is_open=False),
            actions,
            *recording_ui.delete_controls("rec", lang),
            grid,
            legs_modal,
        ],
        id="records-page",
    )


# --------------------------------------------------------------------------- callbacks

listing_ui.register_preset_dates("rec")
listing_ui.register_filters_to_url(
    "rec", RecordsQuery,
    (*listing_ui.CALL_FILTER_FIELDS,
     ("statuses", "status", listing_ui.choices_value),
     ("recording", "rec", listing_ui.choice_value)),
)
listing_ui.register_grid_purge("rec", Output("rec-purged", "data"), "Date.now()")


@callback(
    Output("rec-grid", "getRowsResponse"),
    Output("rec-total", "data"),
    Output("rec-count", "children"),
    Output("rec-empty", "is_open"),
    Output("rec-empty", "children"),
    Output("rec-sort", "data"),
    Input("rec-grid", "getRowsRequest"),
    State("rec-query", "data"),
    State("rec-total", "data"),
    State("rec-sort", "data"),
    State("lang", "value"),
)
@checked_inputs
def _get_rows(request: RowsRequest | None, params: QueryParams, total: RowsTotal | None, current_sort: SortOrder,
              lang):
    if not request:
        return no_update, no_update, no_update, no_update, no_update, no_update
    sort = [[m.get("colId"), m.get("sort")] for m in request.get("sortModel") or [] if m.get("colId") in COLUMNS]
    sort_out = sort if sort != (current_sort or []) else no_update
    filt, error = _filter_or_error(params, lang)
    if filt is None:
        return {"rowData": [], "rowCount": 0}, None, "", False, no_update, sort_out
    _ = translator(lang)
    scope = current_scope()
    rows, total = listing_ui.fetch_block(request, params, total, BLOCK,
                                         lambda **page: list_calls(scope, filt, list(COLUMNS), sort=sort, **page),
                                         lambda: count_calls(scope, filt))
    count = total["count"]
    label = _("{count} calls", count=fmt_number(count, lang))
    empty = no_update
    if count == 0:
        empty = _("No calls match this filter.")
        unknown_stmt = unknown_extensions(scope, filt.extensions)
        unknown = [r[0] for r in db.fetch_all(unknown_stmt)] if unknown_stmt is not None else []
        if unknown:
            empty += " " + _("No calls of these extensions are stored: {extensions}.",
                             extensions=", ".join(sorted(unknown)))
    return ({"rowData": [_row(r, lang) for r in rows], "rowCount": count}, total, label, count == 0, empty,
            sort_out)


@callback(
    Output("rec-grid", "columnDefs"),
    Input("rec-columns", "value"),
    State("lang", "value"),
)
@checked_inputs
def _columns(columns: Texts, lang):
    return _column_defs(lang, columns)


@callback(
    Output("rec-download", "href"),
    Output("rec-download-excel", "href"),
    Input("rec-columns", "value"),
    Input("rec-query", "data"),
    Input("rec-sort", "data"),
    State("lang", "value"),
)
@checked_inputs
def _download_links(columns: Texts, params: QueryParams, sort: SortOrder, lang):
    return (
        _download_href(params, columns, lang, sort=sort),
        _download_href(params, columns, lang, excel=True, sort=sort),
    )


def _legs_table(call_id: int, lang: str):
    _ = translator(lang)
    scope = current_scope()
    call = db.fetch_all(get_call(scope, call_id))
    if not call:
        return _("Call legs"), dbc.Alert(_("This call no longer exists or is not visible to you."), color="warning")
    c = call[0]._mapping
    legs = db.fetch_all(call_legs(scope, call_id))
    title = _("Call legs") + f" — {fmt_local_datetime(c['start_utc'], lang)}, {c['from_number']} → {c['to_number']}"
    summary = html.P(
        [
            html.Strong(_(STATUS_LABELS.get(c["status"], c["status"]))), " · ",
            _(DIRECTION_LABELS.get(c["direction"], c["direction"])), " · ",
            _("Call ID"), f": {c['call_uid']}",
            *([" · ", _("Answered by"), f": {c['answered_by']}"] if c["answered_by"] else []),
            *([" · ", _("Transferred to"), f": {c['transferred_to']}"] if c["transferred_to"] else []),
        ],
        className="mb-2",
    )
    # Recordings (play, download, delete) and deleting the whole call: callboard.web.recording_ui.
    actions = html.Div([recording_ui.call_recordings_panel("rec", call_id, lang),
                        html.Div(recording_ui.ask_button("rec", "call", call_id, lang) if access.can_delete() else None,
                                 className="mt-2")])
    if not legs:
        return title, html.Div([summary, dbc.Alert(_("No legs are stored for this call."), color="info"), actions])
    header = html.Thead(html.Tr([html.Th(h) for h in (
        "#", _("Extension / number"), _("Via"), _("Start"), _("Answered at"), _("Ring time"), _("Talk time"),
        _("Status"))]))
    body = html.Tbody([
        html.Tr([
            html.Td(r.seq),
            html.Td(r.extension or r.number or ""),
            html.Td(" ".join(x for x in (_(VIA_LABELS[r.via_type]) if r.via_type in VIA_LABELS else (r.via_type or ""),
                                         r.via or "") if x)),
            html.Td(fmt_local_datetime(r.start_utc, lang)),
            html.Td(fmt_local_datetime(r.answer_utc, lang) if r.answer_utc else "–"),
            html.Td(fmt_duration(r.ring_s)),
            html.Td(fmt_duration(r.talk_s)),
            html.Td(_(LEG_STATUS_LABELS.get(r.status, r.status))),
        ], className="rec-leg")
        for r in legs
    ])
    return title, html.Div([summary, dbc.Table([header, body], bordered=True, size="sm", hover=True,
                                               id="rec-legs-table"), actions])


@callback(
    Output("rec-legs-modal", "is_open"),
    Output("rec-legs-title", "children"),
    Output("rec-legs-body", "children"),
    Input("rec-grid", "cellClicked"),
    State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _show_legs(clicked: CellClicked | None, lang):
    call_id = db_id((clicked or {}).get("rowId"))
    if call_id is None:  # no row, or not a call's id
        return no_update, no_update, no_update
    title, body = _legs_table(call_id, lang)
    return True, title, body


recording_ui.register_delete_callbacks("rec", "rec-grid", close_modal_id="rec-legs-modal")

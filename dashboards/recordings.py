"""Page /recordings: recorded calls — without calls that went to an IVR, to voicemail, or
were not answered (SPEC §2; ``data.queries.recordings.recordable_clause``).

- The same URL state as the call records (callboard.reports.url_filters: preset, from, to,
  number, ext, group, dir, trunk, did, dmin, dmax), each with its filter control, the
  same CallFilter and scope.
- A SQL-paged grid (AG Grid infinite model), one row per recording; a file missing on disk
  shows as "Missing", not as an error.
- Clicking a row opens its player (``html.Audio`` on /recordings/<id>/audio, which answers
  Range requests), a download link and delete buttons; deletes ask for confirmation
  (callboard.web.recording_ui).
- When recordings are disabled (settings.recordings_enabled) the page says so.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from callboard.web import listing_ui

from callboard.web import recording_ui
from callboard.core.formatting import fmt_duration, fmt_local_datetime, fmt_number, tz_label
from callboard.core.i18n import N_, translator
from callboard.web.input_checks import CellClicked, checked_inputs
from callboard.reports.url_filters import RecordsQuery
from callboard.web.routes import current_scope, db_id
from callboard.core.settings import get_settings
from data import db
from data import recordings as rec
from data.queries.calls import DIRECTION_LABELS
from data.queries.recordings import SORTS, count_recordings, get_recording, list_recordings

PATH = "/recordings"
dash.register_page(__name__, path=PATH)

BLOCK = 100
PREFIX = "recs"
FILE_LABELS = {rec.FILE_OK: N_("Available"), rec.FILE_MISSING: N_("Missing"), rec.FILE_INVALID: N_("Invalid path")}
GRID_COLUMNS = (
    ("start", N_("Start")),
    ("from", N_("From")),
    ("to", N_("To")),
    ("extension", N_("Extension")),
    ("talk", N_("Talk time")),
    ("duration", N_("Recording length")),
    ("size", N_("Size")),
    ("file", N_("File")),
)


def _filter_or_error(params: dict | None, lang: str):
    return listing_ui.filter_or_error(RecordsQuery, params, lang)


def _size(n: int | None, lang: str) -> str:
    n = int(n or 0)
    if n >= 1024 * 1024:
        return f"{fmt_number(n / 1024 / 1024, lang, 1)} MB"
    return f"{fmt_number(max(1, round(n / 1024)) if n else 0, lang)} kB"


def _row(r, lang: str) -> dict:
    _ = translator(lang)

    def party(number, name):
        return f"{number} ({name})" if name and number else (name or number or "")

    return {
        "id": str(r.id),
        "start": fmt_local_datetime(r.start_utc, lang),
        "from": party(r.from_number, r.from_name),
        "to": party(r.to_number, r.to_name),
        "extension": r.extension or "",
        "talk": fmt_duration(r.talk_s),
        "duration": fmt_duration(r.recording_s),
        "size": _size(r.size_bytes, lang),
        "file": _(FILE_LABELS[rec.file_status(r.path)]),
    }


def _column_defs(lang: str) -> list[dict]:
    _ = translator(lang)
    defs = []
    for key, label in GRID_COLUMNS:
        d = {"field": key, "colId": key, "headerName": _(label), "sortable": key in SORTS}
        if key == "start":
            d.update(minWidth=170, sortingOrder=["desc", "asc"])
        defs.append(d)
    return defs


def layout(lang: str = "en", **query):
    _ = translator(lang)
    if not get_settings().recordings_enabled:
        return html.Div([html.H2(_("Recordings")),
                         dbc.Alert(_("Call recording is disabled in the settings, so there are no recordings to show."),
                                   color="info", id="recs-disabled")], id="recordings-page")
    q = RecordsQuery.from_params(query)
    params = q.to_params()
    _filt, error = _filter_or_error(params, lang)
    groups = sorted(set(listing_ui.group_names()) | set(q.groups))
    controls = listing_ui.call_filter_controls("recs", q, lang)
    filters = dbc.Row(
        [
            *listing_ui.period_controls("recs", q, lang),
            controls["number"],
            controls["ext"],
            dbc.Col([dbc.Label(_("Communication type")),
                     dcc.Dropdown(id="recs-dir", options=[{"label": _(v), "value": k}
                                                          for k, v in DIRECTION_LABELS.items()],
                                  value=list(q.directions), multi=True, placeholder=_("All"))], md=2),
            dbc.Col([dbc.Label(_("Extension groups")),
                     dcc.Dropdown(id="recs-group", options=[{"label": g, "value": g} for g in groups],
                                  value=list(q.groups), multi=True, placeholder=_("All"))], md=2,
                    style={} if groups else {"display": "none"}),
            controls["trunk"],
            controls["did"],
            controls["dmin"],
            controls["dmax"],
        ],
        className="g-2 mb-2 align-items-end",
    )
    grid = dag.AgGrid(
        id="recs-grid",
        rowModelType="infinite",
        columnDefs=_column_defs(lang),
        defaultColDef={"resizable": True, "filter": False, "minWidth": 90},
        getRowId="params.data.id",
        dashGridOptions={"maxConcurrentDatasourceRequests": 1, "cacheBlockSize": BLOCK,
                         "infiniteInitialRowCount": 1, "maxBlocksInCache": 20},
        style={"height": "50vh", "width": "100%"},
    )
    return html.Div(
        [
            dcc.Location(id="recs-location", refresh=False),
            dcc.Store(id="recs-query", data=params),
            dcc.Store(id="recs-total"),
            html.H2(_("Recordings")),
            html.P(_("Times are in the PBX time zone ({tz}).", tz=tz_label()) + " "
                   + _("Calls that went to an IVR or to voicemail, or were not answered, are not listed.") + " "
                   + _("Click a row to play its recording."), className="text-muted"),
            filters,
            dbc.Alert(error, id="recs-error", color="danger", is_open=bool(error)),
            dbc.Alert(_("No recordings match this filter."), id="recs-empty", color="info", is_open=False),
            *recording_ui.delete_controls(PREFIX, lang),
            html.Div(html.Span(id="recs-count", className="text-muted"), className="mb-2"),
            grid,
            html.Div(id="recs-player", className="mt-3"),
        ],
        id="recordings-page",
    )


listing_ui.register_preset_dates("recs")
listing_ui.register_filters_to_url("recs", RecordsQuery, listing_ui.CALL_FILTER_FIELDS)
listing_ui.register_grid_purge("recs", Output("recs-total", "data", allow_duplicate=True))


listing_ui.register_grid_rows(
    "recs", RecordsQuery, BLOCK, SORTS, list_recordings, count_recordings, _row,
    lambda _, count: _("{count} recordings", count=count),
)


@callback(
    Output("recs-player", "children"),
    Input("recs-grid", "cellClicked"),
    Input(f"{PREFIX}-del-done", "data"),
    State("lang", "value"),
    prevent_initial_call=True,
)
@checked_inputs
def _player(clicked: CellClicked | None, done, lang):
    _ = translator(lang)
    if dash.ctx.triggered_id == f"{PREFIX}-del-done":
        return None  # what was shown is gone
    rid = db_id((clicked or {}).get("rowId"))
    if rid is None:  # no row, or not a recording's id
        return no_update
    rows = db.fetch_all(get_recording(current_scope(), rid))
    if not rows:
        return dbc.Alert(_("This recording no longer exists or is not visible to you."), color="warning")
    return dbc.Card(dbc.CardBody(recording_ui.player(PREFIX, rows[0], lang)), id="recs-player-card")


recording_ui.register_delete_callbacks(PREFIX, "recs-grid")

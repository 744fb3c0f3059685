"""The shared report page: filter bar, chart area, the table behind it, CSV download and the
filter state in the URL.

A report page (dashboards/reports/*.py) describes itself with a ``ReportPage`` (report
type, id prefix, its own options, a function drawing its figures) and gets its layout
and callbacks from here:

    PAGE = ReportPage("pbx-activity", PATH, "pa", figures=_figures, options=(BY_OPTION,))
    dash.register_page(__name__, path=PATH)
    layout = page_layout(PAGE)
    register_callbacks(PAGE)

URL query (what an emailed link carries; callboard.reports.url_filters reads and writes it):
``from``/``to`` (YYYY-MM-DD, PBX-local days), ``ext``, ``group``, ``dir`` (comma-separated),
and the page's own options (``by``, ``interval``). Filter changes rewrite the query with a
``dcc.Location(refresh=False)`` so the page is not re-rendered; opening the link renders
exactly that view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html, no_update
from typing_extensions import NotRequired, TypedDict

from callboard.web import access
from data.access import audit
from callboard.reports.figures import DIRECTION_LABELS
from callboard.core.formatting import tz_label
from callboard.core.i18n import translator
from callboard.web.input_checks import Text, Texts, checked_inputs
from callboard.reports.registry import Option, Report, run_report
from callboard.reports.results import ReportResult, display_value, header
from callboard.reports.runners import call_rows
from exporters.report_csv import csv_filename, to_csv
from callboard.core.settings import get_settings
from callboard.reports.url_filters import parse_day, query_of_search, report_filter, report_search, report_state
from data import db, periods
from data.queries.extensions import filter_options
from data.schema import DIRECTIONS
from data.scope import Scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportPage:
    """A registered report's page (callboard.reports.registry): its component ids
    (``<prefix>-<name>``) and what its filter bar shows come from the entry."""

    entry: Report

    @property
    def report(self) -> str:
        return self.entry.id

    @property
    def path(self) -> str:
        return self.entry.path

    @property
    def prefix(self) -> str:
        return self.entry.prefix

    @property
    def options(self) -> tuple[Option, ...]:
        return self.entry.options

    @property
    def shared(self) -> tuple[str, ...]:
        return self.entry.shared

    def figures(self, result: ReportResult, lang: str) -> list[go.Figure]:
        return self.entry.figures(result, lang)

    def id(self, name: str) -> str:
        return f"{self.prefix}-{name}"


def current_scope() -> Scope:
    return access.current_scope()


today_local = periods.today_local


def _state_from_controls(page: ReportPage, start, end, ext, group, dirs, opts) -> dict:
    query = {"from": start, "to": end, "ext": ext or [], "group": group or [], "dir": dirs or []}
    query.update({opt.key: v for opt, v in zip(page.options, opts)})
    return report_state(page, query)


# --------------------------------------------------------------------------- layout


def filter_bar(page: ReportPage, lang: str, state: dict) -> dbc.Card:
    """Time range presets, custom dates, extensions, groups, directions, the page's options."""
    _ = translator(lang)
    ext_stmt, group_stmt = filter_options(current_scope())
    ext_options = [{"label": f"{n} – {name}" if name else n, "value": n} for n, name in db.fetch_all(ext_stmt)]
    known = {o["value"] for o in ext_options}
    ext_options += [{"label": e, "value": e} for e in state["ext"] if e not in known]
    groups = [g for (g,) in db.fetch_all(group_stmt)]
    groups += [g for g in state["group"] if g not in groups]
    preset = periods.preset_of(state["from"], state["to"], today_local())

    def labelled(label: str, control, md: int, key: str | None = None) -> dbc.Col:
        # A shared filter this report does not use stays in the page (the callbacks read
        # it) but is not shown.
        hidden = key is not None and key not in page.shared
        return dbc.Col([dbc.Label(label, className="small mb-1"), control], md=md,
                       style={"display": "none"} if hidden else None)

    first_row = dbc.Row(
        [
            labelled(_("Time range"), dcc.Dropdown(
                id=page.id("preset"), options=[{"label": _(label), "value": p} for p, label in periods.PRESETS.items()],
                value=preset, clearable=False), 2),
            labelled(_("Days (PBX local)"), dcc.DatePickerRange(
                id=page.id("dates"), start_date=state["from"].isoformat(), end_date=state["to"].isoformat(),
                display_format="YYYY-MM-DD", first_day_of_week=1, minimum_nights=0,
                start_date_placeholder_text=_("First day"), end_date_placeholder_text=_("Last day")), 3),
            labelled(_("Extensions"), dcc.Dropdown(
                id=page.id("ext"), options=ext_options, value=state["ext"], multi=True,
                placeholder=_("All extensions")), 3, "ext"),
            labelled(_("Extension groups"), dcc.Dropdown(
                id=page.id("group"), options=[{"label": g, "value": g} for g in groups], value=state["group"],
                multi=True, placeholder=_("All groups")), 2, "group"),
            labelled(_("Direction"), dcc.Checklist(
                id=page.id("dir"), options=[{"label": _(DIRECTION_LABELS[d]), "value": d} for d in DIRECTIONS],
                value=state["dir"], inline=True, inputClassName="me-1", labelClassName="me-2"), 2, "dir"),
        ],
        className="g-2",
    )
    def option_control(opt: Option):
        if opt.multi:
            choices = list(opt.dynamic(current_scope())) if opt.dynamic else []
            known = {v for v, _l in choices}
            choices += [(v, v) for v in state[opt.key] if v not in known]
            return labelled(_(opt.label), dcc.Dropdown(
                id=page.id(opt.key), options=[{"label": lbl, "value": v} for v, lbl in choices],
                value=state[opt.key], multi=True, placeholder=_(opt.placeholder) if opt.placeholder else None), 3)
        return labelled(_(opt.label), dcc.RadioItems(
            id=page.id(opt.key), options=[{"label": _(lbl), "value": v} for v, lbl in opt.choices],
            value=state[opt.key], inline=True, inputClassName="me-1", labelClassName="me-3"), 6)

    extras = [option_control(opt) for opt in page.options]
    download = dbc.Col(
        [dbc.Button(_("Download CSV"), id=page.id("csv-btn"), color="secondary", size="sm", className="mt-3 me-2"),
         dbc.Button(_("CSV with calls"), id=page.id("csv-calls-btn"), color="secondary", outline=True, size="sm",
                    className="mt-3", title=_("The table, then every call it counted")),
         dcc.Download(id=page.id("csv"))],
        md=4, className="ms-auto text-end",
    )
    return dbc.Card(dbc.CardBody([first_row, dbc.Row(extras + [download], className="g-2 mt-1")]),
                    className="mb-3 report-filters")


def _live_query(page: ReportPage, query: dict) -> dict:
    """The query the browser shows now. Filter changes rewrite the URL without telling the
    pages router, so when the router re-renders the page (a language switch) its query is
    the one the page was opened with; the request's Referer is the address bar as it is."""
    try:
        from flask import has_request_context, request

        if has_request_context() and request.referrer:
            url = urlparse(request.referrer)
            if url.path.rstrip("/").endswith(page.path) and url.query:
                return query_of_search(url.query)
    except Exception:  # never fail a page over this
        pass
    return query


def page_layout(page: ReportPage) -> Callable[..., html.Div]:
    def layout(lang: str = "en", **query):
        _ = translator(lang)
        state = report_state(page, _live_query(page, query))
        return html.Div(
            [
                dcc.Location(id=page.id("url"), refresh=False),
                dcc.Store(id=page.id("lang"), data=lang),
                html.H2(_(page.entry.title)),
                html.P(_(page.entry.summary), className="lead"),
                html.P([_("Times are in the PBX time zone ({tz}).", tz=tz_label()), " ",
                        dcc.Link(_("About the metrics"), href="/help/metrics")], className="text-muted small"),
                filter_bar(page, lang, state),
                html.Div(id=page.id("notes")),
                dcc.Loading(html.Div(id=page.id("chart"), className="report-chart"), type="default"),
                html.Details(
                    [
                        html.Summary(_("Columns"), className="small"),
                        dbc.Row([
                            dbc.Col([dbc.Label(_("Show columns"), className="small mb-1"),
                                     dcc.Checklist(id=page.id("cols"), options=[], value=[], inline=True,
                                                   inputClassName="me-1", labelClassName="me-3 small")], md=8),
                            dbc.Col([dbc.Label(_("Pin on the left"), className="small mb-1"),
                                     dcc.Dropdown(id=page.id("pin"), options=[], value=[], multi=True)], md=4),
                        ], className="g-2"),
                    ],
                    className="mt-3 report-columns",
                    id=page.id("columns"),
                ),
                dcc.Store(id=page.id("colprefs"), storage_type="local"),
                html.Div(
                    dag.AgGrid(
                        id=page.id("grid"),
                        rowData=[],
                        columnDefs=[],
                        defaultColDef={"sortable": True, "resizable": True, "filter": False, "minWidth": 90},
                        dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 100,
                                         "suppressColumnVirtualisation": True, "paginationPageSizeSelector": False},
                        columnSize="autoSize",
                        style={"width": "100%"},
                        className="ag-theme-alpine",
                    ),
                    id=page.id("table"),
                    className="mt-3",
                ),
                html.Div(id=page.id("sections"), className="report-sections"),
            ],
            className="report-page",
            id=page.id("page"),
        )

    return layout


class ColumnPrefs(TypedDict, total=False):
    """The ``{prefix}-colprefs`` store (this browser's column choices of a report)."""

    hidden: list[str] | None
    pinned: list[str] | None


class ColumnChoice(TypedDict):
    """An option of the ``{prefix}-cols`` checklist / ``{prefix}-pin`` dropdown (a column key)."""

    value: str
    label: NotRequired[Any]
    disabled: NotRequired[bool]


class ColumnDef(TypedDict):
    """A column of the report grid (grid_columns: the rest of its keys are AG Grid's)."""

    colId: str


def _prefs(prefs: dict | None, result_keys: list[str]) -> tuple[set[str], set[str]]:
    """(hidden, pinned) column keys from the stored preferences; by default nothing is
    hidden and the first column (the row label) is pinned."""
    prefs = prefs or {}
    hidden = set(prefs.get("hidden") or []) & set(result_keys[1:])  # the label column always shows
    pinned = prefs.get("pinned")
    pinned = set(result_keys[:1]) if pinned is None else set(pinned)
    return hidden, pinned


def grid_columns(result: ReportResult, lang: str, prefs: dict | None = None) -> list[dict]:
    hidden, pinned = _prefs(prefs, [c.key for c in result.columns])
    cols = []
    for i, c in enumerate(result.columns):
        d = {"field": f"c{i}", "colId": c.key, "headerName": header(c, lang),
             "valueFormatter": {"function": f"params.data ? params.data.c{i}_fmt : ''"},
             "hide": c.key in hidden, "pinned": "left" if c.key in pinned else None}
        if c.kind in ("int", "duration", "percent", "decimal"):
            d["type"] = "rightAligned"
        cols.append(d)
    return cols


def _raw(v):
    if v is None:
        return None
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def grid_rows(result: ReportResult, lang: str) -> list[dict]:
    return _table_rows(result.columns, result.df, lang)


def _table_rows(columns, df, lang: str, limit: int | None = None) -> list[dict]:
    # Each distinct value of a column is formatted once: long tables repeat few values (a
    # year of DID/DOD by day: ~4,000 rows over 365 dates and small counts), and locale
    # formatting was most of the time spent here. The type is part of the key (1 == 1.0).
    shown: dict = {}
    rows = []
    for rec in (df if limit is None else df.head(limit)).itertuples(index=False):
        row = {}
        for i, (c, v) in enumerate(zip(columns, rec)):
            row[f"c{i}"] = _raw(v)
            key = (i, type(v), v)
            try:
                text = shown[key]
            except KeyError:
                text = shown[key] = display_value(c, v, lang)
            except TypeError:  # an unhashable value: format it each time
                text = display_value(c, v, lang)
            row[f"c{i}_fmt"] = text
        rows.append(row)
    return rows


# Rows of a further table (sessions, pauses) sent to the page; the CSV has them all.
SECTION_PAGE_ROWS = 1000


def section_blocks(page: ReportPage, result: ReportResult, lang: str) -> list:
    """The report's further tables (ReportResult.sections) under the main one: a heading
    and a paged grid each; a long table shows its first SECTION_PAGE_ROWS rows and says so."""
    _ = translator(lang)
    blocks = []
    for sec in result.sections:
        defs = []
        for i, c in enumerate(sec.columns):
            d = {"field": f"c{i}", "colId": c.key, "headerName": header(c, lang),
                 "valueFormatter": {"function": f"params.data ? params.data.c{i}_fmt : ''"}}
            if c.kind in ("int", "duration", "percent", "decimal"):
                d["type"] = "rightAligned"
            defs.append(d)
        blocks.append(html.H4(_(sec.title), className="h5 mt-4"))
        if sec.df.empty:
            blocks.append(html.P(_("None in this period."), className="text-muted", id=page.id(f"{sec.key}-empty")))
            continue
        if len(sec.df) > SECTION_PAGE_ROWS:
            blocks.append(html.P(_("Showing the first {n} of {total} rows; the CSV download has them all.",
                                   n=SECTION_PAGE_ROWS, total=len(sec.df)), className="small text-muted"))
        blocks.append(dag.AgGrid(
            id=page.id(f"section-{sec.key}"), rowData=_table_rows(sec.columns, sec.df, lang, SECTION_PAGE_ROWS),
            columnDefs=defs, defaultColDef={"sortable": True, "resizable": True, "minWidth": 90},
            dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 50,
                             "paginationPageSizeSelector": False},
            columnSize="autoSize", style={"width": "100%"}, className="ag-theme-alpine report-section"))
    return blocks


# --------------------------------------------------------------------------- callbacks


def register_callbacks(page: ReportPage) -> None:
    option_inputs = [Input(page.id(opt.key), "value") for opt in page.options]
    option_states = [State(page.id(opt.key), "value") for opt in page.options]
    # What the filter controls send: days (date pickers), extensions / groups / directions
    # (multi-selects, checklist), each option (a multi-select, else radio items).
    filter_types = [Text, Text, Texts, Texts, Texts, *(Texts if opt.multi else Text for opt in page.options)]

    @dash.callback(
        Output(page.id("preset"), "value"),
        Output(page.id("dates"), "start_date"),
        Output(page.id("dates"), "end_date"),
        Input(page.id("preset"), "value"),
        Input(page.id("dates"), "start_date"),
        Input(page.id("dates"), "end_date"),
        prevent_initial_call=True,
    )
    @checked_inputs
    def _sync_dates(preset: Text, start, end):
        today = today_local()
        if ctx.triggered_id == page.id("preset"):
            if preset == "custom" or preset not in periods.PRESETS:
                return no_update, no_update, no_update
            first, last = periods.preset_days(preset, today)
            return no_update, first.isoformat(), last.isoformat()
        first, last = parse_day(start), parse_day(end)
        if not first or not last:
            return no_update, no_update, no_update
        new = periods.preset_of(first, last, today)
        return (new if new != preset else no_update), no_update, no_update

    @dash.callback(
        Output(page.id("chart"), "children"),
        Output(page.id("grid"), "columnDefs"),
        Output(page.id("grid"), "rowData"),
        Output(page.id("table"), "style"),
        Output(page.id("notes"), "children"),
        Output(page.id("url"), "search"),
        Output(page.id("cols"), "options"),
        Output(page.id("cols"), "value"),
        Output(page.id("pin"), "options"),
        Output(page.id("pin"), "value"),
        Output(page.id("sections"), "children"),
        Input(page.id("dates"), "start_date"),
        Input(page.id("dates"), "end_date"),
        Input(page.id("ext"), "value"),
        Input(page.id("group"), "value"),
        Input(page.id("dir"), "value"),
        *option_inputs,
        State(page.id("lang"), "data"),
        State(page.id("url"), "search"),
        State(page.id("colprefs"), "data"),
    )
    @checked_inputs(types=[*filter_types, Any, Any, ColumnPrefs | None])
    def _update(start, end, ext, group, dirs, *rest):
        opts, (lang, search, prefs) = rest[: len(page.options)], rest[len(page.options):]
        _ = translator(lang)
        state = _state_from_controls(page, start, end, ext, group, dirs, opts)
        try:
            result = run_report(page.report, current_scope(), report_filter(page, state))
        except Exception as exc:  # the database is away or a statement timed out: say so
            log.exception("report %s failed", page.report)
            alert = dbc.Alert(_("The report could not be computed ({error}). Try a shorter range or try again later.",
                                error=type(exc).__name__), color="danger", id=page.id("error"))
            return (alert, no_update, [], {"display": "none"}, [], no_update,
                    no_update, no_update, no_update, no_update, [])
        if result.empty:
            chart = dbc.Alert(_("No calls in this period."), color="secondary", id=page.id("empty"))
        else:
            # Czech: month names, decimal comma and thousands space on the axes and in hover
            # labels (plotly locale from assets/30-plotly-locale-cs.js).
            config = {"displaylogo": False, **({"locale": "cs"} if lang == "cs" else {})}
            chart = [dcc.Graph(figure=fig, id=page.id(f"graph-{i}"), config=config)
                     for i, fig in enumerate(page.figures(result, lang))]
        notes = [dbc.Alert(_(n), color="info", className="py-1") for n in result.notes]
        new_search = report_search(page, state)
        keys = [c.key for c in result.columns]
        hidden, pinned = _prefs(prefs, keys)
        choices = [{"label": header(c, lang), "value": c.key, "disabled": i == 0}
                   for i, c in enumerate(result.columns)]
        return (
            chart,
            grid_columns(result, lang, prefs),
            grid_rows(result, lang) if not result.empty else [],
            {"display": "none"} if result.empty else {},
            notes,
            no_update if new_search == search else new_search,
            choices,
            [k for k in keys if k not in hidden],
            [{"label": c["label"], "value": c["value"]} for c in choices],
            [k for k in keys if k in pinned],
            section_blocks(page, result, lang),
        )

    @dash.callback(
        Output(page.id("colprefs"), "data"),
        Output(page.id("grid"), "columnDefs", allow_duplicate=True),
        Input(page.id("cols"), "value"),
        Input(page.id("pin"), "value"),
        State(page.id("cols"), "options"),
        State(page.id("grid"), "columnDefs"),
        State(page.id("colprefs"), "data"),
        prevent_initial_call=True,
    )
    @checked_inputs
    def _choose_columns(visible: Texts, pins: Texts, options: list[ColumnChoice] | None,
                        column_defs: list[ColumnDef] | None, prefs: ColumnPrefs | None):
        """Show / hide and pin columns; remembered in this browser per report."""
        keys = [o["value"] for o in options or []]
        if not keys:
            return no_update, no_update
        prefs = dict(prefs or {})
        # Columns this result does not have keep their earlier choice.
        prefs["hidden"] = sorted((set(prefs.get("hidden") or []) - set(keys)) | (set(keys[1:]) - set(visible or [])))
        before = prefs.get("pinned")
        before = keys[:1] if before is None else before
        prefs["pinned"] = sorted((set(before) - set(keys)) | set(pins or []))
        hidden, pinned = _prefs(prefs, keys)
        defs = [dict(d, hide=d["colId"] in hidden, pinned="left" if d["colId"] in pinned else None)
                for d in column_defs or []]
        return prefs, defs

    @dash.callback(
        Output(page.id("csv"), "data"),
        Input(page.id("csv-btn"), "n_clicks"),
        Input(page.id("csv-calls-btn"), "n_clicks"),
        State(page.id("dates"), "start_date"),
        State(page.id("dates"), "end_date"),
        State(page.id("ext"), "value"),
        State(page.id("group"), "value"),
        State(page.id("dir"), "value"),
        *option_states,
        State(page.id("lang"), "data"),
        prevent_initial_call=True,
    )
    @checked_inputs(types=[Any, Any, *filter_types, Any])
    def _download(n_clicks, n_calls_clicks, start, end, ext, group, dirs, *rest):
        opts, lang = rest[: len(page.options)], rest[len(page.options)]
        state = _state_from_controls(page, start, end, ext, group, dirs, opts)
        scope = current_scope()
        result = run_report(page.report, scope, report_filter(page, state))
        calls = None
        if ctx.triggered_id == page.id("csv-calls-btn"):
            calls = call_rows(result, scope, limit=get_settings().max_result_rows)
            audit.record("export_report_calls", ("report", page.report), {"from": str(start), "to": str(end)})
        name = csv_filename(result)
        if calls is not None:
            name = name.replace(".csv", "_calls.csv")
        return dcc.send_string(to_csv(result, lang, calls), name, type="text/csv")

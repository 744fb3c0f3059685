"""Pieces shared by the listing pages (records, recordings, chats): the period controls and
the preset that fills the date picker, the filter controls -> URL callback, the filter's
validation message, and comma-separated list inputs.

Each page keeps its own ids under one prefix (``rec``, ``recs``, ``chat``) and its own
params class (callboard.reports.url_filters.RecordsQuery, ChatsQuery: the URL codec);
callbacks are access-checked by that output-id prefix (data.access.policy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import sqlalchemy as sa
from dash import Input, Output, State, callback, clientside_callback, dcc, no_update

from callboard.web.access import current_scope
from callboard.core.formatting import fmt_number
from callboard.core.i18n import translator
from callboard.web.input_checks import QueryParams, RowsRequest, RowsTotal, Text, Texts, checked_inputs, parameter_type
from callboard.core.settings import get_settings
from callboard.reports.url_filters import LIST_DEFAULT_PRESET
from data import db
from data import schema as s
from data.periods import PRESETS, preset_days, today_local
from data.queries.calls import InvalidFilter


# The converters below take what their control sends (their parameter's type, checked by
# register_filters_to_url before they run: callboard.web.input_checks).


def split_items(text: Text) -> tuple[str, ...]:
    """'101, 102;103' -> ('101', '102', '103')."""
    return tuple(x.strip() for x in str(text or "").replace(";", ",").split(",") if x.strip())


def text_value(value: Text) -> str:
    """A text input's value as the query field: trimmed, '' when empty."""
    return str(value or "").strip()


def choices_value(value: Texts) -> tuple:
    """A multi-select dropdown's value as the query field."""
    return tuple(value or ())


def choice_value(value: Text) -> str:
    """A single-select dropdown's value as the query field."""
    return value or ""


# The call-filter controls the records and recordings pages share (callboard.reports.url_filters):
# (RecordsQuery field, control id after "<prefix>-", how the control's value becomes the field).
CALL_FILTER_FIELDS = (
    ("number", "number", text_value),
    ("extensions", "ext", split_items),
    ("groups", "group", choices_value),
    ("directions", "dir", choices_value),
    ("trunks", "trunk", split_items),
    ("dids", "did", split_items),
    ("dmin", "dmin", text_value),
    ("dmax", "dmax", text_value),
)


def group_names() -> list[str]:
    """Extension-group names for the group filter."""
    try:
        return [r[0] for r in db.fetch_all(sa.select(s.extension_group.c.name).order_by(s.extension_group.c.name))]
    except Exception:  # an unreachable database shows up in the grid; the filter just lacks groups
        return []


def call_filter_controls(prefix: str, q, lang: str) -> dict[str, dbc.Col]:
    """The text controls of CALL_FILTER_FIELDS for `q` (a RecordsQuery), by id suffix; the page
    places them (and its own dropdowns) in its filter row."""
    _ = translator(lang)

    def text(suffix: str, label: str, value: str, md: int = 2, **options) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=f"{prefix}-{suffix}"),
                        dbc.Input(id=f"{prefix}-{suffix}", value=value, debounce=True, type="text", **options)], md=md)

    return {
        "number": text("number", _("Number contains"), q.number, placeholder=_("e.g. 777")),
        "ext": text("ext", _("Extensions"), ", ".join(q.extensions), placeholder=_("e.g. 101, 102")),
        "trunk": text("trunk", _("Trunks"), ", ".join(q.trunks)),
        "did": text("did", _("DIDs"), ", ".join(q.dids)),
        "dmin": text("dmin", _("Duration from (s)"), q.dmin, md=1, inputMode="numeric"),
        "dmax": text("dmax", _("to (s)"), q.dmax, md=1, inputMode="numeric"),
    }


def filter_or_error(query_cls, params: dict | None, lang: str):
    """(filter, None) for valid URL parameters, else (None, the translated message)."""
    try:
        return query_cls.from_params(params or {}).to_filter(get_settings().tz), None
    except InvalidFilter as exc:
        return None, translator(lang)(exc.msgid, **exc.params)


def period_controls(prefix: str, q, lang: str, **date_picker_options) -> list[dbc.Col]:
    """The "Period" preset dropdown and the "Days" picker (`{prefix}-preset`, `{prefix}-dates`)
    showing the days of `q` (a params object with preset/date_from/date_to/day_range)."""
    _ = translator(lang)
    try:
        first, last = q.day_range(today_local())
    except InvalidFilter:
        first = last = None
    return [
        dbc.Col([dbc.Label(_("Period"), html_for=f"{prefix}-preset"),
                 dcc.Dropdown(id=f"{prefix}-preset", options=[{"label": _(v), "value": k} for k, v in PRESETS.items()],
                              value=q.preset, clearable=False)], md=2),
        dbc.Col([dbc.Label(_("Days")),
                 dcc.DatePickerRange(id=f"{prefix}-dates", display_format="YYYY-MM-DD", first_day_of_week=1,
                                     start_date=(q.date_from or (first.isoformat() if first else None)),
                                     end_date=(q.date_to or (last.isoformat() if last else None)),
                                     disabled=q.preset != "custom", minimum_nights=0,
                                     **date_picker_options)], md="auto"),
    ]


def register_preset_dates(prefix: str) -> None:
    """A preset other than "custom" fills `{prefix}-dates` with its days and locks it."""

    @callback(
        Output(f"{prefix}-dates", "disabled"),
        Output(f"{prefix}-dates", "start_date"),
        Output(f"{prefix}-dates", "end_date"),
        Input(f"{prefix}-preset", "value"),
        prevent_initial_call=True,
    )
    @checked_inputs
    def _preset_dates(preset: Text):
        if preset == "custom" or preset not in PRESETS:
            return False, no_update, no_update
        first, last = preset_days(preset, today_local())
        return True, first.isoformat(), last.isoformat()


def register_filters_to_url(
    prefix: str,
    query_cls,
    fields: Sequence[tuple[str, str, Callable]],
    *,
    extra_outputs: Sequence[Output] = (),
    extra_values: Callable[[dict, str], tuple] | None = None,
) -> None:
    """Filter controls -> `{prefix}-query` store (the page's URL parameters), the page URL
    (`{prefix}-location.search`, no reload) and the validation message (`{prefix}-error`).

    The period (`{prefix}-preset`, `{prefix}-dates`) is common; `fields` lists the rest as
    (query field, control id after "{prefix}-", how the control's value becomes the field). `extra_values(params,
    lang)` gives `extra_outputs` for a changed query (e.g. download links); when the query did
    not change they and the URL stay as they are.
    """

    @callback(
        Output(f"{prefix}-query", "data"),
        Output(f"{prefix}-location", "search"),
        Output(f"{prefix}-error", "children"),
        Output(f"{prefix}-error", "is_open"),
        *extra_outputs,
        Input(f"{prefix}-preset", "value"),
        Input(f"{prefix}-dates", "start_date"),
        Input(f"{prefix}-dates", "end_date"),
        *(Input(f"{prefix}-{suffix}", "value") for _field, suffix, _convert in fields),
        State(f"{prefix}-query", "data"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    @checked_inputs(types=[Text, Text, Text, *(parameter_type(convert) for _f, _s, convert in fields), QueryParams,
                           Any])
    def _apply_filters(preset, start_date, end_date, *values):
        *values, current, lang = values
        q = query_cls.from_params(current or {}).with_(
            preset=preset if preset in PRESETS else LIST_DEFAULT_PRESET,
            date_from=(start_date or "")[:10] if preset == "custom" else "",
            date_to=(end_date or "")[:10] if preset == "custom" else "",
            **{field: convert(value) for (field, _id, convert), value in zip(fields, values)},
        )
        params = q.to_params()
        _filt, error = filter_or_error(query_cls, params, lang)
        if params == (current or {}):
            return (no_update, no_update, error, bool(error), *(no_update for _o in extra_outputs))
        extra = extra_values(params, lang) if extra_values else ()
        return (params, q.to_search(), error, bool(error), *extra)


def register_grid_purge(prefix: str, output: Output, value_js: str = "null") -> None:
    """A changed filter (`{prefix}-query`) drops `{prefix}-grid`'s cached blocks, so it asks for
    rows again; `output` gets `value_js`."""
    clientside_callback(
        """
        function (query) {
            const api = window.dash_ag_grid && dash_ag_grid.getApi && dash_ag_grid.getApi("%s-grid");
            if (api) { api.purgeInfiniteCache(); }
            return %s;
        }
        """ % (prefix, value_js),
        output,
        Input(f"{prefix}-query", "data"),
        prevent_initial_call=True,
    )


def fetch_block(request: dict, params: dict | None, total: dict | None, block: int,
                list_stmt: Callable, count_stmt: Callable):
    """The rows of the block AG Grid's infinite model asks for (`list_stmt(offset=, limit=)`)
    and the filter's row count as the `{prefix}-total` store: counted (`count_stmt()`) on the
    first block or for other parameters, else reused. -> (rows, total)"""
    start = max(0, int(request.get("startRow") or 0))
    # One block per request, as the grid asks (a larger range would read the whole table).
    end = min(max(start + 1, int(request.get("endRow") or start + block)), start + block)
    rows = db.fetch_all(list_stmt(offset=start, limit=end - start))
    key = repr(sorted((params or {}).items()))
    if start == 0 or not total or total.get("key") != key:
        total = {"key": key, "count": int(db.fetch_scalar(count_stmt()) or 0)}
    return rows, total


def register_grid_rows(prefix: str, query_cls, block: int, sorts, list_stmt: Callable, count_stmt: Callable,
                       row: Callable, count_label: Callable) -> None:
    """`{prefix}-grid`'s blocks (AG Grid infinite model) for the filter in `{prefix}-query`, in
    the user's scope: `list_stmt(scope, filt, sort=, offset=, limit=)`, `count_stmt(scope, filt)`,
    `row(r, lang)` -> the cells, `count_label(_, count_text)` -> `{prefix}-count`;
    `{prefix}-empty` opens when nothing matches. Sorting only by columns in `sorts`."""

    @callback(
        Output(f"{prefix}-grid", "getRowsResponse"),
        Output(f"{prefix}-total", "data"),
        Output(f"{prefix}-count", "children"),
        Output(f"{prefix}-empty", "is_open"),
        Input(f"{prefix}-grid", "getRowsRequest"),
        State(f"{prefix}-query", "data"),
        State(f"{prefix}-total", "data"),
        State("lang", "value"),
    )
    @checked_inputs
    def _get_rows(request: RowsRequest | None, params: QueryParams, total: RowsTotal | None, lang):
        if not request:
            return no_update, no_update, no_update, no_update
        filt, _error = filter_or_error(query_cls, params, lang)
        if filt is None:
            return {"rowData": [], "rowCount": 0}, None, "", False
        _ = translator(lang)
        sort = [(m.get("colId"), m.get("sort")) for m in request.get("sortModel") or [] if m.get("colId") in sorts]
        scope = current_scope()
        rows, total = fetch_block(request, params, total, block,
                                  lambda **page: list_stmt(scope, filt, sort=sort, **page),
                                  lambda: count_stmt(scope, filt))
        count = total["count"]
        return ({"rowData": [row(r, lang) for r in rows], "rowCount": count}, total,
                count_label(_, fmt_number(count, lang)), count == 0)

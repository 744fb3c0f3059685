"""Values a Dash callback receives that are not of the type their component sends: each
argument checked before the callback runs, answered 400 with the reason (issue 15, point 9).

The guard (callboard.web.auth.callback_bodies) lets a callback body through only with the
registered ids and properties; their *values* are free JSON. In the browser each component
sends fixed types — a multi-select dropdown a list of strings, AG Grid's ``getRowsRequest``
a dict of row numbers and sort columns, a ``dcc.Store`` what the page put into it — so
another type comes only from a hand-made request, and used to crash the callback (500).

- ``@checked_inputs`` under ``@callback``: every argument checked against its parameter's
  annotation before the callback runs (a parameter without one takes anything); the reason
  names the component (``rec-grid.getRowsRequest: startRow: Input should be a valid
  integer``). ``@checked_inputs(types=[...])`` gives the types by position instead, for
  callbacks registered with a varying number of inputs (the report pages' options).
- A wrong value raises ``BadInput`` (callboard.core.bad_input, with ``expect`` — the same
  strict check for one value — and ``Str``, a text without NUL): the app answers it 400.

The shapes below are what the components send; pages keep their own (a store's layout) beside
their callbacks. Values are checked, never converted: the callback gets what was sent.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError
from typing_extensions import TypedDict

from callboard.core.bad_input import BadInput, Str, reason, type_adapter

# Row numbers of AG Grid's infinite model: JavaScript's safe integers.
RowNumber = Annotated[int, Field(ge=0, le=2**53)]


def _is_day(text: str) -> str:
    date.fromisoformat(text[:10])  # a ValueError: pydantic's "Value error, Invalid isoformat string: 'x'"
    return text


def _is_id(value: str | int) -> str | int:
    from callboard.web.routes import db_id

    if db_id(value) is None:
        raise ValueError("not a database id (1 to 2**63-1)")
    return value


Text = Str | None  # a text input, a single-choice dropdown / select / radio items, a store of text
Texts = list[Str] | None  # a multi-select dropdown, a checklist
Day = Annotated[str, AfterValidator(_is_day)] | None  # a date picker's "YYYY-MM-DD" (a time part may follow)
Id = Annotated[str | int, AfterValidator(_is_id)]  # a database id (a select's value, a pattern id's key)
QueryParams = dict[str, Str | list[Str]] | None  # a page's URL parameters kept in a dcc.Store


class SortColumn(TypedDict, total=False):
    colId: str
    sort: Literal["asc", "desc"] | None


class RowsRequest(TypedDict, total=False):
    """AG Grid's infinite row model asking for a block (dash-ag-grid ``getRowsRequest``)."""

    startRow: RowNumber
    endRow: RowNumber
    sortModel: list[SortColumn]
    filterModel: dict[str, Any]


class RowsTotal(TypedDict):
    """The listing pages' ``{prefix}-total`` store: the filter's row count (callboard.web.listing_ui)."""

    key: str
    count: int


class CellClicked(TypedDict, total=False):
    """dash-ag-grid ``cellClicked``: the row's id (getRowId) and the column."""

    rowId: str | int | None
    colId: str | None
    rowIndex: int | None
    value: Any
    timestamp: int | float


def _argument_names(count: int, params: list[str]) -> list[str]:
    """What the callback's arguments are: ``id.property`` of each, in the order Dash passes
    them (outside a callback, or for an empty ALL list: the parameter names)."""
    fallback = [params[n] if n < len(params) else f"argument {n + 1}" for n in range(count)]
    try:
        from dash import callback_context

        names = []
        for item in callback_context.args_grouping:
            one = item[0] if isinstance(item, list) and item else item
            names.append(f"{one['id_str'] if isinstance(one.get('id'), dict) else one['id']}.{one['property']}"
                         if isinstance(one, dict) else "")
    except Exception:  # not in a callback (or a Dash without args_grouping)
        return fallback
    if len(names) != count:
        return fallback
    return [name or fallback[n] for n, name in enumerate(names)]


def _parameter_types(func: Callable) -> tuple[list[str], list, Any]:
    """(positional parameter names, their annotations, the *args annotation); Any where
    there is none."""
    hints = typing.get_type_hints(func, include_extras=True)
    names, kinds, rest = [], [], Any
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
            kinds.append(hints.get(p.name, Any))
        elif p.kind is p.VAR_POSITIONAL:
            rest = hints.get(p.name, Any)
    return names, kinds, rest


def parameter_type(func: Callable):
    """The annotated type of a function's first parameter (a converter's input), else Any."""
    _names, kinds, _rest = _parameter_types(func)
    return kinds[0] if kinds else Any


def checked_inputs(func: Callable | None = None, *, types: Sequence | None = None):
    """Decorator for a Dash callback (under ``@callback``): each argument must be of its
    parameter's annotated type (or of ``types[n]``, by position), else BadInput names the
    component. ``Any`` (or no annotation) takes anything."""

    def decorate(f: Callable) -> Callable:
        names, kinds, rest = _parameter_types(f)
        if types is not None:
            kinds, rest = list(types), Any
        # Built here: a type pydantic cannot check fails at import, not at the first request.
        adapters = [None if kind is Any else type_adapter(kind) for kind in kinds]
        rest_adapter = None if rest is Any else type_adapter(rest)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for n, value in enumerate(args):
                adapter = adapters[n] if n < len(adapters) else rest_adapter
                if adapter is None:
                    continue
                try:
                    adapter.validate_python(value, strict=True)
                except ValidationError as exc:
                    label = _argument_names(len(args), names)[n]
                    raise BadInput(reason(label, exc)) from None
            return f(*args, **kwargs)

        return wrapper

    return decorate(func) if func is not None else decorate

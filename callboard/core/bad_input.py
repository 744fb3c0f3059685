"""A value of the wrong type from outside (a hand-made request, a broken URL): one exception
with a short reason, and the strict type check that raises it (issue 15, point 9).

- ``BadInput(reason)``: raised for such a value — by a Dash callback's argument check
  (callboard.web.input_checks), by the URL codec (callboard.reports.url_filters). The web
  app answers it 400 with JSON ``{"error": "Bad input: <reason>", "status": 400}`` (the
  handler: callboard.web.auth.guard). Only this exception becomes a 400: any other error is
  a server bug and stays a 500, with its traceback in the log.
- ``expect(value, kind, where)``: the value when it is a ``kind`` (pydantic, strict: nothing
  is converted, an int is no string, a bool no int), else ``BadInput("where: why")``.
- ``Str``: a text a database can hold (no NUL character).

No Dash or Flask here: the reports layer checks URL parameters with it, the web layer its
callbacks' values.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, TypeAdapter, ValidationError

MAX_REASON = 200  # characters of a reason (a dict key sent back could be long)


class BadInput(ValueError):
    """A value from the browser that is not of the type its component or field sends. The
    reason is for developers (the answer of a hand-made request): English, short."""

    def __init__(self, reason: str):
        super().__init__(reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…")


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("a NUL character (no PostgreSQL text holds one)")
    return text


NoNul = AfterValidator(_no_nul)  # after other constraints of a text: Annotated[str, ..., NoNul]
Str = Annotated[str, NoNul]  # a text a database can hold

_ADAPTERS: dict = {}


def type_adapter(kind) -> TypeAdapter:
    """One TypeAdapter per type (building one takes far longer than a validation)."""
    try:
        return _ADAPTERS[kind]
    except KeyError:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
        return adapter
    except TypeError:  # an unhashable type (Annotated with unhashable metadata)
        return TypeAdapter(kind)


# pydantic's names of a union's members in an error's location ("str", "list[...]",
# "function-after[_no_nul(), str]"): left out of a reason.
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|[\w-]+\[.*\])$")


def reason(where: str, exc: ValidationError) -> str:
    """A BadInput reason from pydantic's errors: ``where: location: message (and n more)``."""
    errors = exc.errors(include_url=False, include_input=False)
    # The deepest error: of a union (text or list of texts) the member the value came closest to.
    first = max(errors, key=lambda e: len(e["loc"]))
    loc = ".".join(str(part) for part in first["loc"] if not (isinstance(part, str) and _UNION_MEMBER.match(part)))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{': ' + loc if loc else ''}: {first['msg']}{more}"


def expect(value, kind, where: str):
    """The value when it is a `kind`; else BadInput naming `where` (a component, a field)."""
    if kind is Any:
        return value
    try:
        type_adapter(kind).validate_python(value, strict=True)
    except ValidationError as exc:
        raise BadInput(reason(where, exc)) from None
    return value

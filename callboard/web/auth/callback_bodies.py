"""Dash callback requests checked against the callbacks the app registered, before they run.

Dash (4.x, ``dash.backends._flask`` ``_dispatch``) runs the function registered under
``body["output"]`` with the *values* of ``body["inputs"] + body["state"]`` **by position**;
it never compares their ids with the callback's definition, and it builds the answer from
``body["outputs"]`` (an empty list is accepted for a single output). So a body can name one
callback and hand it any values in any order. ``CallbackIndex.check(body)`` therefore
accepts only what Dash's renderer sends for the callback named by ``output``:

- ``output`` a key of the app's callback map (the exact string, ``@hash`` suffixes of
  ``allow_duplicate`` outputs included) of a server-side callback;
- ``outputs``, ``inputs`` and ``state`` each the registered dependencies in their order and
  number: the same string ids, pattern ids with the same keys (wildcard keys any id value,
  the others equal), the same properties; ``ALL`` / ``ALLSMALLER`` as a list;
- ``changedPropIds`` only ids of the inputs sent.

Anything else raises ``BadCallbackBody`` (the guard answers 400). The level of the callback
(data.access.policy.callback_decision over its registered outputs) comes with the spec;
the page router's page is read from the input at the position Dash passes as ``pathname_``.

The index is built once, from ``app.callback_map`` at the first callback request (Dash
merges the pages' callbacks into it at the first request), and looked up by the output key
in O(1); a body is checked in one pass over its dependencies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dash._utils import stringify_id

from data.access import policy

MULTI_WILDCARDS = (["ALL"], ["ALLSMALLER"])
ID_VALUE_TYPES = (str, int, float, bool)  # what Dash allows as a pattern id's values
# Properties whose type the components fix, whatever the page (counters of html / dcc /
# dbc components, dcc.Location's parts, date pickers' ISO dates, open / disabled flags):
# another type can only come from a hand-made body, and would crash the callback (500).
VALUE_TYPES = {
    **dict.fromkeys(("n_clicks", "n_intervals", "n_submit", "n_blur"), int),
    **dict.fromkeys(("pathname", "search", "hash", "href", "start_date", "end_date", "date"), str),
    **dict.fromkeys(("is_open", "disabled"), bool),
}


class BadCallbackBody(ValueError):
    """A callback body that is not what Dash's renderer sends for the callback it names.
    The reason is for developers (a JSON error of the callback endpoint): English only."""


@dataclass(frozen=True)
class Dependency:
    """One registered Input / State / Output: a string id, or a pattern id (dict) whose
    ``wildcards`` keys may hold any id value; ``multi`` (ALL / ALLSMALLER) arrives as a list."""

    id: Any
    property: str
    wildcards: frozenset = frozenset()
    multi: bool = False

    @classmethod
    def of(cls, spec: dict) -> "Dependency":
        raw = spec["id"]
        if isinstance(raw, str) and raw.startswith("{"):
            pattern = json.loads(raw)
            wild = frozenset(k for k, v in pattern.items() if isinstance(v, list))
            return cls(pattern, spec["property"], wild, any(pattern[k] in MULTI_WILDCARDS for k in wild))
        return cls(raw, spec["property"])

    def matches_id(self, got) -> bool:
        if not isinstance(self.id, dict):
            return isinstance(got, str) and got == self.id
        if not isinstance(got, dict) or got.keys() != self.id.keys():
            return False
        for key, value in got.items():
            if key in self.wildcards:
                if not isinstance(value, ID_VALUE_TYPES):
                    return False
            elif value != self.id[key]:
                return False
        return True


@dataclass(frozen=True)
class CallbackSpec:
    key: str
    level: str  # a policy level, or policy.PAGE for the page router
    inputs: tuple[Dependency, ...]
    state: tuple[Dependency, ...]
    outputs: tuple[Dependency, ...]
    multi_output: bool  # the key is "..a.b...c.d..": outputs arrive as a list
    pathname_at: int | None = None  # the router: position of the value Dash passes as pathname_
    search_at: int | None = None


def _output_specs(output) -> list[dict]:
    outs = output if isinstance(output, (list, tuple)) else [output]
    return [o.to_dict() for o in outs]


def _spec_of(key: str, entry: dict) -> CallbackSpec:
    outputs = tuple(Dependency.of(o) for o in ([] if entry.get("no_output") else _output_specs(entry["output"])))
    output_ids = [o.id.get("type") if isinstance(o.id, dict) else o.id for o in outputs]
    level = policy.callback_decision(output_ids)
    indices = entry.get("inputs_state_indices")
    pathname_at = search_at = None
    if level == policy.PAGE:  # Dash's pages router: update(pathname_, search_, **routing inputs)
        pathname_at, search_at = indices["pathname_"], indices["search_"]
    return CallbackSpec(key, level, tuple(Dependency.of(i) for i in entry["inputs"]),
                        tuple(Dependency.of(s) for s in entry["state"]), outputs, key.startswith(".."),
                        pathname_at, search_at)


def _check_item(dep: Dependency, item, what: str, *, output: bool = False) -> None:
    """One body entry against its registered dependency (a list for ALL / ALLSMALLER)."""
    if dep.multi:
        if not isinstance(item, list):
            raise BadCallbackBody(f"{what}: a list expected (pattern {dep.id})")
        for one in item:
            _check_one(dep, one, what, output=output)
        return
    _check_one(dep, item, what, output=output)


def _check_one(dep: Dependency, item, what: str, *, output: bool) -> None:
    if not isinstance(item, dict):
        raise BadCallbackBody(f"{what}: an object with id and property expected")
    prop = item.get("property")
    if not isinstance(prop, str):
        raise BadCallbackBody(f"{what}: property missing")
    if output:
        prop = prop.split("@", 1)[0]  # the renderer sends an allow_duplicate output's "@hash" too
    if prop != dep.property or not dep.matches_id(item.get("id")):
        raise BadCallbackBody(f"{what}: {stringify_id(item.get('id')) if item.get('id') is not None else None}"
                              f".{prop} is not the registered {stringify_id(dep.id)}.{dep.property}")
    kind = None if output else VALUE_TYPES.get(prop)
    value = item.get("value")
    if kind is not None and value is not None and (type(value) is not kind):  # bool is no n_clicks
        raise BadCallbackBody(f"{what}: {prop} must be {kind.__name__}, not {type(value).__name__}")


def _check_list(deps: tuple[Dependency, ...], items, what: str, *, output: bool = False) -> None:
    if not isinstance(items, list):
        raise BadCallbackBody(f"{what}: a list expected")
    if len(items) != len(deps):
        raise BadCallbackBody(f"{what}: {len(items)} given, the callback has {len(deps)}")
    for n, (dep, item) in enumerate(zip(deps, items)):
        _check_item(dep, item, f"{what}[{n}]", output=output)


def _prop_ids(items) -> set[str]:
    ids = set()
    for item in items:
        for one in item if isinstance(item, list) else [item]:
            ids.add(f"{stringify_id(one['id'])}.{one['property']}")
    return ids


class CallbackIndex:
    """The app's server-side callbacks by output key (built once, at first use)."""

    def __init__(self, app) -> None:
        self.app = app
        self._specs: dict[str, CallbackSpec] = {}
        self._built_from = -1  # len(callback_map) it was built from

    def get(self, key: str) -> CallbackSpec | None:
        callback_map = self.app.callback_map
        if len(callback_map) != self._built_from:  # first use (or callbacks added since): (re)build
            self._specs = {k: _spec_of(k, v) for k, v in callback_map.items() if "callback" in v}
            self._built_from = len(callback_map)
        return self._specs.get(key)

    def spec_for(self, body) -> CallbackSpec:
        """The registered callback a body names (unknown or not server-side: BadCallbackBody)."""
        if not isinstance(body, dict):
            raise BadCallbackBody("the body must be a JSON object")
        key = body.get("output")
        if not isinstance(key, str) or not key:
            raise BadCallbackBody("output: the callback's output string expected")
        spec = self.get(key)
        if spec is None:
            raise BadCallbackBody("output: no such server-side callback")
        return spec

    @staticmethod
    def check(spec: CallbackSpec, body: dict) -> None:
        """The body's outputs, inputs, state and changedPropIds are the registered ones."""
        outputs = body.get("outputs")
        if not spec.outputs:
            if outputs not in (None, []):
                raise BadCallbackBody("outputs: this callback has none")
        elif spec.multi_output:
            _check_list(spec.outputs, outputs, "outputs", output=True)
        else:
            if outputs is None or outputs == []:
                raise BadCallbackBody("outputs: missing")
            _check_item(spec.outputs[0], outputs, "outputs", output=True)
        inputs = body.get("inputs")
        _check_list(spec.inputs, inputs, "inputs")
        state = body.get("state")
        _check_list(spec.state, [] if state is None else state, "state")
        changed = body.get("changedPropIds", [])
        if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
            raise BadCallbackBody("changedPropIds: a list of strings expected")
        if changed and not set(changed) <= _prop_ids(inputs):
            raise BadCallbackBody("changedPropIds: only the inputs sent may have changed")

    @staticmethod
    def value_at(body: dict, position: int):
        """The value Dash passes at this position of inputs + state."""
        flat = body["inputs"] + (body.get("state") or [])
        item = flat[position]
        return [one.get("value") for one in item] if isinstance(item, list) else item.get("value")

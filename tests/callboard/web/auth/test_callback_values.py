"""Callback bodies with the registered ids but values of other JSON types (issue 15, point 9).

The guard (callboard.web.auth.callback_bodies) refuses bodies whose ids and properties are not
the registered ones; the values are the callbacks' business. A hand-made body can put an
int where a dropdown's text, a grid's getRowsRequest dict, a dcc.Store's data or a list of
extensions is expected: the callback must answer 400 with a short reason
(callboard.core.bad_input.BadInput) or run (200 / 204) — never crash (500).

The administrator runs every callback. The other inputs carry the values the pages render
(each page's layout through the router, the shell's from /_dash-layout), so a callback gets
past its "nothing to do" checks to the code that reads the wrong value; the input that
changed is the one sent wrong (for a wrong state: each button in turn, clicked once more).
A crash is reported with its exception and the line that raised it.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callboard.web.auth.callback_bodies import VALUE_TYPES
from tests.callboard.web.auth.conftest import built_world
from tests.callboard.web.auth.support import exact_body, post_body, router_body, router_key, server_callbacks
from tests.conftest import BACKENDS, create_pg_database, drop_pg_database

# Values of every JSON type and the shapes that reach deeper: a long text, a NUL character
# (PostgreSQL holds no text with one), nested lists, a list of dicts where a list of texts
# is expected, a dict with wrong-typed grid fields.
WRONG_VALUES = (-1, 2**70, 1.5, "", "x", "a\x00b", True, None, [1, "2", None], {}, {"a": 1}, "z" * 5000,
                [[1, [2, [3]]]], [{"a": 1}], {"startRow": "x", "sortModel": 5})
# Wildcard values of pattern ids (Dash allows strings, numbers and booleans there).
WRONG_ID_VALUES = (0, 2**70, -1, 1.5, True, "x", "")
CHUNKS = 6  # the callbacks in this many test items (spread over the test workers)
MAX_REASON = 300
ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    """The access tests' app (tests/callboard/web/auth/conftest.py) over SQLite and over PostgreSQL: a
    value can fail on one database only (a text too long for its column, a NUL character)."""
    tmp = tmp_path_factory.mktemp("values")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'callboard.db'}"
    else:
        name = f"callboard_values_{os.getpid()}"
        url = create_pg_database(name)
    try:
        with built_world(url, tmp) as built:
            yield built
    finally:
        if request.param == "postgresql":
            drop_pg_database(name)


def _walk(node, found: dict) -> None:
    """Every component of a layout (Dash's JSON) by id -> its properties (pattern ids: by
    "type", with the first id seen)."""
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
    elif isinstance(node, dict):
        props = node.get("props") if "namespace" in node else None
        if isinstance(props, dict):
            cid = props.get("id")
            if cid is not None:
                seen = found.setdefault(cid.get("type") if isinstance(cid, dict) else cid, {"_id": cid})
                seen.update({k: v for k, v in props.items() if k not in ("children", "id")})
            for value in props.values():
                _walk(value, found)
        else:
            for value in node.values():
                _walk(value, found)


@pytest.fixture(scope="module")
def rendered(world, clients):
    """Component id (a pattern id's "type") -> the properties the pages render it with."""
    app, _ = world
    from dash import page_registry

    from data import db
    from data.importers import rules

    with db.transaction() as conn:  # /admin/sources then renders rows (pattern ids)
        rules.set_class(conn, 1, rules.PEER, "PJSIP/provider", kind="trunk")
        rules.set_class(conn, 1, rules.NUMBER, "600", kind="queue")
    admin = clients["admin"]
    found: dict = {}
    _walk(admin.get("/_dash-layout").get_json(), found)
    for path in sorted(p["path"] for p in page_registry.values()):
        resp = post_body(admin, router_body(app, path))
        assert resp.status_code == 200, path
        _walk(resp.get_json(), found)
    return found


def _positions(app, key: str) -> list[tuple[str, int, dict]]:
    cb = app.callback_map[key]
    return [("inputs", n, dep) for n, dep in enumerate(cb["inputs"])] + \
           [("state", n, dep) for n, dep in enumerate(cb["state"])]


def _buttons(app, key: str) -> list[int]:
    """Positions of the inputs that are counters (buttons, intervals): the triggers."""
    return [n for n, dep in enumerate(app.callback_map[key]["inputs"]) if VALUE_TYPES.get(dep["property"]) is int]


def _base_value(rendered: dict, dep: dict):
    cid = dep["id"]
    key = json.loads(cid).get("type") if cid.startswith("{") else cid
    value = rendered.get(key, {}).get(dep["property"])
    if value is None and VALUE_TYPES.get(dep["property"]) is int:
        return 1  # a button clicked once
    return value


def _ids(item) -> list[dict]:
    return item if isinstance(item, list) else [item]


def _body(app, rendered: dict, key: str, wrong: dict[tuple[str, int], object], trigger: int | None = None,
          wildcard=None) -> dict:
    """The body of `key` with the rendered values, `wrong` {(part, position): value} in,
    the input at `trigger` changed (default: the first one sent wrong, else the first
    button) and, with `wildcard`, that value in every wildcard key of its pattern id."""
    values = {(dep["id"], dep["property"]): _base_value(rendered, dep) for _part, _n, dep in _positions(app, key)}
    body = exact_body(app, key, values)
    for part in ("inputs", "state"):  # pattern ids as the page renders them (wildcards filled in)
        for item in body.get(part, []):
            for one in _ids(item):
                if isinstance(one["id"], dict) and one["id"].get("type") in rendered:
                    one["id"] = dict(rendered[one["id"]["type"]]["_id"])
    for (part, n), value in wrong.items():
        for one in _ids(body[part][n]):
            one["value"] = copy.deepcopy(value)
    if trigger is None:
        sent = [n for part, n in wrong if part == "inputs"]
        trigger = sent[0] if sent else (_buttons(app, key) or [0])[0]
    if trigger in _buttons(app, key) and ("inputs", trigger) not in wrong:
        for one in _ids(body["inputs"][trigger]):
            one["value"] = (one["value"] or 0) + 1  # clicked (once more)
    if wildcard is not None:
        spec = app.callback_map[key]["inputs"][trigger]
        for one in _ids(body["inputs"][trigger]):
            one["id"] = {k: (wildcard if isinstance(v, list) else v) for k, v in json.loads(spec["id"]).items()}
    if body["inputs"]:
        one = _ids(body["inputs"][trigger])
        if one:
            from dash._utils import stringify_id

            body["changedPropIds"] = [f"{stringify_id(one[0]['id'])}.{one[0]['property']}"]
    return body


def _problem(resp, crashes: list) -> str | None:
    """None for 200 / 204 / a 400 with a short reason; else what went wrong (a 500 with the
    exception the app raised and the line of ours it came from)."""
    text = resp.get_data(as_text=True)
    if resp.status_code in (200, 204):
        return "a traceback in the answer" if "Traceback" in text else None
    if resp.status_code != 400:
        where = ""
        if crashes:
            exc = crashes.pop()
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename]
            frame = (ours or frames)[-1]
            name = Path(frame.filename).relative_to(ROOT) if ours else frame.filename
            where = f" {type(exc).__name__}: {str(exc)[:60]} ({name}:{frame.lineno})"
        return f"{resp.status_code}{where}"
    error = (resp.get_json(silent=True) or {}).get("error")
    if not isinstance(error, str) or not error or len(error) > MAX_REASON or "Traceback" in error:
        return f"400 without a short reason: {text[:200]!r}"
    return None


def _callbacks(app) -> list[str]:
    return sorted(k for k in server_callbacks(app) if k != router_key(app))


@pytest.fixture
def crashes(world):
    """The exceptions the app raised (Flask's got_request_exception), newest last; the app's
    own error log is muted meanwhile (each crash is named by the assertion)."""
    from flask import got_request_exception

    app, _ = world
    seen: list = []

    def _record(_sender, exception, **_extra):
        seen.append(exception)

    got_request_exception.connect(_record, app.server)
    logging.getLogger(app.server.name).disabled = True
    yield seen
    logging.getLogger(app.server.name).disabled = False
    got_request_exception.disconnect(_record, app.server)


def _report(crashed: dict) -> str:
    return f"{len(crashed)} callbacks crash:\n" + "\n".join(
        f"{key[:100]}\n    " + "\n    ".join(f"{line} <- {', '.join(vals[:4])}" for line, vals in lines.items())
        for key, lines in crashed.items())


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_callback_answers_wrong_value_types_with_400_or_runs(world, clients, rendered, crashes, chunk):
    """Every callback (a sixth of them per item), every input and state in turn, every wrong
    value; a wrong state with each of the callback's buttons in turn."""
    app, _ = world
    crashed: dict[str, dict[str, list[str]]] = {}
    for key in _callbacks(app)[chunk::CHUNKS]:
        buttons = _buttons(app, key) or [None]
        for part, n, dep in _positions(app, key):
            for i, value in enumerate(WRONG_VALUES):
                trigger = None if part == "inputs" else buttons[i % len(buttons)]
                problem = _problem(post_body(clients["admin"], _body(app, rendered, key, {(part, n): value}, trigger)),
                                   crashes)
                if problem:
                    lines = crashed.setdefault(key, {})
                    lines.setdefault(f"{dep['id']}.{dep['property']}: {problem}", []).append(repr(value)[:20])
    assert not crashed, _report(crashed)


def test_pattern_ids_with_other_wildcard_values(world, clients, rendered, crashes):
    """A button of a pattern id (a row's "delete", a schedule's "run now") whose wildcard
    keys hold another type or an id no row has."""
    app, _ = world
    crashed: dict[str, dict[str, list[str]]] = {}
    for key in _callbacks(app):
        for n, dep in enumerate(app.callback_map[key]["inputs"]):
            if not dep["id"].startswith("{"):
                continue
            for value in WRONG_ID_VALUES:
                problem = _problem(post_body(clients["admin"], _body(app, rendered, key, {}, n, wildcard=value)),
                                   crashes)
                if problem:
                    crashed.setdefault(key, {}).setdefault(f"{dep['id']}: {problem}", []).append(repr(value))
    assert not crashed, _report(crashed)


def test_the_rendered_values_run(world, clients, rendered):
    """The bodies the tests build (without wrong values) are what the pages send: they run
    (else the tests above would prove nothing), with every button as the trigger."""
    app, _ = world
    refused = []
    for key in _callbacks(app):
        for trigger in _buttons(app, key) or [None]:
            resp = post_body(clients["admin"], _body(app, rendered, key, {}, trigger))
            if resp.status_code not in (200, 204):
                refused.append(f"{key[:80]} (trigger {trigger}): {resp.status_code} "
                               f"{resp.get_data(as_text=True)[:150]}")
    assert not refused, "\n".join(refused)


def test_a_wrong_type_is_answered_with_the_component_and_the_reason(world, clients, rendered):
    """What a 400 says: the component and property, and what pydantic found."""
    app, _ = world
    key = next(k for k in _callbacks(app) if k.startswith("..rec-grid.getRowsResponse"))
    resp = post_body(clients["admin"], _body(app, rendered, key, {("inputs", 0): {"startRow": "x", "endRow": 100}}))
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "Bad input: rec-grid.getRowsRequest: startRow: Input should be a valid integer",
                               "status": 400}
    assert resp.headers["Cache-Control"] == "no-store"
    key = next(k for k in _callbacks(app) if k.startswith("..pa-chart.children"))
    n = next(i for i, dep in enumerate(app.callback_map[key]["inputs"]) if dep["id"] == "pa-ext")
    resp = post_body(clients["admin"], _body(app, rendered, key, {("inputs", n): ["101", 7]}))
    assert resp.get_json()["error"] == "Bad input: pa-ext.value: 1: Input should be a valid string"
    # The same callbacks with what the pages send run.
    assert post_body(clients["admin"], _body(app, rendered, key, {("inputs", n): ["101"]})).status_code == 200


def test_a_server_bug_stays_a_500_and_is_logged(world, clients, rendered, monkeypatch, caplog):
    """Only BadInput becomes a 400: any other exception in a callback is a 500, with its
    traceback in the log."""
    app, _ = world
    from data.access import audit

    def broken(**_kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(audit, "entries_query", broken)  # what the audit page's callback calls
    key = next(k for k in _callbacks(app) if k == "audit-results.children")
    with caplog.at_level(logging.ERROR):
        resp = post_body(clients["admin"], _body(app, rendered, key, {}))
    assert resp.status_code == 500
    assert "Bad input" not in resp.get_data(as_text=True)
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=4),
                    max_leaves=10)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_values_in_random_places(world, clients, rendered, crashes, data):
    """Hypothesis: a callback, any of its buttons as the trigger, arbitrary JSON in one to
    three of its inputs / state at once."""
    app, _ = world
    key = data.draw(st.sampled_from(_callbacks(app)), label="callback")
    places = [(part, n) for part, n, _dep in _positions(app, key)]
    chosen = data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=3, unique=True), label="places")
    wrong = {place: data.draw(JSON, label=str(place)) for place in chosen}
    trigger = data.draw(st.sampled_from(_buttons(app, key) or [None]), label="trigger")
    problem = _problem(post_body(clients["admin"], _body(app, rendered, key, wrong, trigger)), crashes)
    assert problem is None, f"{key}: {problem}"

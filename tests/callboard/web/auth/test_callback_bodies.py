"""Dash callback bodies that are not what Dash's renderer sends (issue 15, points 1, 2, 5, 9).

Dash runs the callback registered under ``body["output"]`` with the values of
``inputs + state`` by position and never compares their ids with the callback's
definition. The guard (callboard.web.auth.guard, callboard.web.auth.callback_bodies) decides by
the registered callback and refuses any body that does not match it: 401 for nobody
(before the body is read), 403 below the callback's level, 400 for a body that names an
unknown callback or does not match the named one. The app and principals:
tests/callboard/web/auth/conftest.py (admin, manager and viewer of team A, a wall display, nobody).
"""

from __future__ import annotations

import copy
import io
import json
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dash._utils import stringify_id

from data.access import policy
from tests.callboard.web.auth.support import (PRINCIPALS, allowed, callback_level, csrf_header, exact_body, post_body, refusal,
                                router_body, router_key, server_callbacks)

UPDATE = "/_dash-update-component"


def _status(client, body):
    return post_body(client, body).status_code


# --------------------------------------------------------------------------- the page router (point 1)


def test_router_decides_by_the_pathname_dash_renders(world, clients):
    """Issue 15's attack: inputs [pathname "/", search "?token=…", pathname "/wallboard"]
    with only a wall display's cookie rendered the company-wide Overview (the guard read the
    last pathname, Dash the first)."""
    app, ids = world
    router = router_key(app)
    attack = exact_body(app, router)
    attack["inputs"] = [{"id": "_pages_location", "property": "pathname", "value": "/"},
                        {"id": "_pages_location", "property": "search", "value": f"?token={ids['display_token']}"},
                        {"id": "_pages_location", "property": "pathname", "value": "/wallboard"}]
    resp = post_body(clients["display"], attack)
    assert resp.status_code == 400 and b"kpi-calls" not in resp.data
    assert "inputs[2]" in resp.get_json()["error"]  # the third input is the language, not a pathname
    for path in ("/", "/records", "/schedules/exports", "/email-template", "/reports/pbx-activity"):
        assert _status(clients["display"], router_body(app, path)) == 403, path
    assert _status(clients["display"], router_body(app, "/wallboard", f"?token={ids['display_token']}")) == 200
    # A viewer and the administrator's email-template page, in every spelling Dash accepts.
    for pathname in ("/email-template", "/email-template/", "//email-template", "/email-template?x=1#y"):
        resp = post_body(clients["viewer_a"], router_body(app, pathname))
        assert resp.status_code in (403, 200), pathname
        assert b"et-subject" not in resp.data, pathname
    # Dash cannot render a pathname without the leading slash (it raises): 400, not a 500.
    resp = post_body(clients["viewer_a"], router_body(app, "email-template"))
    assert resp.status_code == 400 and "cannot render" in resp.get_json()["error"]
    for bad in (123, ["/"], {"p": "/"}):
        assert _status(clients["admin"], router_body(app, bad)) == 400, bad
    assert _status(clients["admin"], router_body(app, "/", search=5)) == 400


def test_a_display_without_its_cookie_is_nobody_to_callbacks(world):
    """The display token in a router body's search no longer signs anybody in: a display's
    callbacks carry the cookie its page GET set."""
    app, ids = world
    fresh = app.server.test_client()
    body = router_body(app, "/wallboard", f"?token={ids['display_token']}")
    assert fresh.post(UPDATE, json=body).status_code == 401


# --------------------------------------------------------------------------- outputs (point 2)


def test_outputs_cannot_lower_a_callbacks_level(world, clients):
    """``"outputs": []`` (which Dash accepts for a single output) or the outputs of a
    viewer's callback sent with an administrator's / manager's ``output``."""
    app, _ = world
    callbacks = server_callbacks(app)
    admin_key = next(k for k in callbacks if k.startswith("..admin-users-result"))
    manager_key = next(k for k, outs in callbacks.items() if callback_level(outs) == policy.MANAGER)
    viewer_key = next(k for k, outs in callbacks.items() if callback_level(outs) == policy.VIEWER)
    for key in (admin_key, manager_key):
        for outputs in ([], exact_body(app, viewer_key)["outputs"], {"id": "rec-grid", "property": "rowData"}):
            body = dict(exact_body(app, key), outputs=outputs)
            assert _status(clients["viewer_a"], body) == 403, (key, outputs)
            assert _status(clients["admin"], body) == 400, (key, outputs)  # allowed, but not this body
    single = next(k for k in callbacks if not k.startswith("..") and callback_level(callbacks[k]) == policy.VIEWER)
    resp = post_body(clients["viewer_a"], dict(exact_body(app, single), outputs=[]))
    assert resp.status_code == 400 and resp.get_json()["error"] == "Malformed callback request: outputs: missing"


def test_output_with_and_without_its_hash(world, clients):
    app, _ = world
    # A hashed output a manager may run (the first one registered became the administrators'
    # /admin/sources list when that page came).
    hashed = next(k for k, outs in server_callbacks(app).items()
                  if "@" in k and not k.startswith("..") and allowed(callback_level(outs), "manager_a"))
    assert _status(clients["manager_a"], exact_body(app, hashed)) not in (400, 401, 403)
    bare = dict(exact_body(app, hashed), output=hashed.split("@", 1)[0])
    if bare["output"] not in app.callback_map:
        assert _status(clients["admin"], bare) == 400
    plain = next(k for k in server_callbacks(app) if "@" not in k and not k.startswith(".."))
    assert _status(clients["admin"], dict(exact_body(app, plain), output=plain + "@" + "0" * 64)) == 400


# --------------------------------------------------------------------------- malformed bodies (point 9)


def test_malformed_bodies_answer_400_with_a_reason(world, clients):
    app, _ = world
    key = next(k for k, outs in server_callbacks(app).items() if outs[0]["id"] == "navbar-slot")
    good = exact_body(app, key)
    bodies = {
        "a JSON array": [good],
        "a JSON string": "x",
        "output 123": dict(good, output=123),
        "no output": {k: v for k, v in good.items() if k != "output"},
        "no inputs": {k: v for k, v in good.items() if k != "inputs"},
        "inputs a string": dict(good, inputs="lang.value"),
        "inputs of numbers": dict(good, inputs=[1, 2]),
        "an input without property": dict(good, inputs=[{"id": "lang"}, good["inputs"][1]]),
        "an input id of the wrong type": dict(good, inputs=[{"id": 7, "property": "value"}, good["inputs"][1]]),
        "state an object": dict(good, state={"a": 1}),
        "a pathname of the wrong type": dict(good, inputs=[good["inputs"][0], dict(good["inputs"][1], value=5)]),
        "outputs a string": dict(good, outputs="navbar-slot.children"),
        "changedPropIds a string": dict(good, changedPropIds="lang.value"),
        "changedPropIds of another component": dict(good, changedPropIds=["rec-del-confirm.n_clicks"]),
        "a clientside callback": dict(good, output=next(k for k, v in app.callback_map.items()
                                                        if "callback" not in v)),
        "an unknown callback": dict(good, output="no-such.children"),
    }
    wrong = []
    for what, body in bodies.items():
        resp = post_body(clients["admin"], body)
        error = (resp.get_json(silent=True) or {}).get("error", "")
        if resp.status_code != 400 or not error.startswith("Malformed callback request: "):
            wrong.append(f"{what}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
    for what, data, ctype in (("not JSON", b"{nope", "application/json"), ("text", b"x", "text/plain")):
        resp = clients["admin"].post(UPDATE, data=data, content_type=ctype, headers=csrf_header(clients["admin"]))
        if resp.status_code != 400:
            wrong.append(f"{what}: {resp.status_code}")
    assert not wrong, "\n".join(wrong)
    assert _status(clients["admin"], good) == 200  # the same callback, as the renderer sends it


def test_a_language_of_the_wrong_type_is_no_500(world, clients):
    """Every page callback takes the shell's language; a number there must not crash it."""
    app, _ = world
    body = router_body(app, "/records", lang=123)
    assert _status(clients["viewer_a"], body) == 200


# --------------------------------------------------------------------------- who asks, before parsing (point 5)


class _Unreadable(io.BytesIO):
    """A 5 MB request body that fails the test if anything reads it."""

    def __init__(self):
        super().__init__(b'{"output": "x"' + b" " * (5 * 1024 * 1024) + b"}")

    def _refuse(self, *_args):
        raise AssertionError("the body was read before the request was refused")

    read = read1 = readline = readinto = _refuse


def test_nobody_gets_401_before_the_body_is_read(world):
    app, _ = world
    client = app.server.test_client()
    resp = client.post(UPDATE, input_stream=_Unreadable(), content_type="application/json")
    assert resp.status_code == 401 and resp.get_json()["error"] == "Please log in."


def test_no_csrf_token_403_before_the_body_is_read(world, clients):
    resp = clients["viewer_a"].post(UPDATE, input_stream=_Unreadable(), content_type="application/json")
    assert resp.status_code == 403


# --------------------------------------------------------------------------- the property test


def _shape(body: dict) -> str:
    """A body without its values (the output properties without their "@hash"): two bodies
    of the same shape run the same callback with the same arguments in the same places."""
    def strip(item, output=False):
        if isinstance(item, list):
            return [strip(i, output) for i in item]
        if not isinstance(item, dict):
            return item
        prop = item.get("property")
        if output and isinstance(prop, str):
            prop = prop.split("@", 1)[0]
        return [item.get("id"), prop]

    outputs = body.get("outputs")
    inputs = [one for item in body.get("inputs") or [] for one in (item if isinstance(item, list) else [item])]
    sent = {f"{stringify_id(i.get('id'))}.{i.get('property')}" for i in inputs if isinstance(i, dict)}
    changed = body.get("changedPropIds") or []
    return json.dumps([body.get("output"),
                       strip(outputs, True) if isinstance(outputs, dict) else [strip(o, True) for o in outputs or []],
                       [strip(i) for i in body.get("inputs") or []], [strip(i) for i in body.get("state") or []],
                       set(changed) <= sent], sort_keys=True)  # only inputs sent may have changed


def _mutate(app, keys, body, kind, rnd) -> dict:
    """A copy of body with one change of the given kind (possibly none: e.g. a shuffle of
    equal inputs; the expectation then says the body runs)."""
    body = copy.deepcopy(body)
    key = body["output"]
    flat = body["inputs"] = list(body.get("inputs") or [])
    if kind == "reorder" and len(flat) > 1:
        rnd.shuffle(flat)
    elif kind == "reorder_state" and body.get("state") and len(body["state"]) > 1:
        rnd.shuffle(body["state"])
    elif kind == "duplicate" and flat:
        flat.insert(rnd.randrange(len(flat) + 1), copy.deepcopy(rnd.choice(flat)))
    elif kind == "missing" and flat:
        del flat[rnd.randrange(len(flat))]
    elif kind == "extra":
        flat.insert(rnd.randrange(len(flat) + 1), {"id": "_pages_location", "property": "pathname", "value": "/"})
    elif kind == "state_into_inputs" and body.get("state"):
        flat.append(body["state"].pop())
    elif kind == "outputs_empty":
        body["outputs"] = []
    elif kind == "outputs_of_another":
        body["outputs"] = exact_body(app, rnd.choice(keys))["outputs"]
    elif kind == "output_of_another":
        body["output"] = rnd.choice(keys)
    elif kind == "output_without_hash":
        body["output"] = re.sub(r"@[0-9a-f]{64}", "", key)
    elif kind == "output_with_hash":
        body["output"] = key[:-2] + "@" + "ab" * 32 + ".." if key.startswith("..") else key + "@" + "ab" * 32
    elif kind == "changed_elsewhere":
        body["changedPropIds"] = ["_pages_location.pathname"]
    return body


MUTATIONS = ("reorder", "reorder_state", "duplicate", "missing", "extra", "state_into_inputs", "outputs_empty",
             "outputs_of_another", "output_of_another", "output_without_hash", "output_with_hash",
             "changed_elsewhere")
ROUTER_PATHS = ("/", "/records", "/wallboard", "/email-template", "/schedules/reports", "/admin/users", "/nowhere")


def _expected(app, body, who) -> str:
    """"401" for nobody; "refused" (400 or 403) unless the body has exactly the shape of the
    registered callback it names and the principal may run that callback: then "runs"
    (anything but 400/401/403). The router's level: the page its pathname renders."""
    key = body["output"]
    if who == "anonymous":
        return "401"
    if key not in server_callbacks(app) or _shape(body) != _shape(exact_body(app, key)):
        return "refused"
    if key == router_key(app):
        pathname = body["inputs"][0]["value"]
        level = policy.page_level(pathname if pathname in ROUTER_PATHS[:-1] else "/404")
    else:
        level = callback_level(server_callbacks(app)[key])
    return "runs" if allowed(level, who) else "refused"


def _with_pathnames(app, body, pick):
    """The router's pathname inputs set to pages (pick() chooses one)."""
    if body["output"] == router_key(app):
        body["inputs"] = [dict(i, value=pick()) if isinstance(i, dict) and i.get("property") == "pathname" else i
                          for i in body["inputs"]]
    return body


def _check(app, client, who, body) -> str | None:
    status = _status(client, body)
    expected = _expected(app, body, who)
    ok = {"401": status == 401, "refused": status in (400, 401, 403) and (status != 401 or who == "anonymous"),
          "runs": status not in (400, 401, 403)}[expected]
    return None if ok else f"{who} {body['output'][:90]}: {status}, expected {expected}"


@pytest.mark.parametrize("who", PRINCIPALS)
def test_every_callback_refuses_every_mutated_body(world, clients, who):
    """Each mutation once for every registered callback (the router with a page of each level)."""
    app, _ = world
    keys = sorted(server_callbacks(app))
    rnd = random.Random(15)
    wrong = []
    for key in keys:
        for kind in MUTATIONS:
            body = _with_pathnames(app, _mutate(app, keys, exact_body(app, key), kind, rnd),
                                   lambda: rnd.choice(ROUTER_PATHS))
            wrong.append(_check(app, clients[who], who, body))
    wrong = [w for w in wrong if w]
    assert not wrong, "\n".join(wrong[:40])


@pytest.mark.parametrize("who", PRINCIPALS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)
@given(data=st.data())
def test_random_mutations_of_random_callbacks(world, clients, who, data):
    """Hypothesis: a callback, then one to three mutations of its body on top of each other."""
    app, _ = world
    keys = sorted(server_callbacks(app))
    body = exact_body(app, data.draw(st.sampled_from(keys), label="callback"))
    rnd = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    for kind in data.draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3), label="mutations"):
        body = _mutate(app, keys, body, kind, rnd)
    body = _with_pathnames(app, body, lambda: data.draw(st.sampled_from(ROUTER_PATHS), label="pathname"))
    problem = _check(app, clients[who], who, body)
    assert problem is None, problem


def test_pattern_matching_ids_match_by_their_fixed_keys():
    """A MATCH output and input (one object each) and an ALL state (a list): wildcard keys
    take any id value, the other keys must be the registered ones."""
    import dash._get_app
    from dash import ALL, MATCH, Dash, Input, Output, State

    from callboard.web.auth.callback_bodies import BadCallbackBody, CallbackIndex

    saved = dash._get_app.APP
    try:
        app = Dash("pattern_probe")

        @app.callback(Output({"type": "out", "n": MATCH}, "children"), Input({"type": "btn", "n": MATCH}, "n_clicks"),
                      State({"type": "field", "n": ALL}, "value"))
        def _probe(_clicks, _values):
            return ""
    finally:
        dash._get_app.APP = saved
    index = CallbackIndex(app)
    key = next(iter(app.callback_map))
    good = {"output": key, "outputs": {"id": {"type": "out", "n": 3}, "property": "children"},
            "inputs": [{"id": {"type": "btn", "n": 3}, "property": "n_clicks", "value": 1}],
            "state": [[{"id": {"type": "field", "n": 1}, "property": "value", "value": "a"},
                       {"id": {"type": "field", "n": "x"}, "property": "value", "value": "b"}]],
            "changedPropIds": ['{"n":3,"type":"btn"}.n_clicks']}
    index.check(index.spec_for(good), good)
    for bad in (dict(good, outputs={"id": {"type": "other", "n": 3}, "property": "children"}),
                dict(good, inputs=[{"id": {"type": "btn", "n": 3, "extra": 1}, "property": "n_clicks"}]),
                dict(good, inputs=[{"id": {"type": "btn", "n": [3]}, "property": "n_clicks"}]),
                dict(good, inputs=[[{"id": {"type": "btn", "n": 3}, "property": "n_clicks"}]]),
                dict(good, state=[{"id": {"type": "field", "n": 1}, "property": "value"}]),
                dict(good, state=[[{"id": "field", "property": "value"}]])):
        with pytest.raises(BadCallbackBody):
            index.check(index.spec_for(bad), bad)

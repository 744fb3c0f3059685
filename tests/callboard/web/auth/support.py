"""What the tests of callboard.auth share: signing in through /login with the Flask test
client, the CSRF header, and Dash callback bodies built from the app's own callback map
(the way Dash's renderer builds them). The app and its principals: tests/callboard/web/auth/conftest.py."""

from __future__ import annotations

import json
import re

from data.access import policy

ROLES = {"admin": "admin", "manager_a": "manager", "viewer_a": "viewer"}
PRINCIPALS = (*ROLES, "display", "anonymous")  # "display": a wall display's token (queue 600)
PASSWORD = "matrix-password"


def login(client, username, password, next_url="/"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data=dict(username=username, password=password, csrf_token=token, next=next_url))


def client_of(app, who: str | None):
    client = app.server.test_client()
    if who:
        assert login(client, who, PASSWORD).status_code == 302
    return client


def csrf_header(client) -> dict:
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value} if cookie else {}


def allowed(level: str, who: str) -> bool:
    """May this principal reach a level (policy.allows, the display token included)?"""
    return policy.allows(level, role=ROLES.get(who), display=who == "display")


def refusal(who: str) -> int:
    """The status a refused principal gets: nobody 401, a user or a wall display 403."""
    return 401 if who == "anonymous" else 403


def parse_outputs(key: str) -> list[dict]:
    """Dash's callback_map key ("a.b" or "..a.b...c.d..", "@hash" suffixes) -> outputs, with
    the property as the renderer sends it (the "@hash" kept)."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        cid, prop = part.split("@", 1)[0].rsplit(".", 1)
        suffix = "@" + part.split("@", 1)[1] if "@" in part else ""
        out.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop + suffix})
    return out


def server_callbacks(app) -> dict[str, list[dict]]:
    return {k: parse_outputs(k) for k, v in app.callback_map.items() if "callback" in v}


def output_ids(outputs) -> list[str]:
    return [o["id"]["type"] if isinstance(o["id"], dict) else o["id"] for o in outputs]


def callback_level(outputs) -> str:
    return policy.callback_decision(output_ids(outputs))


def router_key(app) -> str:
    return next(k for k, outs in server_callbacks(app).items() if policy.ROUTER_OUTPUT in output_ids(outs))


def concrete(dep_id, n: int = 1):
    """A registered dependency id (a string, or a JSON dict with wildcards such as ["ALL"])
    -> the id of a component on the page (wildcards filled in)."""
    if not dep_id.startswith("{"):
        return dep_id
    return {k: (n if isinstance(v, list) else v) for k, v in json.loads(dep_id).items()}


def is_multi(dep_id: str) -> bool:
    return dep_id.startswith("{") and any(v in (["ALL"], ["ALLSMALLER"]) for v in json.loads(dep_id).values())


def dep_items(specs: list[dict], values: dict | None = None) -> list:
    """Body items of registered inputs / states, as the renderer sends them: a pattern id
    with ALL as a list (here of one component), else one {"id", "property", "value"}."""
    values = values or {}
    items = []
    for spec in specs:
        one = {"id": concrete(spec["id"]), "property": spec["property"],
               "value": values.get((spec["id"], spec["property"]))}
        items.append([one] if is_multi(spec["id"]) else one)
    return items


def exact_body(app, key: str, values: dict | None = None) -> dict:
    """The body Dash's renderer sends for the callback registered as key."""
    cb = app.callback_map[key]
    outputs = parse_outputs(key)
    body = {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": dep_items(cb["inputs"], values), "changedPropIds": []}
    if cb["state"]:
        body["state"] = dep_items(cb["state"], values)
    return body


def router_body(app, pathname: str, search: str = "", lang: str = "en") -> dict:
    return exact_body(app, router_key(app), {("_pages_location", "pathname"): pathname,
                                             ("_pages_location", "search"): search, ("lang", "value"): lang})


def post_body(client, body, *, headers=None):
    return client.post("/_dash-update-component", json=body,
                       headers=csrf_header(client) if headers is None else headers)


def post_callback(client, key: str, outputs: list[dict], *, inputs=(), headers=None):
    body = {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": list(inputs),
            "state": [], "changedPropIds": []}
    return post_body(client, body, headers=headers)

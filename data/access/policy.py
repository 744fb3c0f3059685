"""Who may reach what: one decision per page, Flask endpoint and Dash callback.

Levels, weakest first: ``public`` (anyone), ``display`` (a signed-in user or a wall
display's token), ``viewer`` / ``manager`` / ``admin`` (a signed-in user of at least that
role). What a user then *sees* is narrowed by their Scope in the data layer; these levels
decide which screens and actions they reach at all.

Something without a decision here is treated as ``viewer`` (signed-in users) at run time,
and tests/callboard/web/auth/test_matrix.py fails until it gets one — so every new page, route and
callback is decided on purpose.
"""

from __future__ import annotations

PUBLIC, DISPLAY, VIEWER, MANAGER, ADMIN = "public", "display", "viewer", "manager", "admin"
RANK = {PUBLIC: 0, DISPLAY: 1, VIEWER: 2, MANAGER: 3, ADMIN: 4}
ROLE_LEVEL = {"viewer": VIEWER, "manager": MANAGER, "admin": ADMIN}
UNDECIDED = VIEWER

# Pages (Dash page paths). Exact path first, then the longest prefix ending in "/".
PAGE_ACCESS: dict[str, str] = {
    "/": VIEWER,
    "/records": VIEWER,
    "/recordings": VIEWER,
    "/chats": VIEWER,
    "/live": VIEWER,
    "/wallboard": DISPLAY,  # wall displays: a display token in the URL is enough
    "/help/metrics": VIEWER,
    "/404": VIEWER,
    "/downloads/exports": VIEWER,  # each user's own generated files
    "/downloads/reports": VIEWER,
    "/schedules/exports": MANAGER,  # viewers are read-only: no schedules
    "/schedules/reports": MANAGER,
    "/email-template": ADMIN,
    "/account": VIEWER,
    "/admin/users": ADMIN,
    "/admin/audit": ADMIN,
    "/admin/display-tokens": ADMIN,
    "/admin/sources": ADMIN,  # learned trunks and number classes per PBX (issue 14)
}
PAGE_PREFIX_ACCESS: dict[str, str] = {
    "/reports/": VIEWER,
    "/wallboard/": DISPLAY,
    "/admin/": ADMIN,
}

# Flask endpoints (app.server.url_map). "page" = a Dash page address, decided by
# PAGE_ACCESS; "callback" = decided per callback below.
PAGE, CALLBACK = "page", "callback"
ENDPOINT_ACCESS: dict[str, str] = {
    "static": PUBLIC,
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_favicon.ico": PUBLIC,
    "healthz": PUBLIC,
    "login": PUBLIC,
    "/_dash-layout": DISPLAY,
    "/_dash-dependencies": DISPLAY,
    "/_reload-hash": VIEWER,  # debug mode only
    "/_dash-update-component": CALLBACK,
    "/": PAGE,
    "/<path:path>": PAGE,
    "logout": VIEWER,
    "account_password": VIEWER,
    "records_csv": VIEWER,
    "chats_csv": VIEWER,
    "recording_audio": VIEWER,
    # generated files (callboard.web.file_routes): emailed links carry their own token, checked
    # there (expired 410, unknown 404); /view/<token> only redirects to a page that needs a
    # login; a stored file by id is the signed-in owner's (or an administrator's).
    "file_by_token": PUBLIC,
    "view_by_token": PUBLIC,
    "file_by_id": VIEWER,
}

# Dash callbacks, by the ids of their registered outputs (a pattern id by its "type"): for
# each, the longest matching prefix decides, and the strictest output decides the callback
# (callback_decision). The page router is decided by the page it renders.
ROUTER_OUTPUT = "_pages_content"
CALLBACK_ACCESS: dict[str, str] = {
    ROUTER_OUTPUT: PAGE,
    "_pages_dummy": DISPLAY,  # sets the document title from the page store
    "navbar-slot": DISPLAY,  # the shell's navigation (hidden on wall displays)
    "_pages_store": DISPLAY,  # second output of the router (the router's level is its page's)
    "chrome": DISPLAY,  # second output of the navbar callback (hides the chrome on wall displays)
    "live-": VIEWER,  # the live dashboard (/live)
    "wallboard": DISPLAY,  # the wall display's own callbacks: ids start with "wallboard"
    "wb-": DISPLAY,
    # listings
    "rec-": VIEWER,
    "recs-": VIEWER,
    "chat-": VIEWER,
    # deleting calls and recordings is the administrator's (checked again in the callback)
    "rec-del-": ADMIN,
    "recs-del-": ADMIN,
    # report pages (callboard.web.report_ui prefixes)
    "mu-": VIEWER, "ea-": VIEWER, "pa-": VIEWER, "rg-": VIEWER, "qsat-": VIEWER, "qw-": VIEWER,
    "iv-": VIEWER, "es-": VIEWER, "qp-": VIEWER, "qcb-": VIEWER, "dd-": VIEWER, "qa-": VIEWER,
    # the user menu and the admin screens
    "user-": VIEWER,
    "admin-": ADMIN,
    "audit-": ADMIN,
    "dtok-": ADMIN,
    "et-": ADMIN,  # the email template
    "priv-": ADMIN,  # erasure by phone number, masking per role
    "ret-": ADMIN,  # retention
    # schedules: managers and administrators (each sees and edits their own; checked there)
    "sch-": MANAGER,
}


def page_level(path: str | None, *, decided_only: bool = False) -> str | None:
    path = (path or "/").split("?", 1)[0]
    if len(path) > 1:
        path = path.rstrip("/")
    if path in PAGE_ACCESS:
        return PAGE_ACCESS[path]
    best = max((p for p in PAGE_PREFIX_ACCESS if path.startswith(p)), key=len, default=None)
    if best is not None:
        return PAGE_PREFIX_ACCESS[best]
    return None if decided_only else UNDECIDED


def endpoint_level(endpoint: str | None, *, decided_only: bool = False) -> str | None:
    if endpoint in ENDPOINT_ACCESS:
        return ENDPOINT_ACCESS[endpoint]
    return None if decided_only else UNDECIDED


def callback_level(output_id: str | None, *, decided_only: bool = False) -> str | None:
    best = max((p for p in CALLBACK_ACCESS if output_id and output_id.startswith(p)), key=len, default=None)
    if best is not None:
        return CALLBACK_ACCESS[best]
    return None if decided_only else UNDECIDED


def callback_decision(output_ids) -> str:
    """The level of a callback with these registered output ids: PAGE for the page router
    (decided per request by the page it renders), else the strictest of its outputs'."""
    ids = list(output_ids)
    if ROUTER_OUTPUT in ids:
        return PAGE
    return max((callback_level(i) for i in ids), key=RANK.__getitem__, default=UNDECIDED)


def allows(level: str, *, role: str | None, display: bool = False) -> bool:
    """May a principal (a user's role, or a display token when display=True) reach level?"""
    if level == PUBLIC:
        return True
    if role is not None:
        return RANK[ROLE_LEVEL.get(role, VIEWER)] >= RANK[level] if level != DISPLAY else True
    return display and level == DISPLAY

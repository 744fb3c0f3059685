"""The guard in front of every request: who is asking, may they, CSRF, security headers.

``install(app)`` (app.create_app) registers it with the login / logout / password routes.

- Principal: a user from the session cookie (data.access.sessions), else a wall
  display from its token (``?token=`` on a /wallboard page, then the HttpOnly display
  cookie set from it), else nobody.
- Decision: data.access.policy for the Flask endpoint, the Dash page (by path) or the
  Dash callback (by the outputs registered under the body's ``output``; the page router by
  the page Dash will render from the pathname at the position Dash reads it). A callback
  body that is not what Dash's renderer sends for that callback (other ids, order, count,
  outputs; callboard.web.auth.callback_bodies) answers 400 with the reason; so does a value of
  the wrong type a callback or a parser refuses (callboard.core.bad_input.BadInput — only that
  exception: any other stays a 500, logged). Nobody → page GETs
  redirect to /login?next=..., everything else answers 401 (a callback before its body is
  read); a user below the level → 403. Every page's layout checks its own level too
  (``_check_page_levels``).
- CSRF: every POST/PUT/PATCH/DELETE (Dash callbacks included) must carry the token bound
  to its credential (HMAC of the session id / display token with the app secret) in the
  ``X-CSRFToken`` header or a ``csrf_token`` form field (callbacks: the header only). The
  ``_csrf_token`` cookie holds it: Dash's renderer copies that cookie into the header of
  every callback request.
- Headers: CSP (scripts only from the app plus Dash's inline scripts by hash, no eval), frames
  denied except wall displays (same origin), nosniff, Referrer-Policy same-origin.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import quote

import dash
from flask import Response, current_app, g, redirect, request

from callboard.web import access
from data.access import audit
from data.access import display_tokens

from data.access import policy

from data.access import sessions
from callboard.web.auth.callback_bodies import BadCallbackBody, CallbackIndex
from data.access.policy import CALLBACK, DISPLAY, PAGE, PUBLIC
from data.access.secret import app_secret
from callboard.core.i18n import normalize_lang, translator
from callboard.core.bad_input import BadInput

log = logging.getLogger(__name__)
DISPLAY_COOKIE = "callboard_display"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_https() -> bool:
    from callboard.core.settings import get_settings

    return request.is_secure or get_settings().base_url.lower().startswith("https://")


def request_lang() -> str:
    lang = request.args.get("lang")
    if lang:
        return normalize_lang(lang)
    best = request.accept_languages.best_match(["en", "cs"])
    if best:
        return best
    from callboard.core.settings import get_settings

    return get_settings().default_language


def _identify() -> None:
    """g.callboard_user / g.callboard_display / g.callboard_credential of this request."""
    from callboard.web.access import CurrentUser

    sid = request.cookies.get(sessions.COOKIE)
    session = sessions.load(sid) if sid else None
    if session is not None:
        g.callboard_user = CurrentUser(id=session.user_id, username=session.username, role=session.role)
        g.callboard_session_hash = session.id_hash
        g.callboard_credential = sid
        return
    token = request.cookies.get(DISPLAY_COOKIE)
    found = display_tokens.lookup(token) if token else None
    if found is not None:
        g.callboard_display = found
        g.callboard_credential = "display:" + token


def _use_url_token(token: str | None) -> bool:
    """A display token from a wallboard URL; remembered in the display cookie."""
    found = display_tokens.lookup(token) if token else None
    if found is None:
        return False
    g.callboard_display = found
    g.callboard_credential = "display:" + token
    g.callboard_set_display_cookie = token
    return True


def _router_level(spec, body: dict, app: dash.Dash) -> str:
    """The level of the page Dash's router will render for this (checked) body: the page
    Dash itself resolves from the value it passes as ``pathname_`` (by position), through
    the same functions (strip_relative_path, then the page registry; no page: the 404 page)."""
    from dash._pages import _path_to_page

    pathname = CallbackIndex.value_at(body, spec.pathname_at)
    search = CallbackIndex.value_at(body, spec.search_at)
    # (both are strings or None: callback_bodies.VALUE_TYPES)
    try:
        page, _variables = _path_to_page(app.strip_relative_path(pathname))
    except Exception as exc:  # e.g. a pathname outside the app's prefix: Dash would fail on it
        raise BadCallbackBody(f"the router cannot render pathname {pathname!r}") from exc
    return policy.page_level(page["path"] if page else "/404")


def _callback_level(server) -> tuple[str | None, Response | None]:
    """(level, None) of the Dash callback this request runs — or (None, the 400 answer) for
    a body that is not what Dash's renderer sends for the callback it names. A role's
    refusal comes before the check of the body's details (no hints about callbacks one
    may not run); the router's level needs the checked body."""
    index: CallbackIndex = server.extensions["callboard_callbacks"]
    body = request.get_json(silent=True)  # cached by Flask: Dash's dispatch does not parse it again
    try:
        spec = index.spec_for(body)
        if spec.level != PAGE and not _principal_allows(spec.level):
            return spec.level, None
        index.check(spec, body)
        return (_router_level(spec, body, index.app) if spec.level == PAGE else spec.level), None
    except BadCallbackBody as exc:
        # A developer-facing JSON error of the callback endpoint (no page shows it): English only.
        return None, Response(json.dumps({"error": f"Malformed callback request: {exc}", "status": 400}),
                              status=400, mimetype="application/json", headers={"Cache-Control": "no-store"})


def _principal_allows(level: str) -> bool:
    user = g.get("callboard_user")
    return policy.allows(level, role=user.role if user else None, display=g.get("callboard_display") is not None)


def _csrf_ok(*, header_only: bool = False) -> bool:
    """header_only: Dash callbacks carry it in the header (their body is not read for it)."""
    credential = g.get("callboard_credential")
    if not credential:
        return False
    expected = sessions.csrf_token_for(credential)
    got = request.headers.get(sessions.CSRF_HEADER) or ("" if header_only else request.form.get("csrf_token")) or ""
    return hmac.compare_digest(expected, got)


def _deny(status: int, lang: str) -> Response:
    _ = translator(lang)
    text = _("Please log in.") if status == 401 else _("You may not open this page or do this.")
    if request.path == "/_dash-update-component" or request.accept_mimetypes.best == "application/json":
        return Response(json.dumps({"error": text, "status": status}), status=status, mimetype="application/json",
                        headers={"Cache-Control": "no-store"})
    return Response(text, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def guard():
    g.callboard_user = None
    g.callboard_display = None
    g.callboard_credential = None
    endpoint = request.url_rule.endpoint if request.url_rule is not None else None
    level = policy.endpoint_level(endpoint)
    if level == PUBLIC:
        return None
    _identify()
    csrf_checked = False
    is_page = level == PAGE
    if is_page:
        level = policy.page_level(request.path)
        if level == DISPLAY and g.callboard_user is None:
            _use_url_token(request.args.get("token"))
    elif level == CALLBACK:
        # Who is asking, and the CSRF token, before the body is read: nobody gets 401 without
        # a byte of it parsed. (A wall display's URL token is taken on its page GET only,
        # which sets the display cookie the callbacks then carry.)
        if g.callboard_user is None and g.callboard_display is None:
            return _deny(401, request_lang())
        if not _csrf_ok(header_only=True):
            return _csrf_refused()
        level, malformed = _callback_level(current_app)
        if malformed is not None:
            return malformed
        csrf_checked = True
    user = g.callboard_user
    if user is None and (g.callboard_display is None or level != DISPLAY):
        # Nobody (or only a wall display, which reaches wall pages only): sign in first.
        if is_page and request.method in SAFE_METHODS:
            return redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/?=&"))
        if g.callboard_display is None:
            return _deny(401, request_lang())
    if request.method not in SAFE_METHODS and not csrf_checked and not _csrf_ok():
        return _csrf_refused()
    if not _principal_allows(level):
        return _deny(403, request_lang())
    return None


def _bad_input(exc: BadInput) -> Response:
    """A value of the wrong type (callboard.core.bad_input): 400 with the reason, developer-
    facing like a malformed body's. Registered for BadInput alone, so a server bug is no 400.
    Logged: a browser never sends such a value, unless a declared type is wrong."""
    log.warning("refused %s %s: bad input: %s", request.method, request.path, exc)
    text = f"Bad input: {exc}"
    if request.path == "/_dash-update-component" or request.accept_mimetypes.best == "application/json":
        return Response(json.dumps({"error": text, "status": 400}), status=400, mimetype="application/json",
                        headers={"Cache-Control": "no-store"})
    return Response(text, status=400, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _csrf_refused() -> Response:
    _ = translator(request_lang())
    return Response(_("The form has expired or did not come from this site (CSRF token missing or wrong). "
                      "Reload the page and try again."), status=403, mimetype="text/plain")


def _check_page_levels() -> None:
    """Every registered page's layout checks the page's own level first
    (callboard.web.auth.ui.checks_level): below it, the "not allowed" content and none of the
    page's data, whatever reached the layout. Applied here, to Dash's page registry, so no
    page can miss it; Dash re-imports the pages for each app it builds."""
    from callboard.web.auth.ui import checks_level

    for page in dash.page_registry.values():
        layout = page.get("layout")
        if getattr(layout, "callboard_checks_level", False):
            continue
        if not callable(layout):
            layout = (lambda fixed: lambda **_query: fixed)(layout)
        page["layout"] = checks_level(page["path"])(layout)


def _csp(frame_ancestors: str, script_hashes: list[str]) -> str:
    return "; ".join([
        "default-src 'self'",
        # Scripts only from the app, plus Dash's own inline scripts by their hashes: no
        # 'unsafe-inline' and no 'unsafe-eval' (Dash 4, AG Grid and Plotly run without it —
        # every page is opened in Chromium by tests/test_app_browser.py, failing on any
        # console error such as a CSP refusal).
        "script-src 'self' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",  # React / Plotly set inline styles
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def install(app: dash.Dash) -> None:
    from callboard.web.auth import views as web

    from callboard.core.settings import get_settings

    server = app.server
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    hops = get_settings().proxy_hops
    if hops > 0:  # behind a proxy every client has the proxy's address: per-address throttling needs the real one
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    web.register(server)
    audit.set_actor_source(access.request_actor)  # audit entries of a request name its user
    server.extensions["callboard_callbacks"] = CallbackIndex(app)
    _check_page_levels()
    server.before_request(guard)
    server.register_error_handler(BadInput, _bad_input)

    @server.before_request
    def _secret_key():
        if not server.secret_key:  # Flask's own signing (not used for sessions): the app secret
            try:
                server.secret_key = app_secret()
            except Exception:  # database away: /healthz says so; nothing here needs it yet
                pass

    @server.after_request
    def _headers(response: Response) -> Response:
        wall = policy.page_level(request.path) == DISPLAY and request.method in SAFE_METHODS
        if response.mimetype == "text/html":
            # Dash's inline scripts (config, renderer start) are known once the index was built.
            response.headers.setdefault("Content-Security-Policy",
                                        _csp("'self'" if wall else "'none'", app.csp_hashes()))
        else:
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        if not wall:
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        secure = is_https()
        token = g.get("callboard_set_display_cookie")
        if token:
            response.set_cookie(DISPLAY_COOKIE, token, httponly=True, samesite="Lax", secure=secure, path="/")
        credential = g.get("callboard_credential")
        if credential:
            expected = sessions.csrf_token_for(credential)
            if request.cookies.get(sessions.CSRF_COOKIE) != expected:
                # Readable by scripts on purpose: Dash's renderer copies it into X-CSRFToken.
                response.set_cookie(sessions.CSRF_COOKIE, expected, httponly=False, samesite="Strict",
                                    secure=secure, path="/")
        return response

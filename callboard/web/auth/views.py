"""/login, /logout and /account/password (plain Flask routes; the guard lets /login through)."""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import threading
from urllib.parse import urlsplit

from flask import Flask, Response, g, redirect, request

from data.access import audit

from data.access import sessions
from callboard.web.auth.guard import is_https, request_lang
from data.access.login import authenticate, check_password
from data.access.passwords import WeakPassword
from data.access.users import UserError, set_password
from callboard.core.i18n import translator


log = logging.getLogger(__name__)
_forwarded_warned = threading.Event()


def warn_forwarded_without_proxy_hops() -> None:
    """Once per process (app.create_app installs it when CALLBOARD_PROXY_HOPS is 0): requests
    carry X-Forwarded-For, so they come through a proxy, and every client has the proxy's
    address — the sign-in throttle, which blocks an address after 20 failures, would then
    block everybody behind it at once."""
    if not _forwarded_warned.is_set() and "X-Forwarded-For" in request.headers:
        _forwarded_warned.set()
        log.warning("requests carry X-Forwarded-For but CALLBOARD_PROXY_HOPS=0: every client is seen with the "
                    "proxy's address %s, so 20 failed sign-ins from anybody block all sign-ins through it. Set "
                    "CALLBOARD_PROXY_HOPS to the number of proxies in front of Callboard (1 behind nginx).",
                    request.remote_addr)


def safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, host or "//"): no open redirect after login."""
    value = (value or "/").strip()
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if parts.path.startswith(("/login", "/logout")):
        return "/"
    return value


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store"})


def login() -> Response:
    from dashboards.login import login_page

    lang = request_lang()
    _ = translator(lang)
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if sessions.load(request.cookies.get(sessions.COOKIE)):
            return redirect(next_url)
        token = request.cookies.get(sessions.CSRF_COOKIE) or secrets.token_urlsafe(32)
        response = _html(login_page(lang, csrf_token=token, next_url=next_url))
        response.set_cookie(sessions.CSRF_COOKIE, token, httponly=False, samesite="Strict", secure=is_https(),
                            path="/")
        return response
    # POST: the form's token must equal the cookie's (double submit: another site can
    # post the form but can neither read nor set our cookie).
    cookie = request.cookies.get(sessions.CSRF_COOKIE) or ""
    if not cookie or not hmac.compare_digest(cookie, request.form.get("csrf_token", "")):
        token = secrets.token_urlsafe(32)
        response = _html(login_page(lang, csrf_token=token, next_url=next_url,
                                    message=_("The form has expired. Please sign in again.")), 403)
        response.set_cookie(sessions.CSRF_COOKIE, token, httponly=False, samesite="Strict", secure=is_https(),
                            path="/")
        return response
    username = request.form.get("username", "")
    result = authenticate(username, request.form.get("password", ""), ip=request.remote_addr)
    if not result.ok:
        if result.throttled:
            minutes = max(1, math.ceil(result.retry_after_s / 60))
            message = _("Too many failed sign-ins. Try again in {minutes} min.", minutes=minutes)
            status = 429
        elif result.reason == "disabled":
            message, status = _("This account is disabled. Ask an administrator."), 403
        else:
            message, status = _("Wrong user name or password."), 401
        response = _html(login_page(lang, csrf_token=cookie, next_url=next_url, username=username[:100],
                                    message=message), status)
        if result.retry_after_s:
            response.headers["Retry-After"] = str(result.retry_after_s)
        return response
    # The session this browser had before (another user's, or the same user's) ends: one
    # browser, one live session, and a cookie copied earlier is worth nothing afterwards.
    sessions.end(request.cookies.get(sessions.COOKIE))
    sid = sessions.create(result.user_id, ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))
    response = redirect(next_url)
    # A new session id at every sign-in (no session fixation); HttpOnly: scripts never see it.
    response.set_cookie(sessions.COOKIE, sid, httponly=True, samesite="Lax", secure=is_https(), path="/")
    response.set_cookie(sessions.CSRF_COOKIE, sessions.csrf_token_for(sid), httponly=False, samesite="Strict",
                        secure=is_https(), path="/")
    return response


def logout() -> Response:
    sid = request.cookies.get(sessions.COOKIE)
    user = g.get("callboard_user")
    sessions.end(sid)
    if user is not None:
        audit.record("logout", ("user", user.username))
    response = redirect("/login")
    response.delete_cookie(sessions.COOKIE, path="/")
    response.delete_cookie(sessions.CSRF_COOKIE, path="/")
    g.callboard_credential = None  # no fresh CSRF cookie for a session that just ended
    return response


def account_password() -> Response:
    from dashboards.login import password_page

    lang = request_lang()
    _ = translator(lang)
    user = g.callboard_user
    sid = request.cookies.get(sessions.COOKIE) or ""
    token = sessions.csrf_token_for(sid)
    if request.method == "GET":
        return _html(password_page(lang, csrf_token=token))
    current, new, repeat = (request.form.get(k, "") for k in ("current", "new", "repeat"))
    checked = check_password(user.id, current, ip=request.remote_addr)  # counted like failed sign-ins
    if checked.throttled:
        audit.record("password_change_failed", ("user", user.username), {"reason": checked.reason})
        minutes = max(1, math.ceil(checked.retry_after_s / 60))
        response = _html(password_page(lang, csrf_token=token, message=_(
            "Too many wrong passwords. Try again in {minutes} min.", minutes=minutes)), 429)
        response.headers["Retry-After"] = str(checked.retry_after_s)
        return response
    if not checked.ok:
        audit.record("password_change_failed", ("user", user.username), {"reason": "wrong_current"})
        return _html(password_page(lang, csrf_token=token, message=_("The current password is wrong.")), 400)
    if new != repeat:
        return _html(password_page(lang, csrf_token=token, message=_("The two new passwords differ.")), 400)
    try:
        set_password(user.username, new, action="password_change", keep_session_hash=g.callboard_session_hash)
    except WeakPassword as exc:
        return _html(password_page(lang, csrf_token=token, message=_(exc.msgid, **exc.params)), 400)
    except UserError as exc:
        return _html(password_page(lang, csrf_token=token, message=_(exc.msgid, **exc.params)), 400)
    return _html(password_page(lang, csrf_token=token, message=_("Your password was changed. Other sessions "
                                                                "were signed out."), message_kind="success"))


def register(server: Flask) -> None:
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])
    server.add_url_rule("/account/password", "account_password", account_password, methods=["GET", "POST"])

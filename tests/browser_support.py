"""What the browser test modules share: the app in a subprocess, headless Chromium, and
a page's problems.

``running_app`` runs ``python app.py`` the way it is deployed and waits for /healthz;
``chromium`` launches the Debian Chromium (/usr/bin/chromium; CALLBOARD_TEST_CHROMIUM
overrides) through Playwright — it is never downloaded. Without Playwright or Chromium,
``require_browser`` skips the test locally and FAILS it under CI=true.

Everything but /login and /healthz needs a signed-in user, so ``running_app`` adds the
administrator TEST_ADMIN to the app's database and signs in over HTTP (the real login);
``browser_page`` hands every new browser context that session, and urllib requests to
the app (``urllib.request.urlopen``) carry it too. A test that wants to be anonymous or
another user builds its own opener / context (see tests/callboard/web/auth).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from callboard.core.settings import reset_settings_cache

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CALLBOARD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
# Dash is idle when no callback is requested, prioritized, blocked, executing or watched.
DASH_IDLE_JS = """() => {
    if (!window.store) return false;
    const cbs = Object.assign({}, window.store.getState().callbacks);
    delete cbs.stored; delete cbs.completed;
    return Object.values(cbs).every(list => !list || list.length === 0);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_settings(**env: str) -> Iterator[None]:
    """These CALLBOARD_* variables in os.environ (and fresh settings) while a module fills
    its database in this process; what they were is put back on exit."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    reset_settings_cache()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings_cache()


@contextmanager
def running_app(env: dict[str, str], log_dir: Path, *, startup_timeout: float = 30) -> Iterator[str]:
    """Base URL of ``python app.py`` on a free port of 127.0.0.1, once /healthz answers 200.

    env: the CALLBOARD_* settings, over this process's environment (CALLBOARD_PORT and
    CALLBOARD_HOST are set here). The server's output goes to log_dir/server.log, shown
    when it does not start within startup_timeout seconds; it is terminated on exit.
    """
    port = free_port()
    env = dict(os.environ, **env, CALLBOARD_PORT=str(port), CALLBOARD_HOST="127.0.0.1")
    database_url = env.get("CALLBOARD_DATABASE_URL")
    if database_url:
        ensure_user(database_url, *TEST_ADMIN)
    log_path = log_dir / "server.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"app did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        if database_url:
            _SESSIONS[_host_of(base)] = login(base, *TEST_ADMIN)
            if not any(isinstance(h, _SessionCookie) for h in getattr(urllib.request._opener, "handlers", ())):
                urllib.request.install_opener(urllib.request.build_opener(_SessionCookie()))
        yield base
    finally:
        _SESSIONS.pop(_host_of(base), None)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --------------------------------------------------------------------------- signing in

TEST_ADMIN = ("test-admin", "test-admin-password")
SESSION_COOKIE = "callboard_session"
_SESSIONS: dict[str, str] = {}  # "127.0.0.1:port" -> session id of TEST_ADMIN on that server


def ensure_user(database_url: str, username: str, password: str, role: str = "admin") -> None:
    """A user in a migrated database (left as it is when the name exists)."""
    import sqlalchemy as sa

    from data.access.passwords import hash_password
    from data import schema

    engine = sa.create_engine(database_url)
    try:
        if not sa.inspect(engine).has_table("user_session"):
            from data.migrate import upgrade

            upgrade(database_url)
        with engine.begin() as conn:
            if conn.execute(sa.select(schema.app_user.c.id).where(schema.app_user.c.username == username)).first():
                return
            conn.execute(sa.insert(schema.app_user).values(
                username=username, password_hash=hash_password(password), role=role,
                created_utc=sa.func.current_timestamp()))
    finally:
        engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login(base: str, username: str, password: str) -> str:
    """Sign in through /login the way the form does; returns the session cookie's value."""
    import http.cookiejar
    import re
    from urllib.parse import urlencode

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    with opener.open(base + "/login", timeout=10) as resp:
        token = re.search(r'name="csrf_token" value="([^"]+)"', resp.read().decode()).group(1)
    data = urlencode(dict(username=username, password=password, csrf_token=token, next="/")).encode()
    try:
        opener.open(base + "/login", data=data, timeout=10)
    except urllib.error.HTTPError as err:  # the 302 after a good login (redirects not followed)
        if err.code != 302:
            raise AssertionError(f"login of {username} failed: HTTP {err.code}") from err
    sid = next((c.value for c in jar if c.name == SESSION_COOKIE), None)
    assert sid, f"login of {username} set no session cookie"
    return sid


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc


class _SessionCookie(urllib.request.BaseHandler):
    """Adds TEST_ADMIN's session of the addressed test server to urllib requests."""

    handler_order = 400

    def http_request(self, req):
        sid = _SESSIONS.get(req.host)
        if sid and not req.has_header("Cookie"):
            req.add_unredirected_header("Cookie", f"{SESSION_COOKIE}={sid}")
        return req


def session_of(base_url: str) -> str | None:
    """TEST_ADMIN's session id on the test server at base_url (None: not signed in)."""
    return _SESSIONS.get(_host_of(base_url))


def require_browser() -> None:
    """Skip (locally) or fail (under CI=true) when Playwright or Chromium is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"playwright is not installed (CI requires the browser tests): {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM} (CI requires the browser tests)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")


@contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator:
    """A headless Chromium (Playwright Browser), after require_browser()."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=[*CHROMIUM_ARGS, *extra_args])
        yield browser
        browser.close()


@contextmanager
def browser_page(browser, base_url: str, *, timeout_ms: float, signed_in: bool = True, **context_options) -> Iterator:
    """A page (default timeout timeout_ms) in a new context of browser, closed on exit;
    signed in as TEST_ADMIN unless signed_in=False."""
    context = browser.new_context(base_url=base_url, **context_options)
    sid = session_of(base_url) if signed_in else None
    if sid:  # signed in as TEST_ADMIN (running_app logged in)
        context.add_cookies([{"name": SESSION_COOKIE, "value": sid, "url": base_url, "httpOnly": True,
                              "sameSite": "Lax"}])
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield page
    finally:
        context.close()


def watch_problems(page) -> list[str]:
    """The list, filled as they happen, of the page's console errors and assertions,
    uncaught page errors and HTTP responses >= 400."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "assert")
            else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    return problems


# --------------------------------------------------------------------------- report pages
# The report-page modules share one setup: a SQLite database filled by a fixture function,
# `python app.py` serving it, one Chromium per module and a watched page per test.


@contextmanager
def app_on_filled_sqlite(tmp: Path, fill) -> Iterator[str]:
    """Migrate a SQLite database under `tmp`, run `fill(conn)` in one transaction, serve it."""
    import sqlalchemy as sa

    from data.migrate import upgrade

    url = f"sqlite:///{tmp / 'callboard.db'}"
    with app_settings(CALLBOARD_DATABASE_URL=url, CALLBOARD_TIMEZONE="Europe/Prague"):
        upgrade(url)
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                fill(conn)
        finally:
            engine.dispose()
    env = dict(CALLBOARD_DATABASE_URL=url, CALLBOARD_TIMEZONE="Europe/Prague", CALLBOARD_DEFAULT_LANGUAGE="en",
               CALLBOARD_RECORDINGS_DIR=str(tmp / "rec"), CALLBOARD_FILES_DIR=str(tmp / "files"))
    with running_app(env, tmp) as base:
        yield base


@pytest.fixture(scope="module")
def report_browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(report_browser, server):
    """A watched page on the module's `server` (problems collected in page.problems)."""
    with browser_page(report_browser, server, timeout_ms=15_000, viewport={"width": 1400, "height": 900},
                      accept_downloads=True) as pg:
        pg.problems = watch_problems(pg)
        yield pg

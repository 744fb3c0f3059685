"""`callboard serve`: gunicorn workers that answer /healthz from the real database, and that
slow or oversized clients cannot stop (issue 15, point 4 and 5) — real sockets against a
real `callboard serve` subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
HEADER_TIMEOUT_S = 3
BODY_TIMEOUT_S = 8
SLOW_LOGIN = (b"POST /login HTTP/1.1\r\nHost: callboard\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: 1000\r\n\r\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5, headers: dict | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@contextmanager
def serving(db_url: str, log_path: Path, *, workers: int = 1, **env_extra):
    """`callboard serve` on a free port until the block ends; yields the port."""
    port = _free_port()
    env = dict(os.environ, CALLBOARD_DATABASE_URL=db_url, CALLBOARD_PORT=str(port), **env_extra)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(VENV_BIN / "callboard"), "serve", "--workers", str(workers)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(log_path.read_text())
                time.sleep(0.5)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_answers_healthz_on_both_databases(db_url, tmp_path):
    with serving(db_url, tmp_path / "serve.log") as port:
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert body["status"] == "ok" and body["database"] == "ok"
        # The dashboard itself is served too.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200 and b"Callboard" in resp.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One `callboard serve --workers 2` (the default count) on SQLite for the slow-client
    tests, with short header / body deadlines so that the drops are seen quickly."""
    tmp = tmp_path_factory.mktemp("serve")
    log = tmp / "serve.log"
    with serving(f"sqlite:///{tmp / 'callboard.db'}", log, workers=2,
                 CALLBOARD_REQUEST_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
                 CALLBOARD_REQUEST_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S), CALLBOARD_PROXY_HOPS="0") as port:
        yield port, log


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def _answer(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection (or `timeout` passes)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def _healthz_seconds(port: int) -> float:
    started = time.perf_counter()
    status, body = _get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert status == 200 and body["status"] == "ok"
    return time.perf_counter() - started


def test_slow_clients_do_not_stop_healthz(served):
    """The issue's attack: connections sending a POST /login body one byte every 2 s. Before,
    two of them held both sync workers and /healthz timed out until they closed. Now the
    worker's event loop buffers them and /healthz answers within 1 s under two and under
    twenty of them; each is dropped with 408 once its body deadline passes.

    The 1 s bound is a functional outcome, not a speed benchmark: unhindered, /healthz takes
    a few milliseconds here (a held server never answers at all), so 1 s only separates
    "served" from "stuck" with a wide margin for a busy 2-core machine; speed claims live
    in bench/."""
    port, _log = served
    slow: list[socket.socket] = []
    stop = threading.Event()

    def trickle():
        while not stop.wait(2.0):
            for sock in list(slow):
                try:
                    sock.send(b"a")
                except OSError:
                    pass

    def open_slow(n):
        for _ in range(n):
            sock = _connect(port)
            sock.sendall(SLOW_LOGIN)
            slow.append(sock)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        opened = time.monotonic()
        open_slow(2)
        time.sleep(0.5)
        two = [_healthz_seconds(port) for _ in range(4) if time.sleep(0.5) is None]
        open_slow(18)
        time.sleep(0.5)
        twenty = [_healthz_seconds(port) for _ in range(4) if time.sleep(0.5) is None]
        assert max(two) < 1.0, two
        assert max(twenty) < 1.0, twenty
        # Still trickling when the body deadline passes: every one is answered 408 and closed.
        answers = [_answer(sock, BODY_TIMEOUT_S + 10) for sock in slow]
        assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), answers
        assert time.monotonic() - opened >= BODY_TIMEOUT_S  # not before its deadline
    finally:
        stop.set()
        for sock in slow:
            sock.close()


def test_headers_sent_too_slowly_or_never_are_dropped(served):
    port, _log = served
    silent, slow = _connect(port), _connect(port)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    started = time.monotonic()
    assert _answer(slow, HEADER_TIMEOUT_S + 10).startswith(b"HTTP/1.1 408 ")
    assert _answer(silent, HEADER_TIMEOUT_S + 10) == b""  # closed without a word: it said nothing
    assert HEADER_TIMEOUT_S - 0.5 <= time.monotonic() - started < HEADER_TIMEOUT_S + 10
    silent.close()
    slow.close()


def test_a_52_mb_body_is_refused_unread_and_the_connection_closed(served):
    """POST /login announcing 52 MB (over CALLBOARD_MAX_REQUEST_MB, 4): answered 413 while
    only 64 KB of it were sent — the server did not wait for, or read, the rest — and the
    connection is closed instead of being drained for a next request."""
    port, _log = served
    sock = _connect(port)
    sock.sendall(b"POST /login HTTP/1.1\r\nHost: callboard\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: %d\r\n\r\n" % (52 * 1024 * 1024) + b"a" * 65536)
    answer = _answer(sock, 15)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"Connection: close" in answer


def test_gunicorn_request_limits_apply(served):
    port, _log = served
    got = []
    for request in (b"GET /healthz?" + b"x" * 9000 + b" HTTP/1.1\r\nHost: callboard\r\n\r\n",  # request line
                    b"GET /healthz HTTP/1.1\r\nHost: callboard\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n",  # one field
                    b"GET /healthz HTTP/1.1\r\nHost: callboard\r\n" + b"X-A: 1\r\n" * 120 + b"\r\n"):  # fields
        sock = _connect(port)
        sock.sendall(request)
        got.append(_answer(sock, 10)[:12])
        sock.close()
    assert got == [b"HTTP/1.1 400", b"HTTP/1.1 431", b"HTTP/1.1 431"], got
    sock = _connect(port)  # a header section over 64 KB never reaches a thread
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        for _ in range(9):
            sock.sendall(b"X-B: " + b"y" * 8000 + b"\r\n")
    except OSError:  # the server may close before all of it is sent
        pass
    assert _answer(sock, 10).startswith(b"HTTP/1.1 431 ")
    sock.close()


def test_forwarded_requests_without_proxy_hops_are_warned_about_in_the_log(served):
    port, log = served
    for _ in range(3):
        assert _get(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-For": "203.0.113.5"})[0] == 200
    text = log.read_text()
    warnings = [line for line in text.splitlines() if "X-Forwarded-For but CALLBOARD_PROXY_HOPS=0" in line]
    assert 1 <= len(warnings) <= 2, text[-3000:]  # once per worker process at most (two workers)
    assert "[WARNING]" in warnings[0]

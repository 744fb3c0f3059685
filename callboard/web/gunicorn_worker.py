"""The gunicorn worker of ``callboard serve``: gunicorn's threaded worker (gthread) that reads
each request whole before a thread sees it.

gunicorn's sync worker (and gthread too) hands a connection to a worker / thread as soon as
its first byte arrives, and the thread then blocks reading the rest: two clients sending a
``POST /login`` body one byte every 2 s held both sync workers, and ``/healthz`` stopped
answering (issue 15). Here the worker's event loop buffers the request line, the headers
and a body of up to CALLBOARD_MAX_REQUEST_MB without blocking, and submits the connection to
the thread pool only once the request is complete — what nginx's request buffering does in
front of an application server. A slow client costs a socket and its buffer, never a
thread. On top of gunicorn's own limits (``limit_request_line`` / ``_fields`` /
``_field_size``, set by ``callboard serve``):

- the headers must arrive within CALLBOARD_REQUEST_HEADER_TIMEOUT_S of the connection (or
  of the first byte of a kept-alive connection's next request), the body within
  CALLBOARD_REQUEST_BODY_TIMEOUT_S after the headers; a slower client gets ``408`` and is
  disconnected (deadlines, not idle timeouts: a trickle of one byte every second never
  resets them);
- a header section longer than MAX_HEADER_BYTES gets ``431``;
- a body announced larger than the limit, or sent chunked, is not buffered: the thread gets
  the request at once (Flask answers 413 without reading a body over MAX_CONTENT_LENGTH) and
  the connection is closed after the answer, so an unread body is never drained — a
  lingering close (the event loop discards what still arrives for LINGER_S) so that the
  client reads the answer instead of a connection reset;
- once in a thread, socket reads and writes time out after gunicorn's ``timeout`` (a client
  that stops reading a response cannot hold a thread for ever).

TLS is the reverse proxy's job (README "Deployment"); with gunicorn's own TLS configured the
worker behaves as plain gthread.
"""

from __future__ import annotations

import errno
import re
import selectors
import socket
import time
from dataclasses import dataclass, field
from functools import partial

from gunicorn.workers.gthread import ThreadWorker, TConn

MAX_HEADER_BYTES = 64 * 1024
RECV_BYTES = 64 * 1024
LINGER_S = 2.0
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect:[ \t]*100-continue[ \t]*(?=\r\n)", re.IGNORECASE)


@dataclass
class _Pending:
    """A request being received: its bytes so far and its deadline."""

    deadline: float
    buf: bytearray = field(default_factory=bytearray)
    header_end: int = -1  # index just past the blank line ending the headers, once seen
    body_length: int = 0


def _status(code: int, reason: str) -> bytes:
    return f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".encode()


class BufferingThreadWorker(ThreadWorker):
    """gthread whose event loop reads whole requests (see the module docstring)."""

    def init_process(self):
        from callboard.core.settings import get_settings

        settings = get_settings()
        self.header_timeout = float(settings.request_header_timeout_s)
        self.body_timeout = float(settings.request_body_timeout_s)
        self.max_body = settings.max_request_bytes
        self._receiving: dict = {}  # TConn -> _Pending; touched by the main thread only
        self._lingering: dict = {}  # TConn -> monotonic deadline; under self._lock
        super().init_process()

    # -- the event loop (main thread) ----------------------------------------------------

    def accept(self, server, listener):
        if self.cfg.is_ssl:
            return super().accept(server, listener)
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        conn = TConn(self.cfg, sock, client, server)
        self.nr_conns += 1
        # The header deadline runs from the connection: one that never sends a byte goes too.
        self._receiving[conn] = _Pending(deadline=time.monotonic() + self.header_timeout)
        with self._lock:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def on_client_socket_readable(self, conn, client):
        if self.cfg.is_ssl:
            return super().on_client_socket_readable(conn, client)
        pending = self._receiving.get(conn)
        if pending is None:  # a kept-alive connection's next request
            with self._lock:
                try:
                    self._keep.remove(conn)
                except ValueError:
                    return  # closed as idle meanwhile
            pending = self._receiving[conn] = _Pending(deadline=time.monotonic() + self.header_timeout)
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        pending.buf += data
        if pending.header_end < 0:
            end = pending.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(pending.buf) > MAX_HEADER_BYTES:
                    self._drop(conn, _status(431, "Request Header Fields Too Large"))
                return
            if end + 4 > MAX_HEADER_BYTES:
                self._drop(conn, _status(431, "Request Header Fields Too Large"))
                return
            pending.header_end = end + 4
            length = self._body_length(bytes(pending.buf[:end]))
            if length is None or length > self.max_body:
                self._hand_over(conn, pending, complete=False)
                return
            pending.body_length = length
            pending.deadline = time.monotonic() + self.body_timeout
            if length and len(pending.buf) < pending.header_end + length:
                self._continue(conn, pending)
        if len(pending.buf) >= pending.header_end + pending.body_length:
            self._hand_over(conn, pending, complete=True)

    @staticmethod
    def _body_length(head: bytes) -> int | None:
        """The Content-Length of a header section; 0 without a body; None when the body is
        chunked or the length is unclear (the thread's parser decides, or refuses, then)."""
        lengths = set()
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"transfer-encoding":
                return None
            if name == b"content-length":
                lengths.add(value.strip())
        if not lengths:
            return 0
        if len(lengths) > 1 or not next(iter(lengths)).isdigit():
            return None
        return int(next(iter(lengths)))

    def _continue(self, conn, pending: _Pending) -> None:
        """A client waiting for ``100 Continue`` gets it from here (the header is taken out
        so that gunicorn does not send a second one)."""
        head = bytes(pending.buf[:pending.header_end])
        stripped = _EXPECT_CONTINUE.sub(b"", head)
        if stripped == head:
            return
        try:
            conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        except OSError:
            pass
        pending.buf[:pending.header_end] = stripped
        pending.header_end = len(stripped)

    def _hand_over(self, conn, pending: _Pending, *, complete: bool) -> None:
        del self._receiving[conn]
        with self._lock:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
        conn.init()  # blocking socket, gunicorn's request parser
        conn.parser.unreader.unread(bytes(pending.buf))
        conn.sock.settimeout(self.cfg.timeout)
        conn.callboard_unbuffered = not complete
        fs = self.tpool.submit(self.handle, conn)
        self._wrap_future(fs, conn)

    def _drop(self, conn, answer: bytes | None = None) -> None:
        self._receiving.pop(conn, None)
        with self._lock:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
        if answer:
            try:
                conn.sock.send(answer)  # non-blocking, best effort: it is a few bytes
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_keepalived(self):
        super().murder_keepalived()
        now = time.monotonic()
        for conn, pending in list(self._receiving.items()):
            if pending.deadline <= now:
                self._drop(conn, _status(408, "Request Timeout") if pending.buf else None)
        with self._lock:
            done = [conn for conn, deadline in self._lingering.items() if deadline <= now]
        for conn in done:
            self._end_linger(conn)

    def _discard(self, conn, client):
        """A lingering connection sent more: read it away; the end of it ends the linger."""
        try:
            while conn.sock.recv(RECV_BYTES):
                pass
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._end_linger(conn)

    def _end_linger(self, conn) -> None:
        with self._lock:
            if self._lingering.pop(conn, None) is None:
                return
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
        self.nr_conns -= 1
        conn.close()

    # -- a request in a thread -------------------------------------------------------------

    def finish_request(self, fs):
        conn = fs.conn
        if fs.cancelled() or not getattr(conn, "callboard_unbuffered", False):
            return super().finish_request(fs)
        # Answered without reading the whole body: stop sending, then let the event loop
        # discard what the client still sends before closing (a close with unread data
        # would reset the connection, and the client might lose the answer).
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            self.nr_conns -= 1
            conn.close()
            return
        with self._lock:
            self._lingering[conn] = time.monotonic() + LINGER_S
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._discard, conn))

    def handle_request(self, req, conn):
        if getattr(conn, "callboard_unbuffered", False):
            req.must_close = True  # its body may be unread: never drain it for a next request
        return super().handle_request(req, conn)

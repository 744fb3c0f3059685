"""`callboard serve`: the app under gunicorn (production)."""

from __future__ import annotations

from typing import Optional

import typer

LIMIT_REQUEST_LINE = 8190  # bytes of "METHOD /path?query HTTP/1.1" (gunicorn's maximum)
LIMIT_REQUEST_FIELDS = 100  # header fields per request
LIMIT_REQUEST_FIELD_SIZE = 8190  # bytes of one header field (cookies included)


def serve(
    workers: Optional[int] = typer.Option(None, help="Worker processes; default CALLBOARD_WORKERS."),
    host: Optional[str] = typer.Option(None, help="Default: CALLBOARD_HOST."),
    port: Optional[int] = typer.Option(None, help="Default: CALLBOARD_PORT."),
    threads: Optional[int] = typer.Option(None, help="Threads per worker; default CALLBOARD_THREADS."),
    timeout: int = typer.Option(120, help="Worker timeout in seconds (long exports); also the longest a "
                                "socket read or write of a request being answered may wait."),
) -> None:
    """Serve the app with gunicorn (production). /healthz checks the database.

    Threaded workers that read each request whole before a thread answers it
    (callboard.web.gunicorn_worker): a slow client holds no thread; header and body deadlines,
    request line and header limits. In production put a buffering reverse proxy (nginx) in
    front (README, "Deployment")."""
    import logging

    from gunicorn.app.base import BaseApplication

    from callboard.core.settings import get_settings
    from data.migrate import upgrade

    # The app's own warnings (e.g. X-Forwarded-For without CALLBOARD_PROXY_HOPS) beside gunicorn's.
    logging.basicConfig(level=logging.WARNING, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: "
                        "%(message)s", datefmt="%Y-%m-%d %H:%M:%S %z")
    settings = get_settings()
    upgrade()
    # No pooled connection may cross the fork: workers sharing the master's socket corrupt
    # each other's protocol stream ("consuming input failed" on a worker's first request).
    from data.db import dispose_engines

    dispose_engines()

    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host or settings.host}:{port or settings.port}")
            self.cfg.set("workers", workers or settings.workers)
            self.cfg.set("worker_class", "callboard.web.gunicorn_worker.BufferingThreadWorker")
            self.cfg.set("threads", threads or settings.threads)
            self.cfg.set("timeout", timeout)
            self.cfg.set("keepalive", 5)
            # gunicorn's own request limits (its maxima: a long filtered URL fits; more is refused
            # with 400 before the app sees it).
            self.cfg.set("limit_request_line", LIMIT_REQUEST_LINE)
            self.cfg.set("limit_request_fields", LIMIT_REQUEST_FIELDS)
            self.cfg.set("limit_request_field_size", LIMIT_REQUEST_FIELD_SIZE)
            self.cfg.set("accesslog", "-")

        def load(self):
            from app import create_app

            return create_app(settings).server

    _Server().run()

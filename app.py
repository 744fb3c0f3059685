"""Builds the Callboard Dash app from settings. ``python app.py`` serves it (development)."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Input
from flask import jsonify

from callboard import __version__
from callboard.core.settings import Settings, get_settings

HERE = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None) -> dash.Dash:
    from callboard.web import routes
    from callboard.web import shell
    from callboard.web.auth import guard as auth_guard
    from data import db

    settings = settings or get_settings()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "dashboards"),
        assets_folder=str(HERE / "assets"),
        # Bootstrap is served from assets/ (no CDN: installs may have no internet).
        suppress_callback_exceptions=True,
        title="Callboard",
        update_title=None,
        routing_callback_inputs={"lang": Input("lang", "value")},
    )
    app.layout = shell.layout
    # A body larger than this is answered 413 before it is read (Werkzeug checks the
    # Content-Length; `callboard serve` then closes the connection instead of draining it).
    app.server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    if settings.proxy_hops == 0:
        from callboard.web.auth.views import warn_forwarded_without_proxy_hops

        app.server.before_request(warn_forwarded_without_proxy_hops)
    shell.register_callbacks(app)
    routes.register(app.server)  # file downloads (CSV of call records)
    auth_guard.install(app)  # login, roles, CSRF and security headers on every request

    @app.server.route("/healthz")
    def healthz():
        try:
            db.ping()
        except Exception as exc:  # the database is away: say so, with a failing status
            return jsonify(status="error", database=str(exc.__class__.__name__), version=__version__), 503
        return jsonify(status="ok", database="ok", version=__version__)

    return app


if __name__ == "__main__":
    s = get_settings()
    create_app(s).run(host=s.host, port=s.port, debug=False)

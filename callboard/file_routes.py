"""HTTP routes of generated files (scheduled exports and reports).

/files/<token>        the file, without a login while the emailed link is valid; an expired
                      link answers 410 and an unknown / forged one 404, each with a page
                      saying so in the file's language — never data.
/view/<token>         the emailed "view" link: while valid, a redirect to the report page
                      (or the call records) with the schedule's filters and period.
/files/by-id/<id>     a stored file for a signed-in user from the download pages, also after
                      its link expired (administrators: every file; others: their own).
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, redirect, request, send_file

from callboard import access
from callboard.i18n import N_, normalize_lang, translator
from callboard.settings import get_settings


def _page(lang: str, status: int, title: str, text: str) -> Response:
    _ = translator(lang)
    body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(_(title))}</title>'
            '<link rel="stylesheet" href="/assets/01-bootstrap-5.3.6.min.css"></head>'
            f'<body class="p-4"><h1 class="h4">{escape(_(title))}</h1><p>{escape(_(text))}</p>'
            f'<p><a href="/">{escape(_("Go to Callboard"))}</a></p></body></html>')
    return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _by_token(token: str):
    from data import db
    from data import schema as s
    from scheduler import links

    if not token or len(token) > 100:
        return None
    rows = db.fetch_all(sa.select(s.delivery).where(s.delivery.c.token_hash == links.token_hash(token)))
    return rows[0] if rows else None


def _checked(token: str):
    """(delivery, None) when the link is valid, else (None, error response)."""
    row = _by_token(token)
    lang = normalize_lang(request.args.get("lang") or (row.language if row else None))
    if row is None:
        return None, _page(lang, 404, N_("Link not found"),
                           N_("This link is not valid. Check that it was copied whole from the email."))
    if row.expires_utc is None or row.expires_utc <= _now():
        return None, _page(lang, 410, N_("Link expired"),
                           N_("This link has expired. Signed-in users can still download the file from "
                              "the download list."))
    return row, None


def _send(row) -> Response:
    lang = normalize_lang(row.language)
    path = Path(get_settings().files_dir) / (row.path or "")
    if not row.path or not path.is_file():
        return _page(lang, 410, N_("File removed"),
                     N_("This file is no longer stored (files are removed after the retention period)."))
    response = send_file(path, mimetype=(row.mimetype or "application/octet-stream").split(";")[0],
                         as_attachment=True, download_name=row.filename or path.name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def file_by_token(token: str) -> Response:
    row, error = _checked(token)
    return error or _send(row)


def view_by_token(token: str) -> Response:
    row, error = _checked(token)
    if error:
        return error
    return redirect(row.view_path or "/", code=303)


def file_by_id(delivery_id: int) -> Response:
    from data import db
    from data import schema as s

    lang = normalize_lang(request.args.get("lang"))
    user = access.current_user()
    rows = db.fetch_all(sa.select(s.delivery).where(s.delivery.c.id == int(delivery_id)))
    row = rows[0] if rows else None
    allowed = row is not None and (user is None and not _logins_enabled() or user is not None and (
        user.role in ("admin", "administrator") or row.owner_id == user.id))
    if not allowed:
        return _page(lang, 404, N_("File not found"), N_("There is no such file, or it is not yours to download."))
    return _send(row)


def _logins_enabled() -> bool:
    """Whether the access work's logins exist (until then everybody is an administrator)."""
    try:
        import callboard.auth.login  # noqa: F401  # type: ignore[import-not-found]
    except ImportError:
        return False
    return True


def register(server: Flask) -> None:
    server.add_url_rule("/files/<token>", "file_by_token", file_by_token)
    server.add_url_rule("/view/<token>", "view_by_token", view_by_token)
    server.add_url_rule("/files/by-id/<int:delivery_id>", "file_by_id", file_by_id)

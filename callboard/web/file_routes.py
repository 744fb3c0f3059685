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

from callboard.web import access
from data.access import audit, users
from callboard.core.i18n import N_, normalize_lang, translator
from callboard.web.routes import bad_id, db_id
from callboard.core.settings import get_settings


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


def _send(row, via: str) -> Response:
    """The stored file of a delivery, with an audit entry (via: "link" — the emailed link,
    nobody signed in — or "list", the download pages)."""
    lang = normalize_lang(row.language)
    path = Path(get_settings().files_dir) / (row.path or "")
    if not row.path or not path.is_file():
        return _page(lang, 410, N_("File removed"),
                     N_("This file is no longer stored (files are removed after the retention period)."))
    response = send_file(path, mimetype=(row.mimetype or "application/octet-stream").split(";")[0],
                         as_attachment=True, download_name=row.filename or path.name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    audit.record("download_file", ("delivery", row.id),
                 {"via": via, "name": row.name, "filename": row.filename, "owner_id": row.owner_id})
    return response


def file_by_token(token: str) -> Response:
    row, error = _checked(token)
    return error or _send(row, "link")


def view_by_token(token: str) -> Response:
    """Signed in: the interactive page with the schedule's filters. Not signed in: the same
    data read-only on this page, with the owner's scope and the schedule's language."""
    row, error = _checked(token)
    if error:
        return error
    if row.schedule_id is None:  # its schedule was deleted (delete sets it NULL): the view ends with it
        return _page(normalize_lang(request.args.get("lang") or row.language), 410, N_("Link withdrawn"),
                     N_("The schedule this link came from was deleted, so the link shows nothing any more."))
    if _signed_in():
        return redirect(row.view_path or "/", code=303)
    return _read_only_view(row)


def _signed_in() -> bool:
    """A valid session cookie (the guard does not identify users on public routes)."""
    if access.current_user() is not None:
        return True
    try:
        from data.access import sessions
    except ImportError:
        return False
    sid = request.cookies.get(sessions.COOKIE)
    return bool(sid and sessions.load(sid))


VIEW_ROWS = 500  # call records shown on the read-only page (the file holds them all, up to its cap)


def _read_only_view(row) -> Response:
    import csv
    import io
    from urllib.parse import urlsplit

    from callboard.core.formatting import fmt_local_datetime, tz_label
    from callboard.reports.url_filters import RecordsQuery, link_report_filter, one_value, query_of_search

    lang = normalize_lang(row.language)
    _ = translator(lang)
    url = urlsplit(row.view_path or "")
    query = query_of_search(url.query)
    scope = users.scope_for_user(row.owner_id)
    tz = get_settings().tz
    if url.path.startswith("/reports/"):
        from callboard.reports import registry
        from callboard.reports.registry import run_report
        from callboard.reports.results import display_value, header

        report = url.path.rsplit("/", 1)[1]
        result = run_report(report, scope, link_report_filter(query), tz=tz)
        heading = [header(c, lang) for c in result.columns]
        cells = [[display_value(c, v, lang) for c, v in zip(result.columns, rec)]
                 for rec in result.df.itertuples(index=False)]
        what, more = _(registry.title(report)), ""
    else:
        from exporters.csv_export import iter_cdr_csv

        filt = RecordsQuery.from_params(query).to_filter(tz)
        lines: list[list[str]] = []
        for chunk in iter_cdr_csv(scope, filt, lang=lang, tz=tz, chunk_rows=VIEW_ROWS + 1):
            lines += list(csv.reader(io.StringIO(chunk.decode("utf-8"))))
            if len(lines) > VIEW_ROWS:
                break
        heading, cells = (lines[0], lines[1:VIEW_ROWS + 1]) if lines else ([], [])
        what = _("Call records")
        more = _("The first {n} records are shown; the file holds all of them.", n=VIEW_ROWS) \
            if len(cells) >= VIEW_ROWS else ""
    table = "".join(f"<th>{escape(h)}</th>" for h in heading)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in cells)
    empty = f'<p class="text-muted">{escape(_("No data for this period."))}</p>' if not cells else ""
    title = f"{row.name}: {what}"
    page = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            '<link rel="stylesheet" href="/assets/01-bootstrap-5.3.6.min.css"></head><body class="p-4">'
            f'<h1 class="h4">{escape(title)}</h1>'
            f'<p class="text-muted small">{escape(_("Period"))}: {escape(one_value(query.get("from")))} – '
            f'{escape(one_value(query.get("to")))} · {escape(_("Generated"))}: '
            f'{escape(fmt_local_datetime(row.created_utc, lang, seconds=False))} ({escape(tz_label())}) · '
            f'{escape(_("Read-only view; sign in for the interactive page."))}</p>'
            f'{empty}<table class="table table-sm table-striped" id="view-table"><thead><tr>{table}</tr></thead>'
            f'<tbody>{body}</tbody></table><p class="small">{escape(more)}</p>'
            f'<p><a href="/login?next={escape(row.view_path or "/")}">{escape(_("Sign in"))}</a></p></body></html>')
    return Response(page, status=200, mimetype="text/html", headers={"Cache-Control": "private, no-store"})


def file_by_id(delivery_id: int) -> Response:
    from data import db
    from data import schema as s

    lang = normalize_lang(request.args.get("lang"))
    if db_id(delivery_id) is None:
        return bad_id(lang)
    user = access.current_user()  # the guard lets signed-in users only this far
    rows = db.fetch_all(sa.select(s.delivery).where(s.delivery.c.id == int(delivery_id)))
    row = rows[0] if rows else None
    if row is None or user is None or not (user.is_admin or row.owner_id == user.id):
        return _page(lang, 404, N_("File not found"), N_("There is no such file, or it is not yours to download."))
    return _send(row, "list")


def register(server: Flask) -> None:
    server.add_url_rule("/files/<token>", "file_by_token", file_by_token)
    server.add_url_rule("/view/<token>", "view_by_token", view_by_token)
    server.add_url_rule("/files/by-id/<int:delivery_id>", "file_by_id", file_by_id)

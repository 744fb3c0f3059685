"""Plain HTTP routes beside the Dash pages (file downloads). ``app.create_app`` registers them.

/export/records.csv  the call records of a view as CSV, streamed. Takes the records page's
                     query parameters (callboard.reports.url_filters) plus ``cols`` (secondary
                     columns to add to the main ones), ``sort`` (``duration:desc,start:asc``,
                     the grid's order; default newest first), ``lang`` (en/cs) and ``excel=1``.
                     An invalid filter answers 400 with the translated message.
/recordings/<id>/audio  one recording's file, with Range support (206; seeking works), as
                     audio/wav or audio/mpeg; ``download=1`` as an attachment. 404 when
                     recordings are disabled, the recording is unknown or outside the
                     caller's scope, its stored path leaves the storage, or its file is
                     missing (with a plain-text message saying which).
/export/chats.csv    external chat sessions of a view (callboard.reports.url_filters) as CSV.
"""

from __future__ import annotations

from flask import Flask, Response, request, stream_with_context

from callboard.web import access
from data.access import audit
from callboard.core.i18n import N_, normalize_lang, translator
from callboard.reports.url_filters import ChatsQuery, RecordsQuery
from callboard.core.settings import get_settings
from data.queries.calls import COLUMNS, MAIN_COLUMNS, SECONDARY_COLUMNS, InvalidFilter
from data.scope import Scope

RECORDS_CSV_PATH = "/export/records.csv"
MAX_DB_ID = 2**63 - 1  # the largest id a BIGINT column (PostgreSQL) / SQLite INTEGER holds


def db_id(value) -> int | None:
    """A database id from a URL or a callback's input (an int or a string of digits, 1 up
    to MAX_DB_ID), else None: the database is never asked for an id it cannot hold (an
    overlong one made SQLite and PostgreSQL fail with a 500)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= MAX_DB_ID else None


def bad_id(lang: str) -> Response:
    return Response(translator(lang)("That is not a valid id."), status=400, mimetype="text/plain",
                    headers={"Cache-Control": "no-store"})


def current_scope() -> Scope:
    """What the current user may see (callboard.web.access decides)."""
    return access.current_scope()


def format_sort(sort) -> str:
    """[["duration", "desc"], ...] -> "duration:desc" (the ``sort`` URL parameter)."""
    return ",".join(f"{key}:{direction}" for key, direction in sort or () if key in COLUMNS)


def parse_sort(text: str | None) -> list[tuple[str, str]]:
    """"duration:desc,start" -> [("duration", "desc"), ("start", "asc")]; unknown keys dropped."""
    out = []
    for part in (text or "").split(","):
        key, _sep, direction = part.strip().partition(":")
        direction = (direction or "asc").lower()
        if key in COLUMNS and direction in ("asc", "desc"):
            out.append((key, direction))
    return out


def records_csv() -> Response:
    from exporters.csv_export import csv_filename, iter_cdr_csv

    lang = normalize_lang(request.args.get("lang"))
    excel = request.args.get("excel", "").lower() in ("1", "yes", "true")
    query = RecordsQuery.from_params(request.args.to_dict(flat=False))
    tz = get_settings().tz
    try:
        filt = query.to_filter(tz)
    except InvalidFilter as exc:
        return Response(translator(lang)(exc.msgid, **exc.params), status=400, mimetype="text/plain")
    columns = list(MAIN_COLUMNS) + [c for c in SECONDARY_COLUMNS if c in query.columns]
    sort = parse_sort(request.args.get("sort"))
    body = iter_cdr_csv(current_scope(), filt, columns, lang=lang, excel=excel, tz=tz, sort=sort)
    audit.record("export_records", ("export", "records.csv"), {"query": request.query_string.decode()[:1000]})
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{csv_filename(filt, tz)}"',
            "Cache-Control": "no-store",
        },
    )


def recording_audio_path(recording_id: int, *, download: bool = False) -> str:
    return f"/recordings/{int(recording_id)}/audio" + ("?download=1" if download else "")


def _not_found(lang: str, msgid: str) -> Response:
    return Response(translator(lang)(msgid), status=404, mimetype="text/plain",
                    headers={"Cache-Control": "no-store"})


def recording_audio(recording_id: int) -> Response:
    from flask import send_file

    from data import db
    from data import recordings as rec
    from data.queries.recordings import get_recording

    lang = normalize_lang(request.args.get("lang"))
    if db_id(recording_id) is None:
        return bad_id(lang)
    if not get_settings().recordings_enabled:
        return _not_found(lang, N_("Recordings are disabled."))
    row = db.fetch_all(get_recording(current_scope(), recording_id))
    if not row:
        return _not_found(lang, N_("No such recording (it may have been deleted)."))
    row = row[0]
    try:
        path = rec.existing_file(row.path)
    except rec.RecordingError as exc:
        return _not_found(lang, exc.msgid)
    download = request.args.get("download", "").lower() in ("1", "yes", "true")
    ext = (row.format or path.suffix.lstrip(".") or "wav").lower()
    response = send_file(
        path,
        mimetype=rec.mimetype(row.format, path),
        conditional=True,
        as_attachment=download,
        download_name=f"recording-{row.call_uid}-{row.id}.{ext}".replace("/", "_"),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    # One entry per playback / download, not per Range request of the same player.
    if (request.headers.get("Range") or "bytes=0-").startswith("bytes=0-"):
        audit.record("download_recording" if download else "play_recording", ("recording", row.id),
                     {"call_uid": row.call_uid})
    return response


CHATS_CSV_PATH = "/export/chats.csv"


def chats_csv() -> Response:
    from exporters.chats_csv import chats_filename, iter_chats_csv

    lang = normalize_lang(request.args.get("lang"))
    excel = request.args.get("excel", "").lower() in ("1", "yes", "true")
    tz = get_settings().tz
    try:
        filt = ChatsQuery.from_params(request.args.to_dict(flat=False)).to_filter(tz)
    except InvalidFilter as exc:
        return Response(translator(lang)(exc.msgid, **exc.params), status=400, mimetype="text/plain")
    body = iter_chats_csv(current_scope(), filt, lang=lang, excel=excel, tz=tz)
    audit.record("export_chats", ("export", "chats.csv"), {"query": request.query_string.decode()[:1000]})
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{chats_filename(filt, tz)}"',
            "Cache-Control": "no-store",
        },
    )


def register(server: Flask) -> None:
    server.add_url_rule(RECORDS_CSV_PATH, "records_csv", records_csv)
    server.add_url_rule("/recordings/<int:recording_id>/audio", "recording_audio", recording_audio)
    server.add_url_rule(CHATS_CSV_PATH, "chats_csv", chats_csv)
    from callboard.web import file_routes  # generated files: /files/<token>, /view/<token>, /files/by-id/<id>

    file_routes.register(server)

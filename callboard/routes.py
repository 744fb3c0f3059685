"""Plain HTTP routes beside the Dash pages (file downloads). ``app.create_app`` registers them.

/export/records.csv  the call records of a view as CSV, streamed. Takes the records page's
                     query parameters (callboard.records_params) plus ``cols`` (secondary
                     columns to add to the main ones), ``sort`` (``duration:desc,start:asc``,
                     the grid's order; default newest first), ``lang`` (en/cs) and ``excel=1``.
                     An invalid filter answers 400 with the translated message.
"""

from __future__ import annotations

from flask import Flask, Response, request, stream_with_context

from callboard.i18n import normalize_lang, translator
from callboard.records_params import RecordsQuery
from callboard.settings import get_settings
from data.queries.calls import COLUMNS, MAIN_COLUMNS, SECONDARY_COLUMNS, InvalidFilter
from data.scope import Scope

RECORDS_CSV_PATH = "/export/records.csv"


def current_scope() -> Scope:
    """What the current user may see: everything until logins exist (access-control item)."""
    return Scope.everything()


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
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{csv_filename(filt, tz)}"',
            "Cache-Control": "no-store",
        },
    )


def register(server: Flask) -> None:
    server.add_url_rule(RECORDS_CSV_PATH, "records_csv", records_csv)

"""External chat sessions as CSV, streamed (same format rules as the call records CSV:
UTF-8 or Excel's BOM + ``;``, CRLF, local times with the zone in the header, and every text
cell formula-neutralised by ``exporters.csv_export.neutralise``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy.engine import Engine

from callboard.core.i18n import translator
from callboard.core.settings import get_settings
from data import db
from data.queries.chats import CHANNEL_LABELS, COLUMNS, STATUS_LABELS, ChatFilter, list_sessions
from data.scope import Scope
from callboard.core.formatting import neutralise
from exporters.csv_export import BOM, CHUNK_ROWS, _LocalTimes

FIELDS = ("session_uid", "created", "last_active", "sender", "recipient", "channel_type", "channel_number",
          "agent", "messages", "status")
_ROW_KEYS = {"created": "created_utc", "last_active": "last_active_utc", "messages": "message_count"}


def chats_filename(filt: ChatFilter, tz) -> str:
    from exporters.csv_export import csv_filename

    return csv_filename(filt, tz, prefix="chat-sessions")  # uses only start_utc / end_utc


def iter_chats_csv(scope: Scope, filt: ChatFilter, *, lang: str = "en", excel: bool = False, sort=None,
                   engine: Engine | None = None, tz=None, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    filt.validate()
    _ = translator(lang)
    tz = tz or get_settings().tz
    local = _LocalTimes(tz)
    tz_name = getattr(tz, "key", str(tz))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buf.write(BOM)
    writer.writerow([
        neutralise(f"{_(COLUMNS[k][0])} ({tz_name})" if k in ("created", "last_active") else _(COLUMNS[k][0]))
        for k in FIELDS
    ])
    pending = 0
    for row in db.stream_rows(list_sessions(scope, filt, sort=sort, limit=None), engine):
        m = row._mapping
        cells = []
        for key in FIELDS:
            v = m[_ROW_KEYS.get(key, key)]
            if v is None:
                cells.append("")
            elif key in ("created", "last_active"):
                cells.append(local(v))
            elif key == "messages":
                cells.append(str(int(v)))
            elif key == "status":
                cells.append(neutralise(_(STATUS_LABELS[v]) if v in STATUS_LABELS else str(v)))
            elif key == "channel_type":
                cells.append(neutralise(_(CHANNEL_LABELS[v]) if v in CHANNEL_LABELS else str(v)))
            else:
                cells.append(neutralise(str(v)))
        writer.writerow(cells)
        pending += 1
        if pending >= chunk_rows:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
            pending = 0
    yield buf.getvalue().encode("utf-8")

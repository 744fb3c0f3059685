"""Callboard's own call-records CSV ("Download records", ``callboard export cdr``) back in.

The round trip (SPEC §8): a file exported from one Callboard imports into another (or into
the same one as a different source) and exports again as the same file. Read as exported:

- either language (English or Czech headers and labels), the plain variant (``,``) or the
  Excel one (BOM, ``;``), any choice of columns that includes the start time;
- the start header names the zone of the times (``Start (Europe/Prague)``): local -> UTC;
- statuses, communication types and "hung up by" as translated labels (or stored keys);
- the apostrophe that neutralised a formula-like cell (``'+420...``) is taken off again.

A call is identified by its Call ID column (else by a hash of start, from, to and
duration), so importing a file twice adds nothing; a grown file imports only what is new
(byte offset, like the other file importers). Extension and peer: from the numbers, for
outbound (caller) and internal (caller, callee) calls when they look like extensions
(data.importers.rules); an inbound call's "To" is our number or a queue, not an extension,
so its extension stays unknown. The file has no legs, so none are made. Local times in the
hour repeated when DST ends are read as the first of the two (the export does not say). Bad rows go to the rejects
file with file:line and reason; each batch commits atomically with its aggregate refresh.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from callboard.core.i18n import LANGUAGES, translator
from data import aggregates
from data import schema as s
from data.importers.base import (
    FINGERPRINT_BYTES,
    ImportFailed,
    ImportStats,
    RejectWriter,
    gc_paused,
    location_of,
    open_binary,
    save_state,
    start_file_import,
)
from data.importers.rules import Rules, load_rules

KIND = "callboard-csv"
DEFAULT_BATCH_LINES = 20_000
BOM = "\ufeff"
_ZONE_HEADER = re.compile(r"^(.*) \(([^()]+)\)$")
# callboard.core.formatting.FORMULA_PREFIXES: what got a leading apostrophe on the way out.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def _vocabularies() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(header text -> field name, field kind -> {label or key -> stored key}) in every language."""
    from data.queries.calls import (
        ALL_COLUMNS,
        DIRECTION_LABELS,
        HANGUP_BY_LABELS,
        STATUS_LABELS,
        export_fields,
    )

    headers: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {"status": {}, "direction": {}, "hangup_by": {}}
    vocab = {"status": STATUS_LABELS, "direction": DIRECTION_LABELS, "hangup_by": HANGUP_BY_LABELS}
    for lang in LANGUAGES:
        _ = translator(lang)
        for f in export_fields(ALL_COLUMNS):
            headers[_(f.label)] = f.name
        for kind, table in vocab.items():
            for key, label in table.items():
                labels[kind][_(label)] = key
                labels[kind][key] = key
    return headers, labels


class _Layout:
    def __init__(self, header_line: str, delimiter: str, names: list[str | None], tz: ZoneInfo) -> None:
        self.header_line, self.delimiter, self.names, self.tz = header_line, delimiter, names, tz


def detect(first_line: str, default_tz: ZoneInfo) -> _Layout | None:
    """The columns of an exported file from its header row, or None when it is not one."""
    line = first_line.lstrip(BOM)
    delimiter = ";" if line.count(";") > line.count(",") else ","
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    headers, _ = _vocabularies()
    names: list[str | None] = []
    tz = default_tz
    for cell in cells:
        text = cell[1:] if cell.startswith(_NEUTRALISED) else cell
        name = headers.get(text)
        m = _ZONE_HEADER.match(text)
        if name is None and m and headers.get(m.group(1)) == "start_utc":
            name = "start_utc"
            try:
                tz = ZoneInfo(m.group(2))
            except Exception:
                return None
        names.append(name)
    if "start_utc" not in names or sum(n is not None for n in names) < 2:
        return None
    return _Layout(first_line, delimiter, names, tz)


class BadRow(ValueError):
    pass


_INT_FIELDS = ("duration_s", "ring_s", "talk_s")
_TEXT_LIMITS = {"from_number": 64, "from_name": 200, "to_number": 64, "to_name": 200, "call_uid": 80,
                "hangup_cause": 64, "src_trunk": 100, "dst_trunk": 100, "did": 32, "outbound_cid": 32,
                "caller_ip": 45, "pin": 32, "transferred_to": 64}


def parse_row(cells: list[str], layout: _Layout, labels: dict, rules: Rules, offsets: dict) -> dict:
    if len(cells) != len(layout.names):
        raise BadRow(f"wrong column count {len(cells)} (the header has {len(layout.names)})")
    v: dict = {}
    for name, cell in zip(layout.names, cells):
        if name is not None:
            v[name] = cell[1:] if cell.startswith(_NEUTRALISED) else cell
    start_s = v.get("start_utc", "").strip()
    try:
        local = datetime.fromisoformat(start_s)
    except ValueError:
        raise BadRow(f"impossible start time {start_s[:40]!r}") from None
    if local.tzinfo is not None or not 1971 <= local.year <= 9000:
        raise BadRow(f"impossible start time {start_s[:40]!r}")
    key = start_s[:13]
    off = offsets.get(key)
    if off is None:
        off = offsets[key] = local.replace(tzinfo=layout.tz).utcoffset() or timedelta(0)
    start = local - off
    nums = {}
    for f in _INT_FIELDS:
        text = v.get(f, "").strip()
        try:
            nums[f] = int(text) if text else None
        except ValueError:
            raise BadRow(f"{f} is not a whole number of seconds ({text[:20]!r})") from None
        if nums[f] is not None and not 0 <= nums[f] <= 864000:
            raise BadRow(f"impossible {f} {nums[f]}")
    ring, talk, duration = nums["ring_s"], nums["talk_s"], nums["duration_s"]
    if duration is None:
        duration = (ring or 0) + (talk or 0)
    talk = talk if talk is not None else 0
    ring = ring if ring is not None else max(0, duration - talk)
    if ring + talk > duration:
        raise BadRow(f"ring {ring} s + talk {talk} s longer than the duration {duration} s")
    out = {}
    for kind, field in (("status", "status"), ("direction", "direction"), ("hangup_by", "hangup_by")):
        text = v.get(field, "").strip()
        if not text:
            out[field] = None
            continue
        key_ = labels[kind].get(text)
        if key_ is None:
            raise BadRow(f"unknown {field.replace('_', ' ')} {text[:30]!r}")
        out[field] = key_
    status = out["status"] or ("answered" if talk > 0 else "no_answer")
    direction = out["direction"] or "inbound"
    text = {f: (v.get(f) or None) for f in _TEXT_LIMITS}
    for f, n in _TEXT_LIMITS.items():
        if text[f] is not None and len(text[f]) > n:
            raise BadRow(f"{f} longer than {n} characters")
    from_number, to_number = text["from_number"] or "", text["to_number"] or ""
    uid = text["call_uid"] or "csv-" + hashlib.blake2b(
        f"{start.isoformat()}|{from_number}|{to_number}|{duration}".encode(), digest_size=12).hexdigest()
    extension = peer = None
    if direction in ("outbound", "internal") and rules.is_extension(from_number):
        extension = from_number
    if direction == "internal" and rules.is_extension(to_number):
        peer = to_number
    answered = status == "answered"
    return dict(
        call_uid=uid, start_utc=start, answer_utc=start + timedelta(seconds=ring) if answered else None,
        end_utc=start + timedelta(seconds=duration), from_number=from_number, from_name=text["from_name"],
        to_number=to_number, to_name=text["to_name"], direction=direction, status=status, duration_s=duration,
        ring_s=ring, talk_s=talk, hangup_by=out["hangup_by"], hangup_cause=text["hangup_cause"],
        src_trunk=text["src_trunk"], dst_trunk=text["dst_trunk"], did=text["did"],
        outbound_cid=text["outbound_cid"], caller_ip=text["caller_ip"], pin=text["pin"],
        transferred_to=text["transferred_to"], extension=extension,
        peer_extension=peer, answered_by=(peer or extension) if answered and direction != "outbound" else None,
        destination_type="external" if direction == "outbound" else ("extension" if (peer or extension) else None),
        destination=to_number if direction == "outbound" else (peer or extension),
    )


def write_batch(conn: sa.Connection, source_id: int, rows: list[dict], stats: ImportStats) -> None:
    if not rows:
        return
    c = s.call
    fresh: dict[str, dict] = {}
    for r in rows:
        if r["call_uid"] in fresh:
            stats.duplicates_skipped += 1
        else:
            fresh[r["call_uid"]] = r
    uids = list(fresh)
    for i in range(0, len(uids), 500):
        for (uid,) in conn.execute(sa.select(c.c.call_uid).where(c.c.source_id == source_id,
                                                                 c.c.call_uid.in_(uids[i : i + 500]))):
            del fresh[uid]
            stats.duplicates_skipped += 1
    if not fresh:
        return
    conn.execute(c.insert(), [dict(source_id=source_id, **r) for r in fresh.values()])
    stats.calls_added += len(fresh)
    starts = [r["start_utc"] for r in fresh.values()]
    aggregates.refresh(conn, min(starts), max(starts) + timedelta(seconds=1))


@gc_paused()
def import_callboard_csv(
    engine: sa.Engine,
    path: str | Path,
    *,
    source: str | None = None,
    source_tz: str | None = None,
    rules: Rules | str | Path | None = None,
    rejects_path: str | Path | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    progress: bool = False,
) -> ImportStats:
    """Import (the new part of) a call-records CSV exported by Callboard. ImportFailed, with
    nothing written, when the file cannot be read or is not such an export."""
    from callboard.core.settings import get_settings

    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    try:
        default_tz = get_settings().tz if source_tz is None else ZoneInfo(source_tz)
    except Exception:
        raise ImportFailed(f"unknown time zone {source_tz!r} (use an IANA name such as Europe/Prague or UTC)")
    path = Path(path)
    stats = ImportStats(path=str(path), layout="Callboard call records CSV")
    location = location_of(path)
    with open_binary(path) as fh:
        size = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        first = fh.readline().decode("utf-8", "replace").rstrip("\r\n")
        if not first.strip():
            stats.layout = "empty"
            return stats
        layout = detect(first, default_tz)
        if layout is None:
            raise ImportFailed(f"{path}: not a call-records CSV exported by Callboard (no Start column in the "
                               "header row); nothing imported")
        _, labels = _vocabularies()
        source_id, position, lineno = start_file_import(engine, fh, size, source, KIND, location, stats)
        if source_id is None:
            return stats
        fh.seek(0)
        head = fh.read(FINGERPRINT_BYTES)
        rejects = RejectWriter(rejects_path, str(path), stats)
        offsets: dict = {}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=size - position, unit="B", unit_scale=True, desc=path.name, leave=False)

        def commit(rows, position, lineno) -> None:
            part = head[: min(len(head), position)]
            with engine.begin() as conn:
                write_batch(conn, source_id, rows, stats)
                save_state(conn, source_id, KIND, location, f"{len(part)}:{hashlib.sha256(part).hexdigest()}",
                           position, lineno)
            stats.batches += 1

        try:
            fh.seek(position)
            rows: list[dict] = []
            bad: list[tuple[int, str, bytes]] = []
            count = 0
            for raw in fh:
                lineno += 1
                position += len(raw)
                count += 1
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                if lineno == 1 or not text.strip():
                    stats.blank_lines += 1
                else:
                    try:
                        cells = next(csv.reader([text], delimiter=layout.delimiter, strict=True))
                        rows.append(parse_row(cells, layout, labels, rules, offsets))
                    except (BadRow, csv.Error) as exc:
                        bad.append((lineno, str(exc) if isinstance(exc, BadRow) else f"malformed CSV ({exc})", raw))
                if count >= batch_lines:
                    commit(rows, position, lineno)
                    stats.lines_read += count
                    for b in bad:
                        rejects.reject(*b)
                    if bar is not None:
                        bar.update(position - bar.n - stats.resumed_at)
                    rows, bad, count = [], [], 0
            if count:
                commit(rows, position, lineno)
                stats.lines_read += count
                for b in bad:
                    rejects.reject(*b)
        finally:
            rejects.close()
            if bar is not None:
                bar.close()
    return stats

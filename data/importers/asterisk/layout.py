"""Asterisk CDR files: which layout a file has, from its first lines (column count and
content, never the file name), and where each field is in a row of each width.

- ``csv``: cdr_csv ``Master.csv`` without header. 16 columns (accountcode, src, dst,
  dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration,
  billsec, disposition, amaflags), 17 (+uniqueid), 18 (+userfield), 21 (+peeraccount,
  linkedid, sequence). Lines of different widths may be mixed (a PBX whose cdr.conf
  changed), each is read by its own width.
- ``custom``: cdr_custom with the common template starting with clid (clid, src, dst,
  dcontext, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
  disposition, amaflags[, accountcode, uniqueid, userfield, sequence]).
- ``header``: a CDR table exported with a header row (FreePBX ``asteriskcdrdb.cdr``:
  calldate, clid, src, dst, ..., did, recordingfile, cnum, outbound_cnum, linkedid, ...),
  columns found by name, ``NULL`` literals read as empty (also a CDR database table read
  by cdr_db, by its column names).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime

csv.field_size_limit(1 << 20)


# ----------------------------------------------------------------------------- layouts

FIELDS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "uniqueid",
    "linkedid", "did", "recordingfile", "outbound_cnum", "cnum", "userfield",
)
F = {name: i for i, name in enumerate(FIELDS)}

_CSV_BASE = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
             "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags"]
CSV_COLUMNS = {
    16: _CSV_BASE,
    17: _CSV_BASE + ["uniqueid"],
    18: _CSV_BASE + ["uniqueid", "userfield"],
    21: _CSV_BASE + ["uniqueid", "userfield", "peeraccount", "linkedid", "sequence"],
}
_CUSTOM_FULL = ["clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
                "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
                "accountcode", "uniqueid", "userfield", "sequence"]
CUSTOM_COLUMNS = {n: _CUSTOM_FULL[:n] for n in range(15, len(_CUSTOM_FULL) + 1)}

# Header aliases of the exported table.
HEADER_ALIASES = {"calldate": "start", "cdrdate": "start", "start_time": "start", "end_time": "end",
                  "answer_time": "answer", "uniqueid": "uniqueid", "unique_id": "uniqueid"}

DISPOSITIONS = {
    "ANSWERED": "ANSWERED", "NO ANSWER": "NO ANSWER", "NOANSWER": "NO ANSWER", "BUSY": "BUSY",
    "FAILED": "FAILED", "CONGESTION": "CONGESTION", "CANCEL": "CANCEL", "UNKNOWN": "UNKNOWN",
    "8": "ANSWERED", "0": "NO ANSWER", "4": "BUSY", "2": "FAILED", "16": "CONGESTION",
    "32": "CANCEL", "1": "NO ANSWER",
}


class Layout:
    """Column positions of FIELDS for each accepted row width."""

    def __init__(self, name: str, widths: dict[int, list[str]], *, header: bool = False, nulls: bool = False,
                 header_line: str | None = None) -> None:
        self.name = name
        self.header = header
        self.header_line = header_line
        self.nulls = nulls
        self.by_width: dict[int, tuple[int, ...]] = {}
        for n, cols in widths.items():
            pos = {c: i for i, c in enumerate(cols)}
            self.by_width[n] = tuple(pos.get(f, -1) for f in FIELDS)
        ws = [str(n) for n in sorted(self.by_width)]
        self.expected = ws[0] if len(ws) == 1 else ", ".join(ws[:-1]) + " or " + ws[-1]

    @property
    def label(self) -> str:
        if self.name == "csv":
            return "cdr_csv (" + "/".join(str(n) for n in sorted(self.by_width)) + " columns)"
        if self.name == "custom":
            return "cdr_custom"
        return f"CDR table export with header ({max(self.by_width)} columns)"


CSV_LAYOUT = Layout("csv", CSV_COLUMNS)
CUSTOM_LAYOUT = Layout("custom", CUSTOM_COLUMNS)


def header_layout(row: list[str], line: str) -> Layout | None:
    names = [HEADER_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in row]
    need = {"start", "src", "dst", "channel", "duration", "billsec", "disposition"}
    if not need <= set(names):
        return None
    return Layout("header", {len(names): names}, header=True, nulls=True, header_line=line)


def split_line(line: str) -> tuple[list[str], bool]:
    """Fields of one CSV line; (fields, quoting_was_broken). Raises csv.Error when hopeless."""
    try:
        return next(csv.reader((line,), strict=True)), False
    except csv.Error:
        return next(csv.reader((line,))), True


def _looks_like_time(v: str) -> bool:
    try:
        datetime.fromisoformat(v.strip())
        return True
    except ValueError:
        return False


def _fits(row: list[str], layout: Layout) -> bool:
    idx = layout.by_width.get(len(row))
    if idx is None:
        return False
    return _looks_like_time(row[idx[F["start"]]]) and row[idx[F["disposition"]]].strip().upper() in DISPOSITIONS


def detect_layout(lines: Iterable[str]) -> Layout | None:
    """The layout that most of the first lines fit, or None."""
    votes = {"csv": 0, "custom": 0}
    first = True
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        try:
            row, _ = split_line(line)
        except csv.Error:
            first = False
            continue
        if first:
            first = False
            hl = header_layout(row, line)
            if hl is not None:
                return hl
        if _fits(row, CSV_LAYOUT):
            votes["csv"] += 1
        elif _fits(row, CUSTOM_LAYOUT):
            votes["custom"] += 1
    best = max(votes, key=votes.get)
    if votes[best] == 0:
        return None
    return CSV_LAYOUT if best == "csv" else CUSTOM_LAYOUT



"""Asterisk CDR files -> call + call_leg facts.

Layouts (detected from column count and content, never from the file name):

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
  columns found by name, ``NULL`` literals read as empty.

One CDR row is one leg. Rows are grouped into calls by linkedid, else uniqueid, else (16
columns) by caller channel and start; in files without linkedid the ``;2`` half of a Local
channel joins the call that dialled its ``;1`` half when both are in the same batch.

Idempotence: a call is identified by (source, call_uid); a leg by (uniqueid, channel,
dstchannel, start, answer, end, status). Importing the same line twice adds nothing; new
legs of a known call are merged into it and the call recomputed. Each batch (calls, legs,
aggregate refresh, import position) commits in one transaction.

Large files (200,000 lines or more): batches are parsed and built by worker processes
(data.importers.parallel) that hand back the rows in PostgreSQL's binary COPY format with
ids reserved for them; this process only looks up the few calls that may already be stored
(KnownCalls), streams the rest and commits. The aggregates are then refreshed once at the
end instead of after every batch: each batch marks its hours pending in its own
transaction (aggregates.mark_pending), so an import that dies leaves them marked and the
next import refreshes them first. On a 2-core machine the import is CPU-bound: see
bench/import_throughput.py for where the time goes.
"""

from __future__ import annotations

import array
import collections
import csv
import gc
import hashlib
import io
import itertools
import operator
import struct
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect

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
from data.importers import bulk, parallel, queue_link
from data.importers.rules import (
    APP_CONFERENCE,
    APP_IVR,
    APP_QUEUE,
    APP_VOICEMAIL,
    CONTEXT,
    CTX_INBOUND,
    CTX_INTERNAL,
    CTX_IVR,
    CTX_OUT_LOCAL,
    CTX_QUEUE,
    CTX_RING_GROUP,
    CTX_TRANSFER,
    NUMBER,
    PEER,
    Rules,
    load_known,
    load_rules,
    merge_learned,
)

KIND = "asterisk-cdr"
UTC = timezone.utc
DEFAULT_BATCH_LINES = 50_000
SAMPLE_LINES = 50

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
LEG_STATUS = {"ANSWERED": "answered", "NO ANSWER": "no_answer", "BUSY": "busy", "FAILED": "failed",
              "CONGESTION": "failed", "CANCEL": "cancelled", "UNKNOWN": "failed"}
_DISP_FROM_LEG = {"answered": "ANSWERED", "no_answer": "NO ANSWER", "busy": "BUSY", "failed": "FAILED",
                  "cancelled": "CANCEL", "rejected": "FAILED"}


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


# ----------------------------------------------------------------------------- times

def make_time_parser(tz: ZoneInfo) -> Callable[[str], datetime]:
    """'YYYY-MM-DD HH:MM:SS' in `tz` -> naive UTC. Offsets are cached per local hour."""
    fromiso = datetime.fromisoformat
    cache: dict[str, timedelta] = {}
    zero = timedelta(0)
    is_utc = str(tz) in ("UTC", "Etc/UTC", "GMT", "Etc/GMT", "Universal", "Zulu")

    def parse(v: str) -> datetime:
        dt = fromiso(v)
        if dt.tzinfo is not None:
            return dt.astimezone(UTC).replace(tzinfo=None)
        if is_utc:
            return dt
        k = v[:13]
        off = cache.get(k)
        if off is None:
            off = dt.replace(tzinfo=tz).utcoffset() or zero
            cache[k] = off
        return dt - off

    return parse


# ----------------------------------------------------------------------------- legs

class Leg:
    """One CDR row (or, when merging, one stored call_leg)."""

    __slots__ = ("uid", "has_linkedid", "accountcode", "src", "dst", "dcontext", "clid", "channel",
                 "dstchannel", "lastapp", "lastdata", "start", "answer", "end", "disp", "status",
                 "billsec", "duration", "uniqueid", "did", "recordingfile", "outbound_cnum", "cnum", "lineno",
                 "stored", "hint", "_key")

    def __init__(self) -> None:
        self.stored = None  # call_leg row when read back from the database
        self.hint = None  # call row: call-level facts to keep when this stored leg is the origin
        self._key = None

    @property
    def key(self) -> tuple:
        if self._key is None:
            self._key = (self.uniqueid, self.channel, self.dstchannel, self.start, self.answer, self.end,
                         self.status)
        return self._key


class BadLine(ValueError):
    pass


def _cut(v: str | None, n: int) -> str | None:
    if not v:
        return None
    return v if len(v) <= n else v[:n]


def _clid_name(clid: str) -> str | None:
    lt = clid.rfind("<")
    name = clid[:lt] if lt >= 0 else clid
    name = name.strip().strip('"').strip()
    return name or None


def _synthetic_uid(channel: str, start: str) -> str:
    return "h" + hashlib.blake2b(f"{channel}|{start}".encode("utf-8", "replace"), digest_size=12).hexdigest()


class _Feed:
    """Lines for one csv.reader, at most one line per record (a stray quote cannot make the
    reader swallow the following lines)."""

    __slots__ = ("lines", "i", "budget")

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.i, self.budget = lines, 0, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.budget <= 0 or self.i >= len(self.lines):
            raise StopIteration
        self.budget -= 1
        line = self.lines[self.i]
        self.i += 1
        return line


class RowParser:
    def __init__(self, layout: Layout, tz: ZoneInfo) -> None:
        self.layout = layout
        self.parse_time = make_time_parser(tz)
        # Per row width: a C-level getter of FIELDS (missing columns read an appended "").
        self.getters = {
            w: operator.itemgetter(*[i if i >= 0 else w for i in idx]) for w, idx in layout.by_width.items()
        }
        self.has_answer = {w: idx[F["answer"]] >= 0 for w, idx in layout.by_width.items()}

    def leg(self, line: str, lineno: int) -> Leg:
        """A Leg from one line of text, or BadLine with the reason."""
        try:
            row, broken = split_line(line)
        except csv.Error as exc:
            raise BadLine(f"malformed CSV ({exc})") from None
        if not broken:
            return self._leg(row, lineno)
        try:
            return self._leg(row, lineno)
        except BadLine as exc:
            raise BadLine(f"broken quoting: {exc}") from None

    def parse_batch(self, linenos: list[int], texts: list[str], reject: Callable[[int, str], None]) -> list[Leg]:
        """Legs of many lines at once; bad lines go to reject(index, reason)."""
        out: list[Leg] = []
        make = self._leg
        # Fast path: one csv.reader over the whole batch. It is only right when every record
        # is one line, which holds when the reader makes as many records as there are lines
        # (a record spanning lines can only lower the count); any doubt -> line by line.
        try:
            rows = list(csv.reader(texts, strict=True))
        except csv.Error:
            rows = None
        if rows is not None and len(rows) == len(texts):
            for k, row in enumerate(rows):
                try:
                    out.append(make(row, linenos[k]))
                except BadLine as exc:
                    reject(k, str(exc))
            return out
        feed = _Feed(texts)
        reader = csv.reader(feed, strict=True)
        n = len(texts)
        while feed.i < n:
            before = feed.i
            feed.budget = 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                # Quoting broken on this line: read it alone, leniently.
                feed.i = before + 1
                reader = csv.reader(feed, strict=True)
                try:
                    out.append(self.leg(texts[before], linenos[before]))
                except BadLine as exc:
                    reject(before, str(exc))
                continue
            try:
                out.append(make(row, linenos[before]))
            except BadLine as exc:
                reject(before, str(exc))
        return out

    def _leg(self, row: list[str], lineno: int) -> Leg:
        w = len(row)
        getter = self.getters.get(w)
        if getter is None:
            raise BadLine(f"wrong column count {w} (expected {self.layout.expected})")
        row.append("")
        if self.layout.nulls:
            row = ["" if v == "NULL" or v == "\\N" else v.strip() for v in row]
        (accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start_s, answer_s, end_s,
         dur_s, bill_s, disp_s, uniqueid, linkedid, did, recfile, ocnum, cnum, _userfield) = getter(row)
        parse_time = self.parse_time
        if not start_s:
            raise BadLine("missing start time")
        try:
            start = parse_time(start_s)
        except (ValueError, OverflowError):
            raise BadLine(f"impossible start time {start_s[:40]!r}") from None
        disp = DISPOSITIONS.get(disp_s) or DISPOSITIONS.get(disp_s.strip().upper())
        if disp is None:
            raise BadLine(f"unknown disposition {disp_s[:40]!r}")
        try:
            duration = int(dur_s) if dur_s else 0
            billsec = int(bill_s) if bill_s else 0
        except ValueError:
            raise BadLine(f"duration/billsec not a number ({dur_s[:20]!r}, {bill_s[:20]!r})") from None
        if duration < 0 or billsec < 0 or billsec > duration or duration > 864000:
            raise BadLine(f"impossible duration {duration} / billsec {billsec}")
        try:
            answer = parse_time(answer_s) if answer_s and answer_s[0] != "0" else None
        except (ValueError, OverflowError):
            raise BadLine(f"impossible answer time {answer_s[:40]!r}") from None
        try:
            end = parse_time(end_s) if end_s and end_s[0] != "0" else None
        except (ValueError, OverflowError):
            raise BadLine(f"impossible end time {end_s[:40]!r}") from None
        if end is None:
            end = start + timedelta(seconds=duration)
            if answer is None and billsec > 0 and not self.has_answer[w]:
                answer = end - timedelta(seconds=billsec)
        if end < start or (answer is not None and (answer < start or answer > end)):
            raise BadLine("times out of order (start/answer/end)")
        if start.year < 1971 or start.year > 9000:
            raise BadLine(f"impossible start time {start_s[:40]!r}")
        if len(uniqueid) > 80 or len(linkedid) > 80:
            raise BadLine("uniqueid/linkedid longer than 80 characters")
        leg = Leg()
        leg.lineno = lineno
        leg.accountcode = accountcode
        leg.src = src
        leg.dst = dst
        leg.dcontext = dcontext
        leg.clid = clid
        leg.channel = channel if len(channel) <= 120 else channel[:120]
        leg.dstchannel = dstchannel if len(dstchannel) <= 120 else dstchannel[:120]
        leg.lastapp = lastapp
        leg.lastdata = lastdata
        leg.start = start
        leg.answer = answer
        leg.end = end
        leg.disp = disp
        leg.status = LEG_STATUS[disp]
        leg.billsec = billsec
        leg.duration = duration
        leg.uniqueid = uniqueid or None
        leg.has_linkedid = bool(linkedid)
        leg.uid = linkedid or uniqueid or _synthetic_uid(leg.channel, start_s)
        leg.did = did
        leg.recordingfile = recfile
        leg.outbound_cnum = ocnum
        leg.cnum = cnum
        return leg


def leg_from_stored(row, hint=None) -> Leg:
    """A stored call_leg as a Leg, for rebuilding its call. Legs stored since migration 0010
    keep the CDR's dcontext, lastapp, lastdata and dst, so the call is derived again exactly
    as from the file; older ones (lastapp NULL) keep the classification they were stored with."""
    leg = Leg()
    leg.lineno = 0
    leg.stored = row
    leg.hint = hint
    leg.uid = ""
    leg.has_linkedid = True
    leg.accountcode = leg.src = leg.clid = leg.did = leg.recordingfile = ""
    leg.outbound_cnum = leg.cnum = ""
    leg.channel = row.channel or ""
    leg.dstchannel = row.dst_channel or ""
    if row.lastapp is not None:
        leg.dcontext = row.dcontext or ""
        leg.lastapp = row.lastapp
        leg.lastdata = row.lastdata or ""
        leg.dst = row.dst or ""
    else:
        leg.dcontext = None  # unknown: stored before 0010
        leg.dst = row.extension or row.number or ""
        leg.lastapp = {"voicemail": "VoiceMail", "queue": "Queue"}.get(row.via_type or "", "")
        leg.lastdata = row.via or ""
    leg.start, leg.answer, leg.end = row.start_utc, row.answer_utc, row.end_utc
    leg.status = row.status
    leg.disp = _DISP_FROM_LEG.get(row.status, "FAILED")
    # The leg's own counts: ring_s + talk_s = duration, talk_s = billsec when answered.
    leg.billsec = row.talk_s or 0
    leg.duration = (row.ring_s or 0) + (row.talk_s or 0)
    leg.uniqueid = row.uniqueid
    return leg


# ----------------------------------------------------------------------------- calls

CALL_COLS = (
    "source_id", "call_uid", "start_utc", "answer_utc", "end_utc", "from_number", "from_name",
    "to_number", "direction", "status", "duration_s", "ring_s", "talk_s", "hold_s", "src_trunk",
    "dst_trunk", "did", "outbound_cid", "account_code", "extension", "peer_extension", "answered_by",
    "destination_type", "destination", "queue", "ring_group", "ivr", "has_recording", "transferred_to",
)
LEG_COLS = ("call_id", "seq", "extension", "number", "via_type", "via", "start_utc", "answer_utc",
            "end_utc", "ring_s", "talk_s", "status", "channel", "dst_channel", "uniqueid", "dcontext", "lastapp",
            "lastdata", "dst")
IVR_COLS = ("call_id", "ivr", "at_utc", "seq", "option", "next_dest")
# An IVR visit whose key the CDR does not show (ivr_choice.option; not one of IVR_OPTIONS).
NO_KEY = "-"
# ivr_choice.next_dest of a caller who hung up in the menu.
HANGUP = "hangup"
_IVR_KEYS = {**{k: k for k in "0123456789*#"}, "i": "invalid", "t": "timeout"}


def _secs(a: datetime, b: datetime) -> int:
    d = int((b - a).total_seconds())
    return d if d > 0 else 0


def _leg_order(l: "Leg") -> tuple:
    return (l.start, l.channel[:6].lower() == "local/", l.stored is None, l.end)


def _is_local(channel: str) -> bool:
    return channel[:6].lower() == "local/"


# Dialplan extensions that are no number anyone dialled (start, invalid, timeout, hangup).
_DIALPLAN_EXTENS = {"s", "i", "t", "h", "o", "a", "e", "T"}


def _phone_number(v: str) -> bool:
    """Looks like a number dialled from outside (a DID): digits, maybe a leading +."""
    return len(v) >= 3 and v.lstrip("+").isdigit()


def _local_name(channel: str) -> str:
    """'Local/103@from-queue-00000001;2' -> '103@from-queue-00000001' (as Rules.channel names it)."""
    return channel[6:-2] if channel.endswith((";1", ";2")) else channel[6:]


def _leg_dest(row: tuple, leg: "Leg") -> tuple[str, str] | None:
    """Where an ordinary leg took the call, from its leg row: its ring group, the extension
    it rang, or the outside number it dialled through a trunk (None: the dialplan only)."""
    via_type, via, ext, number = row[3], row[4], row[1], row[2]
    if via_type == "ring_group":
        return ("ring_group", via)
    if ext:
        return ("extension", ext)
    if leg.dstchannel and not _is_local(leg.dstchannel):
        return ("external", number or leg.dstchannel)
    return None


def _no_class(_number: str) -> None:
    return None


def _parallel(data: str) -> bool:
    """A Dial of several channels at once: '&' in its first argument."""
    amp = data.find("&")
    if amp < 0:
        return False
    comma = data.find(",")
    return comma < 0 or amp < comma


def _first_arg(data: str) -> str:
    comma = data.find(",")
    return data if comma < 0 else data[:comma]


def _mailbox(data: str) -> str | None:
    box = _first_arg(data)
    at = box.find("@")
    return (box if at < 0 else box[:at])[:32] or None


def _dialled_as(data: str, peer: str) -> str | None:
    """How a Dial's data names `peer`: 'bare' (PJSIP/201, PJSIP/201/sip:201@host: a device),
    'number' (PJSIP/0777@provider, SIP/provider/0777: a trunk) or None (not named) — the
    same answer as rules.dial_targets, by a few string searches (this runs for most legs)."""
    n = len(peer)
    i = data.find(peer)
    while i > 0:
        prev = data[i - 1]
        j = i + n
        nxt = data[j] if j < len(data) else ","
        if prev == "@" and nxt in ",&/":
            return "number"
        if prev == "/":
            if nxt in ",&":
                return "bare"
            if nxt == "/":
                return "bare" if data[j + 1 : j + 5].lower() in ("sip:", "sips") else "number"
        i = data.find(peer, i + 1)
    return None


def build_call(source_id: int, uid: str, legs: list[Leg], rules: Rules,
               learned: dict | None = None) -> tuple[tuple, list[tuple], list[tuple]]:
    """(call row in CALL_COLS order, leg rows in LEG_COLS order without call_id, ivr_choice
    rows in IVR_COLS order without call_id). `learned` collects what the legs show of
    numbers, peers and contexts: {(namespace, name, class): legs}.

    Issue 14: a call is answered only when a called PARTY picked up (an ANSWERED leg whose
    dstchannel is a device or trunk, not the dialplan's own applications); durations are the
    legs' own duration / billsec counts; ring = the unanswered time before the answering leg
    plus its duration - billsec; talk = the answered party legs' billsec (never a Queue or
    Local ;1 leg, whose billsec holds the wait / the other half's talk)."""
    if len(legs) > 1:
        legs.sort(key=_leg_order)
    origin = legs[0]
    hint = origin.hint
    chan = rules.channel
    is_ext = rules.is_extension
    app_kind = rules.app_kind
    ctx_flags = rules.context_flags
    has_user = rules.has_user_classes
    user_cls = rules.user_number_class if has_user else _no_class
    known = rules.known
    parallel_rg = rules.parallel_dial_is_ring_group
    seen = learned if learned is not None else {}
    seen_get = seen.get
    own: dict[str, str] = {}  # what this call's legs show its numbers to be (not extensions)
    feature_prefix = rules.feature_code_prefix

    def learn(ns: str, name: str, cls: str) -> None:  # runs a few times a call: kept lean
        k = (ns, name, cls)
        seen[k] = seen_get(k, 0) + 1

    def learn_number(name: str, cls: str) -> None:
        k = (NUMBER, name, cls)
        seen[k] = seen_get(k, 0) + 1
        own[name] = cls

    # The caller's channel: a device or a trunk. Nothing known of the peer: a device when it
    # calls with its own name as caller ID (PJSIP/client1, src client1) or with an
    # extension number from an internal context; a trunk when an outside number arrives on
    # it in an inbound context.
    okind, oname, osure = chan(origin.channel)
    src = origin.src if hint is None else (hint.from_number or "")
    octx = origin.dcontext
    oflags = ctx_flags(octx) if octx else 0
    if not osure:
        decided = True
        if src == oname:
            okind = "ext"
        elif oflags & CTX_INBOUND and not is_ext(src):
            okind = "trunk"
        elif oflags & CTX_INTERNAL and is_ext(src):
            okind = "ext"
        else:
            decided = False
        if decided:
            learn(PEER, oname, "extension" if okind == "ext" else "trunk")
    # (A phone's own number is an extension by its device already: not recorded again.)

    # Local ;2 halves present as legs of their own (their party legs carry the talk).
    local_halves = {_local_name(l.channel) for l in legs if l.channel[:6] == "Local/"} if len(legs) > 1 else ()

    # Transfers: a leg placed by a party who had answered (attended transfer, its consult
    # call), or a new leg of a channel after someone answered it (blind transfer: Asterisk
    # starts a new CDR for the transferred channel), or one dialled in a transfer context.
    answered_parties: set[str] = set()
    answered_from: dict[str, datetime] = {}
    if len(legs) > 1:
        for l in legs:
            if l.answer is not None and l.dstchannel and l.status == "answered":
                answered_parties.add(l.dstchannel)
                if l.channel not in answered_from or l.answer < answered_from[l.channel]:
                    answered_from[l.channel] = l.answer

    start = origin.start
    duration = origin.duration
    end = origin.end
    leg_rows = []
    party_answered: list[Leg] = []  # answered legs with a called party
    party_rung = False
    answered_ext = first_rung_ext = None
    answered_at = None
    dst_trunk = None
    queue = ring_group = None
    vm_leg = None
    pbx_answered = False  # the dialplan's own applications answered (IVR, announcement, queue)
    in_queue = False
    ivr_visits: list[tuple] = []  # (leg index, ivr, key, at, the leg itself went on)
    dests: list[str | None] = []  # per leg: where it took the call (queue:600, extension:201 ...)
    internal_dst = False
    conference = None
    has_recording = bool(hint and hint.has_recording)
    transferred_to = None
    for i, l in enumerate(legs):
        l_start, l_answer = l.start, l.answer
        off = int((l_start - start).total_seconds())
        if off + l.duration > duration:
            duration = off + l.duration
        if l.end > end:
            end = l.end
        if l.recordingfile:
            has_recording = True
        app = l.lastapp
        ak = app_kind(app) if app else 0
        dst = l.dst
        lctx = l.dcontext
        cf = ctx_flags(lctx) if lctx else 0
        dkind, dname, dsure = chan(l.dstchannel)
        local_ext = None
        if dkind == "local":
            lexten, lctx2 = rules.local_target(dname)
            if dname not in local_halves and ctx_flags(lctx2) & CTX_OUT_LOCAL:
                dkind, dname = "trunk", f"Local/{lctx2}"  # dialling out through a Local channel
            elif lexten and rules.number_class(lexten)[0] == "extension":
                local_ext = lexten[:32]  # Local/202@from-internal: the leg rings extension 202
        elif not dsure and dkind in ("ext", "trunk"):
            if dst == dname:  # dialled by its own name: a phone
                dkind = "ext"
                learn(PEER, dname, "extension")
            else:
                how = _dialled_as(l.lastdata, dname) if l.lastdata else None
                if how is not None:
                    dkind = "ext" if how == "bare" else "trunk"
                    learn(PEER, dname, "extension" if how == "bare" else "trunk")
        party = dkind in ("ext", "trunk", "other")
        st = l.stored
        dest = None
        if st is not None and l.dcontext is None:
            # stored before 0010: the classification it was stored with
            ext, number, via_type, via = st.extension, st.number, st.via_type, st.via
            if via_type == "queue":
                in_queue = True
        else:
            ext = dname[:32] if dkind == "ext" else local_ext
            number = None if ext or not dst or dst == "s" else dst[:64]
            via_type, via = "direct", None
            dcls = user_cls(dst) if has_user and dst else None
            kcls = None  # the number's learned / set class (matters for legs without a party)
            if not party and dst:
                k = known.get((NUMBER, dst))
                kcls = k.cls if k is not None else None
            if ak == APP_VOICEMAIL:
                via_type, via = "voicemail", _mailbox(l.lastdata)
                dest = ("voicemail", via or dst)
            elif ak == APP_QUEUE or cf & CTX_QUEUE or kcls == "queue":
                q = (_first_arg(l.lastdata) if ak == APP_QUEUE else "") or dst
                q = q if q and q != "s" else None
                if q and (user_cls(q) or "queue") == "queue":
                    via_type, via = "queue", q[:32]
                    learn_number(q, "queue")
                    dest = ("queue", via)
                in_queue = True
            elif (ak == APP_IVR or cf & CTX_IVR) and not party:
                if app.lower() == "stasis":
                    name = _first_arg(l.lastdata) or "stasis"
                elif dst and dst != "s" and (len(dst) > 1 or kcls == "ivr"):
                    name = dst  # a menu with a number of its own
                else:
                    # FreePBX runs each IVR in a context of its own (ivr-3); a menu answered
                    # straight in the inbound context is named by the number called.
                    name = (l.did if cf & (CTX_INBOUND | CTX_INTERNAL) and l.did else lctx) or dst or "ivr"
                    if ak == APP_IVR and lctx and not cf & (CTX_INBOUND | CTX_INTERNAL):
                        learn(CONTEXT, lctx, "ivr")
                name = name[:32]
                key = _IVR_KEYS.get(dst, NO_KEY) if cf & CTX_IVR and len(dst) == 1 else NO_KEY
                ivr_visits.append((i, name, key, l.end, False))
                via_type, via = "ivr", name
                dest = ("ivr", name)
            elif cf & CTX_RING_GROUP or kcls == "ring_group" or (
                    parallel_rg and "&" in l.lastdata and app == "Dial" and _parallel(l.lastdata)):
                if dst and dst != "s" and (dcls or "ring_group") == "ring_group":
                    via_type, via = "ring_group", dst[:32]
                    learn_number(dst, "ring_group")
            elif ak == APP_CONFERENCE and dst and dst != "s":
                learn_number(dst, "conference")
                dest = ("conference", dst)
                conference = conference or dst[:64]
            if not party and dst and feature_prefix and dst.startswith(feature_prefix):
                learn_number(dst, "feature")
            if i and ak != APP_VOICEMAIL and (
                    l.channel in answered_parties
                    or (l.channel in answered_from and l_start > answered_from[l.channel])
                    or cf & CTX_TRANSFER):
                via_type, via = "transfer", (ext or number or "")[:32] or None
        if via_type == "transfer" and transferred_to is None:
            transferred_to = via
        if via_type == "queue":
            if queue is None:
                queue = via
        elif via_type == "ring_group" and ring_group is None:
            ring_group = via
        dests.append(dest)  # the special ones; the others from the leg row when an IVR needs them
        if party and cf & CTX_IVR:  # dialled from inside an IVR menu (ivr-3, key 1)
            ivr_visits.append((i, lctx[:32], _IVR_KEYS.get(dst, NO_KEY) if len(dst) == 1 else NO_KEY, l_start, True))
        if party:
            party_rung = True
            if dkind == "ext":
                if first_rung_ext is None:
                    first_rung_ext = dname
            elif dkind == "trunk" and dst_trunk is None:
                dst_trunk = dname
        answered = l.status == "answered"
        if ak == APP_VOICEMAIL:
            if vm_leg is None:
                vm_leg = l
        elif answered:
            if party:
                party_answered.append(l)
                if dkind == "ext":
                    at = l_answer or l_start
                    if answered_at is None or at < answered_at:
                        answered_at, answered_ext = at, dname
            else:
                pbx_answered = True
        if not party and dst and via_type == "direct" and not internal_dst:
            if own.get(dst) or kcls or rules.number_class(dst)[0] is not None:
                internal_dst = True
        elif via_type in ("queue", "ring_group", "ivr", "voicemail"):
            internal_dst = True
        if answered:
            talk = l.billsec
            ring = l.duration - talk
        else:
            ring, talk = l.duration, 0
        data = l.lastdata
        leg_rows.append((i, ext, number, via_type, via, l_start, l_answer, l.end, ring, talk,
                         l.status, l.channel or None, l.dstchannel or None, l.uniqueid,
                         (lctx if len(lctx) <= 80 else lctx[:80]) if lctx else None,
                         (app if len(app) <= 32 else app[:32]) if app else None,
                         (data if len(data) <= 200 else data[:200]) if data else None,
                         (dst if len(dst) <= 80 else dst[:80]) if dst else None))

    # Status and the call's answer time.
    answer = None
    if party_answered:
        status = "answered"
        first = party_answered[0]
        talk_s = first.billsec
        if len(party_answered) > 1:
            first = min(party_answered,
                        key=lambda x: x.answer or x.start + timedelta(seconds=x.duration - x.billsec))
            talk_s = sum(x.billsec for x in party_answered)
        ring_s = min(_secs(start, first.start) + first.duration - first.billsec, duration)
        talk_s = min(talk_s, duration - ring_s)
        answer = start + timedelta(seconds=ring_s)
    else:
        talk_s = 0
        ring_s = duration
        if vm_leg is not None:
            status = "voicemail"
            ring_s = min(_secs(start, vm_leg.start) + vm_leg.duration - vm_leg.billsec, duration)
        elif in_queue:  # left the queue without an agent (the queue_log tells abandon from timeout)
            status = "abandoned"
        else:
            disps = {l.disp for l in legs}
            if "NO ANSWER" in disps or "CANCEL" in disps:
                status = "no_answer"
            elif "BUSY" in disps:
                status = "busy"
            elif "CONGESTION" in disps:
                status = "congestion"
            elif ivr_visits and not party_rung:  # hung up in the IVR menu
                status = "abandoned"
            elif pbx_answered:  # an announcement, a Hangup: the PBX answered, not a person
                status = "no_answer"
            else:
                status = "failed"
            if hint is not None and status == "failed" and hint.status == "congestion":
                status = "congestion"

    # Direction, parties, trunks, DID.
    dst0 = origin.dst
    caller_ext = oname if okind == "ext" else (src if src and rules.number_class(src)[0] == "extension" else None)
    did = None
    if hint is not None:
        did = hint.did
    else:
        did = origin.did or (next((l.did for l in legs if l.did), None) if len(legs) > 1 else None)
    if hint is not None and octx is None:
        direction = hint.direction  # legs stored before 0010 have no context: as it was
    elif okind == "trunk" or oflags & CTX_INBOUND or (did and okind != "ext"):
        direction = "inbound"
    elif okind == "ext" or oflags & CTX_INTERNAL or caller_ext:
        if dst_trunk is not None:
            direction = "outbound"
        elif first_rung_ext or internal_dst or dst0 in ("", "s"):
            direction = "internal"
        else:
            direction = "outbound"
    else:
        direction = "inbound"

    dcls0 = rules.user_number_class(dst0) if dst0 else None
    # Answered by a trunk (forwarded outside, another PBX): no extension of ours answered it.
    callee_ext = answered_ext if status == "answered" else first_rung_ext
    if callee_ext is None and status != "answered" and dst0 and dst0 != queue and dst0 != ring_group:
        if (dcls0 or own.get(dst0) or rules.number_class(dst0)[0]) == "extension" and not in_queue and not ivr_visits:
            callee_ext = dst0
    if direction == "inbound":
        extension, peer = callee_ext, None
    elif direction == "internal":
        extension, peer = caller_ext, callee_ext
    else:
        extension, peer = caller_ext, None

    if hint is not None:
        from_number, from_name, to_number = hint.from_number, hint.from_name, hint.to_number
        outbound_cid, account_code = hint.outbound_cid, hint.account_code
        src_trunk = rules.trunk_label(oname) if direction == "inbound" and okind == "trunk" else None
    else:
        from_number = src or origin.cnum
        from_name = _clid_name(origin.clid) if origin.clid else None
        if from_name == from_number:
            from_name = None
        src_trunk = None
        if direction == "inbound":
            src_trunk = rules.trunk_label(oname) if okind == "trunk" else None
            if did is None and _phone_number(dst0) and rules.number_class(dst0)[0] is None:
                did = dst0
            to_number = did or dst0
        else:
            to_number = dst0
        if to_number in _DIALPLAN_EXTENS:
            to_number = ""
        outbound_cid = (origin.outbound_cnum or None) if direction == "outbound" else None
        account_code = origin.accountcode or None
    if direction != "inbound":
        did = None
    if dst_trunk is not None:
        dst_trunk = rules.trunk_label(dst_trunk)

    # The IVR visits: the key where the CDR shows it, where the call went next.
    ivr_rows = []
    ivr = None
    if ivr_visits:
        dests = [d or _leg_dest(lr, legs[j]) for j, (d, lr) in enumerate(zip(dests, leg_rows))]
    for n, (i, name, key, at, own) in enumerate(ivr_visits):
        if ivr is None:
            ivr = name
        nxt = dests[i] if own else None
        for j in range(i + 1, len(legs) if nxt is None else 0):
            if dests[j] is not None and not _is_local(legs[j].channel):
                nxt = dests[j]
                break
        if nxt is None:
            nxt = next((dests[j] for j in range(i + 1, len(legs)) if dests[j] is not None), None)
        ivr_rows.append((name, at, n, key, f"{nxt[0]}:{nxt[1] or ''}"[:64] if nxt else HANGUP))

    if queue:
        dest_type, dest = "queue", queue
    elif ring_group:
        dest_type, dest = "ring_group", ring_group
    elif status == "voicemail":
        dest_type, dest = "voicemail", (_mailbox(vm_leg.lastdata) if vm_leg.lastdata else callee_ext)
    elif direction == "outbound":
        dest_type, dest = "external", to_number
    elif callee_ext:
        dest_type, dest = "extension", callee_ext
    elif ivr:
        dest_type, dest = "ivr", ivr
    elif conference:
        dest_type, dest = "other", conference
    else:
        dest_type, dest = None, None

    call = (
        source_id, uid, start, answer, end,
        (from_number or "")[:64], from_name and from_name[:200], (to_number or "")[:64],
        direction, status, duration, ring_s, talk_s, 0,
        src_trunk and src_trunk[:100], dst_trunk and dst_trunk[:100], did and did[:32],
        outbound_cid and outbound_cid[:32], account_code and account_code[:64], extension and extension[:32],
        peer and peer[:32], answered_ext[:32] if status == "answered" and answered_ext else None,
        dest_type, dest and dest[:64], queue and queue[:32], ring_group and ring_group[:32], ivr, has_recording,
        transferred_to,
    )
    return call, leg_rows, ivr_rows


def link_local_halves(legs: list[Leg], rules: Rules) -> None:
    """Without linkedid: put a Local channel's ;2 row into the call that dialled its ;1."""
    loose = [l for l in legs if not l.has_linkedid]
    if not loose:
        return
    for _ in range(4):
        owner: dict[str, str] = {}
        for l in loose:
            kind, name, _sure = rules.channel(l.dstchannel)
            if kind == "local":
                owner.setdefault(name, l.uid)
        changed = False
        for l in loose:
            kind, name, _sure = rules.channel(l.channel)
            if kind == "local":
                target = owner.get(name)
                if target is not None and target != l.uid:
                    l.uid = target
                    changed = True
        if not changed:
            return


# ----------------------------------------------------------------------------- writing

def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _existing_calls(conn: sa.Connection, source_id: int, uids: list[str], pg: bool) -> dict:
    c = s.call
    found = {}
    if pg:
        for part in _chunks(uids, 20_000):
            rows = conn.execute(
                sa.select(c).where(c.c.source_id == source_id,
                                   c.c.call_uid == sa.func.any(sa.bindparam("u", part, type_=sa.ARRAY(sa.String))))
            )
            for r in rows:
                found[r.call_uid] = r
    else:
        for part in _chunks(uids, 500):
            for r in conn.execute(sa.select(c).where(c.c.source_id == source_id, c.c.call_uid.in_(part))):
                found[r.call_uid] = r
    return found


class KnownCalls:
    """The call uids this import has written, as a sorted array of their hashes. When the
    source held no calls as the import began (`complete`), a uid not among them cannot be
    stored, so only the few that are (a call whose legs straddle two batches) are looked up
    in the database: looking every uid up took 3 s a million lines. Otherwise every uid is
    looked up. A hash collision only costs a lookup."""

    def __init__(self, complete: bool) -> None:
        import numpy as np

        self._np = np
        self.complete = complete
        self.hashes = np.empty(0, dtype=np.int64)

    def candidates(self, uids: list[str]) -> list[str]:
        if not self.complete:
            return uids
        np = self._np
        if not len(self.hashes) or not uids:
            return []
        h = np.fromiter(map(hash, uids), dtype=np.int64, count=len(uids))
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return list(itertools.compress(uids, (self.hashes[pos] == h).tolist()))

    def add(self, uids: list[str]) -> None:
        if not self.complete or not uids:
            return
        np = self._np
        h = np.sort(np.fromiter(map(hash, uids), dtype=np.int64, count=len(uids)))
        # Two sorted runs: the stable sort (timsort) merges them in linear time.
        self.hashes = np.sort(np.concatenate((self.hashes, h)), kind="stable")


def _source_has_calls(conn: sa.Connection, source_id: int) -> bool:
    return conn.execute(sa.select(s.call.c.id).where(s.call.c.source_id == source_id).limit(1)).first() is not None


def _stored_legs(conn: sa.Connection, call_ids: list[int]) -> dict[int, list]:
    cl = s.call_leg
    out: dict[int, list] = {}
    for part in _chunks(call_ids, 500):
        for r in conn.execute(sa.select(cl).where(cl.c.call_id.in_(part)).order_by(cl.c.call_id, cl.c.seq)):
            out.setdefault(r.call_id, []).append(r)
    return out


def _pg_type(col: sa.Column) -> str:
    ty = col.type.dialect_impl(pg_dialect.dialect())
    if isinstance(ty, sa.BigInteger):
        return "int8"
    if isinstance(ty, sa.Integer):
        return "int4"
    if isinstance(ty, sa.Boolean):
        return "bool"
    if isinstance(ty, sa.DateTime):
        return "timestamp"
    return "text"


def _pg_copy(conn: sa.Connection, table: sa.Table, cols: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """COPY rows in binary format (PostgreSQL parses no text: about a third less server CPU)."""
    raw = conn.connection.driver_connection
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in cols)
    types = [_pg_type(table.c[c]) for c in cols]
    with raw.cursor() as cur:
        with cur.copy(f"COPY {prep.format_table(table)} ({names}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(types)
            for r in rows:
                cp.write_row(r)


def _pg_next_ids(conn: sa.Connection, table: str, n: int) -> list[int] | range:
    """n ids from the table's sequence. Usually nobody else takes ids meanwhile and they
    are consecutive: then only their bounds cross the wire (fetching 600k ids one row each
    took 3.5 s)."""
    # On the driver's cursor: SQLAlchemy's row processing cost more than the query.
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(f"SELECT min(v), max(v) FROM (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS v "
                    "FROM generate_series(1, %s)) AS t", (n,))
        lo, hi = cur.fetchone()
        if lo is not None and hi - lo + 1 == n:
            return range(lo, hi + 1)
        cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", (n,))
        return [r[0] for r in cur.fetchall()]


def pg_reserve_ids(conn: sa.Connection, table: str, n: int) -> int:
    """The first of n consecutive ids of `table` (call or call_leg), taken from its sequence.
    Every writer of the table takes ROW EXCLUSIVE on it before its INSERT draws ids, and
    SHARE ROW EXCLUSIVE (to the end of this short transaction; readers are not blocked)
    keeps them all out while the sequence is moved on by n: one statement instead of n
    nextval calls (2.5 s a million calls) and no nextval per COPY row either."""
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"nextval(pg_get_serial_sequence('{table}', 'id')) + %s - 1)", (n,))
        return cur.fetchone()[0] - n + 1


class Prepared:
    """A batch's legs grouped into calls and built as if every call were new: the part of
    the work that needs no database, done by a worker process or the reader thread while
    the database is busy with the previous batch (the writer rebuilds the few calls that
    turn out to be stored)."""

    __slots__ = ("groups", "built", "duplicates", "learned")

    def __init__(self, source_id: int, legs: list[Leg], rules: Rules, build: bool = True) -> None:
        link_local_halves(legs, rules)
        groups: dict[str, list[Leg]] = {}
        seen: set = set()
        dups = 0
        for l in legs:
            k = (l.uid, l.key)
            if k in seen:
                dups += 1
                continue
            seen.add(k)
            groups.setdefault(l.uid, []).append(l)
        self.groups, self.duplicates = groups, dups
        # What the batch's legs show of numbers, peers and contexts (merged into number_class
        # with the batch; learned[(namespace, name, class)] = legs showing it).
        learned: dict = {}
        self.learned = learned
        self.built = {uid: build_call(source_id, uid, g, rules, learned) for uid, g in groups.items()} if build else {}


def _merge_existing(source_id: int, uid: str, ex, stored_rows: list, group: list[Leg], rules: Rules,
                    stats: ImportStats, learned: dict | None = None) -> tuple[tuple, list[tuple], list[tuple]] | None:
    """A stored call with the batch's legs of it merged in, rebuilt; None when nothing is new."""
    old = [leg_from_stored(r) for r in stored_rows]
    keys = {l.key for l in old}
    fresh = [l for l in group if l.key not in keys]
    stats.duplicates_skipped += len(group) - len(fresh)
    if not fresh:
        return None
    if old:
        first = min(old, key=lambda l: (l.start, _is_local(l.channel)))
        first.hint = ex
    return build_call(source_id, uid, old + fresh, rules, learned)


def _write_updates(conn: sa.Connection, updates: list[tuple[int, tuple, list[tuple], list[tuple]]], stored: dict,
                   stats: ImportStats | None, pg: bool) -> None:
    """Stored calls rebuilt: the call row updated, its legs and IVR choices written again."""
    c = s.call
    upd_cols = [col for col in CALL_COLS if col not in ("source_id", "call_uid")]
    stmt = c.update().where(c.c.id == sa.bindparam("_id")).values({k: sa.bindparam("_" + k) for k in upd_cols})
    params = []
    for cid, call, _, _ in updates:
        d = {"_" + k: v for k, v in zip(CALL_COLS, call) if k in upd_cols}
        d["_id"] = cid
        params.append(d)
    conn.execute(stmt, params)
    ids = [u[0] for u in updates]
    for part in _chunks(ids, 500):
        conn.execute(s.call_leg.delete().where(s.call_leg.c.call_id.in_(part)))
        conn.execute(s.ivr_choice.delete().where(s.ivr_choice.c.call_id.in_(part)))
    _insert_legs(conn, ((cid,) + lr for cid, _, lrs, _ in updates for lr in lrs), pg)
    _insert_ivr(conn, [(cid,) + r for cid, _, _, ivrs in updates for r in ivrs])
    if stats is not None:
        stats.calls_updated += len(updates)
        stats.legs_added += sum(len(lrs) for _, _, lrs, _ in updates) - sum(len(stored.get(i, [])) for i in ids)


def _insert_ivr(conn: sa.Connection, rows: list[tuple]) -> None:
    if rows:
        conn.execute(s.ivr_choice.insert(), [dict(zip(IVR_COLS, r)) for r in rows])


def _span(lo, hi, *values):
    for v in values:
        if v is None:
            continue
        if lo is None or v < lo:
            lo = v
        if hi is None or v > hi:
            hi = v
    return lo, hi


def _has_queue_calls(conn: sa.Connection, source_id: int) -> bool:
    # Linking to queue calls costs two statements over every new call id: skipped while the
    # source has no queue_log imported (a CDR-only PBX, or the CDR imported first).
    return bool(conn.execute(sa.select(sa.exists().where(s.queue_call.c.source_id == source_id))).scalar())


def write_batch(conn: sa.Connection, source_id: int, legs: list[Leg], rules: Rules, stats: ImportStats,
                prepared: Prepared | None = None, *, refresh: bool = True, known: KnownCalls | None = None):
    """Calls and legs of one batch, merged with what is stored, plus (with `refresh`) the
    aggregate refresh. Returns the (lo, hi) start times whose aggregate hours changed."""
    if not legs:
        return None, None
    pg = conn.dialect.name == "postgresql"
    if prepared is None:
        prepared = Prepared(source_id, legs, rules, build=False)
    groups, built = prepared.groups, prepared.built
    stats.duplicates_skipped += prepared.duplicates

    uids = list(groups)
    existing = _existing_calls(conn, source_id, known.candidates(uids) if known else uids, pg)
    stored = _stored_legs(conn, [r.id for r in existing.values()]) if existing else {}

    new_calls: list[tuple] = []
    new_legs: list[list[tuple]] = []
    new_ivr: list[list[tuple]] = []
    updates: list[tuple[int, tuple, list[tuple], list[tuple]]] = []
    learned = prepared.learned
    lo = hi = None
    for uid, group in groups.items():
        ex = existing.get(uid)
        if ex is None:
            call, leg_rows, ivr_rows = built.get(uid) or build_call(source_id, uid, group, rules, learned)
            new_calls.append(call)
            new_legs.append(leg_rows)
            new_ivr.append(ivr_rows)
        else:
            merged = _merge_existing(source_id, uid, ex, stored.get(ex.id, []), group, rules, stats, learned)
            if merged is None:
                continue
            call = merged[0]
            updates.append((ex.id,) + merged)
            lo, hi = _span(lo, hi, ex.start_utc)
        lo, hi = _span(lo, hi, call[2])

    has_queue_calls = _has_queue_calls(conn, source_id)
    new_ids: list[int] = []
    if new_calls:
        if pg:
            ids = _pg_next_ids(conn, "call", len(new_calls))
            _pg_copy(conn, s.call, ("id",) + CALL_COLS, ((i,) + c for i, c in zip(ids, new_calls)))
        else:
            res = conn.execute(
                s.call.insert().returning(s.call.c.id, sort_by_parameter_order=True),
                [dict(zip(CALL_COLS, c)) for c in new_calls],
            )
            ids = list(res.scalars())
        new_ids = ids
        leg_iter = ((cid,) + lr for cid, lrs in zip(ids, new_legs) for lr in lrs)
        _insert_legs(conn, leg_iter, pg)
        _insert_ivr(conn, [(cid,) + r for cid, rs in zip(ids, new_ivr) for r in rs])
        if has_queue_calls:
            _link_queue_calls(conn, source_id, [c[1] for c in new_calls], pg)
        if known is not None:
            known.add([c[1] for c in new_calls])
        stats.calls_added += len(new_calls)
        stats.legs_added += sum(len(x) for x in new_legs)

    return _finish_batch(conn, source_id, updates, stored, stats, pg, has_queue_calls, new_ids, refresh, lo, hi,
                         learned)


def _finish_batch(conn, source_id, updates, stored, stats, pg, has_queue_calls, new_ids, refresh, lo, hi, learned):
    """The merged calls' updates, what the batch showed of numbers, peers and contexts
    (number_class), the queue_log's outcome over what the legs say (agent, abandoned /
    gave up, transfer) and the aggregate refresh; returns (lo, hi)."""
    if updates:
        _write_updates(conn, updates, stored, stats, pg)
    if learned:
        merge_learned(conn, source_id, learned)
    if has_queue_calls:
        stats.cdr_calls_updated += queue_link.apply(conn, list(new_ids) + [u[0] for u in updates])[2]
    if refresh and lo is not None:
        aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return lo, hi


# ----------------------------------------------------------------------------- re-derivation

def rederive_calls(conn: sa.Connection, source_id: int, call_ids: list[int], rules: Rules
                   ) -> tuple[datetime | None, datetime | None, int]:
    """Derive these stored calls again from their stored legs with `rules` (after a number,
    peer or context changed class), in the caller's transaction, with the queue_log's
    overlay applied again. Returns (first, last) start of the calls (old and new), for the
    caller's aggregate refresh, and how many were written."""
    if not call_ids:
        return None, None, 0
    pg = conn.dialect.name == "postgresql"
    c = s.call
    lo = hi = None
    n = 0
    for part in _chunks(sorted(set(call_ids)), 5000):
        calls = list(conn.execute(sa.select(c).where(c.c.source_id == source_id, c.c.id.in_(part))))
        stored = _stored_legs(conn, [r.id for r in calls])
        updates = []
        for ex in calls:
            legs = [leg_from_stored(r) for r in stored.get(ex.id, [])]
            if not legs:
                continue
            min(legs, key=lambda l: (l.start, _is_local(l.channel))).hint = ex
            call, leg_rows, ivr_rows = build_call(source_id, ex.call_uid, legs, rules)
            updates.append((ex.id, call, leg_rows, ivr_rows))
            lo, hi = _span(lo, hi, ex.start_utc, call[2])
        if updates:
            _write_updates(conn, updates, stored, None, pg)
            if _has_queue_calls(conn, source_id):
                queue_link.apply(conn, [u[0] for u in updates])
            n += len(updates)
    return lo, hi, n


def contradicting_calls(conn: sa.Connection, source_id: int, changed: dict) -> list[int]:
    """Ids of the source's calls whose stored values contradict these (changed) classes: a
    queue, IVR, ring group ... or trunk in an extension column, a device counted as a
    trunk, a trunk under its old name. `changed`: {(namespace, name): KnownClass}."""
    not_ext = sorted(n for (ns, n), k in changed.items()
                     if (ns == NUMBER and k.cls != "extension") or (ns == PEER and k.cls == "trunk"))
    # a device counted as a trunk, or a renamed trunk still under its old name
    as_trunk = sorted(n for (ns, n), k in changed.items() if ns == PEER and (k.cls == "extension" or k.label))
    labels = sorted({k.label for (ns, _), k in changed.items() if ns == PEER and k.label})
    c = s.call
    ids: set[int] = set()
    for names, cols in ((not_ext, (c.c.extension, c.c.peer_extension, c.c.answered_by)),
                        (as_trunk + labels, (c.c.src_trunk, c.c.dst_trunk))):
        for part in _chunks(names, 500):
            cond = sa.or_(*(col.in_(part) for col in cols))
            if cols[0] is c.c.extension:
                cond = sa.or_(cond, sa.and_(c.c.destination_type == "extension", c.c.destination.in_(part)))
            ids.update(conn.execute(sa.select(c.c.id).where(c.c.source_id == source_id, cond)).scalars())
    ivr_ctx = [n for (ns, n), k in changed.items() if ns == CONTEXT]
    if ivr_ctx:  # a context learned as an IVR: its announcements are IVR visits now
        cl = s.call_leg
        for part in _chunks(ivr_ctx, 500):
            ids.update(conn.execute(sa.select(sa.distinct(cl.c.call_id)).join(c, c.c.id == cl.c.call_id)
                                    .where(c.c.source_id == source_id, cl.c.dcontext.in_(part),
                                           c.c.ivr.is_(None))).scalars())
    return sorted(ids)


def calls_touching(conn: sa.Connection, source_id: int, names: list[str]) -> list[int]:
    """Ids of the source's calls in which any of these numbers / peers / contexts appears
    (in the call's columns or a leg's dst, dialplan context or channels) — the calls a
    reclassification can change."""
    c, cl = s.call, s.call_leg
    ids: set[int] = set()
    cols = (c.c.extension, c.c.peer_extension, c.c.answered_by, c.c.queue, c.c.ring_group, c.c.ivr,
            c.c.destination, c.c.src_trunk, c.c.dst_trunk, c.c.to_number, c.c.from_number)
    for part in _chunks(sorted(set(names)), 200):
        ids.update(conn.execute(sa.select(c.c.id).where(c.c.source_id == source_id,
                                                        sa.or_(*(col.in_(part) for col in cols)))).scalars())
        ids.update(conn.execute(
            sa.select(sa.distinct(cl.c.call_id)).join(c, c.c.id == cl.c.call_id)
            .where(c.c.source_id == source_id,
                   sa.or_(cl.c.dst.in_(part), cl.c.dcontext.in_(part), cl.c.extension.in_(part),
                          cl.c.number.in_(part), cl.c.via.in_(part),
                          *(sa.or_(col.like(f"%/{n}-%"), col.like(f"%/{n}")) for n in part
                            for col in (cl.c.channel, cl.c.dst_channel))))).scalars())
    return sorted(ids)


def rederive_for(engine: sa.Engine, source_id: int, names: list[str], *, rules: Rules | None = None) -> int:
    """After the user reclassified or renamed these on /admin/sources: the calls they appear
    in derived again (one transaction, aggregates of their hours refreshed)."""
    rules = rules or load_rules()
    with engine.begin() as conn:
        known = load_known(conn, source_id)
        ids = calls_touching(conn, source_id, names)
        lo, hi, n = rederive_calls(conn, source_id, ids, rules.with_classes(known))
        if lo is not None:
            aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return n


def _changed_classes(before: dict, after: dict) -> dict:
    return {k: v for k, v in after.items() if before.get(k) != v}


def apply_learned(engine: sa.Engine, source_id: int, rules: Rules, known_before: dict, *,
                  defer: bool = False) -> int:
    """After an import: what it learned of numbers, peers and contexts applies to every call
    of the source — the calls whose values contradict a class that changed are derived
    again from their legs (one transaction, with their aggregate hours refreshed, or marked
    pending when the import defers its aggregates). Returns how many calls changed."""
    with engine.begin() as conn:
        after = load_known(conn, source_id)
        changed = _changed_classes(known_before, after)
        if not changed:
            return 0
        ids = contradicting_calls(conn, source_id, changed)
        lo, hi, n = rederive_calls(conn, source_id, ids, rules.with_classes(after))
        if lo is not None:
            if defer:
                aggregates.mark_pending(conn, lo, hi + timedelta(seconds=1))
            else:
                aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return n


def rebuild_calls(engine: sa.Engine, source: str | None = None, *, rules: Rules | str | Path | None = None,
                  progress: bool = False) -> int:
    """`callboard db rebuild-calls`: every call of a source derived again from its stored
    legs with the current rules and the source's number classes (after reclassifying on
    /admin/sources, or new importer rules), in ONE transaction with the aggregates of the
    whole range refreshed: nothing is half-rebuilt. Returns the number of calls."""
    from data.importers.base import find_source

    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    c = s.call
    with engine.begin() as conn:
        source_id = find_source(conn, source)
        if source_id is None:
            raise ImportFailed(f"no source {source!r}" if source else "no calls imported yet")
        rules = rules.with_classes(load_known(conn, source_id))
        ids = list(conn.execute(sa.select(c.c.id).where(c.c.source_id == source_id).order_by(c.c.id)).scalars())
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), unit=" calls", desc="rebuild", leave=False)
        lo = hi = None
        n = 0
        for part in _chunks(ids, 20_000):
            a, b, k = rederive_calls(conn, source_id, part, rules)
            lo, hi = _span(lo, hi, a, b)
            n += k
            if bar is not None:
                bar.update(len(part))
        if bar is not None:
            bar.close()
        if lo is not None:
            aggregates.refresh(conn, lo, hi + timedelta(seconds=1))
    return n


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"


def _pg_copy_binary(conn: sa.Connection, table: sa.Table, cols: tuple[str, ...], parts: Iterable) -> None:
    """COPY rows already in PostgreSQL's binary row format (parts: bytes or memoryviews)."""
    raw = conn.connection.driver_connection
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in cols)
    with raw.cursor() as cur:
        with cur.copy(f"COPY {prep.format_table(table)} ({names}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.write(_COPY_SIGNATURE)
            for part in parts:
                cp.write(part)
            cp.write(_COPY_TRAILER)


def _kept_rows(blob: bytes, ends, keep: list[bool]) -> list[memoryview]:
    """Slices of `blob` holding the rows whose keep flag is set (row i ends at ends[i])."""
    view = memoryview(blob)
    parts = []
    run = None
    prev_end = 0
    for i, k in enumerate(keep):
        if k and run is None:
            run = prev_end
        elif not k and run is not None:
            parts.append(view[run:prev_end])
            run = None
        prev_end = ends[i]
    if run is not None:
        parts.append(view[run:prev_end])
    return parts


def write_encoded_batch(conn: sa.Connection, source_id: int, res: BlockResult, reread: Callable[[int], Leg],
                        rules: Rules, stats: ImportStats, *, refresh: bool = True,
                        known: KnownCalls | None = None):
    """write_batch for a block prepared and encoded by a worker (PostgreSQL): new calls and
    their legs are streamed as they came, with ids; calls already stored are read again
    from the block, merged and rebuilt here. Returns the (lo, hi) start times changed."""
    uids = res.uids
    if not uids:
        return None, None
    stats.duplicates_skipped += res.duplicates
    existing = _existing_calls(conn, source_id, known.candidates(uids) if known else uids, True)
    lo, hi = res.lo, res.hi
    nlegs = res.call_nlegs
    keep = None
    learned = dict(res.learned)
    updates: list[tuple[int, tuple, list[tuple], list[tuple]]] = []
    stored: dict = {}
    if existing:
        stored = _stored_legs(conn, [r.id for r in existing.values()])
        offsets = list(itertools.accumulate(nlegs, initial=0))
        keep = [True] * len(uids)
        for i, uid in enumerate(uids):
            ex = existing.get(uid)
            if ex is None:
                continue
            keep[i] = False
            group = []
            for j in res.leg_line[offsets[i]:offsets[i + 1]]:
                leg = reread(j)
                leg.uid = uid
                group.append(leg)
            merged = _merge_existing(source_id, uid, ex, stored.get(ex.id, []), group, rules, stats, learned)
            if merged is not None:
                updates.append((ex.id,) + merged)
                lo, hi = _span(lo, hi, ex.start_utc, merged[0][2])

    ncalls = len(uids)
    call_ids = range(res.call_id_base, res.call_id_base + ncalls)
    call_parts: list = [res.call_blob]
    leg_parts: list = [res.leg_blob]
    nlegs_kept = len(res.leg_ends)
    new_uids, new_ids = uids, call_ids
    if keep is not None:
        # Cut the stored calls' rows (and their legs' rows) out of the blobs.
        leg_keep = list(itertools.chain.from_iterable(itertools.repeat(k, n) for k, n in zip(keep, nlegs)))
        call_parts = _kept_rows(res.call_blob, res.call_ends, keep)
        leg_parts = _kept_rows(res.leg_blob, res.leg_ends, leg_keep)
        nlegs_kept = sum(leg_keep)
        new_uids = list(itertools.compress(uids, keep))
        new_ids = list(itertools.compress(call_ids, keep))

    has_queue_calls = _has_queue_calls(conn, source_id)
    if new_uids:
        _pg_copy_binary(conn, s.call, ("id",) + CALL_COLS, call_parts)
        _pg_copy_binary(conn, s.call_leg, ("id",) + LEG_COLS, leg_parts)
        _insert_ivr(conn, [(res.call_id_base + i,) + r for i, r in res.ivr_rows if keep is None or keep[i]])
        if has_queue_calls:
            _link_queue_calls(conn, source_id, new_uids, True)
        if known is not None:
            known.add(new_uids)
        stats.calls_added += len(new_uids)
        stats.legs_added += nlegs_kept
    return _finish_batch(conn, source_id, updates, stored, stats, True, has_queue_calls, new_ids, refresh, lo, hi,
                         learned)


def _link_queue_calls(conn: sa.Connection, source_id: int, uids: list[str], pg: bool) -> None:
    """Queue calls imported before their CDR get its call id (callid = call_uid)."""
    qc, c = s.queue_call, s.call
    link = (sa.select(c.c.id).where(c.c.source_id == qc.c.source_id, c.c.call_uid == qc.c.call_uid)
            .limit(1).scalar_subquery())
    for part in _chunks(uids, 20_000 if pg else 500):
        cond = (qc.c.call_uid == sa.func.any(sa.bindparam("u", part, type_=sa.ARRAY(sa.String))) if pg
                else qc.c.call_uid.in_(part))
        conn.execute(qc.update().where(qc.c.source_id == source_id, cond, qc.c.call_id.is_(None)).values(call_id=link))


def _insert_legs(conn: sa.Connection, rows: Iterable[tuple], pg: bool) -> None:
    if pg:
        _pg_copy(conn, s.call_leg, LEG_COLS, rows)
    else:
        batch = [dict(zip(LEG_COLS, r)) for r in rows]
        if batch:
            conn.execute(s.call_leg.insert(), batch)


# ----------------------------------------------------------------------------- blocks

class BlockResult:
    """One batch of lines turned into calls without the database (see prepare_block).

    In-process (`encoded` False): `prepared` holds the legs grouped by call and the built
    rows. Encoded (PostgreSQL): the calls and legs in binary COPY row format with the ids
    reserved for the block (call i has id call_id_base + i), ready to be streamed:
    `call_blob` / `leg_blob` with each row's end offset in `call_ends` / `leg_ends`,
    `call_nlegs[i]` how many legs (in order) belong to call i and `leg_line[j]` the line
    (index into the block's lines) of leg j, from which the importing process re-reads the
    few calls that turn out to be stored already."""

    __slots__ = ("lines", "blank", "nbytes", "bad", "duplicates", "uids", "lo", "hi", "prepared",
                 "encoded", "call_id_base", "call_blob", "call_ends", "leg_blob", "leg_ends", "call_nlegs",
                 "leg_line", "ivr_rows", "learned")


def decode_block(block: bytes) -> list[str]:
    """The lines of a block of whole lines, exactly as _decode makes them one by one."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        raws = block.split(b"\n")
        if block.endswith(b"\n"):
            raws.pop()
        return [_decode(r) for r in raws]
    if "\x00" in text:
        text = text.replace("\x00", "")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if "\r" in text:
        lines = [x.rstrip("\r") for x in lines]
    return lines


class _BlockWorker:
    """What a worker process needs to prepare blocks (set once per process)."""

    def __init__(self, layout: Layout, tz_name: str, rules: Rules, source_id: int, encode: bool) -> None:
        self.layout, self.rules, self.source_id, self.encode = layout, rules, source_id, encode
        self.parser = RowParser(layout, ZoneInfo(tz_name))
        if encode:
            from psycopg.adapt import Transformer
            from psycopg.postgres import types as pg_types
            from psycopg.pq import Format

            def tx_for(table: sa.Table, cols: tuple[str, ...]):
                tx = Transformer()
                tx.set_dumper_types([pg_types[_pg_type(table.c[c])].oid for c in cols], Format.BINARY)
                return tx

            self.call_tx = tx_for(s.call, ("id",) + CALL_COLS)
            self.leg_tx = tx_for(s.call_leg, ("id",) + LEG_COLS)

    def prepare(self, job: tuple) -> BlockResult:
        """job: (block, line number before it, first block of the file?, first reserved call
        id, first reserved leg id); the ids are None when not encoding."""
        block, lineno, first, call_id, leg_id = job
        layout = self.layout
        header_pending = layout.header and first
        res = BlockResult()
        res.nbytes = len(block)
        lines = decode_block(block)
        linenos: list[int] = []
        texts: list[str] = []
        idx: list[int] = []
        blank = 0
        for i, line in enumerate(lines):
            if header_pending and line.strip():
                header_pending = False
                if line == layout.header_line:
                    blank += 1
                    continue
            if not line or line[0] == "#" or not line.strip():
                blank += 1
            else:
                linenos.append(lineno + i + 1)
                texts.append(line)
                idx.append(i)
        res.lines, res.blank = len(lines), blank
        bad: list[tuple[int, str, bytes]] = []
        raws: list[bytes] | None = None

        def reject(k: int, reason: str) -> None:
            nonlocal raws
            if raws is None:
                raws = block.split(b"\n")
            bad.append((linenos[k], reason, raws[idx[k]]))

        legs = self.parser.parse_batch(linenos, texts, reject)
        res.bad = bad
        return self._build(res, legs, lineno, call_id, leg_id)

    def prepare_rows(self, job: tuple) -> BlockResult:
        """job: (rows of a CDR table as lists of text values, row number before them, first
        reserved call id, first reserved leg id) — the --from-db import's batches."""
        rows, rowno, call_id, leg_id = job
        res = BlockResult()
        res.nbytes, res.lines, res.blank = 0, len(rows), 0
        legs, bad = [], []
        make = self.parser._leg
        for j, values in enumerate(rows):
            try:
                legs.append(make(values[:], rowno + j + 1))  # _leg extends its row: keep the batch's as read
            except ValueError as exc:  # BadLine, or a value no field accepts
                bad.append((rowno + j + 1, str(exc), b""))
        res.bad = bad
        return self._build(res, legs, rowno, call_id, leg_id)

    def _build(self, res: BlockResult, legs: list[Leg], lineno: int, call_id: int | None,
               leg_id: int | None) -> BlockResult:
        """Group the legs into calls and build them; encoded, their rows for COPY (leg_line:
        leg.lineno - lineno - 1, the index of its line or row in the batch)."""
        prepared = Prepared(self.source_id, legs, self.rules) if legs else None
        res.duplicates = prepared.duplicates if prepared else 0
        res.uids = list(prepared.groups) if prepared else []
        res.learned = prepared.learned if prepared else {}
        starts = [b[0][2] for b in prepared.built.values()] if prepared else []
        res.lo, res.hi = (min(starts), max(starts)) if starts else (None, None)
        res.encoded = self.encode
        if not self.encode:
            res.prepared = prepared
            return res
        res.prepared = None
        from psycopg._cmodule import _psycopg

        fmt = _psycopg.format_row_binary
        call_tx, leg_tx = self.call_tx, self.leg_tx
        call_buf, leg_buf = bytearray(), bytearray()
        call_ends = array.array("q")
        leg_ends = array.array("q")
        nlegs: list[int] = []
        leg_line = array.array("i")
        first_lineno = lineno + 1
        res.call_id_base = call_id
        ivr_out: list[tuple] = []  # (call index in the block, ivr_choice row without call_id)
        if prepared:
            for n, (uid, (call, leg_rows, ivr_rows)) in enumerate(prepared.built.items()):
                for r in ivr_rows:
                    ivr_out.append((n, r))
                fmt((call_id,) + call, call_tx, call_buf)
                call_ends.append(len(call_buf))
                nlegs.append(len(leg_rows))
                for lr in leg_rows:
                    fmt((leg_id, call_id) + lr, leg_tx, leg_buf)
                    leg_ends.append(len(leg_buf))
                    leg_id += 1
                call_id += 1
                # build_call sorted the group's legs into the order of its leg rows.
                for l in prepared.groups[uid]:
                    leg_line.append(l.lineno - first_lineno)
        res.ivr_rows = ivr_out
        res.call_blob, res.leg_blob = bytes(call_buf), bytes(leg_buf)
        res.call_ends, res.leg_ends, res.call_nlegs, res.leg_line = call_ends, leg_ends, nlegs, leg_line
        return res


_WORKER: _BlockWorker | None = None


_BLOCKS_DONE = 0


def _init_block_worker(*args) -> None:
    global _WORKER
    _WORKER = _BlockWorker(*args)
    # As in the importing process (base.gc_paused): the collector's passes over the
    # millions of short-lived objects cost a third of a worker's CPU (5.4 -> 3.5 s per 200k
    # lines) and nothing here needs it; a full pass every 20 blocks keeps any stray cycle
    # from piling up over a long file.
    gc.disable()


def prepare_rows(job: tuple) -> BlockResult:
    """Worker entry point for a batch of CDR table rows (see _BlockWorker.prepare_rows)."""
    return _WORKER.prepare_rows(job)


def prepare_block(job: tuple) -> BlockResult:
    """Worker entry point: parse a block of lines and build its calls (no database)."""
    global _BLOCKS_DONE
    res = _WORKER.prepare(job)
    _BLOCKS_DONE += 1
    if _BLOCKS_DONE % 20 == 0 and not gc.isenabled():
        gc.collect()
    return res


# ----------------------------------------------------------------------------- the import

def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.rstrip("\r\n")


def _sample(fh, n: int = SAMPLE_LINES) -> list[str]:
    pos = fh.tell()
    fh.seek(0)
    out = []
    for raw in fh:
        out.append(_decode(raw))
        if len(out) >= n:
            break
    fh.seek(pos)
    return out


# From this many new lines (or rows) on, an import is large: worker processes, aggregates
# refreshed once at the end, and (when larger than what is stored) bulk mode.
LARGE_IMPORT_LINES = bulk.BULK_MIN_LINES


class LoadPlan:
    """How an import of `incoming` new lines writes, around its batches (a context manager):

    - first, what an import that died left behind is put right: indexes a bulk load dropped
      are built, aggregate hours it left pending are refreshed;
    - `bulk`: PostgreSQL indexes and foreign keys dropped now and built once at the end
      (data.importers.bulk; None = when the import is larger than what is stored);
    - `defer`: aggregates refreshed once at the end instead of in every batch (each batch
      marks its hours pending; None = for a large import). Not after a failure: the marks
      stay, and the next import or the scheduler refreshes them;
    - `known`: the calls this import writes (KnownCalls), so only possible repeats are
      looked up."""

    def __init__(self, engine: sa.Engine, source_id: int, incoming: int, stats: ImportStats, *,
                 bulk_load: bool | None = None, defer_aggregates: bool | None = None) -> None:
        self.engine, self.source_id, self.incoming, self.stats = engine, source_id, incoming, stats
        self._bulk_load, self._defer = bulk_load, defer_aggregates
        self.bulk = self.defer = False
        self.known: KnownCalls | None = None
        self._analyzed_at = 0  # legs added when the statistics were last refreshed

    def __enter__(self) -> "LoadPlan":
        engine = self.engine
        bulk.restore(engine)
        aggregates.refresh_pending(engine)
        pg = engine.dialect.name == "postgresql"
        with engine.connect() as conn:
            want_bulk = self._bulk_load if self._bulk_load is not None else bulk.worth_it(conn, self.incoming)
            self.known = KnownCalls(complete=not _source_has_calls(conn, self.source_id))
        self.bulk = bool(want_bulk and pg)
        self.defer = self._defer if self._defer is not None else self.incoming >= LARGE_IMPORT_LINES
        if self.bulk:
            bulk.drop(engine, keep_start_index=not self.defer)
            self.stats.bulk_load = True
        return self

    def batch_done(self) -> None:
        """After each committed batch: a bulk load that refreshes the aggregates batch by batch
        gets fresh planner statistics each time the tables have doubled (bulk.analyze)."""
        if self.bulk and not self.defer and self.stats.legs_added >= 2 * max(self._analyzed_at, 10_000):
            bulk.analyze(self.engine)
            self._analyzed_at = self.stats.legs_added

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.bulk:
            bulk.restore(self.engine)  # (the one deferred refresh plans well without an ANALYZE: measured)
        if self.defer and exc_type is None:
            aggregates.refresh_pending(self.engine, rebuild_indexes=self.bulk)
        return False


@gc_paused()
def import_cdr_file(
    engine: sa.Engine,
    path: str | Path,
    *,
    source: str | None = None,
    source_tz: str | ZoneInfo | None = None,
    rules: Rules | str | Path | None = None,
    rejects_path: str | Path | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    progress: bool = False,
    prefetch: bool = True,
    bulk_load: bool | None = None,
    workers: int | None = None,
    defer_aggregates: bool | None = None,
) -> ImportStats:
    """Import (the new part of) an Asterisk CDR CSV file. Raises ImportFailed, having written
    nothing, when the file cannot be read or its layout is not recognised.

    `bulk_load` (PostgreSQL): build the secondary indexes once at the end instead of row by
    row (data.importers.bulk); None decides by the size of the import.
    `workers` (PostgreSQL): processes that parse and build the batches while this one writes
    (data.importers.parallel); None = the cores for a large import, none for a small one.
    `defer_aggregates`: refresh the aggregates once at the end instead of after each batch
    (the hours are marked pending in each batch's transaction); None = for a large import."""
    from callboard.core.settings import get_settings

    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    if source_tz is None:
        tz = get_settings().tz
    elif isinstance(source_tz, ZoneInfo):
        tz = source_tz
    else:
        try:
            tz = ZoneInfo(source_tz)
        except Exception:
            raise ImportFailed(f"unknown time zone {source_tz!r} (use an IANA name such as Europe/Prague or UTC)")

    path = Path(path)
    stats = ImportStats(path=str(path))
    location = location_of(path)
    with open_binary(path) as fh:
        try:
            size = fh.seek(0, io.SEEK_END)
            fh.seek(0)
            sample = _sample(fh)
        except OSError as exc:
            raise ImportFailed(f"{path}: cannot read: {exc}") from exc
        if not any(line.strip() for line in sample):
            stats.layout = "empty"
            return stats
        layout = detect_layout(sample)
        if layout is None:
            raise ImportFailed(
                f"{path}: unknown CDR layout: the first lines are neither cdr_csv (16/17/18/21 columns), "
                "cdr_custom, nor a CDR export with a header row; nothing imported"
            )
        stats.layout = layout.label
        parser = RowParser(layout, tz)

        source_id, position, lineno = start_file_import(engine, fh, size, source, KIND, location, stats)
        if source_id is None:
            return stats
        # The source's number classes, read once: every batch (in any worker) sees the same.
        with engine.connect() as conn:
            known_before = load_known(conn, source_id)
        rules = rules.with_classes(known_before)

        rejects = RejectWriter(rejects_path, str(path), stats)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=size - position, unit="B", unit_scale=True, desc=path.name, leave=False)
        pg = engine.dialect.name == "postgresql"
        line_bytes = max(1, sum(len(x) + 1 for x in sample) // max(1, len(sample)))
        incoming = (size - position) // line_bytes
        if workers is None:
            workers = parallel.default_workers() if incoming >= LARGE_IMPORT_LINES else 0
        if not pg:
            workers = 0  # SQLite gets built rows, which are not worth sending between processes
        try:
            with LoadPlan(engine, source_id, incoming, stats, bulk_load=bulk_load,
                          defer_aggregates=defer_aggregates) as plan:
                fh.seek(0)
                head = fh.read(FINGERPRINT_BYTES)
                meta: collections.deque = collections.deque()
                results = parallel.ordered_map(
                    prepare_block, _read_blocks(fh, position, lineno, batch_lines, meta,
                                                _id_reserver(engine) if pg else None), workers=workers,
                    initializer=_init_block_worker, initargs=(layout, str(tz), rules, source_id, pg))
                if prefetch and workers == 0:
                    # Reading and parsing the next batch overlaps with the database writing this one.
                    results = _prefetch(results)
                for res in results:
                    block, block_lineno, end_position, end_lineno = meta.popleft()
                    _commit_block(engine, source_id, res, block, block_lineno, parser, rules, stats, location,
                                  _fp(head, end_position), end_position, end_lineno, plan)
                    stats.lines_read += res.lines
                    stats.blank_lines += res.blank
                    for lno, reason, raw in res.bad:  # after the commit: a failed batch is read again next time
                        rejects.reject(lno, reason, raw)
                    rejects.flush()
                    if bar is not None:
                        bar.update(res.nbytes)
                stats.calls_rederived += apply_learned(engine, source_id, rules, known_before, defer=plan.defer)
                if bar is not None and (plan.bulk or plan.defer):
                    bar.set_description(f"{path.name}: building indexes and aggregates")
        finally:
            rejects.close()
            if bar is not None:
                bar.close()
    return stats


def _read_blocks(fh, position: int, lineno: int, batch_lines: int, meta: collections.deque,
                 reserve: Callable[[int], tuple[int, int]] | None = None):
    """Jobs for prepare_block: blocks of `batch_lines` whole lines from `position` on; for
    each, (block, its first line number - 1, the position and line number after it) is
    appended to `meta` for the writer. With `reserve`, ids for as many calls and legs as
    the block has lines (it cannot have more) are reserved for it; the unused ones are
    left as a gap in the sequence."""
    fh.seek(position)
    first = position == 0
    while True:
        raws = list(itertools.islice(fh, batch_lines))
        if not raws:
            return
        block = b"".join(raws)
        meta.append((block, lineno, position + len(block), lineno + len(raws)))
        call_id, leg_id = reserve(len(raws)) if reserve is not None else (None, None)
        yield block, lineno, first, call_id, leg_id
        first = False
        position += len(block)
        lineno += len(raws)


def _id_reserver(engine: sa.Engine) -> Callable[[int], tuple[int, int]]:
    def reserve(n: int) -> tuple[int, int]:
        with engine.begin() as conn:
            return pg_reserve_ids(conn, "call", n), pg_reserve_ids(conn, "call_leg", n)

    return reserve


def _commit_block(engine, source_id, res: BlockResult, block, block_lineno, parser, rules, stats, location, fp,
                  position, lineno, plan: LoadPlan) -> None:
    lines: list[str] = []

    def reread(j: int) -> Leg:  # leg j's line again (a call found stored: rare)
        if not lines:
            lines.extend(decode_block(block))
        return parser.leg(lines[j], block_lineno + j + 1)

    _commit_batch(engine, _batch_writer(source_id, res, reread, rules, stats, plan), stats, source_id, location,
                  fp, position, lineno, plan.defer)
    plan.batch_done()


def _batch_writer(source_id, res: BlockResult, reread: Callable[[int], Leg], rules, stats, plan: LoadPlan):
    """write(conn) for _commit_batch: a prepared batch, encoded (PostgreSQL) or built rows."""
    def write(conn):
        if res.encoded:
            return write_encoded_batch(conn, source_id, res, reread, rules, stats,
                                       refresh=not plan.defer, known=plan.known)
        if res.prepared is not None:
            return write_batch(conn, source_id, [l for g in res.prepared.groups.values() for l in g], rules,
                               stats, res.prepared, refresh=not plan.defer, known=plan.known)
        return None, None

    return write


def _commit_batch(engine, write, stats, source_id, location, fp, position, lineno, defer: bool) -> None:
    """One batch in one transaction: write(conn) -> the (lo, hi) start times it changed,
    their hours marked pending when the aggregates are deferred, the import position."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The batch and its import position commit together, so a batch lost in an OS
            # crash is simply read again: no need to wait for the WAL flush.
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        lo, hi = write(conn)
        if defer and lo is not None:
            aggregates.mark_pending(conn, lo, hi + timedelta(seconds=1))
        save_state(conn, source_id, KIND, location, fp, position, lineno)
    stats.batches += 1


def _prefetch(gen, depth: int = 1):
    """Run a generator one item ahead in a thread (its work overlaps the consumer's I/O)."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def run() -> None:
        try:
            for item in gen:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    th = threading.Thread(target=run, name="cdr-reader", daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            th.join(timeout=0.05)


def _fp(head: bytes, position: int) -> str:
    import hashlib as _h

    part = head[: min(len(head), position)]
    return f"{len(part)}:{_h.sha256(part).hexdigest()}"


def commit_rows(engine, source_id, res: BlockResult, rows: list[list[str]], rowno: int, parser: RowParser, rules,
                stats, location, fp, position, lineno, plan: LoadPlan) -> None:
    """A batch of CDR table rows prepared by prepare_rows (the --from-db import)."""
    def reread(j: int) -> Leg:
        return parser._leg(list(rows[j]), rowno + j + 1)

    _commit_batch(engine, _batch_writer(source_id, res, reread, rules, stats, plan), stats, source_id, location,
                  fp, position, lineno, plan.defer)
    plan.batch_done()

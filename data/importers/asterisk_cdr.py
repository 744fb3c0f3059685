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
"""

from __future__ import annotations

import csv
import hashlib
import io
import operator
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

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
from data.importers import bulk, queue_link
from data.importers.rules import Rules, load_rules

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
                 "billsec", "uniqueid", "did", "recordingfile", "outbound_cnum", "cnum", "lineno",
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
        feed = _Feed(texts)
        reader = csv.reader(feed, strict=True)
        make = self._leg
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
        leg.uniqueid = uniqueid or None
        leg.has_linkedid = bool(linkedid)
        leg.uid = linkedid or uniqueid or _synthetic_uid(leg.channel, start_s)
        leg.did = did
        leg.recordingfile = recfile
        leg.outbound_cnum = ocnum
        leg.cnum = cnum
        return leg


def leg_from_stored(row, hint=None) -> Leg:
    leg = Leg()
    leg.lineno = 0
    leg.stored = row
    leg.hint = hint
    leg.uid = ""
    leg.has_linkedid = True
    leg.accountcode = leg.src = leg.clid = leg.dcontext = leg.did = leg.recordingfile = ""
    leg.outbound_cnum = leg.cnum = ""
    leg.dst = row.extension or row.number or ""
    leg.channel = row.channel or ""
    leg.dstchannel = row.dst_channel or ""
    leg.lastapp = {"voicemail": "VoiceMail", "queue": "Queue"}.get(row.via_type or "", "")
    leg.lastdata = row.via or ""
    leg.start, leg.answer, leg.end = row.start_utc, row.answer_utc, row.end_utc
    leg.status = row.status
    leg.disp = _DISP_FROM_LEG.get(row.status, "FAILED")
    leg.billsec = row.talk_s or 0
    leg.uniqueid = row.uniqueid
    return leg


# ----------------------------------------------------------------------------- calls

CALL_COLS = (
    "source_id", "call_uid", "start_utc", "answer_utc", "end_utc", "from_number", "from_name",
    "to_number", "direction", "status", "duration_s", "ring_s", "talk_s", "hold_s", "src_trunk",
    "dst_trunk", "did", "outbound_cid", "account_code", "extension", "peer_extension", "answered_by",
    "destination_type", "destination", "queue", "ring_group", "has_recording", "transferred_to",
)
LEG_COLS = ("call_id", "seq", "extension", "number", "via_type", "via", "start_utc", "answer_utc",
            "end_utc", "ring_s", "talk_s", "status", "channel", "dst_channel", "uniqueid")


def _secs(a: datetime, b: datetime) -> int:
    d = int((b - a).total_seconds())
    return d if d > 0 else 0


def _leg_order(l: "Leg") -> tuple:
    return (l.start, l.channel[:6].lower() == "local/", l.stored is None, l.end)


def _is_local(channel: str) -> bool:
    return channel[:6].lower() == "local/"


def build_call(source_id: int, uid: str, legs: list[Leg], rules: Rules) -> tuple[tuple, list[tuple]]:
    """(call row in CALL_COLS order, leg rows in LEG_COLS order without call_id)."""
    if len(legs) > 1:
        legs.sort(key=_leg_order)
    origin = legs[0]
    hint = origin.hint
    chan = rules.channel
    is_ext = rules.is_extension
    app_kind = rules.app_kind
    okind, oname = chan(origin.channel)

    # Legs' own facts.
    leg_rows = []
    answered_ext = None
    answered_at = None
    first_rung_ext = None
    dst_trunk = None
    queue = ring_group = None
    vm_leg = None
    human = []  # answered legs other than voicemail
    party = False  # a called party (a leg with a destination channel) answered
    pbx_queue = False  # only the PBX answered, in a queue: the caller left without an agent
    answer = None  # earliest answer of a person (a leg with a called party), else of the PBX
    answer_any = None
    end = origin.end
    has_recording = bool(hint and hint.has_recording)
    seq = 0
    # Transfers: a leg placed by a party who had answered (attended transfer, its consult
    # call), or a new leg of a channel after someone answered it (blind transfer: Asterisk
    # starts a new CDR for the transferred channel), or one dialled in a transfer context.
    answered_parties: set[str] = set()
    answered_from: dict[str, datetime] = {}
    if len(legs) > 1:
        for l in legs:
            if l.answer is not None and l.dstchannel:
                answered_parties.add(l.dstchannel)
                if l.channel not in answered_from or l.answer < answered_from[l.channel]:
                    answered_from[l.channel] = l.answer
    transferred_to = None
    for l in legs:
        dkind, dname = chan(l.dstchannel)
        app = l.lastapp
        kind = app_kind(app) if app else 0  # 1 voicemail, 2 queue
        l_answer, l_start, l_end = l.answer, l.start, l.end
        if l_end > end:
            end = l_end
        if l.recordingfile:
            has_recording = True
        st = l.stored
        if st is not None:
            ext, number, via_type, via = st.extension, st.number, st.via_type, st.via
        else:
            ext = dname[:32] if dkind == "ext" else None
            dst = l.dst
            number = None if ext or not dst or dst == "s" else dst[:64]
            via_type, via = "direct", None
            if kind == 1:
                via_type = "voicemail"
                via = l.lastdata.split(",")[0].split("@")[0][:32] or None
            elif kind == 2:
                via_type, via = "queue", (l.lastdata.split(",")[0] or dst)[:32] or None
            elif l.dcontext and rules.is_ring_group_context(l.dcontext):
                via_type, via = "ring_group", dst[:32] or None
            if l is not origin and kind != 1 and (
                    l.channel in answered_parties
                    or (l.channel in answered_from and l_start > answered_from[l.channel])
                    or (l.dcontext and rules.is_transfer_context(l.dcontext))):
                via_type, via = "transfer", (ext or number or "")[:32] or None
        if via_type == "transfer" and transferred_to is None:
            transferred_to = via
        if via_type == "queue":
            if queue is None:
                queue = via
        elif via_type == "ring_group" and ring_group is None:
            ring_group = via
        if dkind == "ext":
            if first_rung_ext is None:
                first_rung_ext = dname
        elif dkind == "trunk" and dst_trunk is None:
            dst_trunk = dname
        if kind == 1:
            if vm_leg is None:
                vm_leg = l
        elif l.status == "answered":
            human.append(l)
            if l.dstchannel:
                party = True
            elif kind == 2 or via_type == "queue":
                pbx_queue = True
            if l_answer is not None:
                if l.dstchannel:
                    if answer is None or l_answer < answer:
                        answer = l_answer
                    if dkind == "ext" and (answered_at is None or l_answer < answered_at):
                        answered_at, answered_ext = l_answer, dname
                elif answer_any is None or l_answer < answer_any:
                    answer_any = l_answer
        if l_answer is not None:
            ring = int((l_answer - l_start).total_seconds())
            talk = int((l_end - l_answer).total_seconds())
        else:
            ring = int((l_end - l_start).total_seconds())
            talk = 0
        leg_rows.append((seq, ext, number, via_type, via, l_start, l_answer, l_end, ring, talk,
                         l.status, l.channel or None, l.dstchannel or None, l.uniqueid))
        seq += 1

    start = origin.start
    duration = int((end - start).total_seconds())
    if answer is None:
        answer = answer_any

    # Status and the call's answer time.
    if party:
        status = "answered"
    elif vm_leg is not None:
        status, answer = "voicemail", None
    elif human:  # answered by the PBX only (IVR, announcement) or left a queue unanswered
        if pbx_queue:
            status, answer = "abandoned", None
        else:
            status = "answered"
    else:
        disps = {l.disp for l in legs}
        if "NO ANSWER" in disps or "CANCEL" in disps:
            status = "no_answer"
        elif "BUSY" in disps:
            status = "busy"
        elif "CONGESTION" in disps:
            status = "congestion"
        else:
            status = "failed"
        if hint is not None and status == "failed" and hint.status == "congestion":
            status = "congestion"
        answer = None
    if answer is not None:
        ring_s, talk_s = _secs(start, answer), _secs(answer, end)
    elif status == "voicemail":
        ring_s, talk_s = _secs(start, vm_leg.answer or vm_leg.start), 0
    elif status == "answered":  # answered leg without an answer time (exports): billsec
        talk_s = min(max(l.billsec for l in human), duration)
        ring_s = duration - talk_s
    else:
        ring_s, talk_s = duration, 0

    # Direction, parties, trunks, DID.
    src, dst = origin.src, origin.dst
    caller_ext = oname if okind == "ext" else (src if is_ext(src) else None)
    if hint is not None:
        direction = hint.direction
    elif okind == "trunk" or (origin.dcontext and rules.is_inbound_context(origin.dcontext)):
        direction = "inbound"
    elif okind == "ext" or rules.is_internal_context(origin.dcontext) or is_ext(src):
        if dst_trunk is not None:
            direction = "outbound"
        elif is_ext(dst) or dst.startswith("*") or (dst in ("", "s") and first_rung_ext):
            direction = "internal"
        else:
            direction = "outbound"
    else:
        direction = "inbound"

    callee_ext = answered_ext or first_rung_ext or (
        dst if is_ext(dst) and dst != queue and dst != ring_group else None)  # a queue is no extension
    if direction == "inbound":
        extension, peer = callee_ext, None
    elif direction == "internal":
        extension, peer = caller_ext, callee_ext
    else:
        extension, peer = caller_ext, None

    if hint is not None:
        from_number, from_name, to_number = hint.from_number, hint.from_name, hint.to_number
        did, outbound_cid, account_code = hint.did, hint.outbound_cid, hint.account_code
        src_trunk = hint.src_trunk
        dst_trunk = dst_trunk or hint.dst_trunk
        queue = queue or hint.queue
        ring_group = ring_group or hint.ring_group
        transferred_to = transferred_to or hint.transferred_to
        if hint.extension and direction != "inbound":
            extension = hint.extension
    else:
        from_number = src or origin.cnum
        from_name = _clid_name(origin.clid) if origin.clid else None
        if from_name == from_number:
            from_name = None
        did = None
        src_trunk = None
        if direction == "inbound":
            src_trunk = oname if okind == "trunk" else None
            did = next((l.did for l in legs if l.did), None)
            if did is None and dst and dst != "s" and not is_ext(dst):
                did = dst
            to_number = did or dst
        else:
            to_number = dst
        if to_number == "s":
            to_number = ""
        outbound_cid = (origin.outbound_cnum or None) if direction == "outbound" else None
        account_code = origin.accountcode or None

    if queue:
        dest_type, dest = "queue", queue
    elif ring_group:
        dest_type, dest = "ring_group", ring_group
    elif status == "voicemail":
        dest_type, dest = "voicemail", (vm_leg.lastdata.split(",")[0].split("@")[0] if vm_leg.lastdata else callee_ext)
    elif direction == "outbound":
        dest_type, dest = "external", to_number
    elif callee_ext:
        dest_type, dest = "extension", callee_ext
    else:
        dest_type, dest = None, None

    call = (
        source_id, uid, start, answer, end,
        (from_number or "")[:64], from_name and from_name[:200], (to_number or "")[:64],
        direction, status, duration, ring_s, talk_s, 0,
        src_trunk and src_trunk[:100], dst_trunk and dst_trunk[:100], did and did[:32],
        outbound_cid and outbound_cid[:32], account_code and account_code[:64], extension and extension[:32],
        peer and peer[:32], answered_ext[:32] if status == "answered" and answered_ext else None,
        dest_type, dest and dest[:64], queue and queue[:32], ring_group and ring_group[:32], has_recording,
        transferred_to,
    )
    return call, leg_rows


def link_local_halves(legs: list[Leg], rules: Rules) -> None:
    """Without linkedid: put a Local channel's ;2 row into the call that dialled its ;1."""
    loose = [l for l in legs if not l.has_linkedid]
    if not loose:
        return
    for _ in range(4):
        owner: dict[str, str] = {}
        for l in loose:
            kind, name = rules.channel(l.dstchannel)
            if kind == "local":
                owner.setdefault(name, l.uid)
        changed = False
        for l in loose:
            kind, name = rules.channel(l.channel)
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


def _stored_legs(conn: sa.Connection, call_ids: list[int]) -> dict[int, list]:
    cl = s.call_leg
    out: dict[int, list] = {}
    for part in _chunks(call_ids, 500):
        for r in conn.execute(sa.select(cl).where(cl.c.call_id.in_(part)).order_by(cl.c.call_id, cl.c.seq)):
            out.setdefault(r.call_id, []).append(r)
    return out


def _pg_type(col: sa.Column) -> str:
    ty = col.type.dialect_impl(sa.dialects.postgresql.dialect())
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


def _pg_next_ids(conn: sa.Connection, table: str, n: int) -> list[int]:
    # On the driver's cursor: SQLAlchemy's row processing cost more than the query.
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", (n,))
        return [r[0] for r in cur.fetchall()]


class Prepared:
    """A batch's legs grouped into calls and built as if every call were new: the part of
    the work that needs no database, done by the reader thread while the database is busy
    with the previous batch (write_batch rebuilds the few calls that turn out to be stored)."""

    __slots__ = ("groups", "built", "duplicates")

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
        self.built = {uid: build_call(source_id, uid, g, rules) for uid, g in groups.items()} if build else {}


def write_batch(conn: sa.Connection, source_id: int, legs: list[Leg], rules: Rules, stats: ImportStats,
                prepared: Prepared | None = None) -> None:
    """Calls and legs of one batch, merged with what is stored, plus the aggregate refresh."""
    if not legs:
        return
    pg = conn.dialect.name == "postgresql"
    if prepared is None:
        prepared = Prepared(source_id, legs, rules, build=False)
    groups, built = prepared.groups, prepared.built
    stats.duplicates_skipped += prepared.duplicates

    existing = _existing_calls(conn, source_id, list(groups), pg)
    stored = _stored_legs(conn, [r.id for r in existing.values()]) if existing else {}

    new_calls: list[tuple] = []
    new_legs: list[list[tuple]] = []
    updates: list[tuple[int, tuple, list[tuple]]] = []
    lo = hi = None
    for uid, group in groups.items():
        ex = existing.get(uid)
        if ex is None:
            call, leg_rows = built.get(uid) or build_call(source_id, uid, group, rules)
            new_calls.append(call)
            new_legs.append(leg_rows)
        else:
            old = [leg_from_stored(r) for r in stored.get(ex.id, [])]
            keys = {l.key for l in old}
            fresh = [l for l in group if l.key not in keys]
            stats.duplicates_skipped += len(group) - len(fresh)
            if not fresh:
                continue
            if old:
                first = min(old, key=lambda l: (l.start, _is_local(l.channel)))
                first.hint = ex
            call, leg_rows = build_call(source_id, uid, old + fresh, rules)
            updates.append((ex.id, call, leg_rows))
            if lo is None or ex.start_utc < lo:
                lo = ex.start_utc
            if hi is None or ex.start_utc > hi:
                hi = ex.start_utc
        st = call[2]
        if lo is None or st < lo:
            lo = st
        if hi is None or st > hi:
            hi = st

    # Linking to queue calls costs two statements over every new call id: skipped while the
    # source has no queue_log imported (a CDR-only PBX, or the CDR imported first).
    has_queue_calls = conn.execute(sa.select(sa.exists().where(s.queue_call.c.source_id == source_id))).scalar()
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
        if has_queue_calls:
            _link_queue_calls(conn, source_id, [c[1] for c in new_calls], pg)
        stats.calls_added += len(new_calls)
        stats.legs_added += sum(len(x) for x in new_legs)

    if updates:
        c = s.call
        upd_cols = [col for col in CALL_COLS if col not in ("source_id", "call_uid")]
        stmt = c.update().where(c.c.id == sa.bindparam("_id")).values({k: sa.bindparam("_" + k) for k in upd_cols})
        params = []
        for cid, call, _ in updates:
            d = {"_" + k: v for k, v in zip(CALL_COLS, call) if k in upd_cols}
            d["_id"] = cid
            params.append(d)
        conn.execute(stmt, params)
        ids = [u[0] for u in updates]
        for part in _chunks(ids, 500):
            conn.execute(s.call_leg.delete().where(s.call_leg.c.call_id.in_(part)))
        _insert_legs(conn, ((cid,) + lr for cid, _, lrs in updates for lr in lrs), pg)
        stats.calls_updated += len(updates)
        stats.legs_added += sum(len(lrs) for _, _, lrs in updates) - sum(len(stored.get(i, [])) for i in ids)

    # The queue_log's outcome (agent, abandoned / gave up, transfer) over what the legs say.
    if has_queue_calls:
        stats.cdr_calls_updated += queue_link.apply(conn, new_ids + [u[0] for u in updates])[2]

    if lo is not None:
        aggregates.refresh(conn, lo, hi + timedelta(seconds=1))


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
) -> ImportStats:
    """Import (the new part of) an Asterisk CDR CSV file. Raises ImportFailed, having written
    nothing, when the file cannot be read or its layout is not recognised.

    `bulk_load` (PostgreSQL): build the secondary indexes once at the end instead of row by
    row (data.importers.bulk); None decides by the size of the import."""
    from callboard.settings import get_settings

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

        rejects = RejectWriter(rejects_path, str(path), stats)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=size - position, unit="B", unit_scale=True, desc=path.name, leave=False)
        # A previous bulk load that died leaves indexes to rebuild; a large one starts one.
        bulk.restore(engine)
        line_bytes = max(1, sum(len(x) + 1 for x in sample) // max(1, len(sample)))
        with engine.connect() as conn:
            bulk_mode = bulk_load if bulk_load is not None else bulk.worth_it(conn, (size - position) // line_bytes)
        if bulk_mode and engine.dialect.name == "postgresql":
            bulk.drop(engine)
            stats.bulk_load = True
        try:
            fh.seek(0)
            head = fh.read(FINGERPRINT_BYTES)
            batches = _read_batches(fh, parser, layout, position, lineno, batch_lines,
                                    lambda legs: Prepared(source_id, legs, rules))
            # Reading and parsing the next batch overlaps with the database writing this one.
            for batch in _prefetch(batches) if prefetch else batches:
                _commit(engine, source_id, batch.legs, rules, stats, location, _fp(head, batch.position),
                        batch.position, batch.lineno, batch.prepared)
                stats.lines_read += batch.lines
                stats.blank_lines += batch.blank
                for lno, reason, raw in batch.bad:  # after the commit: a failed batch is read again next time
                    rejects.reject(lno, reason, raw)
                rejects.flush()
                if bar is not None:
                    bar.update(batch.nbytes)
        finally:
            rejects.close()
            if bar is not None:
                bar.close()
            if bulk_mode:
                bulk.restore(engine)
    return stats


class _Batch:
    __slots__ = ("legs", "prepared", "bad", "lines", "blank", "position", "lineno", "nbytes")


def _read_batches(fh, parser: RowParser, layout: Layout, position: int, lineno: int, batch_lines: int,
                  prepare: Callable[[list[Leg]], Prepared] | None = None):
    """Batches of parsed legs from the file's current position (fh is positioned here)."""
    fh.seek(position)
    header_pending = layout.header and position == 0
    linenos: list[int] = []
    texts: list[str] = []
    raws: list[bytes] = []
    count = blank = nbytes = 0

    def make() -> _Batch:
        b = _Batch()
        bad: list[tuple[int, str, bytes]] = []
        b.legs = parser.parse_batch(linenos, texts, lambda i, reason: bad.append((linenos[i], reason, raws[i])))
        b.prepared = prepare(b.legs) if prepare is not None and b.legs else None
        b.bad, b.lines, b.blank, b.position, b.lineno, b.nbytes = bad, count, blank, position, lineno, nbytes
        return b

    for raw in fh:
        lineno += 1
        position += len(raw)
        nbytes += len(raw)
        count += 1
        line = _decode(raw)
        if header_pending and line.strip():
            header_pending = False
            if line == layout.header_line:
                blank += 1
                continue
        if not line or line[0] == "#" or not line.strip():
            blank += 1
        else:
            linenos.append(lineno)
            texts.append(line)
            raws.append(raw)
        if count >= batch_lines:
            yield make()
            linenos, texts, raws = [], [], []
            count = blank = nbytes = 0
    if count:
        yield make()


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


def _commit(engine, source_id, legs, rules, stats, location, fp, position, lineno, prepared=None) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The batch and its import position commit together, so a batch lost in an OS
            # crash is simply read again: no need to wait for the WAL flush.
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        write_batch(conn, source_id, legs, rules, stats, prepared)
        save_state(conn, source_id, KIND, location, fp, position, lineno)
    stats.batches += 1

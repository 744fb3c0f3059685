"""Asterisk CDR text -> Legs: the bytes of a file decoded into lines, a line (or a CDR table
row as text values) into one Leg with its times in UTC, or BadLine with the reason.

One CDR row is one leg. Its call is its linkedid, else its uniqueid, else (16 columns, no
uniqueid) a hash of its caller channel and start (legs.link_local_halves may move it).
"""

from __future__ import annotations

import csv
import hashlib
import operator
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from data.importers.asterisk.layout import DISPOSITIONS, F, Layout, split_line
from data.importers.asterisk.legs import Leg

UTC = timezone.utc
LEG_STATUS = {"ANSWERED": "answered", "NO ANSWER": "no_answer", "BUSY": "busy", "FAILED": "failed",
              "CONGESTION": "failed", "CANCEL": "cancelled", "UNKNOWN": "failed"}


class BadLine(ValueError):
    pass


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
            return self.leg_from_fields(row, lineno)
        try:
            return self.leg_from_fields(row, lineno)
        except BadLine as exc:
            raise BadLine(f"broken quoting: {exc}") from None

    def parse_batch(self, linenos: list[int], texts: list[str], reject: Callable[[int, str], None]) -> list[Leg]:
        """Legs of many lines at once; bad lines go to reject(index, reason)."""
        out: list[Leg] = []
        make = self.leg_from_fields
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

    def leg_from_fields(self, row: list[str], lineno: int) -> Leg:
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


# ----------------------------------------------------------------------------- bytes -> lines

def decode_line(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.rstrip("\r\n")


def decode_block(block: bytes) -> list[str]:
    """The lines of a block of whole lines, exactly as decode_line makes them one by one."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        raws = block.split(b"\n")
        if block.endswith(b"\n"):
            raws.pop()
        return [decode_line(r) for r in raws]
    if "\x00" in text:
        text = text.replace("\x00", "")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if "\r" in text:
        lines = [x.rstrip("\r") for x in lines]
    return lines


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



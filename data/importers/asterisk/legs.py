"""Legs: one CDR row each (or one stored call_leg read back), grouped into calls.

A batch's legs are grouped by call uid (parse: linkedid, else uniqueid, else a hash);
in files without linkedid the ``;2`` half of a Local channel joins the call that dialled
its ``;1`` half when both are in the same batch (link_local_halves). A leg seen twice
(same uniqueid, channels, times and status) counts once.
"""

from __future__ import annotations

from data.importers.asterisk.classify import build_call, is_local_channel
from data.importers.rules import Rules

# call_leg.status -> the CDR disposition a stored leg is read back with.
_DISP_FROM_LEG = {"answered": "ANSWERED", "no_answer": "NO ANSWER", "busy": "BUSY", "failed": "FAILED",
                  "cancelled": "CANCEL", "rejected": "FAILED"}


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


def _leg_from_stored(row) -> Leg:
    """A stored call_leg as a Leg, for rebuilding its call. Legs stored since migration 0010
    keep the CDR's dcontext, lastapp, lastdata and dst, so the call is derived again exactly
    as from the file; older ones (lastapp NULL) keep the classification they were stored with."""
    leg = Leg()
    leg.lineno = 0
    leg.stored = row
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


def legs_from_stored(rows: list, call) -> list[Leg]:
    """A stored call's legs (call_leg rows) as Legs, for the call to be built again; the
    call row's own facts (from_number, did, status ...) ride on its origin leg as `hint`."""
    legs = [_leg_from_stored(r) for r in rows]
    if legs:
        min(legs, key=lambda l: (l.start, is_local_channel(l.channel))).hint = call
    return legs


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


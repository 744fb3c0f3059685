"""Deterministic demo data: a realistic Czech call centre, from a seed.

What it builds (SPEC §8)
- Dimensions (inserted when missing): source 1 "main", 40 extensions with Czech names in
  three extension groups (Support, Sales, Back office), trunks, DIDs and outbound caller
  IDs, 3 queues with members, 2 ring groups (ringall, hunt), 2 IVR menus.
- Facts per local day (PBX time zone): calls with business-hour seasonality (peaks around
  10:00 and 14:00, little at night) and weekday seasonality (weekends much quieter);
  ``calls_per_day`` is the mean of a Monday-Friday day. Inbound calls come in on DIDs
  and go to IVRs, queues, ring groups, extensions or voicemail; outbound calls carry an
  outbound caller ID, a trunk and sometimes a PIN; internal calls connect two extensions.
  Queue calls (wait, position, outcome answered / abandoned / timeout / exit_key /
  no_agents, abandonment growing with the wait; a few answered ones blind-transferred to a
  colleague of the queue, with a transfer leg and ``transferred_to`` on the call and the
  queue call), ring-no-answer attempts, call legs for every extension that rang, IVR
  choices, callbacks, surveys, recordings, agent sessions and pauses, SMS / WhatsApp chat
  sessions with messages and timelines.
- Aggregates: ``data.aggregates.refresh`` over the generated range, in the same
  transaction as the facts.

Determinism: every day draws from its own RNG seeded with (seed, local date), and ids are
handed out in day order, so the same config gives identical rows whatever the chunking.
Call UIDs are "<start epoch>.<n>" (n = the call's number within its day) and do not
depend on ids. Regenerating over a range first deletes the facts of source 1 in it
(and their recording files), so running ``generate`` twice is idempotent.

If ``end_day`` is today, facts after the current time are not generated (the live
dashboards then see a realistic "today so far") and the agents working now stay logged
in; otherwise the last session of the last day is left open.

Scale: the rows of a chunk of days are built column-wise with numpy and loaded with COPY
(PostgreSQL, CSV built by pandas) or one executemany per table (SQLite), all in one
transaction. Ids are assigned here (max(id) + n) so child rows need no round trip;
PostgreSQL sequences are moved past them at the end. CSV building runs on the main
thread while a writer thread COPYs the previous chunk. For big PostgreSQL loads (more than
300k calls, and at least half of what the table holds) the foreign keys of the fact tables
and the two random-key indexes (from / to number) are dropped during the load and
re-created (and so re-validated) after it, in the same transaction; every other index
grows at its right edge in our insert order and is cheaper to keep (measured).

Recordings: with ``with_audio`` each recorded call gets its own WAV file, a hard link to
one of a small pool of real clips (see ``data.demo.audio``), so disk use stays at the
pool's few MB; ``recording.duration_s`` / ``size_bytes`` are the clip's real values. With
``with_audio=False`` (bulk / benchmark loads) no recording rows are written and
``has_recording`` is false everywhere, so "has_recording <=> a playable file" always
holds. MP3 is not generated (no encoder without network access); all files are WAV.
"""

from __future__ import annotations

import sys
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa

from callboard.core.settings import get_settings
from data import aggregates
from data import schema as s
from data.db import get_engine
from data.demo import audio

SOURCE_ID = 1
UTC = timezone.utc
EPOCH = datetime(1970, 1, 1)
NULL_T = -1  # "no timestamp" in the epoch-second arrays

# --------------------------------------------------------------------------- config


@dataclass
class GeneratorConfig:
    days: int = 60
    calls_per_day: int = 800
    seed: int = 1
    end_day: date | None = None  # last local day (PBX tz), default today
    with_audio: bool = True  # write recordings as real small audio files


@dataclass
class GeneratorStats:
    days: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None
    recording_files: int = 0
    audio_bytes: int = 0  # disk actually used by the clip pool
    seconds: float = 0.0
    backend: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase

    @property
    def calls(self) -> int:
        return self.rows.get("call", 0)

    def summary(self) -> str:
        rate = self.calls / self.seconds if self.seconds else 0
        parts = ", ".join(f"{k}={v:,}" for k, v in self.rows.items() if v)
        text = (
            f"Generated {self.calls:,} calls over {self.days} days ({self.first_day} .. {self.last_day}) "
            f"into {self.backend} in {self.seconds:.1f} s ({rate:,.0f} calls/s).\nRows: {parts}"
        )
        if self.phases:
            text += "\nPhases: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items())
        if self.recording_files:
            text += (
                f"\nRecordings: {self.recording_files:,} files (hard links to a pool of "
                f"{audio.POOL_SIZE} clips, {self.audio_bytes / 1e6:.1f} MB on disk)"
            )
        return text


# --------------------------------------------------------------------------- the call centre

_NAMES = [
    "Jan Novák", "Petra Svobodová", "Tomáš Dvořák", "Lucie Černá", "Martin Procházka",
    "Kateřina Kučerová", "Jakub Veselý", "Tereza Horáková", "Lukáš Němec", "Eva Marková",
    "Ondřej Pokorný", "Veronika Pospíšilová", "David Hájek", "Barbora Jelínková", "Michal Král",
    "Markéta Růžičková", "Petr Beneš", "Hana Fialová", "Jiří Sedláček", "Simona Doležalová",
    "Pavel Zeman", "Klára Kolářová", "Josef Navrátil", "Monika Čermáková", "Vojtěch Urban",
    "Alena Vaněčková", "Filip Blažek", "Zuzana Kříženecká", "Adam Kopecký", "Jana Konečná",
    "Roman Malý", "Ivana Holubová", "Radek Štěpánek", "Lenka Bartošová", "Milan Kratochvíl",
    "Denisa Vlčková", "Karel Polák", "Michaela Musilová", "Zdeněk Šimek", "Gabriela Tichá",
]
EXTS = [str(100 + i) for i in range(40)]
EXT_NAMES = dict(zip(EXTS, _NAMES))
GROUPS = {
    "Support": ("Zákaznická podpora", EXTS[0:20]),
    "Sales": ("Obchod", EXTS[20:32]),
    "Back office": ("Recepce a účtárna", EXTS[32:40]),
}
AGENTS = EXTS[0:32]
TRUNKS = [("O2 SIP", "sip", "O2 Czech Republic SIP trunk"), ("T-Mobile SIP", "sip", "T-Mobile SIP trunk"),
          ("GSM brána", "gsm", "GSM gateway, 4 SIM cards")]
QUEUES = {
    # number: name, strategy, sl target, short abandon, members, base mean wait (s)
    "600": ("Podpora", "rrmemory", 20, 5, EXTS[0:20], 15.0),
    "601": ("Obchod", "leastrecent", 30, 5, EXTS[20:32], 10.0),
    "602": ("Technická linka", "fewestcalls", 15, 3, EXTS[0:6] + EXTS[20:24], 13.0),
}
RING_GROUPS = {
    "700": ("Recepce", "ringall", 30, EXTS[32:35]),
    "701": ("Účtárna", "hunt", 50, EXTS[35:40]),
}
# IVR options -> (route, probability). Route "hangup": the caller hangs up in the menu.
IVRS = {
    "800": ("Hlavní menu", {
        "1": ("queue:600", 0.44), "2": ("queue:601", 0.24), "3": ("ring_group:700", 0.09),
        "0": ("extension:132", 0.04), "timeout": ("queue:600", 0.07), "invalid": (None, 0.05),
        "hangup": ("hangup", 0.07)}),
    "801": ("Technická podpora", {
        "1": ("queue:602", 0.50), "2": ("queue:600", 0.20), "3": ("ring_group:701", 0.08),
        "9": ("voicemail:100", 0.05), "timeout": ("queue:602", 0.06), "invalid": (None, 0.05),
        "hangup": ("hangup", 0.06)}),
}
# Our numbers: number, kind, name, trunk, route, share of inbound traffic
DIDS = [
    ("+420225100100", "both", "Hlavní linka", "O2 SIP", "ivr:800", 0.44),
    ("+420225100200", "did", "Technická podpora", "O2 SIP", "ivr:801", 0.20),
    ("+420225100300", "did", "Obchod", "T-Mobile SIP", "queue:601", 0.15),
    ("+420225100400", "did", "Recepce", "O2 SIP", "ring_group:700", 0.10),
] + [
    (f"+420225100{e}", "did", f"Přímá linka {EXT_NAMES[e]}", "O2 SIP", f"extension:{e}", 0.11 / 8)
    for e in EXTS[32:40]
]
OUTBOUND_CIDS = [("+420225100999", "outbound_cid", "Obchod - odchozí", "T-Mobile SIP", None, 0.0)]
SMS_NUMBER, WHATSAPP_NUMBER = "+420225100300", "+420777100100"

HOUR_PROFILE = np.array([0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 1.0, 3.0, 7.0, 10.5, 12.0, 10.5,
                         7.5, 9.0, 11.0, 9.5, 7.5, 5.5, 3.5, 2.4, 1.7, 1.2, 0.8, 0.5])
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.sum()
HOUR_LOAD = HOUR_PROFILE / HOUR_PROFILE.max()  # 0..1, drives queue waits
WEEKDAY_FACTOR = np.array([1.05, 1.0, 0.98, 0.99, 0.98, 0.2, 0.1])  # Mon..Sun, Mon-Fri mean 1
STATUS = np.array(["answered", "no_answer", "busy", "failed", "voicemail", "abandoned", "congestion"],
                  dtype=object)
ANS, NOANS, BUSY, FAILED, VM, ABAND, CONGEST = range(7)
DIRS = np.array(["inbound", "outbound", "internal"], dtype=object)
HANGUP_CAUSE = np.array(["NORMAL_CLEARING", "ORIGINATOR_CANCEL", "USER_BUSY", "NORMAL_TEMPORARY_FAILURE",
                         "NORMAL_CLEARING", "ORIGINATOR_CANCEL", "SWITCH_CONGESTION"], dtype=object)
PAUSE_REASONS = ["Lunch", "Break", "Training", "Meeting"]
QUEUE_OUTCOMES = np.array(["answered", "abandoned", "timeout", "exit_key", "no_agents"], dtype=object)
Q_ANS, Q_ABAND, Q_TIMEOUT, Q_EXIT, Q_NOAGENTS = range(5)
QUEUE_MAX_WAIT_S = 300
# Share of answered queue calls (talking 40 s or more) the agent hands on to a colleague
# of the same queue (a blind transfer: call.transferred_to, a transfer leg).
TRANSFER_SHARE = 0.06
CHAT_IN = ["Dobrý den, potřebuji poradit s objednávkou.", "Kdy mi přijde zásilka?",
           "Nefunguje mi přihlášení do aplikace.", "Můžete mi zavolat zpět?", "Děkuji, to je vše.",
           "Chtěl bych změnit tarif.", "Posílám číslo faktury 2026-0412.", "Je možné platit kartou?"]
CHAT_OUT = ["Dobrý den, s čím vám mohu pomoci?", "Podívám se na to, moment prosím.",
            "Zásilka je na cestě, dorazí zítra.", "Heslo jsem vám resetoval(a).",
            "Rádi vám zavoláme, kdy se vám to hodí?", "Děkujeme, hezký den!", "Tarif jsem upravil(a)."]

_obj = lambda values: np.array(values, dtype=object)  # noqa: E731
EXT_ARR = _obj(EXTS)
EXT_NAME_ARR = _obj([EXT_NAMES[e] for e in EXTS])
EXT_INDEX = {e: i for i, e in enumerate(EXTS)}
CALLER_IP = _obj([f"10.20.{1 + i // 20}.{11 + i % 20}" for i in range(40)])
PINS = _obj([str(1000 + (i * 7919) % 9000) for i in range(40)])
CHANNEL = _obj([f"PJSIP/{e}" for e in EXTS])
EXT_GROUP = {e: g for g, (_, members) in GROUPS.items() for e in members}


def _customers(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed pool of external numbers (repeat callers) with names for some."""
    rng = np.random.default_rng([seed, 999])
    n = 30_000
    nums = rng.integers(0, 100_000_000, n)
    prefix = rng.choice([601, 602, 603, 604, 605, 606, 607, 608, 702, 720, 731, 775, 777, 739], n)
    landline = rng.random(n) < 0.25
    area = rng.choice([2, 3, 5], n)
    numbers = np.where(landline, area * 100_000_000 + nums, prefix * 1_000_000 + nums % 1_000_000)
    numbers = _obj(["+420" + str(x) for x in numbers])
    first = ["Jana", "Petr", "Marie", "Josef", "Eva", "Pavel", "Anna", "Karel", "Lenka", "Milan"]
    last = ["Dvořák", "Nováková", "Král", "Horáková", "Pokorný", "Marková", "Urban", "Bartošová"]
    named = rng.random(n) < 0.15
    names = _obj([f"{first[a]} {last[b]}" if k else None for a, b, k in
                  zip(rng.integers(0, len(first), n), rng.integers(0, len(last), n), named)])
    return numbers, names


# --------------------------------------------------------------------------- helpers


def _choice(rng, values, probs, size):
    p = np.asarray(probs, dtype=float)
    return rng.choice(np.asarray(values, dtype=object), size=size, p=p / p.sum())


def _lognormal(rng, mean, sigma, size):
    mu = np.log(mean) - sigma**2 / 2
    return rng.lognormal(mu, sigma, size)


def _cat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if p and len(next(iter(p.values())))]
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _full(n, value):
    return np.full(n, value, dtype=object)


@dataclass
class _DayCtx:
    day: date
    rng: np.random.Generator
    hour_epoch: np.ndarray  # UTC epoch of each local hour 0..23
    weekend: bool
    cutoff: int | None  # epoch: nothing after this (today)
    last: bool = False  # the last day generated


def _hour_epochs(day: date, tz: ZoneInfo) -> np.ndarray:
    out = np.empty(24, dtype=np.int64)
    for h in range(24):
        local = datetime.combine(day, time(h), tzinfo=tz)
        out[h] = int((local.astimezone(UTC).replace(tzinfo=None) - EPOCH).total_seconds())
    return out


# --------------------------------------------------------------------------- one day


class _Day:
    """All rows of one local day, column-wise, with day-local indexes as references."""

    def __init__(self, cfg: GeneratorConfig, ctx: _DayCtx, customers, with_audio: bool, clips):
        self.cfg, self.ctx, self.rng = cfg, ctx, ctx.rng
        self.cust_num, self.cust_name = customers
        self.with_audio, self.clips = with_audio, clips
        self.tables: dict[str, dict[str, np.ndarray]] = {}

    # -- calls
    def build(self) -> dict[str, dict[str, np.ndarray]]:
        rng, ctx = self.rng, self.ctx
        wd = ctx.day.weekday()
        n = int(rng.poisson(self.cfg.calls_per_day * WEEKDAY_FACTOR[wd]))
        hour = rng.choice(24, size=n, p=HOUR_PROFILE)
        start = ctx.hour_epoch[hour] + rng.integers(0, 3600, n)
        order = np.argsort(start, kind="stable")
        hour, start = hour[order], start[order]
        if ctx.cutoff is not None:
            keep = start <= ctx.cutoff - 1800  # calls still in progress are not CDRs yet
            hour, start = hour[keep], start[keep]
            n = len(start)
        self.n, self.hour, self.start = n, hour, start
        business = (hour >= 8) & (hour < 18)
        self.staffed = ((hour >= 7) & (hour < 20)) if not ctx.weekend else ((hour >= 9) & (hour < 17))
        p_in = np.where(business, 0.56, 0.85)
        p_out = np.where(business, 0.30, 0.10)
        u = rng.random(n)
        direction = np.where(u < p_in, 0, np.where(u < p_in + p_out, 1, 2))

        # call columns (object arrays hold strings / None)
        self.c = c = {
            "direction": direction,
            "status": np.zeros(n, dtype=np.int64),
            "pre_s": np.zeros(n, dtype=np.int64),  # IVR + queue wait / ringing before talk
            "ring_s": np.zeros(n, dtype=np.int64),
            "talk_s": np.zeros(n, dtype=np.int64),
            "post_s": np.zeros(n, dtype=np.int64),  # voicemail message
            "hold_s": np.zeros(n, dtype=np.int64),
        }
        for k in ("from_number", "from_name", "to_number", "to_name", "src_trunk", "dst_trunk", "did",
                  "outbound_cid", "caller_ip", "pin", "account_code", "extension", "peer_extension",
                  "answered_by", "destination_type", "destination", "queue", "ring_group", "ivr", "transferred_to"):
            c[k] = _full(n, None)
        self.legs: list[dict] = []
        self.qcalls: list[dict] = []
        self.ivr_rows: list[dict] = []
        self.recordable = np.zeros(n, dtype=bool)

        self._outbound(np.flatnonzero(direction == 1))
        self._internal(np.flatnonzero(direction == 2))
        self._inbound(np.flatnonzero(direction == 0))
        self._finish_calls()
        self._agents()
        self._chats()
        return self.tables

    def _outbound(self, idx):
        rng, c, m = self.rng, self.c, len(idx)
        if not m:
            return
        w = np.array([0.6] * 20 + [3.0] * 12 + [0.8] * 8)
        ext = rng.choice(40, size=m, p=w / w.sum())
        known = rng.random(m) < 0.7
        to = np.where(known, self.cust_num[rng.integers(0, len(self.cust_num), m)],
                      _obj(["+420" + str(x) for x in rng.integers(200_000_000, 800_000_000, m)]))
        status = _choice(rng, [ANS, NOANS, BUSY, FAILED, CONGEST], [0.68, 0.19, 0.08, 0.04, 0.01], m).astype(np.int64)
        ring = np.where(status == ANS, rng.integers(3, 25, m),
                        np.where(status == NOANS, rng.integers(15, 45, m),
                                 np.where(status == BUSY, rng.integers(1, 4, m), 0)))
        talk = np.where(status == ANS, np.maximum(3, _lognormal(rng, 150, 0.9, m)).astype(np.int64), 0)
        sales = ext >= 20
        c["status"][idx] = status
        c["pre_s"][idx] = ring
        c["ring_s"][idx] = ring
        c["talk_s"][idx] = talk
        c["extension"][idx] = EXT_ARR[ext]
        c["from_number"][idx] = EXT_ARR[ext]
        c["from_name"][idx] = EXT_NAME_ARR[ext]
        c["to_number"][idx] = to
        c["caller_ip"][idx] = CALLER_IP[ext]
        with_pin = rng.random(m) < 0.25
        c["pin"][idx] = np.where(with_pin, PINS[ext], None)
        c["account_code"][idx] = np.where(with_pin, np.where(sales, "OBCHOD", "PODPORA"), None)
        c["outbound_cid"][idx] = np.where(sales, OUTBOUND_CIDS[0][0], DIDS[0][0])
        c["dst_trunk"][idx] = _choice(rng, [t[0] for t in TRUNKS], [0.7, 0.25, 0.05], m)
        c["destination_type"][idx] = "external"
        c["destination"][idx] = to
        self.recordable[idx] = (status == ANS) & (rng.random(m) < 0.9)
        self._leg(idx, None, to, "direct", None, 0, ring, talk, status == ANS,
                  np.where(status == BUSY, "busy", np.where(status == ANS, "answered",
                                                           np.where(status == NOANS, "no_answer", "failed"))))

    def _internal(self, idx):
        rng, c, m = self.rng, self.c, len(idx)
        if not m:
            return
        a = rng.integers(0, 40, m)
        b = (a + rng.integers(1, 40, m)) % 40
        status = _choice(rng, [ANS, NOANS, BUSY, VM], [0.78, 0.12, 0.06, 0.04], m).astype(np.int64)
        ring = np.where(status == BUSY, 1, rng.integers(2, 18, m))
        ring = np.where(np.isin(status, [NOANS, VM]), rng.integers(15, 30, m), ring)
        talk = np.where(status == ANS, np.maximum(2, _lognormal(rng, 90, 0.9, m)).astype(np.int64), 0)
        c["status"][idx] = status
        c["pre_s"][idx] = ring
        c["ring_s"][idx] = ring
        c["talk_s"][idx] = talk
        c["post_s"][idx] = np.where(status == VM, rng.integers(5, 40, m), 0)
        c["extension"][idx] = EXT_ARR[a]
        c["peer_extension"][idx] = EXT_ARR[b]
        c["answered_by"][idx] = np.where(status == ANS, EXT_ARR[b], None)
        c["from_number"][idx] = EXT_ARR[a]
        c["from_name"][idx] = EXT_NAME_ARR[a]
        c["to_number"][idx] = EXT_ARR[b]
        c["to_name"][idx] = EXT_NAME_ARR[b]
        c["caller_ip"][idx] = CALLER_IP[a]
        c["destination_type"][idx] = np.where(status == VM, "voicemail", "extension")
        c["destination"][idx] = EXT_ARR[b]
        self.recordable[idx] = (status == ANS) & (rng.random(m) < 0.4)
        self._leg(idx, EXT_ARR[b], None, "direct", None, 0, ring, talk, status == ANS,
                  np.where(status == ANS, "answered", np.where(status == BUSY, "busy", "no_answer")))

    def _inbound(self, idx):
        rng, c, m = self.rng, self.c, len(idx)
        if not m:
            return
        di = rng.choice(len(DIDS), size=m, p=np.array([d[5] for d in DIDS]) / sum(d[5] for d in DIDS))
        did = _obj([d[0] for d in DIDS])[di]
        cust = rng.integers(0, len(self.cust_num), m)
        # a few heavy repeat callers
        cust = np.where(rng.random(m) < 0.1, cust % 300, cust)
        c["from_number"][idx] = self.cust_num[cust]
        c["from_name"][idx] = self.cust_name[cust]
        c["to_number"][idx] = did
        c["did"][idx] = did
        c["src_trunk"][idx] = _obj([d[3] for d in DIDS])[di]
        route = _obj([d[4] for d in DIDS])[di]

        # IVR menus
        for ivr_no, (_, opts) in IVRS.items():
            sel = np.flatnonzero(route == f"ivr:{ivr_no}")
            if not len(sel):
                continue
            calls = idx[sel]
            c["ivr"][calls] = ivr_no
            keys = list(opts)
            probs = np.array([opts[k][1] for k in keys])
            first = _choice(rng, keys, probs, len(sel))
            t1 = rng.integers(6, 18, len(sel))  # greeting + choice
            invalid = first == "invalid"
            keys2 = [k for k in keys if k != "invalid"]
            probs2 = np.array([opts[k][1] for k in keys2])
            second = _choice(rng, keys2, probs2, len(sel))
            final = np.where(invalid, second, first)
            t2 = np.where(invalid, t1 + rng.integers(4, 10, len(sel)), t1)
            c["pre_s"][calls] += t2
            # ivr_choice rows: the first choice (unless the caller hung up), then the retry,
            # each with where it led (an invalid key: back to the menu); a caller who hung up
            # in the menu gets a row with no key ('-') leading to 'hangup' (issue 14).
            route_of = {k: (f"ivr:{ivr_no}" if k == "invalid" else v[0]) for k, v in opts.items()}
            rec1 = first != "hangup"
            self.ivr_rows.append({"call": calls[rec1], "ivr": _full(rec1.sum(), ivr_no),
                                  "at": self.start[calls[rec1]] + t1[rec1], "seq": np.zeros(rec1.sum(), np.int64),
                                  "option": first[rec1], "next": _obj([route_of[k] for k in first[rec1]])})
            rec2 = invalid & (second != "hangup")
            self.ivr_rows.append({"call": calls[rec2], "ivr": _full(rec2.sum(), ivr_no),
                                  "at": self.start[calls[rec2]] + t2[rec2], "seq": np.ones(rec2.sum(), np.int64),
                                  "option": second[rec2], "next": _obj([route_of[k] for k in second[rec2]])})
            hung = final == "hangup"
            self.ivr_rows.append({"call": calls[hung], "ivr": _full(hung.sum(), ivr_no),
                                  "at": self.start[calls[hung]] + t2[hung], "seq": np.where(invalid[hung], 1, 0),
                                  "option": _full(hung.sum(), "-"), "next": _full(hung.sum(), "hangup")})
            route[sel] = _obj([opts[k][0] for k in final])

        hang = route == "hangup"
        calls = idx[hang]
        c["status"][calls] = ABAND
        c["destination_type"][calls] = "ivr"
        c["destination"][calls] = c["ivr"][calls]

        kinds = _obj([r.split(":")[0] for r in route])
        targets = _obj([r.split(":")[-1] for r in route])
        for q in QUEUES:
            self._queue(idx[(kinds == "queue") & (targets == q)], q)
        for g in RING_GROUPS:
            self._ring_group(idx[(kinds == "ring_group") & (targets == g)], g)
        sel = kinds == "extension"
        self._direct(idx[sel], targets[sel])
        sel = kinds == "voicemail"
        self._voicemail(idx[sel], targets[sel])

    def _voicemail(self, calls, mailbox):
        c, m = self.c, len(calls)
        if not m:
            return
        c["status"][calls] = VM
        c["destination_type"][calls] = "voicemail"
        c["destination"][calls] = mailbox
        c["extension"][calls] = mailbox
        c["post_s"][calls] = self.rng.integers(5, 60, m)

    def _direct(self, calls, ext):
        rng, c, m = self.rng, self.c, len(calls)
        if not m:
            return
        staffed = self.staffed[calls]
        u = rng.random(m)
        p_ans = np.where(staffed, 0.78, 0.15)
        status = np.where(u < p_ans, ANS, np.where(u < p_ans + 0.05, BUSY, NOANS))
        ring = np.where(status == ANS, rng.integers(3, 20, m), np.where(status == BUSY, 1, 25))
        talk = np.where(status == ANS, np.maximum(3, _lognormal(rng, 140, 0.9, m)).astype(np.int64), 0)
        c["pre_s"][calls] += ring
        c["ring_s"][calls] = ring
        c["talk_s"][calls] = talk
        c["status"][calls] = status
        c["extension"][calls] = ext
        c["answered_by"][calls] = np.where(status == ANS, ext, None)
        c["to_name"][calls] = _obj([EXT_NAMES[e] for e in ext])
        c["destination_type"][calls] = "extension"
        c["destination"][calls] = ext
        self.recordable[calls] = status == ANS
        self._leg(calls, ext, None, "direct", None, c["pre_s"][calls] - ring, ring, talk, status == ANS,
                  np.where(status == ANS, "answered", np.where(status == BUSY, "busy", "no_answer")))
        to_vm = (status == NOANS) & (rng.random(m) < 0.7)
        self._voicemail(calls[to_vm], ext[to_vm])

    def _ring_group(self, calls, number):
        rng, c, m = self.rng, self.c, len(calls)
        if not m:
            return
        _, strategy, ring_time, members = RING_GROUPS[number]
        k = len(members)
        mem = _obj(members)
        answered = rng.random(m) < np.where(self.staffed[calls], 0.82, 0.1)
        offset = c["pre_s"][calls].copy()
        talk = np.where(answered, np.maximum(3, _lognormal(rng, 160, 0.8, m)).astype(np.int64), 0)
        c["ring_group"][calls] = number
        c["destination_type"][calls] = "ring_group"
        c["destination"][calls] = number
        if strategy == "ringall":
            who = rng.integers(0, k, m)
            ring = np.where(answered, rng.integers(3, 20, m), ring_time)
            rep = np.repeat(np.arange(m), k)
            pos = np.tile(np.arange(k), m)
            won = answered[rep] & (pos == who[rep])
            status = np.where(won, "answered", np.where(answered[rep], "cancelled", "no_answer"))
            self._leg(calls[rep], mem[pos], None, "ring_group", number, offset[rep], ring[rep],
                      np.where(won, talk[rep], 0), won, status, seq=pos)
        else:  # hunt: members one after another, 10 s each
            step = ring_time // k
            who = rng.integers(0, k, m)
            last_ring = rng.integers(3, step, m)
            nlegs = np.where(answered, who + 1, k)
            rep = np.repeat(np.arange(m), nlegs)
            pos = np.arange(len(rep)) - np.repeat(np.cumsum(nlegs) - nlegs, nlegs)
            won = answered[rep] & (pos == who[rep])
            lring = np.where(won, last_ring[rep], step)
            self._leg(calls[rep], mem[pos], None, "ring_group", number, offset[rep] + pos * step, lring,
                      np.where(won, talk[rep], 0), won, np.where(won, "answered", "no_answer"), seq=pos)
            ring = np.where(answered, who * step + last_ring, ring_time)
        agent = np.where(answered, mem[who], None)
        c["pre_s"][calls] += ring
        c["ring_s"][calls] = ring
        c["talk_s"][calls] = talk
        c["status"][calls] = np.where(answered, ANS, NOANS)
        c["answered_by"][calls] = agent
        c["extension"][calls] = agent
        c["to_name"][calls] = np.where(answered, _obj([EXT_NAMES.get(a) for a in agent]), None)
        self.recordable[calls] = answered
        to_vm = ~answered & (rng.random(m) < 0.5)
        self._voicemail(calls[to_vm], _full(to_vm.sum(), members[0]))

    def _queue(self, calls, number):
        rng, c, m = self.rng, self.c, len(calls)
        if not m:
            return
        _, _, _, _, members, base_wait = QUEUES[number]
        mem, k = _obj(members), len(members)
        hour = self.hour[calls]
        staffed = self.staffed[calls]
        mean_wait = base_wait * (0.4 + 1.6 * HOUR_LOAD[hour]) * (0.6 if self.ctx.weekend else 1.0)
        service = rng.exponential(mean_wait)
        patience = rng.exponential(160.0, m) + 2
        wants_cb = (rng.random(m) < 0.04) & (service > 40)
        exit_at = np.maximum(10, (rng.random(m) * np.minimum(service, patience)).astype(np.int64))
        outcome = np.where(service <= patience, Q_ANS, Q_ABAND)
        wait = np.where(outcome == Q_ANS, service, patience)
        timed_out = np.minimum(service, patience) > QUEUE_MAX_WAIT_S
        outcome = np.where(timed_out, Q_TIMEOUT, outcome)
        wait = np.where(timed_out, QUEUE_MAX_WAIT_S, wait)
        outcome = np.where(wants_cb & ~timed_out, Q_EXIT, outcome)
        wait = np.where(outcome == Q_EXIT, exit_at, wait)
        outcome = np.where(staffed, outcome, Q_NOAGENTS)
        wait = np.where(staffed, wait, rng.integers(0, 3, m)).astype(np.int64)
        enter = self.start[calls] + c["pre_s"][calls]
        answered = outcome == Q_ANS
        talk = np.where(answered, np.maximum(5, _lognormal(rng, 210, 0.8, m)).astype(np.int64), 0)
        agent_i = rng.integers(0, k, m)
        agent = np.where(answered, mem[agent_i], None)
        orig_pos = 1 + rng.poisson(mean_wait / 25.0)
        position = np.where(answered, 1, np.maximum(1, orig_pos - wait // 40))
        ring_at_agent = np.where(answered, np.minimum(wait, rng.integers(2, 9, m)), 0)
        # Blind transfers: the agent talks `agent_talk`, the colleague rings `xfer_ring` and
        # talks the rest; the call's talk time stays the caller's whole talk (as the CDR
        # importer counts it), the queue call's the agent's part (as the queue_log says).
        xr = self.xfer_rng
        xfer = answered & (talk >= 40) & (xr.random(m) < TRANSFER_SHARE) & (k > 1)
        colleague = mem[(agent_i + 1 + xr.integers(0, max(1, k - 1), m)) % k]
        agent_talk = np.where(xfer, (talk * xr.uniform(0.3, 0.6, m)).astype(np.int64), talk)
        xfer_ring = xr.integers(2, 7, m)
        target = np.where(xfer, colleague, None)

        qi = self.qcount
        self.qcount += m
        self.qcalls.append({
            "call": calls, "queue": _full(m, number), "enter": enter, "exit": enter + wait, "wait": wait,
            "outcome": QUEUE_OUTCOMES[outcome], "agent": agent, "talk": agent_talk, "position": position,
            "orig_position": orig_pos, "exit_key": np.where(outcome == Q_EXIT, "1", None),
            "caller": c["from_number"][calls], "qidx": np.arange(qi, qi + m), "transferred_to": target,
        })
        # ring-no-answer attempts while waiting
        n_att = np.where(staffed, rng.poisson(np.minimum(2.0, wait / 30.0)), 0)
        n_att = np.minimum(n_att, (wait - ring_at_agent) // 16)
        n_att = np.maximum(n_att, 0)
        rep = np.repeat(np.arange(m), n_att)
        if len(rep):
            pos = np.arange(len(rep)) - np.repeat(np.cumsum(n_att) - n_att, n_att)
            ring_ms = rng.integers(8000, 15001, len(rep))
            at = enter[rep] + pos * 16 + 1
            a_agent = mem[(agent_i[rep] + 1 + pos) % k]
            self.attempts.append({"qidx": qi + rep, "queue": _full(len(rep), number), "agent": a_agent,
                                  "at": at, "ring_ms": ring_ms,
                                  "result": _full(len(rep), "ring_no_answer")})
            self._leg(calls[rep], a_agent, None, "queue", number, c["pre_s"][calls][rep] + pos * 16 + 1,
                      ring_ms // 1000, np.zeros(len(rep), np.int64), np.zeros(len(rep), bool),
                      _full(len(rep), "no_answer"), seq=pos)
        sel = np.flatnonzero(answered)
        if len(sel):
            self._leg(calls[sel], agent[sel], None, "queue", number,
                      c["pre_s"][calls][sel] + wait[sel] - ring_at_agent[sel], ring_at_agent[sel], agent_talk[sel],
                      np.ones(len(sel), bool), _full(len(sel), "answered"), seq=n_att[sel])
        sel = np.flatnonzero(xfer)
        if len(sel):
            self._leg(calls[sel], colleague[sel], None, "transfer", colleague[sel],
                      c["pre_s"][calls][sel] + wait[sel] + agent_talk[sel], xfer_ring[sel],
                      talk[sel] - agent_talk[sel] - xfer_ring[sel], np.ones(len(sel), bool),
                      _full(len(sel), "answered"), seq=n_att[sel] + 1)
        c["queue"][calls] = number
        c["transferred_to"][calls] = target
        c["destination_type"][calls] = "queue"
        c["destination"][calls] = number
        c["pre_s"][calls] += wait
        c["ring_s"][calls] = wait
        c["talk_s"][calls] = talk
        c["answered_by"][calls] = agent
        c["extension"][calls] = agent
        c["to_name"][calls] = np.where(answered, _obj([EXT_NAMES.get(a) for a in agent]), None)
        status = np.where(answered, ANS, np.where((outcome == Q_ABAND) | (outcome == Q_EXIT), ABAND, NOANS))
        c["status"][calls] = status
        self.recordable[calls] = answered & (rng.random(m) < 0.95)
        to_vm = np.isin(outcome, [Q_TIMEOUT, Q_NOAGENTS]) & (rng.random(m) < 0.6)
        self._voicemail(calls[to_vm], _full(to_vm.sum(), members[0]))
        # surveys after answered calls, callbacks after exit_key
        sv = answered & (rng.random(m) < 0.3)
        points = _choice(rng, [5, 4, 3, 2, 1], [0.5, 0.25, 0.12, 0.06, 0.07], sv.sum()).astype(np.int64)
        self.surveys.append({"call": calls[sv], "queue": _full(sv.sum(), number), "agent": agent[sv],
                             "at": self.start[calls[sv]] + c["pre_s"][calls][sv] + talk[sv] + 3,
                             "key": _obj([str(p) for p in points]), "points": points})
        cb = outcome == Q_EXIT
        nb = int(cb.sum())
        if nb:
            req = enter[cb] + wait[cb]
            st = _choice(rng, ["completed", "failed", "requested"], [0.75, 0.12, 0.13], nb)
            delay = rng.integers(120, 3600, nb)
            att = np.where(st == "requested", NULL_T, req + delay)
            done = np.where(st == "completed", att + rng.integers(20, 400, nb), NULL_T)
            self.callbacks.append({
                "call": calls[cb], "queue": _full(nb, number), "number": c["from_number"][calls[cb]],
                "requested": req, "attempted": att, "completed": done, "status": st,
                "attempts": np.where(st == "requested", 0, np.where(st == "failed", 3, rng.integers(1, 3, nb))),
                "agent": np.where(st == "requested", None, mem[rng.integers(0, k, nb)]),
            })

    def _leg(self, calls, ext, number, via_type, via, offset, ring, talk, answered, status, seq=None):
        m = len(calls)
        if not m:
            return
        start = self.start[calls] + offset
        self.legs.append({
            "call": calls, "seq": np.zeros(m, np.int64) if seq is None else np.asarray(seq, np.int64),
            "extension": ext if isinstance(ext, np.ndarray) else _full(m, ext),
            "number": number if isinstance(number, np.ndarray) else _full(m, number),
            "via_type": _full(m, via_type), "via": _full(m, via),
            "start": start, "answer": np.where(answered, start + ring, NULL_T), "end": start + ring + talk,
            "ring": np.asarray(ring, np.int64), "talk": np.asarray(talk, np.int64),
            "status": np.asarray(status, dtype=object),
        })

    # -- assemble the call rows
    def _finish_calls(self):
        rng, c, n = self.rng, self.c, self.n
        status = c["status"]
        duration = c["pre_s"] + c["talk_s"] + c["post_s"]
        answered = status == ANS
        hold = np.where(answered & (c["talk_s"] > 60) & (rng.random(n) < 0.2),
                        np.minimum(c["talk_s"] // 3, rng.integers(5, 90, n)), 0)
        hangup_by = np.where(answered, np.where(rng.random(n) < 0.5, "caller", "callee"),
                             np.where(status == BUSY, "callee",
                                      np.where(np.isin(status, [FAILED, CONGEST]), "system",
                                               np.where((status == NOANS) & (rng.random(n) < 0.4), "system",
                                                        "caller"))))
        # A queue call's answering party is an agent: 'agent', as the queue_log import writes
        # for COMPLETEAGENT (same random draw, so the rest of the day is unchanged).
        in_queue = np.array([q is not None for q in c["queue"]], dtype=bool)
        hangup_by = np.where(answered & in_queue & (hangup_by == "callee"), "agent", hangup_by)
        cause = HANGUP_CAUSE[status]
        cause = np.where((status == NOANS) & (hangup_by == "system"), "NO_ANSWER", cause)
        cause = np.where((status == FAILED) & (rng.random(n) < 0.3), "UNALLOCATED_NUMBER", cause)
        has_rec = self.recordable & answered & (c["talk_s"] >= 3) & self.with_audio
        t = {
            "seqno": np.arange(n),
            "start": self.start,
            "answer": np.where(answered, self.start + c["pre_s"], NULL_T),
            "end": self.start + duration,
            "direction": DIRS[c["direction"]],
            "status": STATUS[status],
            "duration_s": duration, "ring_s": c["ring_s"], "talk_s": c["talk_s"], "hold_s": hold,
            "hangup_by": hangup_by.astype(object), "hangup_cause": cause,
            "has_recording": has_rec,
        }
        for k in ("from_number", "from_name", "to_number", "to_name", "src_trunk", "dst_trunk", "did",
                  "outbound_cid", "caller_ip", "pin", "account_code", "extension", "peer_extension",
                  "answered_by", "destination_type", "destination", "queue", "ring_group", "ivr", "transferred_to"):
            t[k] = c[k]
        self.tables["call"] = t
        self.tables["call_leg"] = _cat(self.legs)
        self.tables["ivr_choice"] = _cat(self.ivr_rows)
        qc = _cat(self.qcalls)
        if qc:
            order = np.argsort(qc["qidx"])
            qc = {k: v[order] for k, v in qc.items()}
        self.tables["queue_call"] = qc
        self.tables["queue_attempt"] = _cat(self.attempts)
        self.tables["survey_answer"] = _cat(self.surveys)
        self.tables["callback"] = _cat(self.callbacks)
        rec = np.flatnonzero(has_rec)
        if len(rec):
            clip = rng.integers(0, len(self.clips), len(rec)) if self.clips else np.zeros(len(rec), np.int64)
            self.tables["recording"] = {"call": rec, "clip": clip, "created": t["end"][rec] + 2}

    # -- agents
    def _agents(self):
        rng, ctx = self.rng, self.ctx
        sess, pauses = [], []
        day_start = int(ctx.hour_epoch[0])
        for i, agent in enumerate(AGENTS):
            late = agent in ("118", "119", "130", "131")
            if ctx.weekend:
                works = i in (0, 1, 2, 20) and rng.random() < 0.9
            else:
                works = rng.random() < 0.92
            if not works:
                continue
            if ctx.weekend:
                login = day_start + 9 * 3600 - int(rng.integers(0, 900))
                logout = login + 8 * 3600 + int(rng.integers(0, 1800))
            elif late:
                login = day_start + 15 * 3600 + int(rng.integers(-900, 900))
                # late shift: sometimes past midnight
                logout = login + 9 * 3600 + int(rng.integers(0, 5400))
            else:
                login = day_start + int(rng.normal(7.75, 0.4) * 3600)
                logout = login + int(rng.normal(8.6, 0.4) * 3600)
            sess.append((agent, login, logout, "logoff" if rng.random() < 0.9 else "timeout"))
            # pauses: lunch, breaks, sometimes training / meeting
            t_lunch = login + int(rng.uniform(3.5, 5.0) * 3600)
            pauses.append((agent, t_lunch, t_lunch + int(rng.integers(20, 40)) * 60, "Lunch"))
            for _ in range(int(rng.integers(1, 4))):
                t0 = login + int(rng.uniform(0.5, 7.5) * 3600)
                pauses.append((agent, t0, t0 + int(rng.integers(4, 16)) * 60, "Break"))
            if rng.random() < 0.12:
                t0 = login + int(rng.uniform(1, 6) * 3600)
                reason = "Training" if rng.random() < 0.5 else "Meeting"
                pauses.append((agent, t0, t0 + int(rng.integers(30, 61)) * 60, reason))
        pauses = [p for p in pauses if any(a == p[0] and lo <= p[1] and p[2] <= hi for a, lo, hi, _ in sess)]
        if ctx.cutoff is not None:
            now = ctx.cutoff
            sess = [(a, lo, None if hi > now else hi, None if hi > now else r) for a, lo, hi, r in sess if lo <= now]
            if not any(hi is None for _, _, hi, _ in sess):
                sess.append((AGENTS[0], now - 2 * 3600, None, None))
            pauses = [(a, t0, None if t1 > now else t1, r) for a, t0, t1, r in pauses if t0 <= now]
        elif ctx.last and sess:
            # the last day of a past range: the last agent to log in is still logged in
            j = max(range(len(sess)), key=lambda k: sess[k][1])
            sess[j] = (sess[j][0], sess[j][1], None, None)
        self.tables["agent_session"] = {
            "agent": _obj([x[0] for x in sess]), "login": np.array([x[1] for x in sess], np.int64),
            "logout": np.array([NULL_T if x[2] is None else x[2] for x in sess], np.int64),
            "reason": _obj([x[3] for x in sess]),
        } if sess else {}
        self.tables["agent_pause"] = {
            "agent": _obj([x[0] for x in pauses]), "start": np.array([x[1] for x in pauses], np.int64),
            "end": np.array([NULL_T if x[2] is None else x[2] for x in pauses], np.int64),
            "reason": _obj([x[3] for x in pauses]),
        } if pauses else {}

    # -- chats
    def _chats(self):
        rng, ctx = self.rng, self.ctx
        n = int(rng.poisson(min(self.cfg.calls_per_day / 40, 100) * WEEKDAY_FACTOR[ctx.day.weekday()]))
        sessions, messages, events = [], [], []
        support = AGENTS[:20]
        for j in range(n):
            wa = rng.random() < 0.6
            channel, ours = ("whatsapp", WHATSAPP_NUMBER) if wa else ("sms", SMS_NUMBER)
            ext_no = self.cust_num[int(rng.integers(0, len(self.cust_num)))]
            h = int(rng.choice(24, p=HOUR_PROFILE))
            created = int(ctx.hour_epoch[h] + rng.integers(0, 3600))
            if ctx.cutoff is not None and created > ctx.cutoff - 600:
                continue
            agent = support[int(rng.integers(0, len(support)))]
            inbound_start = rng.random() < 0.85
            t = created
            msgs = []
            for k in range(int(rng.integers(2, 13))):
                incoming = (k % 2 == 0) == inbound_start
                body = (CHAT_IN if incoming else CHAT_OUT)[int(rng.integers(0, 7))]
                msgs.append((t, "in" if incoming else "out", ext_no if incoming else agent, body))
                t += int(rng.integers(10, 400))
            last = msgs[-1][0]
            open_ = rng.random() < (0.5 if ctx.cutoff is not None else 0.03)
            closed = None if open_ else last + int(rng.integers(60, 1800))
            if ctx.cutoff is not None and closed is not None and closed > ctx.cutoff:
                closed = None
            ev = [(created, "created", None), (created + int(rng.integers(5, 120)), "assigned", agent)]
            if rng.random() < 0.1:
                other = support[int(rng.integers(0, len(support)))]
                ev.append((ev[-1][0] + int(rng.integers(60, 600)), "transferred", other))
            if closed is not None:
                ev.append((closed, "closed", ev[-1][2] or agent))
            uid = f"{channel[:2].upper()}-{ctx.day:%Y%m%d}-{j:05d}"
            sessions.append((uid, channel, ours, ext_no, ext_no if inbound_start else agent,
                             agent if inbound_start else ext_no, agent, created, last, closed,
                             "open" if closed is None else "closed", len(msgs)))
            messages.extend((len(sessions) - 1, *msg) for msg in msgs)
            events.extend((len(sessions) - 1, *e) for e in ev)
        if not sessions:
            return
        cols = ["uid", "channel", "ours", "external", "sender", "recipient", "agent", "created", "last",
                "closed", "status", "count"]
        cs = {k: _obj([x[i] for x in sessions]) for i, k in enumerate(cols)}
        for k in ("created", "last", "count"):
            cs[k] = cs[k].astype(np.int64)
        cs["closed"] = np.array([NULL_T if x is None else x for x in cs["closed"]], np.int64)
        self.tables["chat_session"] = cs
        self.tables["chat_message"] = {
            "session": np.array([m[0] for m in messages], np.int64), "sent": np.array([m[1] for m in messages], np.int64),
            "direction": _obj([m[2] for m in messages]), "sender": _obj([m[3] for m in messages]),
            "body": _obj([m[4] for m in messages]),
        }
        self.tables["chat_event"] = {
            "session": np.array([e[0] for e in events], np.int64), "at": np.array([e[1] for e in events], np.int64),
            "event": _obj([e[2] for e in events]), "agent": _obj([e[3] for e in events]),
        }

    # initialised lazily by _queue
    xfer_rng: np.random.Generator
    attempts: list
    surveys: list
    callbacks: list


def _new_day(cfg, ctx, customers, clips) -> _Day:
    d = _Day(cfg, ctx, customers, cfg.with_audio, clips)
    d.attempts, d.surveys, d.callbacks, d.qcount = [], [], [], 0
    # Transfers draw from their own stream: the day's other random draws (who calls when,
    # waits, outcomes) are the same as before transfers were generated.
    d.xfer_rng = np.random.default_rng([cfg.seed, ctx.day.toordinal(), 7])
    return d


# --------------------------------------------------------------------------- rows with ids


_TABLES = ["call", "call_leg", "queue_call", "queue_attempt", "ivr_choice", "callback", "survey_answer",
           "recording", "agent_session", "agent_pause", "chat_session", "chat_message", "chat_event"]


class _Ids:
    def __init__(self, conn):
        self.next = {}
        for name in _TABLES:
            t = s.metadata.tables[name]
            self.next[name] = (conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1

    def take(self, name: str, n: int) -> np.ndarray:
        first = self.next[name]
        self.next[name] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def _uid(start: np.ndarray, seqno: np.ndarray) -> np.ndarray:
    return (pd.Series(start).astype(str) + "." + pd.Series(seqno).astype(str)).to_numpy(dtype=object)


def _rows_for_day(day_tables, ids: _Ids, rec_ctx) -> dict[str, dict[str, np.ndarray]]:
    """Day-local rows -> table rows with global ids and foreign keys."""
    out: dict[str, dict[str, np.ndarray]] = {}
    c = day_tables["call"]
    n = len(c["start"])
    call_id = ids.take("call", n)
    uid = _uid(c["start"], c["seqno"])
    out["call"] = {
        "id": call_id, "source_id": np.full(n, SOURCE_ID, np.int64), "call_uid": uid,
        "start_utc": c["start"], "answer_utc": c["answer"], "end_utc": c["end"],
        **{k: c[k] for k in ("from_number", "from_name", "to_number", "to_name", "direction", "status",
                             "duration_s", "ring_s", "talk_s", "hold_s", "hangup_by", "hangup_cause",
                             "src_trunk", "dst_trunk", "did", "outbound_cid", "caller_ip", "pin",
                             "account_code", "extension", "peer_extension", "answered_by",
                             "destination_type", "destination", "queue", "ring_group", "ivr",
                             "transferred_to", "has_recording")},
    }
    legs = day_tables.get("call_leg")
    if legs:
        order = np.lexsort((legs["seq"], legs["start"], legs["call"]))
        legs = {k: v[order] for k, v in legs.items()}
        # renumber seq 0..k-1 within each call in time order
        call = legs["call"]
        first = np.r_[True, call[1:] != call[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(len(call)), 0))
        seq = np.arange(len(call)) - grp_start
        m = len(call)
        direction, leg_ext = c["direction"][call], legs["extension"]
        caller = pd.Series(c["from_number"][call])
        chan = np.where(direction == "inbound", ("PJSIP/" + pd.Series(c["src_trunk"][call])).to_numpy(object),
                        ("PJSIP/" + caller).to_numpy(object))
        dst = np.where(leg_ext == None, ("PJSIP/" + pd.Series(c["dst_trunk"][call])).to_numpy(object),  # noqa: E711
                       ("PJSIP/" + pd.Series(leg_ext)).to_numpy(object))
        out["call_leg"] = {
            "id": ids.take("call_leg", m), "call_id": call_id[call], "seq": seq,
            "extension": leg_ext, "number": legs["number"], "via_type": legs["via_type"],
            "via": legs["via"], "start_utc": legs["start"], "answer_utc": legs["answer"], "end_utc": legs["end"],
            "ring_s": legs["ring"], "talk_s": legs["talk"], "status": legs["status"],
            "channel": chan, "dst_channel": dst,
            "uniqueid": (pd.Series(uid[call]) + "-" + pd.Series(seq).astype(str)).to_numpy(dtype=object),
        }
    qc = day_tables.get("queue_call")
    qc_id = None
    if qc:
        m = len(qc["call"])
        qc_id = ids.take("queue_call", m)
        out["queue_call"] = {
            "id": qc_id, "source_id": np.full(m, SOURCE_ID, np.int64), "call_id": call_id[qc["call"]],
            "call_uid": uid[qc["call"]], "queue": qc["queue"], "enter_utc": qc["enter"], "exit_utc": qc["exit"],
            "wait_s": qc["wait"], "outcome": qc["outcome"], "agent": qc["agent"], "talk_s": qc["talk"],
            "position": qc["position"], "orig_position": qc["orig_position"], "exit_key": qc["exit_key"],
            "caller_number": qc["caller"], "transferred_to": qc["transferred_to"],
        }
    qa = day_tables.get("queue_attempt")
    if qa:
        m = len(qa["qidx"])
        out["queue_attempt"] = {
            "id": ids.take("queue_attempt", m), "queue_call_id": qc_id[qa["qidx"]], "queue": qa["queue"],
            "agent": qa["agent"], "at_utc": qa["at"], "ring_ms": qa["ring_ms"], "result": qa["result"],
        }
    iv = day_tables.get("ivr_choice")
    if iv:
        m = len(iv["call"])
        out["ivr_choice"] = {"id": ids.take("ivr_choice", m), "call_id": call_id[iv["call"]], "ivr": iv["ivr"],
                             "at_utc": iv["at"], "seq": iv["seq"], "option": iv["option"], "next_dest": iv["next"]}
    cb = day_tables.get("callback")
    if cb:
        m = len(cb["call"])
        out["callback"] = {
            "id": ids.take("callback", m), "source_id": np.full(m, SOURCE_ID, np.int64),
            "call_id": call_id[cb["call"]], "queue": cb["queue"], "number": cb["number"],
            "requested_utc": cb["requested"], "attempted_utc": cb["attempted"], "completed_utc": cb["completed"],
            "status": cb["status"], "attempts": cb["attempts"].astype(np.int64), "agent": cb["agent"],
            "result_call_id": _full(m, None),
        }
    sv = day_tables.get("survey_answer")
    if sv:
        m = len(sv["call"])
        out["survey_answer"] = {"id": ids.take("survey_answer", m), "call_id": call_id[sv["call"]],
                                "queue": sv["queue"], "agent": sv["agent"], "at_utc": sv["at"],
                                "score_key": sv["key"], "points": sv["points"]}
    rec = day_tables.get("recording")
    if rec:
        m = len(rec["call"])
        clips = rec_ctx["clips"]
        rel = _obj([f"{rec_ctx['day_dir']}/{u}.wav" for u in uid[rec["call"]]])
        out["recording"] = {
            "id": ids.take("recording", m), "call_id": call_id[rec["call"]], "path": rel,
            "format": _full(m, "wav"),
            "size_bytes": np.array([clips[i].size_bytes for i in rec["clip"]], np.int64),
            "duration_s": np.array([clips[i].duration_s for i in rec["clip"]], np.int64),
            "created_utc": rec["created"],
        }
        out["_files"] = {"path": rel, "clip": rec["clip"]}
    a = day_tables.get("agent_session")
    if a:
        m = len(a["agent"])
        out["agent_session"] = {"id": ids.take("agent_session", m), "source_id": np.full(m, SOURCE_ID, np.int64),
                                "agent": a["agent"], "queue": _full(m, None), "login_utc": a["login"],
                                "logout_utc": a["logout"], "logout_reason": a["reason"]}
    p = day_tables.get("agent_pause")
    if p:
        m = len(p["agent"])
        out["agent_pause"] = {"id": ids.take("agent_pause", m), "source_id": np.full(m, SOURCE_ID, np.int64),
                              "agent": p["agent"], "queue": _full(m, None), "start_utc": p["start"],
                              "end_utc": p["end"], "reason": p["reason"]}
    cs = day_tables.get("chat_session")
    if cs:
        m = len(cs["uid"])
        sid = ids.take("chat_session", m)
        out["chat_session"] = {
            "id": sid, "source_id": np.full(m, SOURCE_ID, np.int64), "session_uid": cs["uid"],
            "channel_type": cs["channel"], "channel_number": cs["ours"], "external_number": cs["external"],
            "sender": cs["sender"], "recipient": cs["recipient"], "agent": cs["agent"],
            "created_utc": cs["created"], "last_active_utc": cs["last"], "closed_utc": cs["closed"],
            "status": cs["status"], "message_count": cs["count"],
        }
        cm, ce = day_tables["chat_message"], day_tables["chat_event"]
        out["chat_message"] = {"id": ids.take("chat_message", len(cm["session"])), "session_id": sid[cm["session"]],
                               "sent_utc": cm["sent"], "direction": cm["direction"], "sender": cm["sender"],
                               "body": cm["body"]}
        out["chat_event"] = {"id": ids.take("chat_event", len(ce["session"])), "session_id": sid[ce["session"]],
                             "at_utc": ce["at"], "event": ce["event"], "agent": ce["agent"]}
    return out


# --------------------------------------------------------------------------- writers


def _is_time(col: str) -> bool:
    return col.endswith("_utc")


def _time_strings(values: np.ndarray, sqlite: bool) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    if sqlite:
        text = np.char.add(np.char.replace(text, "T", " "), ".000000")
    out = text.astype(object)
    out[values == NULL_T] = None
    return out


_SMALL_INTS = np.array([str(i) for i in range(20_000)], dtype=object)


def _csv_column(name: str, values: np.ndarray) -> list[str]:
    """One column as CSV fields: '' (unquoted) is NULL; text with separators is quoted."""
    if _is_time(name):
        text = np.datetime_as_string(np.asarray(values, np.int64).astype("datetime64[s]"), unit="s")
        out = text.tolist()
        if (values == NULL_T).any():
            for i in np.flatnonzero(values == NULL_T).tolist():
                out[i] = ""
        return out
    if values.dtype == bool:
        return np.where(values, "t", "f").tolist()
    if values.dtype != object:
        if len(values) and 0 <= values.min() and values.max() < len(_SMALL_INTS):
            return _SMALL_INTS[values].tolist()  # lookup beats int -> str conversion
        return values.astype(str).tolist()
    out = ["" if x is None else str(x) for x in values.tolist()]
    joined = "\x00".join(out)
    if "," in joined or '"' in joined or "\n" in joined or "\r" in joined or "\\" in joined:
        out = ["" if x is None else '"' + str(x).replace('"', '""') + '"' for x in values.tolist()]
    elif "" in out and any(x == "" for x in values.tolist()):  # a real empty string, not NULL
        out = ['""' if x == "" else y for x, y in zip(values.tolist(), out)]
    return out


def _csv_bytes(cols: dict[str, np.ndarray]) -> bytes:
    fields = [_csv_column(k, v) for k, v in cols.items()]
    return ("\n".join(map(",".join, zip(*fields))) + "\n").encode()


class _PgWriter:
    """COPY ... FROM STDIN (CSV) on a writer thread, so PostgreSQL ingests one chunk while
    the next one is generated. Only the writer thread touches the connection until
    ``close()``."""

    def __init__(self, conn: sa.Connection):
        import queue
        import threading

        self.raw = conn.connection.driver_connection
        self.queue: queue.Queue = queue.Queue(maxsize=6)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain
            table, names, data = item
            try:
                with self.raw.cursor() as cur:
                    with cur.copy(f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv)') as copy:
                        for i in range(0, len(data), 1 << 20):
                            copy.write(data[i : i + (1 << 20)])
            except BaseException as exc:  # noqa: BLE001 - re-raised in close()
                self.error = exc

    def write(self, table: str, cols: dict[str, np.ndarray]) -> None:
        if self.error is not None:
            self.close()
        data = _csv_bytes(cols)
        names = ", ".join(f'"{k}"' for k in cols)
        self.queue.put((table, names, data))

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


class _SqliteWriter:
    def __init__(self, conn: sa.Connection):
        self.raw = conn.connection.driver_connection

    def close(self) -> None:
        pass

    def write(self, table: str, cols: dict[str, np.ndarray]) -> None:
        lists = []
        for k, v in cols.items():
            if _is_time(k):
                v = _time_strings(v, True)
            lists.append(v.tolist())
        names = ", ".join(f'"{k}"' for k in cols)
        marks = ", ".join("?" for _ in cols)
        cur = self.raw.cursor()
        cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(zip(*lists)))
        cur.close()


# --------------------------------------------------------------------------- dimensions


def _ensure_dimensions(conn: sa.Connection) -> None:
    def have(table, *where):
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar() > 0

    if not have(s.source, s.source.c.id == SOURCE_ID):
        conn.execute(s.source.insert().values(id=SOURCE_ID, name="main", description="Demo PBX"))
    existing = {r[0] for r in conn.execute(sa.select(s.extension.c.number).where(s.extension.c.source_id == SOURCE_ID))}
    rows = [{"source_id": SOURCE_ID, "number": e, "name": EXT_NAMES[e],
             "email": _email(EXT_NAMES[e]), "is_agent": e in AGENTS} for e in EXTS if e not in existing]
    if rows:
        conn.execute(s.extension.insert(), rows)
    for name, (desc, members) in GROUPS.items():
        gid = conn.execute(sa.select(s.extension_group.c.id).where(s.extension_group.c.name == name)).scalar()
        if gid is None:
            gid = conn.execute(s.extension_group.insert().values(name=name, description=desc)).inserted_primary_key[0]
            conn.execute(s.extension_group_member.insert(), [{"group_id": gid, "extension": e} for e in members])
    for name, kind, desc in TRUNKS:
        if not have(s.trunk, s.trunk.c.source_id == SOURCE_ID, s.trunk.c.name == name):
            conn.execute(s.trunk.insert().values(source_id=SOURCE_ID, name=name, kind=kind, description=desc))
    for number, kind, name, trunk, dest, _ in DIDS + OUTBOUND_CIDS:
        if not have(s.phone_number, s.phone_number.c.source_id == SOURCE_ID, s.phone_number.c.number == number):
            conn.execute(s.phone_number.insert().values(source_id=SOURCE_ID, number=number, kind=kind, name=name,
                                                        trunk=trunk, destination=dest))
    for number, (name, strategy, sl, short, members, _) in QUEUES.items():
        if not have(s.queue, s.queue.c.source_id == SOURCE_ID, s.queue.c.number == number):
            qid = conn.execute(s.queue.insert().values(
                source_id=SOURCE_ID, number=number, name=name, strategy=strategy, sl_target_s=sl,
                short_abandon_s=short)).inserted_primary_key[0]
            conn.execute(s.queue_member.insert(), [
                {"queue_id": qid, "extension": e, "penalty": 0 if i < len(members) * 2 // 3 else 1}
                for i, e in enumerate(members)])
    for number, (name, strategy, ring_time, members) in RING_GROUPS.items():
        if not have(s.ring_group, s.ring_group.c.source_id == SOURCE_ID, s.ring_group.c.number == number):
            gid = conn.execute(s.ring_group.insert().values(
                source_id=SOURCE_ID, number=number, name=name, strategy=strategy,
                ring_time_s=ring_time)).inserted_primary_key[0]
            conn.execute(s.ring_group_member.insert(), [
                {"ring_group_id": gid, "extension": e, "position": i} for i, e in enumerate(members)])
    for number, (name, opts) in IVRS.items():
        if not have(s.ivr_menu, s.ivr_menu.c.source_id == SOURCE_ID, s.ivr_menu.c.number == number):
            options = {k: v[0] for k, v in opts.items() if k not in ("hangup",) and v[0]}
            options["invalid"] = "repeat"
            conn.execute(s.ivr_menu.insert().values(source_id=SOURCE_ID, number=number, name=name, options=options))


def _email(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    first, last = ascii_name.split()
    return f"{first}.{last}@example.cz"


# --------------------------------------------------------------------------- clearing a range


def _clear_range(conn: sa.Connection, lo: datetime, hi: datetime, recordings_dir: Path) -> None:
    """Delete the facts of source 1 in [lo, hi) (and their recording files)."""
    c, r = s.call, s.recording
    in_range = sa.and_(c.c.source_id == SOURCE_ID, c.c.start_utc >= lo, c.c.start_utc < hi)
    if conn.execute(sa.select(c.c.id).where(in_range).limit(1)).first() is not None:
        for (path,) in conn.execute(sa.select(r.c.path).select_from(r.join(c, r.c.call_id == c.c.id)).where(in_range)):
            try:
                (recordings_dir / path).unlink()
            except OSError:
                pass
        conn.execute(s.callback.delete().where(s.callback.c.source_id == SOURCE_ID,
                                               s.callback.c.requested_utc >= lo, s.callback.c.requested_utc < hi))
        conn.execute(c.delete().where(in_range))
    qc = s.queue_call
    conn.execute(qc.delete().where(qc.c.source_id == SOURCE_ID, qc.c.enter_utc >= lo, qc.c.enter_utc < hi))
    for t, col in ((s.agent_session, "login_utc"), (s.agent_pause, "start_utc"), (s.chat_session, "created_utc")):
        conn.execute(t.delete().where(t.c.source_id == SOURCE_ID, t.c[col] >= lo, t.c[col] < hi))


# --------------------------------------------------------------------------- bulk-load helpers (PostgreSQL)


# Indexes whose keys arrive in random order (phone numbers). All other indexes of the fact
# tables grow at one or a few "right edges" in our insert order (ids, times per queue /
# extension / IVR), which PostgreSQL maintains cheaply during COPY.
_RANDOM_KEY_INDEXES = {"ix_call_from_number", "ix_call_to_number"}
_KEEP_APPEND_INDEXES = True


def _drop_secondary(conn: sa.Connection, tables: list[str]) -> list[str]:
    """Drop foreign keys, unique constraints and plain indexes of ``tables`` (not primary
    keys); return the statements that restore them, in a valid order. Building an index
    or validating a foreign key once over the loaded table is much cheaper than
    maintaining it row by row during COPY. All of it runs inside the load's transaction."""
    fks, uniques, indexes = [], [], []
    for table in tables:
        for name, kind, definition in conn.exec_driver_sql(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %(t)s::regclass AND contype IN ('f', 'u')", {"t": f'"{table}"'}
        ):
            target = fks if kind == "f" else uniques
            target.append((table, name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
        for name, definition in conn.exec_driver_sql(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %(t)s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            {"t": f'"{table}"'},
        ):
            indexes.append((table, name, definition))
    if _KEEP_APPEND_INDEXES:
        uniques = []
        indexes = [i for i in indexes if i[1] in _RANDOM_KEY_INDEXES]
    for table, name, _ in fks + uniques:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [d for _, _, d in uniques] + [d for _, _, d in indexes] + [d for _, _, d in fks]


# --------------------------------------------------------------------------- generate

_BIG_TABLES = ["call", "call_leg", "queue_call", "queue_attempt", "ivr_choice", "survey_answer", "recording"]
_DROP_INDEXES_ABOVE = 300_000  # expected calls (and at least half the existing ones); PostgreSQL only


def generate(cfg: GeneratorConfig, url: str | None = None, progress: bool = True) -> GeneratorStats:
    """Generate ``cfg.days`` local days ending ``cfg.end_day`` into the database at ``url``
    (default: CALLBOARD_DATABASE_URL), in one transaction, aggregates included."""
    t0 = _time.monotonic()
    settings = get_settings()
    tz = settings.tz
    engine = get_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    today = datetime.now(tz).date()
    end_day = cfg.end_day or today
    first_day = end_day - timedelta(days=cfg.days - 1)
    cutoff = int((datetime.now(UTC).replace(tzinfo=None) - EPOCH).total_seconds()) if end_day >= today else None
    recordings_dir = Path(settings.recordings_dir)
    stats = GeneratorStats(days=cfg.days, first_day=first_day, last_day=end_day, backend=engine.dialect.name)
    stats.rows = {name: 0 for name in _TABLES}
    if cfg.days <= 0:
        return stats

    clips = audio.ensure_pool(recordings_dir) if cfg.with_audio else []
    customers = _customers(cfg.seed)
    expected_calls = cfg.days * cfg.calls_per_day * 0.76
    chunk_calls = 250_000 if not sqlite else 50_000
    lo_utc = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    hi_utc = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.days, unit="day", desc="generate", dynamic_ncols=True)

    with engine.begin() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        _ensure_dimensions(conn)
        _clear_range(conn, lo_utc, hi_utc, recordings_dir)
        big = False
        if not sqlite and expected_calls > _DROP_INDEXES_ABOVE:
            existing = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = '\"call\"'::regclass").scalar()
            big = expected_calls > max(existing or 0, 0) / 2
        restore = _drop_secondary(conn, _BIG_TABLES) if big else []
        ids = _Ids(conn)
        writer = _SqliteWriter(conn) if sqlite else _PgWriter(conn)
        buffer: dict[str, list] = {}
        buffered = 0
        made_dirs: set[Path] = set()

        def flush() -> None:
            for name in _TABLES:
                cols = _cat(buffer.get(name, []))
                if cols:
                    writer.write(name, cols)
                    stats.rows[name] += len(cols["id"])
            buffer.clear()

        try:
            for i in range(cfg.days):
                day = first_day + timedelta(days=i)
                if cutoff is not None and day > today:
                    break
                ctx = _DayCtx(day=day, rng=np.random.default_rng([cfg.seed, day.toordinal()]),
                              hour_epoch=_hour_epochs(day, tz), weekend=day.weekday() >= 5,
                              cutoff=cutoff if day == today else None, last=i == cfg.days - 1)
                tables = _new_day(cfg, ctx, customers, clips).build()
                day_dir = f"{day:%Y/%m/%d}"
                rows = _rows_for_day(tables, ids, {"clips": clips, "day_dir": day_dir})
                files = rows.pop("_files", None)
                if files is not None:
                    target_dir = recordings_dir / day_dir
                    if target_dir not in made_dirs:
                        target_dir.mkdir(parents=True, exist_ok=True)
                        made_dirs.add(target_dir)
                    for path, clip in zip(files["path"], files["clip"]):
                        audio.place(clips[clip], recordings_dir / path)
                    stats.recording_files += len(files["path"])
                for name, cols in rows.items():
                    buffer.setdefault(name, []).append(cols)
                buffered += len(rows["call"]["id"])
                if buffered >= chunk_calls:
                    flush()
                    buffered = 0
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(calls=f"{stats.rows['call'] + buffered:,}")
            flush()
        finally:
            try:
                writer.close()  # waits for the last COPY; raises its error, if any
            except Exception:
                if sys.exc_info()[0] is None:
                    raise
        stats.phases["load"] = _time.monotonic() - t0
        if bar is not None:
            bar.set_description("indexes + aggregates")
        if restore:
            t1 = _time.monotonic()
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for statement in restore:
                conn.exec_driver_sql(statement)
            stats.phases["indexes+constraints"] = _time.monotonic() - t1
        t1 = _time.monotonic()
        if not sqlite:
            for name in _TABLES + ["source"]:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"
                )
        aggregates.refresh(conn, lo_utc, hi_utc)
        stats.phases["aggregates"] = _time.monotonic() - t1
        if big:
            t1 = _time.monotonic()
            for name in _BIG_TABLES + ["agg_call_hour", "agg_queue_hour"]:
                conn.exec_driver_sql(f'ANALYZE "{name}"')
            stats.phases["analyze"] = _time.monotonic() - t1
        t1 = _time.monotonic()
    stats.phases["commit"] = _time.monotonic() - t1
    if bar is not None:
        bar.close()
    stats.audio_bytes = sum(c.size_bytes for c in clips)
    stats.seconds = _time.monotonic() - t0
    return stats

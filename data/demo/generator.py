"""Deterministic demo data: a realistic Czech call centre, from a seed. ``generate`` is the
entry point (``callboard generate`` / ``callboard demo``, the bench).

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

Where the parts are: the call centre itself in ``call_centre`` (written by ``dimensions``);
one day's rows drawn column-wise (``columns``) from the day's RNG (``day``) by
``day_calls`` (with ``ivr_choices`` and ``queue_calls``), ``agent_shifts`` and ``chats``;
ids and foreign keys in ``fact_rows``; writing, clearing and index handling in
``fact_load``.
"""

from __future__ import annotations

import sys
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from callboard.core.settings import get_settings
from data import aggregates
from data.db import get_engine
from data.demo import audio
from data.demo.agent_shifts import draw_agent_shifts
from data.demo.call_centre import customer_pool
from data.demo.chats import draw_chats
from data.demo.columns import EPOCH, UTC, concat_columns
from data.demo.day import DayContext, hour_epochs
from data.demo.day_calls import DayCalls
from data.demo.dimensions import ensure_dimensions
from data.demo.fact_load import PgWriter, SqliteWriter, clear_range, drop_secondary
from data.demo.fact_rows import FACT_TABLES, IdAllocator, rows_for_day

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


# --------------------------------------------------------------------------- one day


def _draw_day(cfg: GeneratorConfig, ctx: DayContext, customers, clips) -> dict[str, dict[str, np.ndarray]]:
    """All rows of one local day, column-wise, with day-local indexes as references. The
    order matters: calls, agent shifts and chats draw from the day's RNG one after another."""
    tables = DayCalls(ctx, cfg.calls_per_day, customers, cfg.with_audio, clips).build()
    tables.update(draw_agent_shifts(ctx))
    tables.update(draw_chats(ctx, cfg.calls_per_day, customers[0]))
    return tables


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
    stats.rows = {name: 0 for name in FACT_TABLES}
    if cfg.days <= 0:
        return stats

    clips = audio.ensure_pool(recordings_dir) if cfg.with_audio else []
    customers = customer_pool(cfg.seed)
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
        ensure_dimensions(conn)
        clear_range(conn, lo_utc, hi_utc, recordings_dir)
        big = False
        if not sqlite and expected_calls > _DROP_INDEXES_ABOVE:
            existing = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = '\"call\"'::regclass").scalar()
            big = expected_calls > max(existing or 0, 0) / 2
        restore = drop_secondary(conn, _BIG_TABLES) if big else []
        ids = IdAllocator(conn)
        writer = SqliteWriter(conn) if sqlite else PgWriter(conn)
        buffer: dict[str, list] = {}
        buffered = 0
        made_dirs: set[Path] = set()

        def flush() -> None:
            for name in FACT_TABLES:
                cols = concat_columns(buffer.get(name, []))
                if cols:
                    writer.write(name, cols)
                    stats.rows[name] += len(cols["id"])
            buffer.clear()

        try:
            for i in range(cfg.days):
                day = first_day + timedelta(days=i)
                if cutoff is not None and day > today:
                    break
                ctx = DayContext(day=day, rng=np.random.default_rng([cfg.seed, day.toordinal()]),
                                 transfer_rng=np.random.default_rng([cfg.seed, day.toordinal(), 7]),
                              hour_epoch=hour_epochs(day, tz), weekend=day.weekday() >= 5,
                              cutoff=cutoff if day == today else None, last=i == cfg.days - 1)
                tables = _draw_day(cfg, ctx, customers, clips)
                day_dir = f"{day:%Y/%m/%d}"
                rows = rows_for_day(tables, ids, {"clips": clips, "day_dir": day_dir})
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
            for name in FACT_TABLES + ["source"]:
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

"""One local day (PBX time zone) of the demo: what every drawing module needs to know
about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from data.demo.columns import EPOCH, UTC


@dataclass
class DayContext:
    day: date
    rng: np.random.Generator  # the day's draws, seeded with (seed, local date)
    # Transfers draw from their own stream: the day's other random draws (who calls when,
    # waits, outcomes) are the same as before transfers were generated.
    transfer_rng: np.random.Generator
    hour_epoch: np.ndarray  # UTC epoch of each local hour 0..23
    weekend: bool
    cutoff: int | None  # epoch: nothing after this (today)
    last: bool = False  # the last day generated


def hour_epochs(day: date, tz: ZoneInfo) -> np.ndarray:
    out = np.empty(24, dtype=np.int64)
    for h in range(24):
        local = datetime.combine(day, time(h), tzinfo=tz)
        out[h] = int((local.astimezone(UTC).replace(tzinfo=None) - EPOCH).total_seconds())
    return out

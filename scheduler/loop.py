"""The scheduler process's main loop (``callboard scheduler``): a tick every poll seconds,
and the daily retention job at 03:00 PBX time.

A tick that fails (database away, a bug in one run) is logged and the loop goes on; the
next tick starts from what the database says, so nothing is lost or repeated.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

from callboard.core.settings import get_settings
from data.timebuckets import utc_to_local
from scheduler.runner import run_due, worker_id

log = logging.getLogger(__name__)
RETENTION_AT = (3, 0)


def retention_due(now_utc: datetime, last_day: date | None, tz) -> date | None:
    """The local day whose 03:00 retention run is due now (and not yet done), else None."""
    local = utc_to_local(now_utc, tz)
    if (local.hour, local.minute) >= RETENTION_AT and local.date() != last_day:
        return local.date()
    return None


def _retention(now: datetime) -> None:
    try:
        from data import retention  # type: ignore[attr-defined]
    except ImportError:
        return  # the retention work has not landed
    result = retention.run_retention(now=now, dry_run=False)
    log.info("retention: %s", result)


# A large import refreshes the aggregates at its end; hours it marked and then left for this
# long (it died) are refreshed here, so reports do not stay behind the facts until the next
# import.
ABANDONED_AGGREGATES_AFTER = timedelta(minutes=15)


def tick(now: datetime, state: dict) -> None:
    worker = state.setdefault("worker", worker_id())
    for o in run_due(now, worker=worker):
        log.info("%s %s%s", o.run_key, o.status, f": {o.error}" if o.error else "")
    from data import aggregates, db

    done = aggregates.refresh_pending(db.get_engine(), older_than=ABANDONED_AGGREGATES_AFTER)
    if done is not None:
        log.info("aggregates refreshed for %s .. %s (left pending by an import that stopped)", *done)
    day = retention_due(now, state.get("retention_day"), get_settings().tz)
    if day is not None:
        state["retention_day"] = day
        _retention(now)


def run_forever(*, poll_s: float, should_stop, sleep) -> None:
    state: dict = {}
    log.info("scheduler %s started (every %.0f s)", worker_id(), poll_s)
    while not should_stop():
        try:
            tick(datetime.now(timezone.utc).replace(tzinfo=None), state)
        except Exception:  # keep running: the next tick retries from the database's state
            log.exception("scheduler tick failed")
        waited = 0.0
        while waited < poll_s and not should_stop():
            sleep(min(1.0, poll_s - waited))
            waited += 1.0
    log.info("scheduler stopped")

"""Running due schedules: record each due run, claim it, build its file, store it for
download, email it, record the outcome.

Sent once, by construction:
1. ``record_due_runs`` inserts one ``schedule_run`` row per due occurrence. ``run_key`` is
   UNIQUE, so a run recorded by a restarted or a second scheduler is a no-op insert.
2. ``claim`` is a compare-and-set UPDATE (status ready, or a lease that ran out) — of two
   processes racing for a run, exactly one updates the row; the other sees 0 rows (on
   PostgreSQL it waits for the row lock and re-checks the WHERE against the new row).
3. The built file is stored (``delivery`` row + file) in its own transaction before
   anything is sent. A run that crashed after building is claimed again once its lease
   (``LEASE``) runs out and sends the stored file — with the same link, because the token is
   re-derived from the stored salt (scheduler.links) — so it is built once and sent once.
   The one window left is a crash after the SMTP server accepted the mail and before the
   "sent" commit: that run is sent again (at-least-once there; SMTP has no two-phase commit).
4. An SMTP failure keeps the run visible with its error as ``retrying`` and tries again
   after ``BACKOFF`` (1, 2, 5, 10, 30, 60 min); after ``MAX_ATTEMPTS`` it is ``failed``.

The clock is a parameter everywhere (``now``, naive UTC): ``callboard scheduler run-due
--now ...`` and the tests drive it; the loop passes the wall clock.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from callboard.core.settings import get_settings
from callboard.reports.url_filters import schedule_view_search
from data import db
from data import schema as s
from data.timebuckets import local_day_bounds_utc, utc_to_local
from scheduler import links, mailer, templates
from scheduler.due import ScheduleTimes, due_runs

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=10),
           timedelta(minutes=30), timedelta(minutes=60))
MAX_ATTEMPTS = len(BACKOFF) + 1
# Files up to this size also travel as an attachment (the links always do): small CSVs and
# report PDFs arrive ready to open; large exports stay behind the link, keeping mail small.
ATTACH_MAX_BYTES = 2 * 1024 * 1024
# Tests and operators may stop the process at a named point to prove crash safety.
CRASH_ENV = "CALLBOARD_SCHEDULER_CRASH_AT"  # after_build | after_send


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        log.error("crash point %s reached (%s set): exiting without cleanup", name, CRASH_ENV)
        os._exit(75)


@dataclass(frozen=True)
class Outcome:
    run_id: int
    run_key: str
    status: str
    error: str | None = None


# --------------------------------------------------------------------------- recording due runs


def _as_times(row, last_due: datetime | None) -> ScheduleTimes:
    not_before = row.updated_utc if last_due is None else max(row.updated_utc, last_due)
    return ScheduleTimes(
        id=row.id, frequency=row.frequency, run_time=row.run_time, period=row.period, not_before_utc=not_before,
        weekday=row.weekday, day_of_month=row.day_of_month, once_date=_as_date(row.once_date),
        fixed_first=row.fixed_from_utc.date() if row.fixed_from_utc else None,
        fixed_last=row.fixed_to_utc.date() if row.fixed_to_utc else None)


def _as_date(v) -> date | None:
    if v is None or isinstance(v, date) and not isinstance(v, datetime):
        return v
    if isinstance(v, datetime):
        return v.date()
    return date.fromisoformat(str(v)[:10])


def record_due_runs(now: datetime, engine=None) -> list[str]:
    """Insert a pending run for every due occurrence; the run keys inserted now."""
    tz = get_settings().tz
    r = s.schedule_run
    scheduled = r.c.run_key.like("s%")  # manual runs ("run now") do not move the calendar
    last = {row.schedule_id: row.last for row in db.fetch_all(
        sa.select(r.c.schedule_id, sa.func.max(r.c.due_utc).label("last")).where(scheduled)
        .group_by(r.c.schedule_id), engine)}
    rows = db.fetch_all(sa.select(s.schedule).where(s.schedule.c.enabled.is_(True)), engine)
    inserted = []
    for run in due_runs([_as_times(row, last.get(row.id)) for row in rows], now, tz):
        if _insert_run(run.schedule_id, run.run_key, run.due_utc, run.first_day, run.last_day, tz, engine):
            inserted.append(run.run_key)
    return inserted


def _insert_run(schedule_id, key, due_utc, first: date, last: date, tz, engine) -> int | None:
    start, end = local_day_bounds_utc(first, last, tz)
    try:
        with db.transaction(engine) as conn:
            return conn.execute(s.schedule_run.insert().values(
                schedule_id=schedule_id, run_key=key, due_utc=due_utc, period_from_utc=start,
                period_to_utc=end, status="pending", attempts=0).returning(s.schedule_run.c.id)).scalar_one()
    except sa.exc.IntegrityError:
        return None  # recorded already (a restart, or another scheduler): the unique key says so


def run_now(schedule_id: int, now: datetime, engine=None) -> int:
    """A manual run of a schedule for its period as of now (the "run now" button); it is
    picked up by the next ``process_ready`` (the caller may call it at once)."""
    from scheduler.due import period_days

    row = db.fetch_all(sa.select(s.schedule).where(s.schedule.c.id == int(schedule_id)), engine)
    if not row:
        raise LookupError(f"no schedule {schedule_id}")
    tz = get_settings().tz
    times = _as_times(row[0], None)
    first, last = period_days(times, utc_to_local(now, tz).date())
    key = f"m{schedule_id}@{now:%Y-%m-%dT%H:%M:%S.%f}Z"
    run_id = _insert_run(row[0].id, key, now, first, last, tz, engine)
    if run_id is None:
        raise RuntimeError("a manual run was started at this very instant already")
    return run_id


# --------------------------------------------------------------------------- claiming


def _claimable(now: datetime):
    r = s.schedule_run
    ready = sa.and_(r.c.status.in_(("pending", "retrying")),
                    sa.or_(r.c.next_attempt_utc.is_(None), r.c.next_attempt_utc <= now))
    stale = sa.and_(r.c.status.in_(("building", "sending")), r.c.claimed_utc < now - LEASE)
    return sa.or_(ready, stale)


def claim(run_id: int, now: datetime, worker: str, engine=None) -> bool:
    r = s.schedule_run
    with db.transaction(engine) as conn:
        n = conn.execute(r.update().where(r.c.id == run_id, _claimable(now))
                         .values(status="building", claimed_by=worker, claimed_utc=now)).rowcount
    return n == 1


def _set(run_id: int, worker: str, engine=None, **values) -> bool:
    """Update a run we hold (claimed_by = worker); False when the claim was lost."""
    r = s.schedule_run
    with db.transaction(engine) as conn:
        return conn.execute(r.update().where(r.c.id == run_id, r.c.claimed_by == worker).values(**values)).rowcount == 1


# --------------------------------------------------------------------------- building and sending


def _files_dir() -> Path:
    return Path(get_settings().files_dir)


def view_path(sched, first: date, last: date) -> str:
    """The page showing the same data interactively: the report page (or the call records)
    with the schedule's filters and period in its URL."""
    page = f"/reports/{sched.report_type}" if sched.kind == "report" else "/records"
    return page + schedule_view_search(sched.kind, first, last, sched.filters, sched.language)


def _build_and_store(run, sched, now: datetime, engine) -> int:
    """Build the run's file, write it under CALLBOARD_FILES_DIR and record it; the delivery id."""
    from data.access.users import scope_for_user
    from scheduler.build import build_file

    tz = get_settings().tz
    first = utc_to_local(run.period_from_utc, tz).date()
    last = utc_to_local(run.period_to_utc - timedelta(microseconds=1), tz).date()
    scope = scope_for_user(sched.owner_id)
    exported = build_file(sched, first, last, scope=scope, tz=tz, now=now)
    salt = links.new_salt()
    rel = Path(f"{now:%Y}") / f"{now:%m}" / f"run{run.id}-{salt[:8]}-{exported.filename}"
    path = _files_dir() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".part")
    tmp.write_bytes(exported.content)
    os.replace(tmp, path)  # a crash never leaves a half file under the real name
    with db.transaction(engine) as conn:
        return conn.execute(s.delivery.insert().values(
            schedule_id=sched.id, run_id=run.id, owner_id=sched.owner_id, kind=sched.kind, name=sched.name,
            format=sched.format, path=rel.as_posix(), size_bytes=len(exported.content),
            record_count=exported.rows_included, total_count=exported.rows_total,
            period_from_utc=run.period_from_utc, period_to_utc=run.period_to_utc,
            token_hash=links.token_hash(links.token_for(salt)), token_salt=salt,
            expires_utc=now + timedelta(hours=int(sched.link_valid_hours)), status="ready", created_utc=now,
            filename=exported.filename, mimetype=exported.mimetype, language=sched.language,
            view_path=view_path(sched, first, last),
        ).returning(s.delivery.c.id)).scalar_one()


def _stored_delivery(run_id: int, engine):
    rows = db.fetch_all(sa.select(s.delivery).where(s.delivery.c.run_id == run_id)
                        .order_by(s.delivery.c.id.desc()), engine)
    for row in rows:
        if row.path and (_files_dir() / row.path).is_file():
            return row
    return None


def mail_for(sched, delivery, *, tz) -> tuple[list[str], templates.RenderedMail, tuple | None]:
    """Recipients, the rendered mail, and the attachment (small files only)."""
    from callboard.core.formatting import fmt_date, fmt_local_datetime, fmt_number, tz_label
    from callboard.core.i18n import translator
    from callboard.reports import registry
    from callboard.reports.schedules import split_recipients

    lang = sched.language
    _ = translator(lang)
    token = links.token_for(delivery.token_salt)
    first = utc_to_local(delivery.period_from_utc, tz).date()
    last = utc_to_local(delivery.period_to_utc - timedelta(microseconds=1), tz).date()
    report = _(registry.title(sched.report_type)) if sched.kind == "report" else _("Call records")
    zone = tz_label()
    context = {
        "name": sched.name, "report": report,
        "period": fmt_date(first, lang) if first == last else f"{fmt_date(first, lang)} – {fmt_date(last, lang)}",
        "period_from": first.isoformat(), "period_to": last.isoformat(),
        "record_count": fmt_number(delivery.record_count or 0, lang),
        "total_count": fmt_number(delivery.total_count or 0, lang),
        "capped": (delivery.total_count or 0) > (delivery.record_count or 0),
        "format": delivery.format.upper(), "filename": delivery.filename,
        "download_link": links.download_url(token), "view_link": links.view_url(token),
        "expires": f"{fmt_local_datetime(delivery.expires_utc, lang, seconds=False)} ({zone})",
        "generated": f"{fmt_local_datetime(delivery.created_utc, lang, seconds=False)} ({zone})",
    }
    mail = templates.render_for(sched.kind, lang, context)
    attachment = None
    if delivery.size_bytes is not None and delivery.size_bytes <= ATTACH_MAX_BYTES:
        attachment = (delivery.filename, delivery.mimetype, (_files_dir() / delivery.path).read_bytes())
    return split_recipients(sched.recipients), mail, attachment


def execute(run_id: int, now: datetime, worker: str, engine=None) -> Outcome:
    """Build (or reuse), store and send a run we have claimed; record the outcome."""
    r = s.schedule_run
    run = db.fetch_all(sa.select(r).where(r.c.id == run_id), engine)[0]
    sched = None
    if run.schedule_id is not None:
        rows = db.fetch_all(sa.select(s.schedule).where(s.schedule.c.id == run.schedule_id), engine)
        sched = rows[0] if rows else None
    if sched is None:
        _set(run_id, worker, engine, status="failed", error="the schedule was deleted", claimed_by=None)
        return Outcome(run_id, run.run_key, "failed", "the schedule was deleted")
    stage = "build"
    try:
        delivery = _stored_delivery(run_id, engine)
        if delivery is None:
            _build_and_store(run, sched, now, engine)
            delivery = _stored_delivery(run_id, engine)
        _crash_point("after_build")
        stage = "send"
        if not _set(run_id, worker, engine, status="sending"):
            return Outcome(run_id, run.run_key, "lost", "another scheduler took the run over")
        to, mail, attachment = mail_for(sched, delivery, tz=get_settings().tz)
        mailer.send(mailer.build_message(to=to, subject=mail.subject, text=mail.text, html=mail.html,
                                         attachment=attachment))
    except Exception as exc:  # every failure is recorded on the run and retried
        attempts = (run.attempts or 0) + 1
        error = f"{stage}: {exc}" if isinstance(exc, mailer.MailError) else f"{stage}: {exc.__class__.__name__}: {exc}"
        final = attempts >= MAX_ATTEMPTS
        log.warning("run %s (%s) attempt %d failed: %s", run.run_key, sched.name, attempts, error)
        _set(run_id, worker, engine, status="failed" if final else "retrying", attempts=attempts,
             error=error[:2000], claimed_by=None,
             next_attempt_utc=None if final else now + BACKOFF[min(attempts, len(BACKOFF)) - 1])
        if final:
            with db.transaction(engine) as conn:
                conn.execute(s.delivery.update().where(s.delivery.c.run_id == run_id).values(status="failed"))
        return Outcome(run_id, run.run_key, "failed" if final else "retrying", error)
    _crash_point("after_send")
    _set(run_id, worker, engine, status="sent", sent_utc=now, attempts=(run.attempts or 0) + 1, error=None,
         next_attempt_utc=None, claimed_by=None)
    with db.transaction(engine) as conn:
        conn.execute(s.delivery.update().where(s.delivery.c.id == delivery.id).values(status="sent"))
    log.info("run %s (%s) sent to %d recipient(s)", run.run_key, sched.name, len(to))
    return Outcome(run_id, run.run_key, "sent")


def process_ready(now: datetime, *, worker: str | None = None, engine=None, only: int | None = None) -> list[Outcome]:
    """Claim and execute every run that is ready (oldest due first)."""
    worker = worker or worker_id()
    r = s.schedule_run
    stmt = sa.select(r.c.id).where(_claimable(now)).order_by(r.c.due_utc, r.c.id)
    if only is not None:
        stmt = stmt.where(r.c.id == only)
    out = []
    for (run_id,) in db.fetch_all(stmt, engine):
        if claim(run_id, now, worker, engine):
            out.append(execute(run_id, now, worker, engine))
    return out


def run_due(now: datetime | None = None, *, worker: str | None = None, engine=None) -> list[Outcome]:
    """One scheduler tick: record what is due, then send what is ready."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    record_due_runs(now, engine)
    return process_ready(now, worker=worker, engine=engine)

"""`callboard schedule ...` (manage schedules), `callboard scheduler` (the process),
`callboard scheduler run-due --now ...` (one tick at a given time) and
`callboard send-test-mail ADDRESS`."""

from __future__ import annotations

import logging
import signal
import time
from datetime import datetime, timezone
from typing import Optional

import typer

from callboard.cli.output import echo_error

schedule_app = typer.Typer(help="Scheduled CDR exports and reports (stored in the database).",
                           no_args_is_help=True)
scheduler_app = typer.Typer(help="The scheduler process: sends due schedules by email. Without a "
                                 "subcommand it runs until stopped.", invoke_without_command=True)

POLL_S = 30.0
RETENTION_AT = (3, 0)  # 03:00 PBX time, once a day


def _parse_now(text: Optional[str]) -> datetime:
    """--now in PBX local time (YYYY-MM-DDTHH:MM) -> naive UTC; default: the wall clock."""
    if not text:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    from callboard.core.settings import get_settings
    from data.timebuckets import to_utc_naive

    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        echo_error(f"--now must be YYYY-MM-DDTHH:MM (PBX local time), not {text!r}")
        raise typer.Exit(2)
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc).replace(tzinfo=None)
    return to_utc_naive(local, get_settings().tz)


def _input(**kw) -> dict:
    return {k: v for k, v in kw.items() if v is not None}


def _fail_invalid(exc) -> None:
    for field, (msgid, params) in exc.errors.items():
        echo_error(f"{field}: {msgid.format(**params)}")
    raise typer.Exit(2)


# --------------------------------------------------------------------------- callboard schedule


@schedule_app.command("add")
def schedule_add(
    name: str = typer.Option(..., help="Name identifying the schedule."),
    report: Optional[str] = typer.Option(None, "--report", help="Report type (e.g. extension-statistics); "
                                                                "omit with --cdr."),
    cdr: bool = typer.Option(False, "--cdr", help="A call-records export instead of a report."),
    period: str = typer.Option("last_month", help="today | yesterday | this_week | last_week | this_month | "
                                                  "last_month | last_7_days | last_30_days | fixed"),
    fixed_from: Optional[str] = typer.Option(None, help="fixed period: first day YYYY-MM-DD."),
    fixed_to: Optional[str] = typer.Option(None, help="fixed period: last day YYYY-MM-DD."),
    extension: list[str] = typer.Option([], "--extension", help="Only these extensions (repeatable)."),
    group: list[str] = typer.Option([], "--group", help="Only these extension groups (repeatable)."),
    queue: list[str] = typer.Option([], "--queue", help="Only these queues (repeatable)."),
    direction: list[str] = typer.Option([], "--direction", help="inbound | outbound | internal (repeatable; "
                                                                "at least one)."),
    option: list[str] = typer.Option([], "--option", help="Report option KEY=VALUE (by, interval, hours)."),
    to: str = typer.Option(..., "--to", help="1 to 10 email addresses separated by ';'."),
    frequency: str = typer.Option(..., help="once | daily | weekly | monthly"),
    at: str = typer.Option(..., "--at", help="Time of day HH:MM (PBX local)."),
    weekday: Optional[int] = typer.Option(None, help="weekly: 0 = Monday ... 6 = Sunday."),
    day: Optional[int] = typer.Option(None, "--day", help="monthly: day of month 1-31 (31 = last day)."),
    date_: Optional[str] = typer.Option(None, "--date", help="once: YYYY-MM-DD."),
    valid_hours: int = typer.Option(72, help="Download link validity, 24-120 hours."),
    fmt: str = typer.Option("pdf", "--format", help="csv | xlsx | pdf"),
    lang: str = typer.Option("en", "--lang", help="Language of the email and file: en | cs."),
    owner: Optional[str] = typer.Option(None, "--owner", help="User whose scope the schedule runs with "
                                                              "(default: the first administrator)."),
) -> None:
    """Create a schedule; prints its id."""
    from callboard.reports import schedules

    data = _input(name=name, kind="cdr" if cdr else "report", report_type=report, period=period,
                  fixed_from=fixed_from, fixed_to=fixed_to, extensions=extension, groups=group, queues=queue,
                  directions=direction, options=dict(o.split("=", 1) for o in option if "=" in o),
                  recipients=to, frequency=frequency, run_time=at, weekday=weekday, day_of_month=day,
                  once_date=date_, link_valid_hours=valid_hours, format=fmt, language=lang)
    owner_id = _owner_id(owner)
    try:
        new_id = schedules.create(data, owner_id=owner_id)
    except schedules.ScheduleInvalid as exc:
        _fail_invalid(exc)
    typer.echo(f"schedule {new_id} created: {name}" + ("" if owner_id else
               " (no owner: it runs with an empty scope until one is set; create a user first)"))


def _owner_id(username: Optional[str]) -> Optional[int]:
    """A schedule runs with its owner's scope: the named user, else the first administrator."""
    import sqlalchemy as sa

    from data import db
    from data import schema as s

    u = s.app_user
    stmt = sa.select(u.c.id).where(u.c.username == username) if username else (
        sa.select(u.c.id).where(u.c.role.in_(("admin", "administrator")), u.c.disabled.is_(False)).order_by(u.c.id))
    rows = db.fetch_all(stmt.limit(1))
    if username and not rows:
        echo_error(f"no user {username!r}")
        raise typer.Exit(2)
    return rows[0].id if rows else None


@schedule_app.command("list")
def schedule_list() -> None:
    """Every schedule with its state and its next run (PBX local time)."""
    from callboard.core.i18n import translator
    from callboard.reports.schedules import Summary, list_schedules
    from callboard.core.settings import get_settings
    from scheduler.due import next_run
    from scheduler.runner import _as_times

    tz = get_settings().tz
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for row in list_schedules():
        what = row.report_type if row.kind == "report" else "cdr"
        nxt = next_run(_as_times(row, None), now, tz) if row.enabled else None
        when = Summary(row.frequency, row.run_time, row.weekday, row.day_of_month, row.once_date).text(
            translator("en"))
        typer.echo(f"{row.id}\t{row.name}\t{what}\t{row.format}\t{when}\t"
                   f"{'enabled' if row.enabled else 'paused'}\tnext: "
                   f"{nxt.due_local.strftime('%Y-%m-%d %H:%M') if nxt else '-'}\tto: {row.recipients}")


@schedule_app.command("edit")
def schedule_edit(
    schedule_id: int = typer.Argument(...),
    name: Optional[str] = typer.Option(None),
    period: Optional[str] = typer.Option(None),
    to: Optional[str] = typer.Option(None, "--to"),
    frequency: Optional[str] = typer.Option(None),
    at: Optional[str] = typer.Option(None, "--at"),
    weekday: Optional[int] = typer.Option(None),
    day: Optional[int] = typer.Option(None, "--day"),
    date_: Optional[str] = typer.Option(None, "--date"),
    valid_hours: Optional[int] = typer.Option(None),
    fmt: Optional[str] = typer.Option(None, "--format"),
    lang: Optional[str] = typer.Option(None, "--lang"),
    direction: list[str] = typer.Option([], "--direction", help="Replaces the communication types."),
) -> None:
    """Change some fields of a schedule (the rest stays); validated like `add`."""
    from callboard.reports import schedules

    changes = _input(name=name, period=period, recipients=to, frequency=frequency, run_time=at, weekday=weekday,
                     day_of_month=day, once_date=date_, link_valid_hours=valid_hours, format=fmt, language=lang,
                     directions=direction or None)
    try:
        schedules.update(schedule_id, changes)
    except LookupError as exc:
        echo_error(str(exc))
        raise typer.Exit(1)
    except schedules.ScheduleInvalid as exc:
        _fail_invalid(exc)
    typer.echo(f"schedule {schedule_id} updated")


def _toggle(schedule_id: int, enabled: bool) -> None:
    from callboard.reports import schedules

    try:
        schedules.set_enabled(schedule_id, enabled)
    except LookupError as exc:
        echo_error(str(exc))
        raise typer.Exit(1)
    typer.echo(f"schedule {schedule_id} {'resumed' if enabled else 'paused'}")


@schedule_app.command("pause")
def schedule_pause(schedule_id: int = typer.Argument(...)) -> None:
    """Stop sending (runs missed while paused are not sent on resume)."""
    _toggle(schedule_id, False)


@schedule_app.command("resume")
def schedule_resume(schedule_id: int = typer.Argument(...)) -> None:
    _toggle(schedule_id, True)


@schedule_app.command("delete")
def schedule_delete(schedule_id: int = typer.Argument(...)) -> None:
    """Delete a schedule (its sent files stay in the download lists)."""
    from callboard.reports import schedules

    try:
        schedules.delete(schedule_id)
    except LookupError as exc:
        echo_error(str(exc))
        raise typer.Exit(1)
    typer.echo(f"schedule {schedule_id} deleted")


@schedule_app.command("run-now")
def schedule_run_now(schedule_id: int = typer.Argument(...),
                     now: Optional[str] = typer.Option(None, "--now", help="Pretend it is this PBX-local time.")) -> None:
    """Build and send a schedule at once for its period as of now."""
    from scheduler.runner import process_ready, run_now

    at = _parse_now(now)
    try:
        run_id = run_now(schedule_id, at)
    except LookupError as exc:
        echo_error(str(exc))
        raise typer.Exit(1)
    for outcome in process_ready(at, only=run_id):
        _echo_outcome(outcome)


def _echo_outcome(o) -> None:
    typer.echo(f"{o.run_key}\t{o.status}" + (f"\t{o.error}" if o.error else ""))


# --------------------------------------------------------------------------- callboard scheduler


@scheduler_app.callback()
def scheduler_main(ctx: typer.Context,
                   poll: float = typer.Option(POLL_S, help="Seconds between checks for due runs.")) -> None:
    """Run until stopped (SIGTERM / Ctrl+C): every `poll` seconds record and send due runs,
    and once a day at 03:00 PBX time apply the retention periods."""
    if ctx.invoked_subcommand is not None:
        return
    from scheduler.loop import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = {"flag": False}

    def _stop(*_a):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run_forever(poll_s=poll, should_stop=lambda: stop["flag"], sleep=time.sleep)


@scheduler_app.command("run-due")
def scheduler_run_due(now: Optional[str] = typer.Option(None, "--now",
                                                        help="PBX-local time of this tick, YYYY-MM-DDTHH:MM "
                                                             "(default: now).")) -> None:
    """One tick at a given time: record the due runs, send what is ready, print each outcome."""
    from scheduler.runner import run_due

    logging.basicConfig(level=logging.WARNING)
    outcomes = run_due(_parse_now(now))
    for o in outcomes:
        _echo_outcome(o)
    if not outcomes:
        typer.echo("nothing due")


def send_test_mail(address: str = typer.Argument(..., help="Where to send the test message.")) -> None:
    """Send a short test email with the CALLBOARD_SMTP_* settings (checks the SMTP setup)."""
    from callboard.reports.schedules import EMAIL_RE
    from callboard.core.settings import get_settings
    from scheduler import mailer

    if not EMAIL_RE.match(address):
        echo_error(f"not a valid email address: {address}")
        raise typer.Exit(2)
    cfg = get_settings()
    msg = mailer.build_message(to=[address], subject="Callboard test message",
                               text=f"This is a test message from Callboard ({cfg.base_url}).\n"
                                    f"SMTP: {cfg.smtp_host}:{cfg.smtp_port} ({cfg.smtp_security}).\n")
    try:
        mailer.send(msg)
    except mailer.MailError as exc:
        echo_error(str(exc))
        raise typer.Exit(1)
    typer.echo(f"test message sent to {address}")

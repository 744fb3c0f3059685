"""Schedules of CDR exports and reports: validation and storage, shared by the schedules
pages, the ``callboard schedule`` commands and the scheduler.

``validate(data)`` turns raw input (strings from a form or the command line) into the
values of a ``schedule`` row, or reports every problem per field as (msgid, params), so a
form shows each reason next to its field and nothing is saved. ``create`` / ``update`` /
``set_enabled`` / ``delete`` write in one transaction and leave an audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import sqlalchemy as sa

from callboard.core.i18n import N_
from callboard.reports.url_filters import REPORT_OPTIONS, parse_day, split_values
from data import db, periods
from data import schema as s
from data.access import audit
from data.schema import DIRECTIONS

KINDS = ("cdr", "report")
FORMATS = ("csv", "xlsx", "pdf")
FREQUENCIES = ("once", "daily", "weekly", "monthly")
PERIODS = {**{k: v for k, v in periods.PRESETS.items() if k != "custom"}, **periods.ROLLING,
           "fixed": N_("Fixed range")}
FREQUENCY_LABELS = {"once": N_("Once"), "daily": N_("Daily"), "weekly": N_("Weekly"), "monthly": N_("Monthly")}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))
MAX_RECIPIENTS = 10
LINK_HOURS = (24, 120)
# One address: something@domain.tld, no spaces, separators or angle brackets.
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleInvalid(ValueError):
    """Input refused: ``errors`` maps a field to (msgid, params)."""

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        super().__init__("; ".join(f"{k}: {m.format(**p)}" for k, (m, p) in errors.items()))
        self.errors = errors


def _list(value) -> list[str]:
    """Comma-separated text or a list of them -> distinct values, in order (the URL rule)."""
    return list(split_values(value))


def split_recipients(text: str) -> list[str]:
    return [a.strip() for a in str(text or "").split(";") if a.strip()]


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def validate(data: dict) -> dict:
    """Column values of a schedule row from raw input, or ScheduleInvalid with every problem.

    Keys: name, kind, report_type, period, fixed_from, fixed_to (YYYY-MM-DD), extensions,
    groups, queues, directions (lists or comma-separated), options (dict of REPORT_OPTIONS),
    recipients ("a@x; b@y"), frequency, run_time (HH:MM), weekday (0-6), day_of_month,
    once_date, link_valid_hours, format, language.
    """
    from callboard.reports.registry import BY_ID

    err: dict[str, tuple[str, dict]] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        err["name"] = (N_("Enter a name for the schedule."), {})
    elif len(name) > 200:
        err["name"] = (N_("The name is too long (at most {n} characters)."), {"n": 200})

    kind = data.get("kind") or "report"
    report_type = data.get("report_type") or None
    if kind not in KINDS:
        err["kind"] = (N_("Choose a CDR export or a report."), {})
    elif kind == "report" and report_type not in BY_ID:
        err["report_type"] = (N_("Choose a report type."), {})
    if kind == "cdr":
        report_type = None

    period = data.get("period") or ""
    fixed_from, fixed_to = parse_day(data.get("fixed_from")), parse_day(data.get("fixed_to"))
    if period not in PERIODS:
        err["period"] = (N_("Choose a period."), {})
    elif period == "fixed":
        if not fixed_from or not fixed_to:
            err["period"] = (N_("A fixed range needs its first and last day (YYYY-MM-DD)."), {})
        elif fixed_to < fixed_from:
            err["period"] = (N_("The last day is before the first day."), {})

    directions = [d for d in DIRECTIONS if d in _list(data.get("directions"))]
    unknown = [d for d in _list(data.get("directions")) if d not in DIRECTIONS]
    if unknown or not directions:
        err["directions"] = (N_("Choose at least one communication type: inbound, outbound or internal."), {})

    recipients = split_recipients(data.get("recipients"))
    bad = [a for a in recipients if not EMAIL_RE.match(a) or len(a) > 254]
    if not recipients:
        err["recipients"] = (N_("Enter at least one email address."), {})
    elif len(recipients) > MAX_RECIPIENTS:
        err["recipients"] = (N_("At most {n} addresses; you entered {count}."),
                             {"n": MAX_RECIPIENTS, "count": len(recipients)})
    elif bad:
        err["recipients"] = (N_("Not a valid email address: {address}"), {"address": bad[0]})

    frequency = data.get("frequency") or ""
    run_time = str(data.get("run_time") or "").strip()
    weekday = _int(data.get("weekday"))
    day_of_month = _int(data.get("day_of_month"))
    once_date = parse_day(data.get("once_date"))
    m = TIME_RE.match(run_time)
    if frequency not in FREQUENCIES:
        err["frequency"] = (N_("Choose how often it runs."), {})
    if not m:
        err["run_time"] = (N_("Enter the time as HH:MM (00:00 to 23:59)."), {})
    else:
        run_time = f"{int(m.group(1)):02d}:{m.group(2)}"
    if frequency == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        err["weekday"] = (N_("Choose the day of the week."), {})
    if frequency == "monthly" and (day_of_month is None or not 1 <= day_of_month <= 31):
        err["day_of_month"] = (N_("The day of the month must be between 1 and 31."), {})
    if frequency == "once" and once_date is None:
        err["once_date"] = (N_("Enter the date of the run (YYYY-MM-DD)."), {})

    hours = _int(data.get("link_valid_hours"))
    if hours is None or not LINK_HOURS[0] <= hours <= LINK_HOURS[1]:
        err["link_valid_hours"] = (N_("The link validity must be between {lo} and {hi} hours."),
                                   {"lo": LINK_HOURS[0], "hi": LINK_HOURS[1]})
    fmt = data.get("format") or ""
    if fmt not in FORMATS:
        err["format"] = (N_("Choose a file format: CSV, XLSX or PDF."), {})
    language = data.get("language") or "en"
    if language not in ("en", "cs"):
        err["language"] = (N_("Choose the language: English or Czech."), {})

    options = {k: v for k, v in dict(data.get("options") or {}).items() if k in REPORT_OPTIONS and v not in (None, "")}
    filters = {"extensions": _list(data.get("extensions")), "groups": _list(data.get("groups")),
               "queues": _list(data.get("queues")), "directions": directions, "options": options}
    if kind == "report" and report_type in BY_ID and not err.get("period"):
        # The report's own checks (interval vs range, option values) on a sample period.
        from data.queries.report_filter import ReportFilter

        try:
            first, last = (fixed_from, fixed_to) if period == "fixed" else periods.preset_days(
                period, date(2026, 1, 31))
            ReportFilter(first, last, extensions=filters["extensions"], groups=filters["groups"],
                         directions=directions, queues=filters["queues"], **options)
        except (ValueError, TypeError) as exc:
            err["options"] = (N_("Invalid report option: {reason}"), {"reason": str(exc)})
    if err:
        raise ScheduleInvalid(err)
    return {
        "name": name, "kind": kind, "report_type": report_type, "filters": filters, "period": period,
        "fixed_from_utc": datetime.combine(fixed_from, datetime.min.time()) if period == "fixed" else None,
        "fixed_to_utc": datetime.combine(fixed_to, datetime.min.time()) if period == "fixed" else None,
        "frequency": frequency, "run_time": run_time,
        "weekday": weekday if frequency == "weekly" else None,
        "day_of_month": day_of_month if frequency == "monthly" else None,
        "once_date": once_date if frequency == "once" else None,
        "recipients": "; ".join(recipients), "link_valid_hours": hours, "format": fmt, "language": language,
    }


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def create(data: dict, *, owner_id: int | None, now: datetime | None = None, engine=None) -> int:
    values = validate(data)
    now = now or utc_now()
    with db.transaction(engine) as conn:
        new_id = conn.execute(s.schedule.insert().values(**values, owner_id=owner_id, enabled=True,
                                                         created_utc=now, updated_utc=now)
                              .returning(s.schedule.c.id)).scalar_one()
    audit.record("schedule_create", f"schedule:{new_id}", {"name": values["name"]})
    return int(new_id)


def as_input(row) -> dict:
    """A stored schedule as validate() input (for edits: change some keys, validate again)."""
    f = row.filters or {}
    return {
        "name": row.name, "kind": row.kind, "report_type": row.report_type, "period": row.period,
        "fixed_from": row.fixed_from_utc.date().isoformat() if row.fixed_from_utc else "",
        "fixed_to": row.fixed_to_utc.date().isoformat() if row.fixed_to_utc else "",
        "extensions": f.get("extensions", []), "groups": f.get("groups", []), "queues": f.get("queues", []),
        "directions": f.get("directions", []), "options": f.get("options", {}),
        "recipients": row.recipients, "frequency": row.frequency, "run_time": row.run_time,
        "weekday": row.weekday, "day_of_month": row.day_of_month,
        "once_date": row.once_date.isoformat() if row.once_date else "",
        "link_valid_hours": row.link_valid_hours, "format": row.format, "language": row.language,
    }


def get(schedule_id: int, engine=None):
    rows = db.fetch_all(sa.select(s.schedule).where(s.schedule.c.id == int(schedule_id)), engine)
    return rows[0] if rows else None


def update(schedule_id: int, changes: dict, *, now: datetime | None = None, engine=None) -> None:
    row = get(schedule_id, engine)
    if row is None:
        raise LookupError(f"no schedule {schedule_id}")
    values = validate({**as_input(row), **changes})
    with db.transaction(engine) as conn:
        conn.execute(s.schedule.update().where(s.schedule.c.id == row.id)
                     .values(**values, updated_utc=now or utc_now()))
    audit.record("schedule_edit", f"schedule:{row.id}", {"name": values["name"]})


def set_enabled(schedule_id: int, enabled: bool, *, now: datetime | None = None, engine=None) -> None:
    """Pause or resume. Resuming moves updated_utc, so runs missed while paused are not sent."""
    with db.transaction(engine) as conn:
        n = conn.execute(s.schedule.update().where(s.schedule.c.id == int(schedule_id))
                         .values(enabled=enabled, updated_utc=now or utc_now())).rowcount
    if not n:
        raise LookupError(f"no schedule {schedule_id}")
    audit.record("schedule_resume" if enabled else "schedule_pause", f"schedule:{schedule_id}", {})


def delete(schedule_id: int, engine=None) -> None:
    """The schedule goes; its runs and files stay (their schedule_id becomes NULL)."""
    with db.transaction(engine) as conn:
        conn.execute(s.schedule_run.update().where(s.schedule_run.c.schedule_id == int(schedule_id))
                     .values(schedule_id=None))
        conn.execute(s.delivery.update().where(s.delivery.c.schedule_id == int(schedule_id))
                     .values(schedule_id=None))
        n = conn.execute(s.schedule.delete().where(s.schedule.c.id == int(schedule_id))).rowcount
    if not n:
        raise LookupError(f"no schedule {schedule_id}")
    audit.record("schedule_delete", f"schedule:{schedule_id}", {})


def list_schedules(*, kind: str | None = None, owner_id: int | None = None, engine=None):
    stmt = sa.select(s.schedule).order_by(s.schedule.c.name, s.schedule.c.id)
    if kind:
        stmt = stmt.where(s.schedule.c.kind == kind)
    if owner_id is not None:
        stmt = stmt.where(s.schedule.c.owner_id == owner_id)
    return db.fetch_all(stmt, engine)


def list_runs(*, schedule_id: int | None = None, kind: str | None = None, limit: int = 50, engine=None):
    r, sc = s.schedule_run, s.schedule
    stmt = (sa.select(r, sc.c.name, sc.c.kind).select_from(r.outerjoin(sc, sc.c.id == r.c.schedule_id))
            .order_by(r.c.due_utc.desc(), r.c.id.desc()).limit(limit))
    if schedule_id is not None:
        stmt = stmt.where(r.c.schedule_id == int(schedule_id))
    if kind:
        stmt = stmt.where(sc.c.kind == kind)
    return db.fetch_all(stmt, engine)


@dataclass(frozen=True)
class Summary:
    """One line describing when a schedule runs (for lists and the CLI)."""

    frequency: str
    run_time: str
    weekday: int | None
    day_of_month: int | None
    once_date: date | None

    def text(self, _) -> str:
        f = _(FREQUENCY_LABELS.get(self.frequency, self.frequency))
        if self.frequency == "weekly" and self.weekday is not None:
            return f"{f}, {_(WEEKDAYS[self.weekday])} {self.run_time}"
        if self.frequency == "monthly":
            return f"{f}, {_(N_('day {n}'), n=self.day_of_month)}, {self.run_time}"
        if self.frequency == "once" and self.once_date:
            return f"{f}, {self.once_date.isoformat()} {self.run_time}"
        return f"{f}, {self.run_time}"

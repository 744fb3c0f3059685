"""The schedules page (/schedules/exports for call-record exports, /schedules/reports for
reports): the list with "run now", edit, pause/resume and delete, the create / edit form,
and the latest runs with their status and error.

Saving goes through ``callboard.reports.schedules.validate``: each refused field shows its reason
right under the field and nothing is saved. "Run now" records a manual run and sends it at
once (``scheduler.runner``), in this request, so the user sees the outcome. Ids start with
the page's prefix (``sch-``).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from callboard.web import access

from callboard.reports import schedules
from data.access import audit
from callboard.core.formatting import fmt_local_datetime, tz_label
from callboard.core.i18n import N_, translator
from callboard.web.input_checks import Text, Texts, checked_inputs
from callboard.reports import registry
from callboard.reports.results import DIRECTION_NAMES
from callboard.web.routes import db_id
from data import db
from data.queries.extensions import filter_options
from data.queries.queues import queue_options
from data.schema import DIRECTIONS

P = "sch"
FIELDS = ("name", "report_type", "period", "directions", "recipients", "frequency", "run_time", "weekday",
          "day_of_month", "once_date", "link_valid_hours", "format", "language", "options", "kind")
STATUS_NAMES = {"pending": N_("Pending"), "building": N_("Building"), "sending": N_("Sending"), "sent": N_("Sent"),
                "retrying": N_("Retrying"), "failed": N_("Failed")}
DEFAULTS = dict(name="", report_type="extension-statistics", period="last_month", fixed_from="", fixed_to="", extensions=[], groups=[],
                queues=[], directions=list(DIRECTIONS), recipients="", frequency="weekly", run_time="08:00",
                weekday=0, day_of_month=1, once_date="", link_valid_hours=72, format="pdf", language="en")


# The one grouping choice (group by / interval) a scheduled report offers, as on its page.
REPORT_OPTION = {r.id: o for r in registry.REPORTS for o in r.options if o.key in ("by", "interval")}


def _id(name: str) -> str:
    return f"{P}-{name}"


def _err_id(field: str) -> str:
    return f"{P}-err-{field}"


def _field(label: str, control, field: str, md: int = 4, help_text: str | None = None):
    parts = [dbc.Label(label, html_for=control.id, className="small mb-1"), control]
    if help_text:
        parts.append(html.Div(help_text, className="form-text"))
    parts.append(html.Div(id=_err_id(field), className="invalid-feedback d-block", role="alert"))
    return dbc.Col(parts, md=md, className="mb-2")


def _choices(scope):
    try:
        ext_stmt, group_stmt = filter_options(scope)
        exts = [{"label": f"{r.number} {r.name or ''}".strip(), "value": r.number} for r in db.fetch_all(ext_stmt)]
        groups = [{"label": r.name, "value": r.name} for r in db.fetch_all(group_stmt)]
        queues = [{"label": f"{r.number} {r.name or ''}".strip(), "value": r.number}
                  for r in db.fetch_all(queue_options(scope))]
    except Exception:  # an empty or unreachable database: the form still opens
        exts, groups, queues = [], [], []
    return exts, groups, queues


def form(kind: str, lang: str) -> dbc.Card:
    _ = translator(lang)
    exts, groups, queues = _choices(access.current_scope())
    d = DEFAULTS
    rows = [
        dbc.Row([
            _field(_("Name"), dbc.Input(id=_id("name"), value=d["name"], maxLength=200), "name", 4),
            _field(_("Report"), dcc.Dropdown(id=_id("report_type"), value=d["report_type"], options=[
                {"label": _(registry.title(t)), "value": t} for t in _report_types()]), "report_type", 4)
            if kind == "report" else dcc.Input(id=_id("report_type"), type="hidden", value=None),
            _field(_("Period"), dcc.Dropdown(id=_id("period"), value=d["period"], clearable=False, options=[
                {"label": _(label), "value": key} for key, label in schedules.PERIODS.items()]), "period", 2),
            dbc.Col([dbc.Label(_("Fixed range (YYYY-MM-DD)"), className="small mb-1"),
                     dbc.InputGroup([dbc.Input(id=_id("fixed_from"), placeholder=_("First day")),
                                     dbc.Input(id=_id("fixed_to"), placeholder=_("Last day"))], size="sm")],
                    md=2, id=_id("fixed-box")),
        ]),
        dbc.Row(dbc.Col([dbc.Label("", id=_id("option-label"), html_for=_id("option"), className="small mb-1"),
                         dcc.Dropdown(id=_id("option"), clearable=False)], md=3, id=_id("option-box"),
                        className="mb-2", style={"display": "none"})),
        dbc.Row([
            _field(_("Extensions"), dcc.Dropdown(id=_id("extensions"), options=exts, multi=True,
                                                 placeholder=_("All extensions")), "extensions", 4),
            _field(_("Extension groups"), dcc.Dropdown(id=_id("groups"), options=groups, multi=True,
                                                       placeholder=_("All groups")), "groups", 4),
            _field(_("Queues"), dcc.Dropdown(id=_id("queues"), options=queues, multi=True,
                                             placeholder=_("All queues")), "queues", 4)
            # call-record filters have no queue criterion (data.queries.calls.CallFilter)
            if kind == "report" else html.Div(dcc.Dropdown(id=_id("queues"), multi=True, value=[]), hidden=True),
        ]),
        dbc.Row([
            _field(_("Communication type"), dcc.Checklist(
                id=_id("directions"), value=d["directions"], inline=True, inputClassName="me-1",
                labelClassName="me-3", options=[{"label": _(DIRECTION_NAMES[x]), "value": x} for x in DIRECTIONS]),
                "directions", 4),
            _field(_("Recipients"), dbc.Input(id=_id("recipients"), value=d["recipients"],
                                              placeholder="anna@example.com; petr@example.com"), "recipients", 8,
                   _("1 to 10 email addresses separated by ;")),
        ]),
        dbc.Row([
            _field(_("Frequency"), dcc.Dropdown(id=_id("frequency"), value=d["frequency"], clearable=False, options=[
                {"label": _(label), "value": key} for key, label in schedules.FREQUENCY_LABELS.items()]),
                "frequency", 2),
            _field(_("Time ({zone})", zone=tz_label()), dbc.Input(id=_id("run_time"), value=d["run_time"],
                                                                   placeholder="HH:MM"), "run_time", 2),
            _field(_("Day of week"), dcc.Dropdown(id=_id("weekday"), value=d["weekday"], clearable=False, options=[
                {"label": _(w), "value": i} for i, w in enumerate(schedules.WEEKDAYS)]), "weekday", 2),
            _field(_("Day of month"), dbc.Input(id=_id("day_of_month"), value=d["day_of_month"], type="number"),
                   "day_of_month", 2, _("31 = the last day of every month")),
            _field(_("Date"), dbc.Input(id=_id("once_date"), value=d["once_date"], placeholder="YYYY-MM-DD"),
                   "once_date", 2),
        ]),
        dbc.Row([
            _field(_("Link valid (hours)"), dbc.Input(id=_id("link_valid_hours"), value=d["link_valid_hours"],
                                                      type="number"), "link_valid_hours", 2, _("24 to 120")),
            _field(_("Format"), dcc.RadioItems(id=_id("format"), value=d["format"], inline=True,
                                               inputClassName="me-1", labelClassName="me-3",
                                               options=[{"label": f.upper(), "value": f} for f in schedules.FORMATS]),
                   "format", 3, _("Call records: CSV and XLSX up to 10,000, PDF up to 5,000 records")
                   if kind == "cdr" else None),
            _field(_("Language of email and file"), dcc.RadioItems(
                id=_id("language"), value=lang, inline=True, inputClassName="me-1", labelClassName="me-3",
                options=[{"label": "English", "value": "en"}, {"label": "Čeština", "value": "cs"}]), "language", 3),
            dbc.Col([html.Div(id=_err_id("options"), className="invalid-feedback d-block"),
                     html.Div(id=_err_id("kind"), className="invalid-feedback d-block")], md=4),
        ]),
        dbc.Row(dbc.Col([
            dbc.Button(_("Save schedule"), id=_id("save"), color="primary", className="me-2"),
            dbc.Button(_("New schedule"), id=_id("new"), color="secondary", outline=True),
            html.Span(id=_id("editing"), className="ms-3 small text-muted"),
        ])),
    ]
    return dbc.Card(dbc.CardBody([html.H2(_("Create or edit a schedule"), className="h5"), *rows]), className="mb-3")


def _report_types() -> list[str]:
    return list(registry.IDS)


def schedule_table(kind: str, lang: str):
    _ = translator(lang)
    from scheduler.due import next_run
    from scheduler.runner import _as_times
    from callboard.core.settings import get_settings

    user = access.current_user()
    owner = None if user is None or user.role in ("admin", "administrator") else user.id
    rows = schedules.list_schedules(kind=kind, owner_id=owner)
    if not rows:
        return html.P(_("No schedules yet."), className="text-muted")
    tz = get_settings().tz
    now = schedules.utc_now()
    body = []
    for r in rows:
        nxt = next_run(_as_times(r, None), now, tz) if r.enabled else None
        what = _(registry.title(r.report_type or "")) if kind == "report" else _("Call records")
        when = schedules.Summary(r.frequency, r.run_time, r.weekday, r.day_of_month, r.once_date).text(_)
        body.append(html.Tr([
            html.Td(r.name), html.Td(what), html.Td(_(schedules.PERIODS.get(r.period, r.period))), html.Td(when),
            html.Td(fmt_local_datetime(nxt.due_utc, lang, seconds=False) if nxt else "–"),
            html.Td(r.recipients, className="small"), html.Td(r.format.upper()),
            html.Td(_("Active") if r.enabled else _("Paused")),
            html.Td([
                dbc.Button(_("Run now"), id={"type": f"{P}-act", "action": "run", "id": r.id}, size="sm",
                           color="primary", className="me-1"),
                dbc.Button(_("Edit"), id={"type": f"{P}-act", "action": "edit", "id": r.id}, size="sm",
                           color="secondary", outline=True, className="me-1"),
                dbc.Button(_("Resume") if not r.enabled else _("Pause"),
                           id={"type": f"{P}-act", "action": "toggle", "id": r.id}, size="sm", color="secondary",
                           outline=True, className="me-1"),
                dbc.Button(_("Delete"), id={"type": f"{P}-act", "action": "delete", "id": r.id}, size="sm",
                           color="danger", outline=True),
            ], className="text-nowrap"),
        ], id=f"{P}-row-{r.id}"))
    head = html.Thead(html.Tr([html.Th(_(h)) for h in (
        N_("Name"), N_("What"), N_("Period"), N_("When"), N_("Next run"), N_("Recipients"), N_("Format"),
        N_("State"), N_("Actions"))]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, id=_id("table"))


def runs_table(kind: str, lang: str):
    _ = translator(lang)
    runs = schedules.list_runs(kind=kind, limit=30)
    if not runs:
        return html.P(_("No runs yet."), className="text-muted")
    body = [html.Tr([
        html.Td(r.name or _("(deleted schedule)")), html.Td(fmt_local_datetime(r.due_utc, lang, seconds=False)),
        html.Td(_(STATUS_NAMES.get(r.status, r.status)), className={"sent": "text-success", "failed": "text-danger",
                                                                     "retrying": "text-warning"}.get(r.status, "")),
        html.Td(str(r.attempts)), html.Td(fmt_local_datetime(r.next_attempt_utc, lang, seconds=False)
                                          if r.status == "retrying" else ""),
        html.Td(r.error or "", className="small text-break"),
    ]) for r in runs]
    head = html.Thead(html.Tr([html.Th(_(h)) for h in (
        N_("Schedule"), N_("Due"), N_("Status"), N_("Attempts"), N_("Next attempt"), N_("Error"))]))
    return dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, id=_id("runs-table"))


def page(kind: str, lang: str, title: str) -> html.Div:
    _ = translator(lang)
    return html.Div([
        dcc.Store(id=_id("kind"), data=kind),
        dcc.Store(id=_id("edit-id"), data=None),
        dcc.Store(id=_id("version"), data=0),
        html.H1(_(title), className="h3"),
        html.P(_("Times are in the PBX time zone ({zone}).", zone=tz_label()), className="text-muted small"),
        dcc.Loading(html.Div(id=_id("message")), type="dot"),  # "run now" builds the file: show it working
        form(kind, lang),
        html.H2(_("Schedules"), className="h5"),
        html.Div(schedule_table(kind, lang), id=_id("list")),
        html.H2(_("Latest runs"), className="h5 mt-3"),
        html.Div(runs_table(kind, lang), id=_id("runs")),
    ])


INPUT_FIELDS = ("name", "report_type", "period", "fixed_from", "fixed_to", "extensions", "groups", "queues",
                "directions", "recipients", "frequency", "run_time", "weekday", "day_of_month", "once_date",
                "link_valid_hours", "format", "language", "option")
# What each form control sends (callboard.web.input_checks): multi-selects and the checklist
# lists of texts; the number inputs and the weekday dropdown a number (schedules.validate
# reads a text too); the rest texts. Their values are validate()'s business.
Number = int | float | str | None
INPUT_TYPES = {**dict.fromkeys(INPUT_FIELDS, Text), **dict.fromkeys(("extensions", "groups", "queues", "directions"),
                                                                     Texts),
               **dict.fromkeys(("weekday", "day_of_month", "link_valid_hours"), Number)}


def own_schedule(schedule_id):
    """The schedule with this id when the signed-in user may see and change it
    (administrators: every one; managers: their own — the page lists only those), else
    None: another user's schedule is as if it did not exist (no hint that it does). Every
    schedule callback reads a schedule through this one check."""
    sid = db_id(schedule_id)
    user = access.current_user()
    if sid is None or user is None:
        return None
    row = schedules.get(sid)
    return row if row is not None and (user.is_admin or row.owner_id == user.id) else None


def register_callbacks() -> None:
    """Once per app for both pages (the same ids; only one is on screen at a time). Dash
    re-imports the pages for every app it builds and moves the callbacks registered so far
    into that app at its first request: registered once per build, not once per process (a
    second app in a process — tests — had no schedule callbacks at all)."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    if any(key.startswith(f"..{_err_id(FIELDS[0])}.children") for key in GLOBAL_CALLBACK_MAP):
        return  # the other schedule page of this build registered them
    states = [State(_id(f), "value") for f in INPUT_FIELDS]

    @callback(
        [Output(_err_id(f), "children") for f in FIELDS],
        Output(_id("message"), "children"),
        Output(_id("version"), "data"),
        Output(_id("edit-id"), "data"),
        Input(_id("save"), "n_clicks"),
        State(_id("kind"), "data"),
        State(_id("edit-id"), "data"),
        State(_id("version"), "data"),
        State("lang", "value"),
        *states,
        prevent_initial_call=True,
    )
    @checked_inputs(types=[Any, Text, Any, int | None, Any, *(INPUT_TYPES[f] for f in INPUT_FIELDS)])
    def _save(_n, kind, edit_id, version, lang, *values):
        _ = translator(lang)
        data = dict(zip(INPUT_FIELDS, values), kind=kind)
        opt = REPORT_OPTION.get(data.get("report_type"))
        data["options"] = {opt.key: data["option"]} if opt and data.get("option") else {}
        if kind != "report":
            data["report_type"] = None
        user = access.current_user()
        if edit_id:
            row = own_schedule(edit_id)
            if row is None:
                return [""] * len(FIELDS) + [dbc.Alert(_("That schedule no longer exists."), color="warning"),
                                              (version or 0) + 1, None]
        try:
            if edit_id:
                schedules.update(row.id, data)
                saved = row.id
            else:
                saved = schedules.create(data, owner_id=user.id if user else None)
        except schedules.ScheduleInvalid as exc:
            errs = [_(exc.errors[f][0], **exc.errors[f][1]) if f in exc.errors else "" for f in FIELDS]
            alert = dbc.Alert(_("Not saved: correct the fields marked below."), color="danger", className="py-2")
            return [*errs, alert, no_update, no_update]
        except LookupError:
            return [""] * len(FIELDS) + [dbc.Alert(_("That schedule no longer exists."), color="warning"),
                                          (version or 0) + 1, None]
        alert = dbc.Alert(_("Schedule “{name}” saved.", name=data["name"].strip()), color="success",
                          className="py-2", id=_id("saved"), duration=8000)
        return [""] * len(FIELDS) + [alert, (version or 0) + 1, None]  # the form stays for the next one

    @callback(
        Output(_id("message"), "children", allow_duplicate=True),
        Output(_id("version"), "data", allow_duplicate=True),
        Output(_id("edit-id"), "data", allow_duplicate=True),
        [Output(_id(f), "value", allow_duplicate=True) for f in INPUT_FIELDS if f != "report_type"],
        Input({"type": f"{P}-act", "action": ALL, "id": ALL}, "n_clicks"),
        State(_id("version"), "data"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    @checked_inputs
    def _row_action(clicks, version: int | None, lang):
        keep = [no_update] * (len(INPUT_FIELDS) - 1)
        trig = ctx.triggered_id
        if not trig or not any(clicks or []) or not ctx.triggered or not ctx.triggered[0].get("value"):
            return [no_update, no_update, no_update, *keep]
        _ = translator(lang)
        sid, action = db_id(trig.get("id")), trig.get("action")
        row = own_schedule(sid)
        if row is None:
            return [dbc.Alert(_("That schedule no longer exists."), color="warning"), (version or 0) + 1, no_update,
                    *keep]
        if action == "edit":
            values = schedules.as_input(row)
            values["option"] = next(iter((values.get("options") or {}).values()), None)
            out = [values.get(f) for f in INPUT_FIELDS if f != "report_type"]
            return [dbc.Alert(_("Editing “{name}”: change the fields and save.", name=row.name), color="info",
                              className="py-2"), no_update, sid, *out]
        if action == "toggle":
            schedules.set_enabled(sid, not row.enabled)
            msg = _("Schedule “{name}” resumed.", name=row.name) if not row.enabled else \
                _("Schedule “{name}” paused.", name=row.name)
            return [dbc.Alert(msg, color="info", className="py-2"), (version or 0) + 1, no_update, *keep]
        if action == "delete":
            schedules.delete(sid)
            return [dbc.Alert(_("Schedule “{name}” deleted.", name=row.name), color="info", className="py-2"),
                    (version or 0) + 1, None, *keep]
        # run now: record a manual run and send it in this request
        from scheduler.runner import process_ready, run_now

        now = schedules.utc_now()
        run_id = run_now(sid, now)
        outcomes = process_ready(now, only=run_id)
        o = outcomes[0] if outcomes else None
        audit.record("schedule_run_now", ("schedule", sid),
                     {"name": row.name, "run_id": run_id, "status": o.status if o else "pending"})
        if o is not None and o.status == "sent":
            alert = dbc.Alert(_("“{name}” was sent.", name=row.name), color="success", className="py-2",
                              id=_id("run-result"))
        else:
            alert = dbc.Alert(_("“{name}” was not sent: {error}", name=row.name,
                                error=(o.error if o else _("it is being sent by the scheduler"))),
                              color="danger", className="py-2", id=_id("run-result"))
        return [alert, (version or 0) + 1, no_update, *keep]

    @callback(
        Output(_id("report_type"), "value", allow_duplicate=True),
        Input(_id("edit-id"), "data"),
        State(_id("kind"), "data"),
        prevent_initial_call=True,
    )
    def _edit_report_type(edit_id, kind):
        if not edit_id or kind != "report":
            return no_update
        row = own_schedule(edit_id)  # another manager's schedule: nothing (issue 15 read it by id)
        return row.report_type if row else no_update

    @callback(
        Output(_id("list"), "children"),
        Output(_id("runs"), "children"),
        Output(_id("editing"), "children"),
        Input(_id("version"), "data"),
        Input(_id("edit-id"), "data"),
        State(_id("kind"), "data"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    @checked_inputs
    def _refresh(_version, edit_id, kind: Text, lang):
        _ = translator(lang)
        editing = _("Editing schedule {id}", id=edit_id) if edit_id else ""
        return schedule_table(kind, lang), runs_table(kind, lang), editing

    @callback(
        Output(_id("edit-id"), "data", allow_duplicate=True),
        Output(_id("message"), "children", allow_duplicate=True),
        [Output(_id(f), "value", allow_duplicate=True) for f in INPUT_FIELDS if f != "report_type"],
        Input(_id("new"), "n_clicks"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    def _new(_n, lang):
        """An empty form (the defaults) for a new schedule; errors clear with the next save."""
        values = dict(DEFAULTS, language=lang, option=None)
        return [None, "", *[values.get(f) for f in INPUT_FIELDS if f != "report_type"]]

    @callback(
        Output(_id("option-box"), "style"),
        Output(_id("option-label"), "children"),
        Output(_id("option"), "options"),
        Output(_id("option"), "value"),
        Input(_id("report_type"), "value"),
        State(_id("option"), "value"),
        State(_id("edit-id"), "data"),
        State("lang", "value"),
    )
    @checked_inputs
    def _report_option(report_type: Text, value: Text, edit_id, lang):
        opt = REPORT_OPTION.get(report_type)
        if opt is None:
            return {"display": "none"}, "", [], None
        row = own_schedule(edit_id) if edit_id else None
        if row is not None and row.report_type == report_type:
            # editing: the stored choice (the dropdown drops a value set before its choices)
            value = (row.filters or {}).get("options", {}).get(opt.key, value)
        _ = translator(lang)
        choices = [{"label": _(label), "value": v} for v, label in opt.choices]
        keep = value if value in {c["value"] for c in choices} else opt.default
        return {}, _(opt.label), choices, keep

    @callback(
        Output(_id("weekday"), "disabled"),
        Output(_id("day_of_month"), "disabled"),
        Output(_id("once_date"), "disabled"),
        Output(_id("fixed-box"), "style"),
        Input(_id("frequency"), "value"),
        Input(_id("period"), "value"),
    )
    def _visible(freq, period):
        return freq != "weekly", freq != "monthly", freq != "once", {} if period == "fixed" else {"display": "none"}

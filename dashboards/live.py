"""Live dashboard /live (managers): today so far — calls per hour against the same weekday
last week, the queues now (the wallboard's snapshot, same metric definitions as the
reports), the agents with their state and time in state — refreshing by itself every few
seconds, with a button to pause the refresh (e.g. while reading the agents table)."""

from __future__ import annotations

import logging
from datetime import timedelta

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from callboard.core.i18n import N_, translator

PATH = "/live"
dash.register_page(__name__, path=PATH)
log = logging.getLogger(__name__)
REFRESH_MS = 5000

STATE_LABELS = {"logged_out": N_("Logged out"), "available": N_("Available"), "ringing": N_("Ringing"),
                "on_call": N_("On a call"), "paused": N_("On pause")}


def layout(lang: str = "en", **_query):
    from callboard.core.formatting import tz_label

    _ = translator(lang)
    return html.Div(
        [
            html.Div(
                [
                    html.H2(_("Live dashboard"), className="me-auto"),
                    html.Span(id="live-updated", className="text-muted me-3", role="status"),
                    dbc.Button(_("Pause auto-refresh"), id="live-pause", color="secondary", outline=True, size="sm",
                               n_clicks=0),
                ],
                className="d-flex align-items-center gap-2",
            ),
            html.P(_("Times are in the PBX time zone ({tz}).", tz=tz_label()), className="text-muted"),
            dbc.Alert(id="live-stale", color="warning", is_open=False),
            dcc.Interval(id="live-tick", interval=REFRESH_MS, n_intervals=0),
            dcc.Store(id="live-lang", data=lang),
            html.H3(_("Today so far"), className="h5 mt-3"),
            html.Div(id="live-hours"),
            html.H3(_("Queues now"), className="h5 mt-3"),
            html.Div(id="live-queues"),
            html.H3(_("Agents now"), className="h5 mt-3"),
            html.Div(id="live-agents"),
        ]
    )


@callback(
    Output("live-tick", "disabled"),
    Output("live-pause", "children"),
    Input("live-pause", "n_clicks"),
    State("live-lang", "data"),
)
def toggle_pause(n_clicks, lang):
    _ = translator(lang)
    paused = bool(n_clicks and n_clicks % 2)
    return paused, _("Resume auto-refresh") if paused else _("Pause auto-refresh")


def _table(header: list[str], rows: list[list], table_id: str):
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                     striped=True, hover=True, size="sm", responsive=True, id=table_id)


def _hours_view(today, last_week, lang: str, weekday: str):
    from callboard.reports.figures import fig_today_vs_last_week

    _ = translator(lang)
    if today.empty and last_week.empty:
        return html.P(_("No calls today yet, and none on the same weekday last week."), className="text-muted")
    return dcc.Graph(figure=fig_today_vs_last_week(today, last_week, lang, weekday),
                     config={"displayModeBar": False}, id="live-hours-graph")


@callback(
    Output("live-hours", "children"),
    Output("live-queues", "children"),
    Output("live-agents", "children"),
    Output("live-updated", "children"),
    Output("live-stale", "children"),
    Output("live-stale", "is_open"),
    Input("live-tick", "n_intervals"),
    State("live-lang", "data"),
)
def refresh(_n, lang):
    from babel.dates import format_date

    from callboard.web.access import current_scope
    from callboard.core.formatting import fmt_duration, fmt_local_time, fmt_number, fmt_percent
    from callboard.core.i18n import BABEL_LOCALES, normalize_lang
    from callboard.core.settings import get_settings
    from data import db, live

    _ = translator(lang)
    tz = get_settings().tz
    scope = current_scope()
    now = live.utcnow()
    try:
        snap = live.wallboard_snapshot(scope, [], tz)
        day = live.today_bounds(tz, now)
        today = db.fetch_df(live.calls_by_hour(scope, day, tz))
        last_week = db.fetch_df(live.calls_by_hour(scope, day - timedelta(days=7), tz))
        agents = db.fetch_all(live.agents_now(scope))
    except Exception as exc:  # the database is away: keep what is shown and say since when
        log.warning("live dashboard refresh failed: %s", exc.__class__.__name__)
        return (no_update, no_update, no_update, no_update,
                _("The database cannot be reached; the figures below are not current."), True)
    weekday = format_date(day, "EEEE", locale=BABEL_LOCALES[normalize_lang(lang)])
    hours = _hours_view(today, last_week, lang, weekday)
    if snap.tiles:
        queues = _table(
            [_("Queue"), _("Calls waiting"), _("Longest wait"), _("Available"), _("On a call"), _("On pause"),
             _("Agents logged in"), _("Offered today"), _("Answered today"), _("Abandoned today"),
             _("Service level today"), _("Average wait today")],
            [[f"{t.name} ({t.queue})", fmt_number(t.waiting, lang), fmt_duration(t.oldest_wait_s) or "–",
              fmt_number(t.available, lang), fmt_number(t.on_call, lang), fmt_number(t.paused, lang),
              fmt_number(t.logged_in, lang), fmt_number(t.offered, lang), fmt_number(t.answered, lang),
              fmt_number(t.abandoned, lang), fmt_percent(t.service_level, lang, 0),
              fmt_duration(t.avg_wait_s) or "–"] for t in snap.tiles],
            "live-queue-table")
    else:
        queues = html.P(_("No queues to show."), className="text-muted")
    shown = [a for a in agents if a.state != "logged_out"]
    if shown:
        agent_rows = [[a.agent, a.name or "", _(STATE_LABELS.get(a.state, a.state)), a.reason or "",
                       fmt_local_time(a.since_utc, lang), fmt_duration((now - a.since_utc).total_seconds()),
                       (a.queues or "").replace(",", ", ")] for a in shown]
        agents_view = _table([_("Agent"), _("Name"), _("State"), _("Reason"), _("Since"), _("Time in state"),
                              _("Queues")], agent_rows, "live-agent-table")
    else:
        agents_view = html.P(_("No agent is logged in."), className="text-muted")
    updated = _("Updated {time} ({zone})").format(time=fmt_local_time(now, lang), zone=get_settings().timezone)
    return hours, queues, agents_view, updated, "", False

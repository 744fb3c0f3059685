"""Overview (/): the last 30 days at a glance, from the hourly aggregates."""

from __future__ import annotations

from datetime import datetime, timedelta

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callboard.web import access
from callboard.reports.figures import DIRECTION_LABELS, fig_calls_per_day
from callboard.core.formatting import fmt_duration, fmt_local_datetime, fmt_number, fmt_percent, tz_label
from callboard.core.i18n import translator
from callboard.web.navigation import REPORTS
from callboard.core.settings import get_settings
from data import db
from data.queries.overview import calls_per_day, data_range, first_and_last_call
from data.timebuckets import local_day_bounds_utc

dash.register_page(__name__, path="/")


def _kpi(label: str, value: str, kpi_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(dbc.CardBody([html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value", id=kpi_id)])),
        md=3,
    )


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    scope = access.current_scope()  # the user's (a wall display never gets here: the page is a viewer's)
    tz = get_settings().tz
    header = [html.H2(_("Overview")), html.P(_("Times are in the PBX time zone ({tz}).", tz=tz_label()), className="text-muted")]
    if scope.is_empty:
        return html.Div(header + [dbc.Alert(_("Your account sees no calls yet: an administrator assigns you "
                                              "extension groups, extensions or queues."), color="warning",
                                            id="overview-empty")])
    first_hour, last_hour, total = db.fetch_all(data_range(scope))[0]
    if not total:
        return html.Div(header + [dbc.Alert(_("No calls stored yet. Run “callboard generate” or import a CDR file."), color="warning", id="overview-empty")])
    first, last = db.fetch_all(first_and_last_call(scope, first_hour, last_hour))[0]

    # The 30 days ending with the newest call (or today, if data reaches today).
    end_day = min(datetime.now(tz).date(), last.date() + timedelta(days=1))
    start_day = end_day - timedelta(days=29)
    start_utc, end_utc = local_day_bounds_utc(start_day, end_day, tz)
    df = db.fetch_df(calls_per_day(scope, start_utc, end_utc))
    calls = int(df["calls"].sum()) if not df.empty else 0
    answered = int(df["answered"].sum()) if not df.empty else 0
    by_dir = df.groupby("direction")["calls"].sum().to_dict() if not df.empty else {}
    talk = int(df["talk_s"].sum()) if not df.empty else 0

    kpis = dbc.Row(
        [
            _kpi(_("Calls"), fmt_number(calls, lang), "kpi-calls"),
            _kpi(_("Answered"), fmt_percent(answered / calls if calls else None, lang), "kpi-answered"),
            _kpi(_("Talk time"), fmt_duration(talk), "kpi-talk"),
            _kpi(
                " / ".join(_(DIRECTION_LABELS[d]) for d in ("inbound", "outbound", "internal")),
                " / ".join(fmt_number(by_dir.get(d, 0), lang) for d in ("inbound", "outbound", "internal")),
                "kpi-directions",
            ),
        ],
        className="g-3 mb-3",
    )
    period = html.P(
        _("Last 30 days: {start} – {end}. Data from {first} to {last}.",
          start=start_day.isoformat(), end=end_day.isoformat(),
          first=fmt_local_datetime(first, lang, seconds=False), last=fmt_local_datetime(last, lang, seconds=False)),
        id="overview-period",
    )
    chart = (
        dcc.Graph(figure=fig_calls_per_day(df, lang), id="overview-chart", config={"displaylogo": False})
        if calls
        else dbc.Alert(_("No calls in this period."), color="secondary")
    )
    reports = html.Ul([html.Li(dcc.Link(_(r.title), href=r.path)) for r in REPORTS], className="columns-2")
    return html.Div(header + [period, kpis, chart, html.H4(_("Reports"), className="mt-4"), reports])

"""The download lists (/downloads/exports: call-record exports, /downloads/reports:
scheduled reports): every generated file with schedule, time, period, format, size,
record count, status and link expiry. Signed-in users download through
/files/by-id/<id> (callboard.web.file_routes), also after the emailed link has expired;
administrators see every file, others their own schedules' files."""

from __future__ import annotations

from datetime import timedelta

import dash_bootstrap_components as dbc
import sqlalchemy as sa
from dash import html

from callboard.web import access
from callboard.core.formatting import fmt_date, fmt_local_datetime, fmt_number, tz_label
from callboard.core.i18n import N_, translator
from callboard.reports.schedules import utc_now
from data import db
from data import schema as s
from data.timebuckets import utc_to_local

STATUS_NAMES = {"ready": N_("Built, not sent yet"), "sent": N_("Sent"), "failed": N_("Not sent")}


def _size(n: int | None, lang: str) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{fmt_number(n, lang)} B"
    if n < 1024 * 1024:
        return f"{fmt_number(n / 1024, lang, 1)} kB"
    return f"{fmt_number(n / 1024 / 1024, lang, 1)} MB"


def deliveries(kind: str, limit: int = 500):
    d = s.delivery
    stmt = sa.select(d).where(d.c.kind == kind).order_by(d.c.created_utc.desc(), d.c.id.desc()).limit(limit)
    user = access.current_user()
    if user is not None and user.role not in ("admin", "administrator"):
        stmt = stmt.where(d.c.owner_id == user.id)
    return db.fetch_all(stmt)


def page(kind: str, lang: str, title: str) -> html.Div:
    from callboard.core.settings import get_settings

    _ = translator(lang)
    tz = get_settings().tz
    now = utc_now()
    rows = deliveries(kind)
    content = html.P(_("No files have been generated yet."), className="text-muted") if not rows else None
    if rows:
        body = []
        for r in rows:
            first = utc_to_local(r.period_from_utc, tz).date() if r.period_from_utc else None
            last = utc_to_local(r.period_to_utc - timedelta(microseconds=1), tz).date() if r.period_to_utc else None
            expired = r.expires_utc is None or r.expires_utc <= now
            count = fmt_number(r.record_count or 0, lang)
            if (r.total_count or 0) > (r.record_count or 0):
                count = _("{n} of {total}", n=count, total=fmt_number(r.total_count, lang))
            body.append(html.Tr([
                html.Td(r.name), html.Td(fmt_local_datetime(r.created_utc, lang, seconds=False)),
                html.Td("" if not first else fmt_date(first, lang) if first == last else
                        f"{fmt_date(first, lang)} – {fmt_date(last, lang)}"),
                html.Td(r.format.upper()), html.Td(_size(r.size_bytes, lang)), html.Td(count),
                html.Td(_(STATUS_NAMES.get(r.status, r.status))),
                html.Td(dbc.Badge(_("Link expired"), color="secondary") if expired else
                        _("Link valid until {time}", time=fmt_local_datetime(r.expires_utc, lang, seconds=False))),
                html.Td(html.A(_("Download"), href=f"/files/by-id/{r.id}?lang={lang}", className="btn btn-sm "
                               "btn-outline-primary") if r.path else ""),
            ], className="text-muted" if expired else ""))
        head = html.Thead(html.Tr([html.Th(_(h)) for h in (
            N_("Name"), N_("Generated"), N_("Period"), N_("Format"), N_("Size"), N_("Records"), N_("Status"),
            N_("Emailed link"), N_("File"))]))
        content = dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, id="dl-table")
    return html.Div([
        html.H1(_(title), className="h3"),
        html.P(_("Times are in the PBX time zone ({zone}). Files stay here after their emailed link expires, "
                 "until the retention period removes them.", zone=tz_label()), className="text-muted small"),
        content,
    ])

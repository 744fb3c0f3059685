"""Page /schedules/exports: scheduled call-record (CDR) exports, sent by email as CSV, XLSX
or PDF with the format's record cap (callboard.web.schedule_ui)."""

import dash

from callboard.core.i18n import N_
from callboard.web.schedule_ui import page, register_callbacks

PATH = "/schedules/exports"
dash.register_page(__name__, path=PATH)
register_callbacks()


def layout(lang: str = "en", **_query):
    return page("cdr", lang, N_("Scheduled call-record exports"))

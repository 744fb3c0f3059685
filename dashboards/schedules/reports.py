"""Page /schedules/reports: scheduled reports (any report type with its filters), sent by
email as PDF, CSV or XLSX (callboard.web.schedule_ui)."""

import dash

from callboard.core.i18n import N_
from callboard.web.schedule_ui import page, register_callbacks

PATH = "/schedules/reports"
dash.register_page(__name__, path=PATH)
register_callbacks()


def layout(lang: str = "en", **_query):
    return page("report", lang, N_("Scheduled reports"))

"""Report: /reports/did-dod (placeholder until the reports work item lands)."""

import dash

from callboard.i18n import N_
from callboard.shell import coming_soon

PATH = "/reports/did-dod"
dash.register_page(__name__, path=PATH)


def layout(lang: str = "en", **_query):
    return coming_soon(lang, PATH, N_("Reports"))

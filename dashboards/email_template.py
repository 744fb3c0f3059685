"""Page /email-template (placeholder until its work item lands)."""

import dash

from callboard.i18n import N_
from callboard.shell import coming_soon

PATH = "/email-template"
dash.register_page(__name__, path=PATH)


def layout(lang: str = "en", **_query):
    return coming_soon(lang, PATH, N_("Scheduled exports and reports"))

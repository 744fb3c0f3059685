"""Page /downloads/reports: "Download scheduled reports" — every generated report file
(callboard.web.download_ui)."""

import dash

from callboard.web.download_ui import page
from callboard.core.i18n import N_

PATH = "/downloads/reports"
dash.register_page(__name__, path=PATH)


def layout(lang: str = "en", **_query):
    return page("report", lang, N_("Download scheduled reports"))

"""Page /downloads/exports: the "Download list" — every generated call-record export
(callboard.web.download_ui)."""

import dash

from callboard.web.download_ui import page
from callboard.core.i18n import N_

PATH = "/downloads/exports"
dash.register_page(__name__, path=PATH)


def layout(lang: str = "en", **_query):
    return page("cdr", lang, N_("Download list"))

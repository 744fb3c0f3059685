"""About the metrics (/help/metrics): every definition, from data.metrics, in the user's
language, grouped by what it measures (calls, queues, agents, staffing, satisfaction)."""

import dash
from dash import html

from callboard.core.i18n import N_, translator
from data.metrics import DEFINITIONS

dash.register_page(__name__, path="/help/metrics")

# (heading msgid, DEFINITIONS keys); a key not listed here is shown under the last heading,
# so a new definition is never hidden.
GROUPS = (
    (N_("Calls"), ("calls", "answered", "failed", "talk_time", "avg_talk", "extension_calls", "pbx_calls", "did_dod",
                    "ivr")),
    (N_("Queues"), ("offered", "short_abandon", "service_level", "abandon_rate", "asa", "abandoned_queue",
                    "avg_wait_all", "longest_wait")),
    (N_("Agents"), ("occupancy",)),
    (N_("Staffing"), ("staffing",)),
    (N_("Satisfaction survey"), ("csat",)),
)


# How the reports round (callboard.reports.runners.round_to_precision): said once, here.
PRECISION = N_("Numbers are rounded once, halves up: averages of durations to a tenth of a second (an ASA of "
               "6.5 s stays 6.5 s), percentages to a tenth of a point, average scores to two decimals. The page, "
               "its chart and the CSV, XLSX and PDF files show the same figure.")


def _entry(key: str, text: str) -> list:
    # "Term: definition" -> a term and its definition (texts without a colon stay whole).
    term, sep, rest = text.partition(": ")
    if not sep:
        return [html.Dd(text, id=f"metric-{key}")]
    return [html.Dt(term, className="mt-2"), html.Dd(rest[:1].upper() + rest[1:], id=f"metric-{key}")]


def layout(lang: str = "en", **_query):
    _ = translator(lang)
    listed = {k for _h, keys in GROUPS for k in keys}
    rest = tuple(k for k in DEFINITIONS if k not in listed)
    blocks = []
    for i, (heading, keys) in enumerate(GROUPS):
        keys = keys + (rest if i == len(GROUPS) - 1 else ())
        entries = [part for k in keys if k in DEFINITIONS for part in _entry(k, _(DEFINITIONS[k]))]
        blocks += [html.H3(_(heading), className="h5 mt-4"), html.Dl(entries)]
    return html.Div(
        [
            html.H2(_("About the metrics")),
            html.P(_("Every report, export and wallboard uses these definitions.")),
            html.P(_(PRECISION), id="metrics-precision"),
            *blocks,
        ]
    )

"""Metric definitions, written once. Pages, CSV, PDF and the wallboard all use these.

Each metric has a plain-language definition (shown to users under "About the metrics")
and, where it is computed in SQL, the expression that computes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from callboard.i18n import N_

DEFAULT_SL_TARGET_S = 20
DEFAULT_SHORT_ABANDON_S = 5


def is_short_abandon(outcome, wait_s, short_abandon_s):
    """Short abandon: the caller hung up in the queue after waiting less than the queue's
    short-abandon threshold. Excluded from offered calls and from the abandon rate."""
    return sa.and_(outcome == "abandoned", wait_s < short_abandon_s)


def is_answered_within_sl(outcome, wait_s, sl_target_s):
    """Answered within the service-level target: answered after waiting at most the
    queue's target seconds."""
    return sa.and_(outcome == "answered", wait_s <= sl_target_s)


# msgids (translated by the UI) of the definitions users see.
DEFINITIONS = {
    "offered": N_("Offered: calls that entered the queue, excluding short abandons."),
    "short_abandon": N_("Short abandon: the caller hung up after waiting less than the queue's short-abandon threshold (default 5 s)."),
    "service_level": N_("Service level: calls answered within the queue's target (default 20 s) ÷ offered calls."),
    "abandon_rate": N_("Abandon rate: abandoned calls (without short abandons) ÷ offered calls."),
    "asa": N_("ASA (average speed of answer): mean wait of answered calls."),
    "occupancy": N_("Occupancy: talk time ÷ (logged-in time − pause time)."),
}

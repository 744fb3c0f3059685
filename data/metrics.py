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


# --------------------------------------------------------------------------- call statuses
# The status classes the call reports count. Every stored status falls in exactly one, so
# the classes add up to the total ("congestion" is a failed call set-up).
STATUS_CLASSES: dict[str, tuple[str, ...]] = {
    "answered": ("answered",),
    "no_answer": ("no_answer",),
    "busy": ("busy",),
    "failed": ("failed", "congestion"),
    "voicemail": ("voicemail",),
    "abandoned": ("abandoned",),
}
STATUS_LABELS = {
    "answered": N_("Answered"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "failed": N_("Failed"),
    "voicemail": N_("Voicemail"),
    "abandoned": N_("Abandoned"),
}


def count_status(status_col, status_class: str, weight=1):
    """SQL: how many calls (or aggregate rows weighted by `weight`, e.g. agg.calls) fall in
    `status_class` (a key of STATUS_CLASSES)."""
    return sa.func.sum(sa.case((status_col.in_(STATUS_CLASSES[status_class]), weight), else_=0))


def count_answered(status_col, weight=1):
    """SQL: answered calls — status 'answered' (talk happened with our side)."""
    return count_status(status_col, "answered", weight)


def unanswered(calls: int, answered: int) -> int:
    """Unanswered calls: every call that was not answered (no answer, busy, failed,
    voicemail, abandoned)."""
    return int(calls or 0) - int(answered or 0)


def avg_talk_s(talk_s, answered) -> float | None:
    """Average talk time: total talk time ÷ answered calls (None when nothing was answered)."""
    answered = int(answered or 0)
    return None if answered == 0 else float(talk_s or 0) / answered


def answer_rate(answered, calls) -> float | None:
    """Answer rate: answered calls ÷ all calls (None for no calls)."""
    calls = int(calls or 0)
    return None if calls == 0 else int(answered or 0) / calls


# msgids (translated by the UI) of the definitions users see.
DEFINITIONS = {
    "offered": N_("Offered: calls that entered the queue, excluding short abandons."),
    "short_abandon": N_("Short abandon: the caller hung up after waiting less than the queue's short-abandon threshold (default 5 s)."),
    "service_level": N_("Service level: calls answered within the queue's target (default 20 s) ÷ offered calls."),
    "abandon_rate": N_("Abandon rate: abandoned calls (without short abandons) ÷ offered calls."),
    "asa": N_("ASA (average speed of answer): mean wait of answered calls."),
    "occupancy": N_("Occupancy: talk time ÷ (logged-in time − pause time)."),
    "calls": N_("Calls: every call that started in the period, counted by its start time (a call crossing an hour or a day belongs to the hour it started in), in the PBX time zone."),
    "answered": N_("Answered: calls with the status answered. Unanswered = calls − answered (no answer, busy, failed, voicemail, abandoned)."),
    "failed": N_("Failed: calls that could not be set up (failed or network congestion)."),
    "talk_time": N_("Talk time: seconds from answer to hang-up, summed; hold time is summed separately."),
    "avg_talk": N_("Average talk time: talk time ÷ answered calls."),
    "extension_calls": N_("Extension statistics: a call counts for the extension that made or took it; an internal call counts for both of its extensions, so per-extension numbers can add up to more than the PBX total."),
    "pbx_calls": N_("PBX activity: each call counts once, whatever extensions it involved."),
    "did_dod": N_("DID: inbound calls per our called number. DOD: outbound calls per caller ID we presented."),
}

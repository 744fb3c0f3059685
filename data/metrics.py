"""Metric definitions, written once. Pages, CSV, PDF and the wallboard all use these.

Each metric has a plain-language definition (shown to users under "About the metrics")
and, where it is computed in SQL, the expression that computes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from callboard.core.i18n import N_

DEFAULT_SL_TARGET_S = 20
DEFAULT_SHORT_ABANDON_S = 5
DEFAULT_SL_GOAL_PCT = 80  # "80 % of offered calls within the target"


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
    """Average talk time: total talk time ÷ answered calls (None when nothing was answered).
    For queue calls the divisor is the answered calls whose talk is known (`talked`):
    a call still talking at the end of the data is not a talk of 0."""
    answered = int(answered or 0)
    return None if answered == 0 else float(talk_s or 0) / answered


# msgids (translated by the UI) of the definitions users see.
DEFINITIONS = {
    "offered": N_("Offered: calls that entered the queue, excluding short abandons and callers still waiting at the end of the data."),
    "open_queue_calls": N_("Still waiting / still talking: queue calls with no exit yet at the end of the data (the queue_log has not recorded how they ended). They are counted apart and left out of service level, abandon rate and the averages until a later import brings their exit; a call still talking counts as answered, with its wait, but not in average talk time."),
    "short_abandon": N_("Short abandon: the caller hung up after waiting less than the queue's short-abandon threshold (default 5 s)."),
    "service_level": N_("Service level: calls answered within the queue's target (default 20 s) ÷ offered calls."),
    "abandon_rate": N_("Abandon rate: abandoned calls (without short abandons) ÷ offered calls."),
    "asa": N_("ASA (average speed of answer): mean wait of answered calls."),
    "abandoned_queue": N_("Abandoned (queue): callers who hung up while waiting, short abandons excluded. Timed out, exited by key and no agents are counted apart."),
    "avg_wait_all": N_("Average wait (all): total wait of every call that entered the queue (short abandons included, callers still waiting excluded) ÷ those calls."),
    "longest_wait": N_("Longest wait: the longest time a caller waited in the queue, whatever the outcome."),
    "occupancy": N_("Occupancy: talk time ÷ (logged-in time − pause time)."),
    "staffing": N_("Agents needed (staffing view): per hour of day, the fewest agents with which Erlang C predicts that the queue's goal share of offered calls (default 80 %) is answered within its target (default 20 s), at the measured arrival rate (offered calls ÷ hours) and average handle time (talk time ÷ answered calls). Beside it, the mean number of agents logged in to the queue during those hours."),
    "csat": N_("Satisfaction survey: average score = total points ÷ answers; participation rate = answers ÷ answered queue calls of the same queue or agent."),
    "calls": N_("Calls: every call that started in the period, counted by its start time (a call crossing an hour or a day belongs to the hour it started in), in the PBX time zone."),
    "answered": N_("Answered: calls with the status answered. Unanswered = calls − answered (no answer, busy, failed, voicemail, abandoned)."),
    "failed": N_("Failed: calls that could not be set up (failed or network congestion)."),
    "talk_time": N_("Talk time: seconds from answer to hang-up, summed; hold time is summed separately."),
    "avg_talk": N_("Average talk time: talk time ÷ answered calls."),
    "avg_talk_queue": N_("Average talk time (queues): the agents' talk (answer to hang-up or transfer, from the queue_log) ÷ answered queue calls that have ended; a call still talking at the end of the data is left out, not counted as 0."),
    "extension_calls": N_("Extension statistics: a call counts for the extension that made or took it; an internal call counts for both of its extensions, so per-extension numbers can add up to more than the PBX total."),
    "pbx_calls": N_("PBX activity: each call counts once, whatever extensions it involved."),
    "did_dod": N_("DID: inbound calls per our called number. DOD: outbound calls per caller ID we presented."),
    "ivr": N_("IVR: calls entered = calls that reached the IVR or chose an option in it (a call once per IVR); choices = every option chosen (a call choosing twice counts twice). Both count in the hour the call started, even when the choice was made after the hour or the day ended."),
}


# --------------------------------------------------------------------------- queue metrics
# The queue reports (data.queries.queues.queue_stats) sum, per queue and period, the same
# raw counts on both paths (agg_queue_hour or queue_call); the ratios below are computed
# from those sums only, here, for the page, the CSV and the CLI alike.


def count_outcome(outcome_col, outcome: str, weight=1):
    """SQL: queue calls (or aggregate rows weighted by `weight`) with this outcome."""
    return sa.func.sum(sa.case((outcome_col == outcome, weight), else_=0))


def count_talked(outcome_col, talk_col):
    """SQL: answered queue calls whose talk is known (completed or transferred; not those
    still talking at the end of the data or cut by a PBX restart) — the divisor of average
    talk and handle time."""
    return sa.func.sum(sa.case((sa.and_(outcome_col == "answered", talk_col.is_not(None)), 1), else_=0))


def is_talking(outcome_col, talk_col, exit_col):
    """SQL: answered and not ended yet at the end of the data (no talk time, no exit)."""
    return sa.and_(outcome_col == "answered", talk_col.is_(None), exit_col.is_(None))


def count_open(outcome_col, talk_col, exit_col):
    """SQL: queue calls open at the end of the data: still waiting or still talking."""
    return sa.func.sum(sa.case((sa.or_(outcome_col == "waiting", is_talking(outcome_col, talk_col, exit_col)), 1),
                               else_=0))


def offered(calls, short_abandons, waiting=0) -> int:
    """Offered: calls that entered the queue minus short abandons and minus the callers
    still waiting at the end of the data (their outcome is not known yet)."""
    return int(calls or 0) - int(short_abandons or 0) - int(waiting or 0)


def closed_calls(calls, waiting) -> int:
    """Queue calls whose wait is known: every call that entered minus those still waiting."""
    return int(calls or 0) - int(waiting or 0)


def abandoned_excl_short(abandoned, short_abandons) -> int:
    """Abandoned: callers who hung up in the queue, short abandons excluded."""
    return int(abandoned or 0) - int(short_abandons or 0)


def _ratio(num, den) -> float | None:
    den = int(den or 0)
    return None if den == 0 else float(num or 0) / den


def service_level(within_sl, offered_calls) -> float | None:
    """Service level: answered within the queue's target ÷ offered (None when nothing offered)."""
    return _ratio(within_sl, offered_calls)


def abandon_rate(abandoned, offered_calls) -> float | None:
    """Abandon rate: abandoned (without short abandons) ÷ offered."""
    return _ratio(abandoned, offered_calls)


def asa_s(answered_wait_s, answered) -> float | None:
    """ASA: total wait of answered calls ÷ answered calls."""
    return _ratio(answered_wait_s, answered)


def avg_wait_all_s(wait_s, calls) -> float | None:
    """Average wait (all): total wait of every call that entered the queue ÷ those calls
    (callers still waiting excluded: pass closed_calls(calls, waiting))."""
    return _ratio(wait_s, calls)


# --------------------------------------------------------------------------- Erlang C staffing


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Probability that a call waits (Erlang C) with `agents` agents and offered traffic A
    = λ·h erlangs; 1.0 when agents ≤ A (the queue grows without bound)."""
    a, n = float(traffic_erlangs), int(agents)
    if n <= 0 or a >= n:
        return 1.0
    if a <= 0:
        return 0.0
    # Erlang B by the stable recursion B(k) = A·B(k−1) / (k + A·B(k−1)), then C from B.
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return n * b / (n - a * (1 - b))


def erlang_c_service_level(calls_per_hour: float, handle_s: float, agents: int, target_s: float) -> float:
    """Share of calls answered within `target_s`: 1 − P(wait)·e^(−(N−A)·t/h)."""
    import math

    a = float(calls_per_hour) * float(handle_s) / 3600.0
    if a <= 0:
        return 1.0
    if agents <= a:
        return 0.0
    return 1.0 - erlang_c(a, agents) * math.exp(-(agents - a) * float(target_s) / float(handle_s))


def agents_needed(calls_per_hour: float, handle_s: float, target_s: float, goal: float = 0.8) -> int:
    """Staffing need: the fewest agents whose Erlang C service level reaches `goal`."""
    a = float(calls_per_hour) * float(handle_s) / 3600.0
    if a <= 0:
        return 0
    n = max(1, int(a) + 1)
    while erlang_c_service_level(calls_per_hour, handle_s, n, target_s) < goal:
        n += 1
    return n


# --------------------------------------------------------------------------- callbacks / satisfaction (CSAT)


def time_to_callback_s(requested_utc, completed_utc) -> float | None:
    """Time to callback: completed − requested, in seconds (None unless completed)."""
    if requested_utc is None or completed_utc is None:
        return None
    return (completed_utc - requested_utc).total_seconds()


def avg_time_to_callback_s(total_s, completed) -> float | None:
    """Average time to callback: sum of (completed − requested) over completed callbacks ÷ completed."""
    return _ratio(total_s, completed)


def csat_average(total_points, answers) -> float | None:
    """Average score: total points ÷ answers (None without answers; shown with 2 decimals)."""
    return _ratio(total_points, answers)


def csat_participation(answers, answered_calls) -> float | None:
    """Participation rate: survey answers ÷ answered queue calls (outcome 'answered') of the
    same queue / agent in the range (None when nothing was answered)."""
    return _ratio(answers, answered_calls)


def occupancy(talk_s, logged_in_s, pause_s) -> float | None:
    """Occupancy: talk time ÷ (logged-in time − pause time), both clipped to the range
    (None when the agent was not available at all)."""
    available = float(logged_in_s or 0) - float(pause_s or 0)
    return None if available <= 0 else float(talk_s or 0) / available


def arrival_rate_per_hour(offered_calls, hours) -> float | None:
    """Arrival rate: offered calls ÷ the hours they arrived in (None for no hours)."""
    return None if not hours else int(offered_calls or 0) / int(hours)


def traffic_erlangs(calls_per_hour, handle_s) -> float | None:
    """Offered traffic A = arrival rate × average handle time, in erlangs (agents busy)."""
    if calls_per_hour is None or handle_s is None:
        return None
    return float(calls_per_hour) * float(handle_s) / 3600.0


def staffing_need(calls_per_hour, handle_s, target_s, goal_pct) -> int | None:
    """Agents needed (Erlang C) for `goal_pct` % of calls answered within `target_s`; 0
    without calls, None when the handle time is unknown (no call was ever answered)."""
    if not calls_per_hour:
        return 0
    if not handle_s:
        return None
    return agents_needed(calls_per_hour, handle_s, target_s, goal_pct / 100.0)


def expected_service_level(calls_per_hour, handle_s, agents, target_s) -> float | None:
    """Service level Erlang C predicts with `agents` (a mean, rounded down: a part of an
    agent answers no call) at this arrival rate and handle time; None without calls."""
    if not calls_per_hour or not handle_s or agents is None:
        return None
    return erlang_c_service_level(calls_per_hour, handle_s, int(agents), target_s)

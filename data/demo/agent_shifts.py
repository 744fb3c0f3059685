"""The agents' shifts of one demo day: who works (fewer on weekends, a late shift that may
run past midnight), login and logout, lunch, breaks and sometimes training or a
meeting. Today, sessions still running are left open; on the last day of a past range
the last agent to log in stays logged in."""

from __future__ import annotations

import numpy as np

from data.demo.call_centre import AGENTS
from data.demo.columns import NULL_T, objects
from data.demo.day import DayContext


def draw_agent_shifts(ctx: DayContext) -> dict[str, dict[str, np.ndarray]]:
    """The ``agent_session`` and ``agent_pause`` rows of the day (from the day's RNG)."""
    rng = ctx.rng
    sess, pauses = [], []
    day_start = int(ctx.hour_epoch[0])
    for i, agent in enumerate(AGENTS):
        late = agent in ("118", "119", "130", "131")
        if ctx.weekend:
            works = i in (0, 1, 2, 20) and rng.random() < 0.9
        else:
            works = rng.random() < 0.92
        if not works:
            continue
        if ctx.weekend:
            login = day_start + 9 * 3600 - int(rng.integers(0, 900))
            logout = login + 8 * 3600 + int(rng.integers(0, 1800))
        elif late:
            login = day_start + 15 * 3600 + int(rng.integers(-900, 900))
            # late shift: sometimes past midnight
            logout = login + 9 * 3600 + int(rng.integers(0, 5400))
        else:
            login = day_start + int(rng.normal(7.75, 0.4) * 3600)
            logout = login + int(rng.normal(8.6, 0.4) * 3600)
        sess.append((agent, login, logout, "logoff" if rng.random() < 0.9 else "timeout"))
        # pauses: lunch, breaks, sometimes training / meeting
        t_lunch = login + int(rng.uniform(3.5, 5.0) * 3600)
        pauses.append((agent, t_lunch, t_lunch + int(rng.integers(20, 40)) * 60, "Lunch"))
        for _ in range(int(rng.integers(1, 4))):
            t0 = login + int(rng.uniform(0.5, 7.5) * 3600)
            pauses.append((agent, t0, t0 + int(rng.integers(4, 16)) * 60, "Break"))
        if rng.random() < 0.12:
            t0 = login + int(rng.uniform(1, 6) * 3600)
            reason = "Training" if rng.random() < 0.5 else "Meeting"
            pauses.append((agent, t0, t0 + int(rng.integers(30, 61)) * 60, reason))
    pauses = [p for p in pauses if any(a == p[0] and lo <= p[1] and p[2] <= hi for a, lo, hi, _ in sess)]
    if ctx.cutoff is not None:
        now = ctx.cutoff
        sess = [(a, lo, None if hi > now else hi, None if hi > now else r) for a, lo, hi, r in sess if lo <= now]
        if not any(hi is None for _, _, hi, _ in sess):
            sess.append((AGENTS[0], now - 2 * 3600, None, None))
        pauses = [(a, t0, None if t1 > now else t1, r) for a, t0, t1, r in pauses if t0 <= now]
    elif ctx.last and sess:
        # the last day of a past range: the last agent to log in is still logged in
        j = max(range(len(sess)), key=lambda k: sess[k][1])
        sess[j] = (sess[j][0], sess[j][1], None, None)
    session_rows = {
        "agent": objects([x[0] for x in sess]), "login": np.array([x[1] for x in sess], np.int64),
        "logout": np.array([NULL_T if x[2] is None else x[2] for x in sess], np.int64),
        "reason": objects([x[3] for x in sess]),
    } if sess else {}
    pause_rows = {
        "agent": objects([x[0] for x in pauses]), "start": np.array([x[1] for x in pauses], np.int64),
        "end": np.array([NULL_T if x[2] is None else x[2] for x in pauses], np.int64),
        "reason": objects([x[3] for x in pauses]),
    } if pauses else {}
    return {"agent_session": session_rows, "agent_pause": pause_rows}

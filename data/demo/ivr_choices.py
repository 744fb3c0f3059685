"""The IVR menus of the demo day's inbound calls: each caller's first key (possibly invalid:
one retry, or hanging up in the menu), the IVR time added before the call goes on, and
the ``ivr_choice`` rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from data.demo.call_centre import IVRS
from data.demo.columns import choice, filled, objects

if TYPE_CHECKING:
    from data.demo.day_calls import DayCalls


def draw_ivr_choices(day: DayCalls, idx: np.ndarray, route: np.ndarray) -> None:
    """For the inbound calls ``idx`` whose ``route`` is an IVR menu, draw the callers' choices
    and replace their ``route`` (in place) by where the final choice led ("hangup": the
    caller hung up in the menu)."""
    rng, c = day.rng, day.c
    for ivr_no, (_, opts) in IVRS.items():
        sel = np.flatnonzero(route == f"ivr:{ivr_no}")
        if not len(sel):
            continue
        calls = idx[sel]
        c["ivr"][calls] = ivr_no
        keys = list(opts)
        probs = np.array([opts[k][1] for k in keys])
        first = choice(rng, keys, probs, len(sel))
        t1 = rng.integers(6, 18, len(sel))  # greeting + choice
        invalid = first == "invalid"
        keys2 = [k for k in keys if k != "invalid"]
        probs2 = np.array([opts[k][1] for k in keys2])
        second = choice(rng, keys2, probs2, len(sel))
        final = np.where(invalid, second, first)
        t2 = np.where(invalid, t1 + rng.integers(4, 10, len(sel)), t1)
        c["pre_s"][calls] += t2
        # ivr_choice rows: the first choice (unless the caller hung up), then the retry,
        # each with where it led (an invalid key: back to the menu); a caller who hung up
        # in the menu gets a row with no key ('-') leading to 'hangup' (issue 14).
        route_of = {k: (f"ivr:{ivr_no}" if k == "invalid" else v[0]) for k, v in opts.items()}
        rec1 = first != "hangup"
        day.ivr_rows.append({"call": calls[rec1], "ivr": filled(rec1.sum(), ivr_no),
                              "at": day.start[calls[rec1]] + t1[rec1], "seq": np.zeros(rec1.sum(), np.int64),
                              "option": first[rec1], "next": objects([route_of[k] for k in first[rec1]])})
        rec2 = invalid & (second != "hangup")
        day.ivr_rows.append({"call": calls[rec2], "ivr": filled(rec2.sum(), ivr_no),
                              "at": day.start[calls[rec2]] + t2[rec2], "seq": np.ones(rec2.sum(), np.int64),
                              "option": second[rec2], "next": objects([route_of[k] for k in second[rec2]])})
        hung = final == "hangup"
        day.ivr_rows.append({"call": calls[hung], "ivr": filled(hung.sum(), ivr_no),
                              "at": day.start[calls[hung]] + t2[hung], "seq": np.where(invalid[hung], 1, 0),
                              "option": filled(hung.sum(), "-"), "next": filled(hung.sum(), "hangup")})
        route[sel] = objects([opts[k][0] for k in final])

"""The SMS and WhatsApp chat sessions of one demo day: messages back and forth between a
customer and a support agent, the session's timeline (created, assigned, sometimes
transferred, closed) and, today, sessions still open."""

from __future__ import annotations

import numpy as np

from data.demo.call_centre import AGENTS, HOUR_PROFILE, SMS_NUMBER, WEEKDAY_FACTOR, WHATSAPP_NUMBER
from data.demo.columns import NULL_T, objects
from data.demo.day import DayContext

CHAT_IN = ["Dobrý den, potřebuji poradit s objednávkou.", "Kdy mi přijde zásilka?",
           "Nefunguje mi přihlášení do aplikace.", "Můžete mi zavolat zpět?", "Děkuji, to je vše.",
           "Chtěl bych změnit tarif.", "Posílám číslo faktury 2026-0412.", "Je možné platit kartou?"]
CHAT_OUT = ["Dobrý den, s čím vám mohu pomoci?", "Podívám se na to, moment prosím.",
            "Zásilka je na cestě, dorazí zítra.", "Heslo jsem vám resetoval(a).",
            "Rádi vám zavoláme, kdy se vám to hodí?", "Děkujeme, hezký den!", "Tarif jsem upravil(a)."]


def draw_chats(ctx: DayContext, calls_per_day: int, customer_numbers: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """The ``chat_session``, ``chat_message`` and ``chat_event`` rows of the day (from the day's
    RNG, after its calls and agent shifts); none on a day without chats."""
    rng = ctx.rng
    n = int(rng.poisson(min(calls_per_day / 40, 100) * WEEKDAY_FACTOR[ctx.day.weekday()]))
    sessions, messages, events = [], [], []
    support = AGENTS[:20]
    for j in range(n):
        wa = rng.random() < 0.6
        channel, ours = ("whatsapp", WHATSAPP_NUMBER) if wa else ("sms", SMS_NUMBER)
        ext_no = customer_numbers[int(rng.integers(0, len(customer_numbers)))]
        h = int(rng.choice(24, p=HOUR_PROFILE))
        created = int(ctx.hour_epoch[h] + rng.integers(0, 3600))
        if ctx.cutoff is not None and created > ctx.cutoff - 600:
            continue
        agent = support[int(rng.integers(0, len(support)))]
        inbound_start = rng.random() < 0.85
        t = created
        msgs = []
        for k in range(int(rng.integers(2, 13))):
            incoming = (k % 2 == 0) == inbound_start
            body = (CHAT_IN if incoming else CHAT_OUT)[int(rng.integers(0, 7))]
            msgs.append((t, "in" if incoming else "out", ext_no if incoming else agent, body))
            t += int(rng.integers(10, 400))
        last = msgs[-1][0]
        open_ = rng.random() < (0.5 if ctx.cutoff is not None else 0.03)
        closed = None if open_ else last + int(rng.integers(60, 1800))
        if ctx.cutoff is not None and closed is not None and closed > ctx.cutoff:
            closed = None
        ev = [(created, "created", None), (created + int(rng.integers(5, 120)), "assigned", agent)]
        if rng.random() < 0.1:
            other = support[int(rng.integers(0, len(support)))]
            ev.append((ev[-1][0] + int(rng.integers(60, 600)), "transferred", other))
        if closed is not None:
            ev.append((closed, "closed", ev[-1][2] or agent))
        uid = f"{channel[:2].upper()}-{ctx.day:%Y%m%d}-{j:05d}"
        sessions.append((uid, channel, ours, ext_no, ext_no if inbound_start else agent,
                         agent if inbound_start else ext_no, agent, created, last, closed,
                         "open" if closed is None else "closed", len(msgs)))
        messages.extend((len(sessions) - 1, *msg) for msg in msgs)
        events.extend((len(sessions) - 1, *e) for e in ev)
    if not sessions:
        return {}
    cols = ["uid", "channel", "ours", "external", "sender", "recipient", "agent", "created", "last",
            "closed", "status", "count"]
    cs = {k: objects([x[i] for x in sessions]) for i, k in enumerate(cols)}
    for k in ("created", "last", "count"):
        cs[k] = cs[k].astype(np.int64)
    cs["closed"] = np.array([NULL_T if x is None else x for x in cs["closed"]], np.int64)
    message_rows = {
        "session": np.array([m[0] for m in messages], np.int64), "sent": np.array([m[1] for m in messages], np.int64),
        "direction": objects([m[2] for m in messages]), "sender": objects([m[3] for m in messages]),
        "body": objects([m[4] for m in messages]),
    }
    event_rows = {
        "session": np.array([e[0] for e in events], np.int64), "at": np.array([e[1] for e in events], np.int64),
        "event": objects([e[2] for e in events]), "agent": objects([e[3] for e in events]),
    }
    return {"chat_session": cs, "chat_message": message_rows, "chat_event": event_rows}

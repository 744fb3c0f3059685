"""The demo call centre (SPEC §8): a Czech PBX with 40 extensions with Czech names in three
extension groups (Support, Sales, Back office), trunks, DIDs and an outbound caller ID,
3 queues with members, 2 ring groups (ringall, hunt), 2 IVR menus, the SMS / WhatsApp
numbers, the shape of its traffic over the day and the week, and a pool of customers'
numbers. Plain data: ``data.demo.dimensions`` writes it, the day drawing modules and the
live simulator read it."""

from __future__ import annotations

import numpy as np

from data.demo.columns import objects

SOURCE_ID = 1

_NAMES = [
    "Jan Novák", "Petra Svobodová", "Tomáš Dvořák", "Lucie Černá", "Martin Procházka",
    "Kateřina Kučerová", "Jakub Veselý", "Tereza Horáková", "Lukáš Němec", "Eva Marková",
    "Ondřej Pokorný", "Veronika Pospíšilová", "David Hájek", "Barbora Jelínková", "Michal Král",
    "Markéta Růžičková", "Petr Beneš", "Hana Fialová", "Jiří Sedláček", "Simona Doležalová",
    "Pavel Zeman", "Klára Kolářová", "Josef Navrátil", "Monika Čermáková", "Vojtěch Urban",
    "Alena Vaněčková", "Filip Blažek", "Zuzana Kříženecká", "Adam Kopecký", "Jana Konečná",
    "Roman Malý", "Ivana Holubová", "Radek Štěpánek", "Lenka Bartošová", "Milan Kratochvíl",
    "Denisa Vlčková", "Karel Polák", "Michaela Musilová", "Zdeněk Šimek", "Gabriela Tichá",
]
EXTS = [str(100 + i) for i in range(40)]
EXT_NAMES = dict(zip(EXTS, _NAMES))
GROUPS = {
    "Support": ("Zákaznická podpora", EXTS[0:20]),
    "Sales": ("Obchod", EXTS[20:32]),
    "Back office": ("Recepce a účtárna", EXTS[32:40]),
}
AGENTS = EXTS[0:32]
TRUNKS = [("O2 SIP", "sip", "O2 Czech Republic SIP trunk"), ("T-Mobile SIP", "sip", "T-Mobile SIP trunk"),
          ("GSM brána", "gsm", "GSM gateway, 4 SIM cards")]
QUEUES = {
    # number: name, strategy, sl target, short abandon, members, base mean wait (s)
    "600": ("Podpora", "rrmemory", 20, 5, EXTS[0:20], 15.0),
    "601": ("Obchod", "leastrecent", 30, 5, EXTS[20:32], 10.0),
    "602": ("Technická linka", "fewestcalls", 15, 3, EXTS[0:6] + EXTS[20:24], 13.0),
}
RING_GROUPS = {
    "700": ("Recepce", "ringall", 30, EXTS[32:35]),
    "701": ("Účtárna", "hunt", 50, EXTS[35:40]),
}
# IVR options -> (route, probability). Route "hangup": the caller hangs up in the menu.
IVRS = {
    "800": ("Hlavní menu", {
        "1": ("queue:600", 0.44), "2": ("queue:601", 0.24), "3": ("ring_group:700", 0.09),
        "0": ("extension:132", 0.04), "timeout": ("queue:600", 0.07), "invalid": (None, 0.05),
        "hangup": ("hangup", 0.07)}),
    "801": ("Technická podpora", {
        "1": ("queue:602", 0.50), "2": ("queue:600", 0.20), "3": ("ring_group:701", 0.08),
        "9": ("voicemail:100", 0.05), "timeout": ("queue:602", 0.06), "invalid": (None, 0.05),
        "hangup": ("hangup", 0.06)}),
}
# Our numbers: number, kind, name, trunk, route, share of inbound traffic
DIDS = [
    ("+420225100100", "both", "Hlavní linka", "O2 SIP", "ivr:800", 0.44),
    ("+420225100200", "did", "Technická podpora", "O2 SIP", "ivr:801", 0.20),
    ("+420225100300", "did", "Obchod", "T-Mobile SIP", "queue:601", 0.15),
    ("+420225100400", "did", "Recepce", "O2 SIP", "ring_group:700", 0.10),
] + [
    (f"+420225100{e}", "did", f"Přímá linka {EXT_NAMES[e]}", "O2 SIP", f"extension:{e}", 0.11 / 8)
    for e in EXTS[32:40]
]
OUTBOUND_CIDS = [("+420225100999", "outbound_cid", "Obchod - odchozí", "T-Mobile SIP", None, 0.0)]
SMS_NUMBER, WHATSAPP_NUMBER = "+420225100300", "+420777100100"

HOUR_PROFILE = np.array([0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 1.0, 3.0, 7.0, 10.5, 12.0, 10.5,
                         7.5, 9.0, 11.0, 9.5, 7.5, 5.5, 3.5, 2.4, 1.7, 1.2, 0.8, 0.5])
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.sum()
HOUR_LOAD = HOUR_PROFILE / HOUR_PROFILE.max()  # 0..1, drives queue waits
WEEKDAY_FACTOR = np.array([1.05, 1.0, 0.98, 0.99, 0.98, 0.2, 0.1])  # Mon..Sun, Mon-Fri mean 1
PAUSE_REASONS = ["Lunch", "Break", "Training", "Meeting"]
QUEUE_MAX_WAIT_S = 300


def customer_pool(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed pool of external numbers (repeat callers) with names for some."""
    rng = np.random.default_rng([seed, 999])
    n = 30_000
    nums = rng.integers(0, 100_000_000, n)
    prefix = rng.choice([601, 602, 603, 604, 605, 606, 607, 608, 702, 720, 731, 775, 777, 739], n)
    landline = rng.random(n) < 0.25
    area = rng.choice([2, 3, 5], n)
    numbers = np.where(landline, area * 100_000_000 + nums, prefix * 1_000_000 + nums % 1_000_000)
    numbers = objects(["+420" + str(x) for x in numbers])
    first = ["Jana", "Petr", "Marie", "Josef", "Eva", "Pavel", "Anna", "Karel", "Lenka", "Milan"]
    last = ["Dvořák", "Nováková", "Král", "Horáková", "Pokorný", "Marková", "Urban", "Bartošová"]
    named = rng.random(n) < 0.15
    names = objects([f"{first[a]} {last[b]}" if k else None for a, b, k in
                  zip(rng.integers(0, len(first), n), rng.integers(0, len(last), n), named)])
    return numbers, names

"""calls_per_day: the aggregate path (unrestricted scope) and the facts path (restricted
scope) give hand-computed per-local-day numbers, DST days included, and agree.

Europe/Prague, 2026: 29 March has 23 hours (from 01:00 UTC it is UTC+2), 25 October has
25 hours (from 01:00 UTC it is UTC+1 again).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import aggregates
from data import schema as s
from data.queries.overview import calls_per_day, data_range
from data.scope import Scope
from data.timebuckets import local_day_bounds_utc

PRAGUE = ZoneInfo("Europe/Prague")
T = datetime

# id, start (UTC), direction, status, extension, peer, talk_s    -> local day
CALLS = [
    (1, T(2026, 3, 28, 22, 59), "inbound", "answered", "101", None, 11),    # 28 Mar 23:59 CET
    (2, T(2026, 3, 28, 23, 0), "inbound", "answered", "102", None, 10),     # 29 Mar 00:00 CET
    (3, T(2026, 3, 29, 1, 30), "outbound", "no_answer", "101", None, 0),    # 29 Mar 03:30 CEST
    (4, T(2026, 3, 29, 21, 59), "internal", "answered", "102", "101", 20),  # 29 Mar 23:59 CEST
    (5, T(2026, 3, 29, 22, 0), "inbound", "answered", "103", None, 30),     # 30 Mar 00:00 CEST
    (6, T(2026, 10, 24, 21, 59), "inbound", "no_answer", "103", None, 0),   # 24 Oct 23:59 CEST
    (7, T(2026, 10, 24, 22, 0), "inbound", "answered", "101", None, 5),     # 25 Oct 00:00 CEST
    (8, T(2026, 10, 25, 0, 30), "inbound", "busy", "102", None, 0),         # 25 Oct 02:30 CEST
    (9, T(2026, 10, 25, 1, 30), "inbound", "answered", "101", None, 7),     # 25 Oct 02:30 CET
    (10, T(2026, 10, 25, 22, 59), "outbound", "answered", "103", None, 9),  # 25 Oct 23:59 CET
    (11, T(2026, 10, 25, 23, 0), "inbound", "no_answer", "101", None, 0),   # 26 Oct 00:00 CET
    (12, T(2026, 10, 25, 8, 0), "internal", "answered", "103", "102", 4),   # 25 Oct 09:00 CET
]

# (local_day, direction, calls, answered, talk_s) over everything
ALL_DAYS = [
    (date(2026, 3, 28), "inbound", 1, 1, 11),
    (date(2026, 3, 29), "inbound", 1, 1, 10),
    (date(2026, 3, 29), "internal", 1, 1, 20),
    (date(2026, 3, 29), "outbound", 1, 0, 0),
    (date(2026, 3, 30), "inbound", 1, 1, 30),
    (date(2026, 10, 24), "inbound", 1, 0, 0),
    (date(2026, 10, 25), "inbound", 3, 2, 12),   # calls 7, 8, 9
    (date(2026, 10, 25), "internal", 1, 1, 4),
    (date(2026, 10, 25), "outbound", 1, 1, 9),
    (date(2026, 10, 26), "inbound", 1, 0, 0),
]

# Extension 101 sees calls 1, 3, 4 (as peer), 7, 9, 11.
EXT_101_DAYS = [
    (date(2026, 3, 28), "inbound", 1, 1, 11),
    (date(2026, 3, 29), "internal", 1, 1, 20),
    (date(2026, 3, 29), "outbound", 1, 0, 0),
    (date(2026, 10, 25), "inbound", 2, 2, 12),
    (date(2026, 10, 26), "inbound", 1, 0, 0),
]

WHOLE = local_day_bounds_utc(date(2026, 3, 1), date(2026, 10, 31), PRAGUE)
ALL_EXTENSIONS = Scope.of(extensions=["101", "102", "103"])


def _load(engine, calls=CALLS):
    with engine.begin() as conn:
        conn.execute(s.source.insert().values(id=1, name="pbx"))
        conn.execute(s.call.insert(), [
            {"id": i, "source_id": 1, "call_uid": f"c{i}", "start_utc": st, "end_utc": st + timedelta(seconds=talk + 5),
             "direction": d, "status": st_, "extension": ext, "peer_extension": peer, "duration_s": talk + 5,
             "ring_s": 5, "talk_s": talk}
            for i, st, d, st_, ext, peer, talk in calls])
        aggregates.refresh(conn, min(c[1] for c in calls), max(c[1] for c in calls))


def _run(engine, scope, start, end):
    with engine.connect() as conn:
        return [(r.local_day, r.direction, int(r.calls), int(r.answered), int(r.talk_s))
                for r in conn.execute(calls_per_day(scope, start, end))]


def test_everything_uses_aggregates_and_matches_hand_counts(engine):
    _load(engine)
    assert _run(engine, Scope.everything(), *WHOLE) == ALL_DAYS


def test_restricted_scope_uses_facts_and_matches_hand_counts(engine):
    _load(engine)
    assert _run(engine, Scope.of(extensions=["101"]), *WHOLE) == EXT_101_DAYS


def test_dst_days_alone(engine):
    _load(engine)
    spring = local_day_bounds_utc(date(2026, 3, 29), date(2026, 3, 29), PRAGUE)
    autumn = local_day_bounds_utc(date(2026, 10, 25), date(2026, 10, 25), PRAGUE)
    for scope in (Scope.everything(), ALL_EXTENSIONS):
        assert _run(engine, scope, *spring) == ALL_DAYS[1:4]
        assert _run(engine, scope, *autumn) == ALL_DAYS[6:9]
    assert _run(engine, Scope.of(extensions=["101"]), *autumn) == [(date(2026, 10, 25), "inbound", 2, 2, 12)]


def test_both_paths_agree_for_a_scope_covering_every_extension(engine):
    _load(engine)
    assert _run(engine, ALL_EXTENSIONS, *WHOLE) == _run(engine, Scope.everything(), *WHOLE) == ALL_DAYS
    # Via a group too.
    with engine.begin() as conn:
        conn.execute(s.extension_group.insert().values(id=1, name="everyone"))
        conn.execute(s.extension_group_member.insert(), [{"group_id": 1, "extension": e} for e in ("101", "102", "103")])
    assert _run(engine, Scope.of(groups=["everyone"]), *WHOLE) == ALL_DAYS


def test_both_paths_return_plain_integers(engine):
    """PostgreSQL's sum(bigint) is numeric; the aggregate path must not leak Decimals."""
    _load(engine)
    with engine.connect() as conn:
        for scope in (Scope.everything(), ALL_EXTENSIONS):
            row = conn.execute(calls_per_day(scope, *WHOLE)).first()
            assert [type(v) for v in row] == [date, str, int, int, int]


def test_a_call_without_extension_is_seen_only_unrestricted(engine):
    """An inbound call abandoned before reaching anybody belongs to no extension."""
    _load(engine, CALLS + [(13, T(2026, 3, 29, 10, 0), "inbound", "abandoned", None, None, 0)])
    want = list(ALL_DAYS)
    want[1] = (date(2026, 3, 29), "inbound", 2, 1, 10)
    assert _run(engine, Scope.everything(), *WHOLE) == want
    assert _run(engine, ALL_EXTENSIONS, *WHOLE) == ALL_DAYS


def test_nothing_and_empty_ranges(engine):
    _load(engine)
    assert _run(engine, Scope.nothing(), *WHOLE) == []
    empty = local_day_bounds_utc(date(2026, 6, 1), date(2026, 6, 30), PRAGUE)
    assert _run(engine, Scope.everything(), *empty) == []
    assert _run(engine, ALL_EXTENSIONS, *empty) == []


def test_data_range(engine):
    _load(engine)
    with engine.connect() as conn:
        assert tuple(conn.execute(data_range(Scope.everything())).one()) == (T(2026, 3, 28, 22, 59), T(2026, 10, 25, 23, 0), 12)
        assert tuple(conn.execute(data_range(Scope.of(extensions=["103"]))).one()) == (T(2026, 3, 29, 22, 0), T(2026, 10, 25, 22, 59), 4)  # calls 5, 6, 10, 12
        assert tuple(conn.execute(data_range(Scope.nothing())).one()) == (None, None, 0)

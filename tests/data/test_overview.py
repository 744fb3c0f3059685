"""calls_per_day: the rollup of everything (unrestricted scope) and the scope rollup
(agg_call_scope_hour, restricted scope) give hand-computed per-local-day numbers, DST days
included, and agree; the Overview page shows each user their own scope's numbers.

Europe/Prague, 2026: 29 March has 23 hours (from 01:00 UTC it is UTC+2), 25 October has
25 hours (from 01:00 UTC it is UTC+1 again).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data import aggregates
from data import schema as s
from data.queries.overview import calls_per_day, data_range, first_and_last_call
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


def test_restricted_scope_uses_the_scope_rollup_and_matches_hand_counts(engine):
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
    # data_range now answers from the rollups (first / last hour with a call, and the count);
    # first_and_last_call reads the exact starts within those two hours (issue 15: the
    # count over `call` read every call of a scope). The exact starts are the ones before.
    _load(engine)
    with engine.connect() as conn:
        def span(scope):
            first_hour, last_hour, total = conn.execute(data_range(scope)).one()
            if not total:
                return first_hour, last_hour, total
            return (*conn.execute(first_and_last_call(scope, first_hour, last_hour)).one(), total)

        assert span(Scope.everything()) == (T(2026, 3, 28, 22, 59), T(2026, 10, 25, 23, 0), 12)
        assert span(Scope.of(extensions=["103"])) == (T(2026, 3, 29, 22, 0), T(2026, 10, 25, 22, 59), 4)  # calls 5, 6, 10, 12
        assert span(Scope.nothing()) == (None, None, 0)
        assert tuple(conn.execute(data_range(Scope.of(extensions=["103"]))).one()) == (
            T(2026, 3, 29, 22), T(2026, 10, 25, 22), 4)


# --------------------------------------------------------------------------- the page, per user (issue 15)


def _component(tree, component_id):
    """The props of the component with this id in a rendered Dash layout (JSON), or None."""
    if isinstance(tree, dict):
        props = tree.get("props") if "namespace" in tree else None
        if props is not None and props.get("id") == component_id:
            return props
        for value in (props or tree).values():
            found = _component(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for item in tree:
            found = _component(item, component_id)
            if found is not None:
                return found
    return None


def test_the_overview_page_shows_each_user_their_scope(db_url, engine, monkeypatch):
    """The Overview (/) as each user gets it through Dash's router: the last 30 local days up
    to the newest call the user may see (2026-09-27 .. 2026-10-26 for all three) — worked out
    from CALLS by hand:

    - administrator, everything: calls 6-12 = 7 calls; answered 7, 9, 10, 12 = 4 (57.1 %);
      talk 0+5+0+7+9+0+4 = 25 s; inbound 6, 7, 8, 9, 11 / outbound 10 / internal 12 = 5 / 1 / 1;
      data from call 1 (28 Mar 23:59 CET) to call 11 (26 Oct 00:00 CET).
    - a viewer of extension 101: its October calls 7, 9, 11 = 3; answered 7, 9 (66.7 %); talk
      5+7 = 12 s; 3 / 0 / 0 inbound; data from call 1 to call 11.
    - a viewer with no extensions, groups or queues: no numbers at all (the page used
      Scope.everything() for everybody and showed this viewer the administrator's 7 calls).
    """
    from data.access import users
    from callboard.core.formatting import fmt_local_datetime
    from callboard.core.settings import reset_settings_cache
    from tests.callboard.web.auth.support import login, router_body, post_body

    monkeypatch.setenv("CALLBOARD_TIMEZONE", "Europe/Prague")
    reset_settings_cache()
    _load(engine)
    users.add_user("boss", "overview-password", "admin", actor="test")
    users.add_user("team101", "overview-password", "viewer", actor="test")
    users.add_user("unassigned", "overview-password", "viewer", actor="test")
    users.set_scope("team101", extensions=["101"], actor="test")
    from app import create_app

    app = create_app()
    seen = {}
    for who in ("boss", "team101", "unassigned"):
        client = app.server.test_client()
        assert login(client, who, "overview-password").status_code == 302
        client.get("/")
        resp = post_body(client, router_body(app, "/"))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        page = resp.get_json()["response"]["_pages_content"]["children"]
        seen[who] = {k: (_component(page, k) or {}).get("children")
                     for k in ("kpi-calls", "kpi-answered", "kpi-talk", "kpi-directions", "overview-period",
                               "overview-empty")}
    assert seen["boss"]["kpi-calls"] == "7" and seen["boss"]["kpi-answered"] == "57.1\xa0%"
    assert seen["boss"]["kpi-talk"] == "0:25" and seen["boss"]["kpi-directions"] == "5 / 1 / 1"
    first, last = (fmt_local_datetime(t, "en", seconds=False) for t in (T(2026, 3, 28, 22, 59), T(2026, 10, 25, 23)))
    assert seen["boss"]["overview-period"] == f"Last 30 days: 2026-09-27 – 2026-10-26. Data from {first} to {last}."
    assert seen["team101"]["kpi-calls"] == "3" and seen["team101"]["kpi-answered"] == "66.7\xa0%"
    assert seen["team101"]["kpi-talk"] == "0:12" and seen["team101"]["kpi-directions"] == "3 / 0 / 0"
    assert seen["team101"]["overview-period"] == seen["boss"]["overview-period"]
    nothing = seen["unassigned"]
    assert nothing["kpi-calls"] is None and nothing["overview-period"] is None
    assert "sees no calls" in nothing["overview-empty"]


def test_a_scope_counts_a_call_of_two_of_its_extensions_once(engine):
    """Call 4 (internal 102 -> 101) is one call for a scope holding both extensions (the
    rollup has one row per call, not per extension); data_range's total too."""
    _load(engine)
    both = Scope.of(extensions=["101", "102"])
    days = _run(engine, both, *local_day_bounds_utc(date(2026, 3, 29), date(2026, 3, 29), PRAGUE))
    assert days == [(date(2026, 3, 29), "inbound", 1, 1, 10), (date(2026, 3, 29), "internal", 1, 1, 20),
                    (date(2026, 3, 29), "outbound", 1, 0, 0)]
    with engine.connect() as conn:
        # 101: 1, 3, 4, 7, 9, 11; 102: 2, 4, 8, 12 -> 9 different calls.
        assert conn.execute(data_range(both)).one()[2] == 9

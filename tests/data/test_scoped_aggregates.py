"""A restricted scope reads the rollups (agg_call_day / agg_call_hour narrowed by
extension, agg_queue_hour by queue, agg_call_scope_hour for PBX and DID/DOD totals) and gets
exactly the facts path's table — on SQLite and PostgreSQL, for scopes drawn by hypothesis
over a seeded random PBX (internal calls between two in-scope extensions, calls with no
extension, queue calls, DST days).

The hand-counted cases (an internal call both of whose extensions are in scope is one
call) are in tests/data/test_reports.py; this one searches for any scope where they differ.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callboard.reports.registry import run_report
from data import aggregates
from data import schema as s
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from tests.data.test_reports import TZ

EXTS = ["101", "102", "103", "104", "105"]
QUEUES = ["600", "700"]
NUMBERS = ["111", "222", "333"]
FIRST, LAST = date(2026, 10, 23), date(2026, 10, 27)  # 10-25 has 25 local hours


def _random_pbx(seed: int = 7, n: int = 400):
    rng = random.Random(seed)
    start0 = datetime(2026, 10, 22, 22, 0)
    calls, queue_calls = [], []
    for i in range(n):
        start = start0 + timedelta(seconds=rng.randrange(5 * 24 * 3600))
        direction = rng.choice(["inbound", "outbound", "internal"])
        status = rng.choice(["answered", "no_answer", "busy", "failed", "congestion", "voicemail", "abandoned"])
        ext = rng.choice(EXTS + [None])
        peer = rng.choice([e for e in EXTS if e != ext]) if direction == "internal" and ext else None
        queue = rng.choice(QUEUES) if direction == "inbound" and rng.random() < 0.4 else None
        talk = rng.randrange(1, 400) if status == "answered" else 0
        calls.append(dict(source_id=1, call_uid=f"c{i}", start_utc=start, end_utc=start + timedelta(seconds=talk + 9),
                          direction=direction, status=status, extension=ext, peer_extension=peer, queue=queue,
                          talk_s=talk, hold_s=0, duration_s=talk + 9, ring_s=9,
                          did=rng.choice(NUMBERS) if direction == "inbound" else None,
                          outbound_cid=rng.choice(NUMBERS) if direction == "outbound" else None))
        if queue:
            outcome = rng.choice(["answered", "abandoned", "timeout", "exit_key", "no_agents"])
            queue_calls.append(dict(source_id=1, call_uid=f"c{i}", queue=queue, enter_utc=start,
                                    wait_s=rng.randrange(0, 60), outcome=outcome,
                                    talk_s=talk if outcome == "answered" else 0,
                                    agent=ext if outcome == "answered" else None))
    return calls, queue_calls


@pytest.fixture
def pbx(engine):
    calls, queue_calls = _random_pbx()
    with engine.begin() as conn:
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
        conn.execute(sa.insert(s.call), calls)
        conn.execute(sa.insert(s.queue_call), queue_calls)
        conn.execute(sa.insert(s.queue), [dict(source_id=1, number="600", sl_target_s=15, short_abandon_s=3),
                                          dict(source_id=1, number="700", sl_target_s=20, short_abandon_s=5)])
        gid = conn.execute(sa.insert(s.extension_group).values(name="g").returning(s.extension_group.c.id)).scalar()
        conn.execute(sa.insert(s.extension_group_member), [dict(group_id=gid, extension="102"),
                                                           dict(group_id=gid, extension="104")])
        aggregates.refresh(conn, datetime(2026, 10, 22), datetime(2026, 10, 29))
    return engine


scopes = st.builds(
    lambda exts, groups, queues: Scope.of(extensions=exts, groups=groups, queues=queues),
    st.lists(st.sampled_from(EXTS), max_size=3, unique=True),
    st.lists(st.just("g"), max_size=1),
    st.lists(st.sampled_from(QUEUES), max_size=2, unique=True),
)
filters = st.builds(
    lambda d0, n, exts, dirs, by: ReportFilter(FIRST + timedelta(days=d0), FIRST + timedelta(days=min(d0 + n, 4)),
                                               extensions=exts, directions=dirs, by=by),
    st.integers(0, 4), st.integers(0, 4),
    st.lists(st.sampled_from(EXTS), max_size=2, unique=True),
    st.lists(st.sampled_from(["inbound", "outbound", "internal"]), max_size=2, unique=True),
    st.sampled_from(["day", "month"]),
)


def _table(report, scope, flt, engine, path):
    df = run_report(report, scope, flt, engine=engine, tz=TZ, path=path).df
    return df.astype(object).where(df.notna(), None).to_dict("records")  # NaN != NaN: compare as None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scope=scopes, flt=filters)
def test_restricted_scope_aggregates_equal_the_facts(pbx, scope, flt):
    for report in ("extension-statistics", "pbx-activity", "did-dod"):
        assert _table(report, scope, flt, pbx, "aggregate") == _table(report, scope, flt, pbx, "facts"), report
    hourly = flt.with_(by="hour_of_day", interval=60)
    for report in ("pbx-activity", "extension-activity"):
        assert _table(report, scope, hourly, pbx, "aggregate") == _table(report, scope, hourly, pbx, "facts"), report
    daily = flt.with_(interval=1440)
    assert (_table("extension-activity", scope, daily, pbx, "aggregate")
            == _table("extension-activity", scope, daily, pbx, "facts"))
    per_queue = flt.with_(by="queue", extensions=())
    assert (_table("queue-performance", scope, per_queue, pbx, "aggregate")
            == _table("queue-performance", scope, per_queue, pbx, "facts"))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scope=scopes, flt=filters, group_filter=st.booleans())
def test_groups_expanded_before_building_equal_the_group_subselect(pbx, scope, flt, group_filter):
    """run_report hands the builders the groups' members as a list; the runners given the
    groups themselves (a sub-select in SQL) count the same."""
    from callboard.reports.registry import BY_ID
    from callboard.reports.results import round_to_precision

    if group_filter:
        flt = flt.with_(groups=("g",))
    for report in ("extension-statistics", "pbx-activity", "did-dod", "ivr"):
        expanded = run_report(report, scope, flt, engine=pbx, tz=TZ).df
        cols, raw = BY_ID[report].runner(scope, flt, TZ, pbx, None)[:2]
        round_to_precision(raw, cols)  # as run_report keeps it (0.1 s averages: issue 14, rule 9)
        assert expanded.astype(object).where(expanded.notna(), None).to_dict("records") == \
            raw.astype(object).where(raw.notna(), None).to_dict("records"), report


def test_pair_inside_the_scope_is_one_call(pbx):
    """By hand: every internal call between 101 and 102 in the range, counted once."""
    calls, _qc = _random_pbx()
    first_utc, end_utc = ReportFilter(FIRST, LAST).bounds(TZ)
    pairs = [c for c in calls if c["direction"] == "internal" and {c["extension"], c["peer_extension"]} == {"101", "102"}
             and first_utc <= c["start_utc"] < end_utc]
    assert pairs, "the seeded data has such calls"
    flt = ReportFilter(FIRST, LAST, by="month", directions=["internal"], extensions=["101", "102"])
    rows = run_report("pbx-activity", Scope.of(extensions=["101", "102"]), flt, engine=pbx, tz=TZ).df
    touching = [c for c in calls if c["direction"] == "internal" and first_utc <= c["start_utc"] < end_utc
                and ({c["extension"], c["peer_extension"]} & {"101", "102"})]
    assert int(rows["internal"].sum()) == len(touching)
    assert len(touching) < sum(c["extension"] in ("101", "102") for c in touching) + sum(
        c["peer_extension"] in ("101", "102") for c in touching)  # per-extension rows would count pairs twice

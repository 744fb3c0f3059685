"""Call-records query builders on SQLite and PostgreSQL, against hand-computed answers.

The calls are described in tests/calls_data.py; c1..c4 start on the UTC day 2026-03-10.
"""

from __future__ import annotations

import pytest

from data import db
from data.queries.calls import (
    ALL_COLUMNS,
    MAIN_COLUMNS,
    SECONDARY_COLUMNS,
    CallFilter,
    InvalidFilter,
    call_legs,
    count_calls,
    get_call,
    list_calls,
)
from data.scope import Scope
from tests.calls_data import DAY_END, DAY_START, TRANSFERS, TRANSFERS_DAY, insert_calls

ALL = Scope.everything()
DAY = CallFilter(start_utc=DAY_START, end_utc=DAY_END)


def day(**kw) -> CallFilter:
    return CallFilter(start_utc=DAY_START, end_utc=DAY_END, **kw)


def uids(stmt) -> list[str]:
    return [r.call_uid for r in db.fetch_all(stmt)]


def listed(filt=DAY, scope=ALL, **kw) -> list[str]:
    return uids(list_calls(scope, filt, ["start", "call_uid"], **kw))


def count(filt=DAY, scope=ALL) -> int:
    return db.fetch_scalar(count_calls(scope, filt))


@pytest.fixture
def ids(db_url):
    return insert_calls()


def test_default_order_is_newest_first_with_id_tie_breaker(ids):
    # c3 and c4 start at the same second: the higher id (c4) comes first.
    assert listed() == ["c4", "c3", "c2", "c1"]
    assert count() == 4


def test_no_time_bounds_lists_everything(ids):
    assert listed(CallFilter()) == ["c5", "c4", "c3", "c2", "c1", "c6"]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ([("duration", "asc")], ["c4", "c3", "c1", "c2"]),
        ([("duration", "desc")], ["c2", "c1", "c3", "c4"]),
        ([("start", "asc")], ["c1", "c2", "c3", "c4"]),
        ([("status", "asc")], ["c4", "c1", "c2", "c3"]),  # abandoned, answered (id asc), no_answer
        ([("status", "desc"), ("talk", "asc")], ["c3", "c1", "c2", "c4"]),
        ([("did", "asc")], ["c1", "c2", "c3", "c4"]),  # NULLs last on both databases
        ([("did", "desc")], ["c1", "c4", "c3", "c2"]),
        ([("talk", "desc")], ["c2", "c1", "c4", "c3"]),  # equal talk 0: id desc
    ],
)
def test_sort(ids, sort, expected):
    assert listed(sort=sort) == expected


def test_sort_ignores_unknown_columns_and_directions(ids):
    assert listed(sort=[("id; DROP TABLE call", "asc")]) == ["c4", "c3", "c2", "c1"]
    assert listed(sort=[("duration", "sideways")]) == ["c4", "c3", "c2", "c1"]
    assert listed(sort=[("from_name", "asc")]) == ["c4", "c3", "c2", "c1"]  # a field, not a column key


def test_paging(ids):
    assert listed(offset=0, limit=2) == ["c4", "c3"]
    assert listed(offset=1, limit=2) == ["c3", "c2"]
    assert listed(offset=3, limit=2) == ["c1"]
    assert listed(offset=4, limit=2) == []
    assert listed(sort=[("duration", "asc")], offset=2, limit=5) == ["c1", "c2"]


@pytest.mark.parametrize(
    "filt, expected",
    [
        (day(number_contains="608"), ["c4"]),
        (day(number_contains="10"), ["c3", "c2", "c1"]),  # from 101 / 102, to 100
        (day(number_contains="+420777"), ["c2"]),  # callee side
        (day(number_contains="%"), []),  # wildcards are literal
        (day(number_contains="_"), []),
        (day(extensions=("103",)), ["c3"]),  # as the peer of an internal call
        (day(extensions=("101",)), ["c3", "c1"]),
        (day(extensions=("999",)), []),
        (day(extension_groups=("Sales",)), ["c3", "c2", "c1"]),
        (day(extension_groups=("Nobody",)), []),
        (day(extensions=("103",), extension_groups=("Sales",)), ["c3", "c2", "c1"]),  # union
        (day(statuses=("answered",)), ["c2", "c1"]),
        (day(statuses=("answered", "abandoned")), ["c4", "c2", "c1"]),
        (day(directions=("internal", "outbound")), ["c3", "c2"]),
        (day(trunks=("sip-o2",)), ["c2", "c1"]),  # source or destination trunk
        (day(dids=("+420222000100",)), ["c1"]),
        (day(has_recording=True), ["c1"]),
        (day(has_recording=False), ["c4", "c3", "c2"]),
        (day(min_duration_s=20, max_duration_s=60), ["c3", "c1"]),
        (day(min_duration_s=61), ["c2"]),
        (day(max_duration_s=15), ["c4"]),
        (day(statuses=("answered",), directions=("inbound",), extensions=("101",)), ["c1"]),
        (CallFilter(start_utc=DAY_END), ["c5"]),
        (CallFilter(end_utc=DAY_START), ["c6"]),
    ],
)
def test_filters(ids, filt, expected):
    assert listed(filt) == expected
    assert count(filt) == len(expected)


@pytest.mark.parametrize(
    "filt",
    [
        day(extensions=("101",)),
        day(extensions=("103",)),  # only as the peer of an internal call
        day(extensions=("101", "103")),  # c3: own extension and peer both match, counted once
        day(extensions=("999",)),
        day(extensions=("101", "102", "103"), statuses=("answered", "no_answer")),
        day(extensions=("103",), directions=("internal",), min_duration_s=20),
        day(extensions=("101",), number_contains="103"),
        CallFilter(extensions=("101", "103")),  # no time bounds
        day(extensions=("101",), extension_groups=("Sales",)),  # groups: the plain count
    ],
)
@pytest.mark.parametrize(
    "scope",
    [ALL, Scope.of(extensions=["103"]), Scope.of(queues=["600"]), Scope.of(groups=["Sales"]), Scope.nothing()],
)
def test_count_with_extension_filter_equals_the_plain_count(ids, filt, scope):
    """count_calls splits an extension filter into own + peer-only counts; same number as
    the single COUNT over the OR of both, and as the listing."""
    import sqlalchemy as sa

    from data import schema as s
    from data.queries.calls import filter_clauses

    plain = db.fetch_scalar(sa.select(sa.func.count()).select_from(s.call).where(*filter_clauses(scope, filt)))
    assert count(filt, scope) == plain == len(listed(filt, scope))


def test_count_with_extension_filter_counts_a_call_between_two_chosen_extensions_once(ids):
    assert listed(day(extensions=("101", "103"))) == ["c3", "c1"]
    assert count(day(extensions=("101", "103"))) == 2
    assert count(CallFilter(extensions=("101", "103"))) == 4  # c5 (103), c3, c1, c6


def test_count_with_extension_filter_rejects_an_invalid_filter(ids):
    with pytest.raises(InvalidFilter, match="inverted"):
        count_calls(ALL, CallFilter(start_utc=DAY_END, end_utc=DAY_START, extensions=("101",)))


@pytest.mark.parametrize(
    "scope, expected",
    [
        (Scope.of(extensions=["102"]), ["c2"]),
        (Scope.of(extensions=["103"]), ["c3"]),  # peer of an internal call
        (Scope.of(queues=["600"]), ["c4", "c1"]),
        (Scope.of(groups=["Sales"]), ["c3", "c2", "c1"]),
        (Scope.nothing(), []),
        (Scope.of(extensions=[]), []),
    ],
)
def test_scope(ids, scope, expected):
    assert listed(scope=scope) == expected
    assert count(scope=scope) == len(expected)


def test_scope_and_filter_combine(ids):
    assert listed(day(statuses=("answered",)), scope=Scope.of(queues=["600"])) == ["c1"]


@pytest.mark.parametrize(
    "filt, words",
    [
        (CallFilter(start_utc=DAY_END, end_utc=DAY_START), "inverted"),
        (CallFilter(start_utc=DAY_START, end_utc=DAY_START), "empty"),
        (day(min_duration_s=60, max_duration_s=10), "shortest"),
        (day(min_duration_s=-1), "negative"),
    ],
)
def test_invalid_filters_raise_a_clear_value_error(ids, filt, words):
    for build in (lambda: list_calls(ALL, filt), lambda: count_calls(ALL, filt)):
        with pytest.raises(InvalidFilter, match=words) as info:
            build()
        assert isinstance(info.value, ValueError)
        assert info.value.msgid


def test_columns_select_only_their_fields(ids):
    rows = db.fetch_all(list_calls(ALL, DAY, ["call_uid", "pin", "no_such_column"], limit=10))
    assert list(rows[0]._mapping) == ["id", "has_recording", "call_uid", "pin"]
    main = db.fetch_all(list_calls(ALL, DAY, None, limit=1))[0]._mapping
    assert set(main) == {"id", "has_recording", "start_utc", "from_number", "from_name", "to_number", "to_name",
                         "duration_s", "ring_s", "talk_s", "status"}
    assert set(MAIN_COLUMNS) | set(SECONDARY_COLUMNS) == set(ALL_COLUMNS)
    assert set(SECONDARY_COLUMNS) == {"call_uid", "hangup", "src_trunk", "dst_trunk", "direction", "did",
                                      "outbound_cid", "caller_ip", "pin", "transferred_to"}


def test_all_columns_return_the_stored_values(ids):
    row = db.fetch_all(list_calls(ALL, day(number_contains="777"), ALL_COLUMNS))[0]._mapping
    assert row["call_uid"] == "c2" and row["id"] == ids["c2"]
    assert (row["outbound_cid"], row["caller_ip"], row["pin"], row["dst_trunk"]) == (
        "+420222000200", "10.0.0.12", "1234", "sip-o2")
    assert (row["hangup_by"], row["direction"], row["talk_s"], row["has_recording"]) == ("callee", "outbound", 115, False)


def test_page_size_is_capped(ids):
    stmt = list_calls(ALL, DAY, limit=10**9)
    assert stmt._limit_clause is not None and stmt._limit == 1000


def test_legs_in_order_and_scoped(ids):
    legs = db.fetch_all(call_legs(ALL, ids["c1"]))
    assert [(r.seq, r.extension, r.status, r.via_type, r.via, r.ring_s, r.talk_s) for r in legs] == [
        (1, "102", "no_answer", "queue", "600", 4, 0),
        (2, "101", "answered", "queue", "600", 6, 50),
    ]
    assert db.fetch_all(call_legs(ALL, ids["c2"])) == []
    # The legs follow the call's scope: 102 rang on c1, but c1 belongs to 101 / queue 600.
    assert db.fetch_all(call_legs(Scope.of(extensions=["102"]), ids["c1"])) == []
    assert len(db.fetch_all(call_legs(Scope.of(queues=["600"]), ids["c1"]))) == 2
    assert db.fetch_all(call_legs(Scope.nothing(), ids["c1"])) == []


def test_get_call_is_scoped(ids):
    assert db.fetch_all(get_call(ALL, ids["c3"]))[0].call_uid == "c3"
    assert db.fetch_all(get_call(Scope.of(extensions=["102"]), ids["c3"])) == []
    assert db.fetch_all(get_call(ALL, 10**9)) == []


def test_unknown_extensions(ids):
    from data.queries.calls import unknown_extensions

    assert unknown_extensions(ALL, []) is None
    assert sorted(r[0] for r in db.fetch_all(unknown_extensions(ALL, ["101", "999", "103", "555"]))) == ["555", "999"]
    assert [r[0] for r in db.fetch_all(unknown_extensions(ALL, ["103"]))] == []  # a peer counts
    # Out of scope is unknown too: the scope must not reveal other extensions' calls.
    assert [r[0] for r in db.fetch_all(unknown_extensions(Scope.of(extensions=["102"]), ["101", "102"]))] == ["101"]


def test_transferred_to_is_listed_sorted_and_masked_when_external(db_url):
    ids = insert_calls(TRANSFERS)
    cols = ["start", "call_uid", "transferred_to"]

    def targets(scope=ALL, filt=CallFilter(start_utc=TRANSFERS_DAY[0], end_utc=TRANSFERS_DAY[1]), **kw):
        return [(r.call_uid, r.transferred_to) for r in db.fetch_all(list_calls(scope, filt, cols, **kw))]

    assert targets() == [("c8", "103"), ("c7", "+420731555666")]
    assert targets(sort=[("transferred_to", "asc")]) == [("c7", "+420731555666"), ("c8", "103")]
    # Calls never transferred have none (and sort after the transferred ones, both ways).
    assert targets(filt=DAY)[:1] == [("c4", None)]
    assert [u for u, _t in targets(filt=CallFilter(), sort=[("transferred_to", "desc")])][:2] == ["c8", "c7"]
    # A masking scope sees the outside number as +420731••••66 (all but the last six
    # characters, four bullets, the last two); an extension stays as it is.
    masked = Scope(all=True, mask_external=True)
    assert targets(masked) == [("c8", "103"), ("c7", "+420731••••66")]
    assert db.fetch_all(get_call(masked, ids["c7"]))[0].transferred_to == "+420731••••66"
    assert db.fetch_all(get_call(ALL, ids["c7"]))[0].transferred_to == "+420731555666"


def test_a_masking_scope_sorts_by_the_masked_number(db_url):
    # Real order: +420777100055 < +420777900011; masked they read +420777••••55 and
    # +420777••••11, so sorting what the user sees puts c10 first. Sorting by the full
    # numbers would put c9 first and reveal the order of the hidden digits.
    day = (TRANSFERS_DAY[0], TRANSFERS_DAY[1])
    rows = [dict(call_uid=uid, start_utc=day[0].replace(hour=h), end_utc=day[0].replace(hour=h, minute=1),
                 direction="inbound", status="no_answer", from_number=number, to_number="100", extension="101",
                 duration_s=60, ring_s=60, talk_s=0)
            for uid, h, number in (("c9", 8, "+420777100055"), ("c10", 9, "+420777900011"))]
    insert_calls(rows)
    filt = CallFilter(start_utc=day[0], end_utc=day[1])

    def order(scope):
        return [r.call_uid for r in db.fetch_all(list_calls(scope, filt, ["start", "call_uid", "from"],
                                                            sort=[("from", "asc")]))]

    assert order(ALL) == ["c9", "c10"]
    assert order(Scope(all=True, mask_external=True)) == ["c10", "c9"]

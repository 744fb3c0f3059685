"""Scope: which calls (and agents, queues) a viewer may see — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from data import schema as s
from data.scope import Scope, call_clause, expand_groups, extension_clause, queue_clause

# id, extension, peer_extension, queue
CALLS = [
    (1, "101", None, None),     # inbound to 101
    (2, "102", "101", None),    # internal 102 -> 101
    (3, "103", None, "600"),    # queue 600, answered by 103
    (4, None, None, "600"),     # abandoned in queue 600
    (5, None, None, "601"),     # abandoned in queue 601
    (6, "104", "103", None),    # internal 104 -> 103
    (7, "105", "", None),       # outbound, empty peer
]


def _load(engine):
    start = datetime(2026, 5, 4, 9)
    with engine.begin() as conn:
        conn.execute(s.source.insert().values(id=1, name="pbx"))
        conn.execute(s.call.insert(), [
            {"id": i, "source_id": 1, "call_uid": f"c{i}", "start_utc": start + timedelta(minutes=i),
             "end_utc": start + timedelta(minutes=i, seconds=30), "direction": "internal" if peer else "inbound",
             "status": "answered", "extension": ext, "peer_extension": peer, "queue": q}
            for i, ext, peer, q in CALLS])
        conn.execute(s.extension_group.insert(), [{"id": 1, "name": "support"}, {"id": 2, "name": "sales"},
                                                   {"id": 3, "name": "empty"}])
        conn.execute(s.extension_group_member.insert(), [
            {"group_id": 1, "extension": "103"}, {"group_id": 2, "extension": "105"},
            {"group_id": 2, "extension": "999"}])


def _seen(engine, scope) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(s.call.c.id).where(call_clause(scope)).order_by(s.call.c.id)))


def test_nothing_sees_no_calls(engine):
    _load(engine)
    assert Scope.nothing().is_empty
    assert _seen(engine, Scope.nothing()) == []
    assert _seen(engine, Scope.of()) == []


def test_everything_sees_all_calls(engine):
    _load(engine)
    assert _seen(engine, Scope.everything()) == [1, 2, 3, 4, 5, 6, 7]


def test_extension_scope_matches_extension_or_peer(engine):
    _load(engine)
    assert _seen(engine, Scope.of(extensions=["101"])) == [1, 2]  # 2 via peer_extension
    assert _seen(engine, Scope.of(extensions=["103"])) == [3, 6]
    assert _seen(engine, Scope.of(extensions=[105])) == [7]      # numbers become text
    assert _seen(engine, Scope.of(extensions=["999"])) == []


def test_group_scope_resolves_members(engine):
    _load(engine)
    assert _seen(engine, Scope.of(groups=["support"])) == [3, 6]  # 103: owner of 3, peer of 6
    assert _seen(engine, Scope.of(groups=["sales"])) == [7]
    assert _seen(engine, Scope.of(groups=["empty"])) == []
    assert _seen(engine, Scope.of(groups=["no-such-group"])) == []
    # Membership is read at query time: adding a member widens the scope.
    with engine.begin() as conn:
        conn.execute(s.extension_group_member.insert().values(group_id=3, extension="102"))
    assert _seen(engine, Scope.of(groups=["empty"])) == [2]


def test_expand_groups_lists_the_members(engine):
    _load(engine)
    assert expand_groups(Scope.of(groups=["support"]), engine) == Scope.of(extensions=["103"])
    assert expand_groups(Scope.of(extensions=["101"], groups=["sales"], queues=["600"], mask_external=True),
                         engine) == Scope.of(extensions=["101", "105", "999"], queues=["600"], mask_external=True)
    # A group without members (or unknown) stays a group: it still matches nothing.
    assert expand_groups(Scope.of(groups=["empty", "no-such-group", "support"]), engine) == Scope.of(
        extensions=["103"], groups=["empty", "no-such-group"])
    assert expand_groups(Scope.everything(), engine) == Scope.everything()
    for scope in (Scope.of(groups=["support"]), Scope.of(groups=["sales"]), Scope.of(groups=["empty"]),
                  Scope.of(extensions=["101"], groups=["sales"], queues=["600"])):
        assert _seen(engine, expand_groups(scope, engine)) == _seen(engine, scope)


def test_queue_scope(engine):
    _load(engine)
    assert _seen(engine, Scope.of(queues=["600"])) == [3, 4]
    assert _seen(engine, Scope.of(queues=["601", "600"])) == [3, 4, 5]


def test_combined_scope_is_a_union(engine):
    _load(engine)
    assert _seen(engine, Scope.of(extensions=["104"], queues=["601"])) == [5, 6]
    assert _seen(engine, Scope.of(extensions=["101"], groups=["sales"], queues=["600"])) == [1, 2, 3, 4, 7]


def test_extension_and_queue_clauses(engine):
    _load(engine)
    qc = s.queue_call
    with engine.begin() as conn:
        conn.execute(qc.insert(), [
            {"id": i, "source_id": 1, "call_uid": f"q{i}", "queue": q, "enter_utc": datetime(2026, 5, 4, 9, i),
             "outcome": "answered", "agent": agent}
            for i, q, agent in [(1, "600", "103"), (2, "600", "101"), (3, "601", "102")]])

    def ids(clause):
        with engine.connect() as conn:
            return list(conn.scalars(sa.select(qc.c.id).where(clause).order_by(qc.c.id)))

    assert ids(extension_clause(Scope.of(groups=["support"]), qc.c.agent)) == [1]
    assert ids(extension_clause(Scope.of(extensions=["101", "102"]), qc.c.agent)) == [2, 3]
    assert ids(extension_clause(Scope.of(queues=["600"]), qc.c.agent)) == []
    assert ids(extension_clause(Scope.everything(), qc.c.agent)) == [1, 2, 3]
    assert ids(queue_clause(Scope.of(queues=["601"]), qc.c.queue)) == [3]
    assert ids(queue_clause(Scope.of(extensions=["101"]), qc.c.queue)) == []
    assert ids(queue_clause(Scope.nothing(), qc.c.queue)) == []
    assert ids(queue_clause(Scope.everything(), qc.c.queue)) == [1, 2, 3]


def test_scope_key_is_stable():
    assert Scope.everything().key() == "*"
    assert Scope.of(extensions=["102", "101"], queues=["600"]).key() == "101,102||600"
    assert Scope.of(extensions=["101", "102"], queues=["600"]) == Scope.of(extensions=["102", "101"], queues=["600"])
    assert Scope.nothing().key() == "||"

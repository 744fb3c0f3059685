"""Garbage never crashes the CDR importer, and a batch is written whole or not at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from data import schema as s
from data.importers.asterisk import load
from data.importers.asterisk.cdr_file import import_cdr_file
from tests.data.importers.asterisk.test_cdr_file import assert_aggregates_match_calls, count

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def valid_line(i: int, answered: bool) -> bytes:
    """An 18-column cdr_csv line, one call per i (minutes apart, UTC)."""
    h, m = divmod(i, 60)
    start = f"2026-02-03 {8 + h:02d}:{m:02d}:00"
    if answered:
        ans, end, dur, bill, disp = f"2026-02-03 {8 + h:02d}:{m:02d}:05", f"2026-02-03 {8 + h:02d}:{m:02d}:35", 35, 30, "ANSWERED"
    else:
        ans, end, dur, bill, disp = "", f"2026-02-03 {8 + h:02d}:{m:02d}:20", 20, 0, "NO ANSWER"
    return (
        f'"","0601{i:06d}","0212345678","from-trunk","""Caller {i}"" <0601{i:06d}>","PJSIP/provider-{i:08x}",'
        f'"PJSIP/101-{i + 1:08x}","Dial","PJSIP/101,30","{start}",{ans},"{end}",{dur},{bill},"{disp}",'
        f'"DOCUMENTATION","17700{i:05d}.{i}",""\n'
    ).encode()


garbage = st.one_of(
    st.binary(max_size=300).map(lambda b: b.replace(b"\n", b" ") + b"\n"),
    st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)),  # encodable text
            max_size=200).map(lambda t: t.encode("utf-8") + b"\n"),
    st.lists(st.sampled_from(['""', '"', ",", "NULL", "2026-02-30 25:61:00", "ANSWERED", "-5", "x" * 90,
                              "\x00", "\r", "PJSIP/101-0001"]), max_size=25).map(lambda p: ",".join(p).encode() + b"\n"),
)
lines_strategy = st.lists(
    st.one_of(st.tuples(st.just("ok"), st.integers(0, 599), st.booleans()), st.tuples(st.just("bad"), garbage)),
    min_size=1, max_size=40,
)


def _clean(engine) -> None:
    with engine.begin() as conn:
        # number_class (issue 14: what the importer learned) refers to the source too.
        for t in (s.queue_attempt, s.queue_call, s.agent_session, s.agent_pause, s.call_leg, s.ivr_choice, s.call,
                  s.agg_call_hour, s.agg_queue_hour, s.import_state, s.number_class, s.source):
            conn.execute(t.delete())


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(items=lines_strategy, batch_lines=st.integers(1, 12))
def test_garbage_never_crashes_and_valid_lines_all_land(engine, tmp_path, items, batch_lines):
    _clean(engine)
    # One valid line first so the layout is recognised; then the mix.
    data = [valid_line(0, True)]
    uids = {"1770000000.0"}
    for item in items:
        if item[0] == "ok":
            data.append(valid_line(item[1], item[2]))
            uids.add(f"17700{item[1]:05d}.{item[1]}")
        else:
            data.append(item[1])
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(data))
    stats = import_cdr_file(engine, path, source_tz="UTC", batch_lines=batch_lines)
    assert stats.lines_read == len(data)
    with engine.connect() as conn:
        got = set(conn.execute(sa.select(s.call.c.call_uid)).scalars())
    assert got == uids
    n_garbage = sum(1 for item in items if item[0] == "bad")
    assert stats.lines_rejected + stats.blank_lines == n_garbage  # every garbage line: skipped or rejected
    assert_aggregates_match_calls(engine)
    # Again: nothing new.
    again = import_cdr_file(engine, path, source_tz="UTC")
    assert again.calls_added == 0 and count(engine, s.call) == len(uids)


def test_failed_batch_leaves_nothing_half_written_and_resumes(engine, tmp_path, monkeypatch):
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(valid_line(i, i % 2 == 0) for i in range(10)))
    real_refresh = load.aggregates.refresh
    calls_seen = []

    def failing_refresh(conn, start, end):
        calls_seen.append(start)
        real_refresh(conn, start, end)
        if len(calls_seen) == 2:  # the second batch dies after writing its calls and legs
            raise RuntimeError("disk full")

    monkeypatch.setattr(load.aggregates, "refresh", failing_refresh)
    with pytest.raises(RuntimeError, match="disk full"):
        import_cdr_file(engine, path, source_tz="UTC", batch_lines=4)
    # Only the first batch (4 lines) is there, with its aggregates and its position.
    assert count(engine, s.call) == 4 and count(engine, s.call_leg) == 4
    assert_aggregates_match_calls(engine)
    with engine.connect() as conn:
        state = conn.execute(sa.select(s.import_state)).one()
    assert state.lines == 4
    monkeypatch.setattr(load.aggregates, "refresh", real_refresh)
    stats = import_cdr_file(engine, path, source_tz="UTC", batch_lines=4)
    assert (stats.lines_read, stats.calls_added) == (6, 6)
    assert count(engine, s.call) == 10
    assert_aggregates_match_calls(engine)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                 HealthCheck.too_slow])
@given(items=st.lists(st.one_of(st.tuples(st.just("ok"), st.integers(0, 500)), st.tuples(st.just("bad"), garbage)),
                      min_size=1, max_size=40),
       batch_lines=st.integers(1, 12))
def test_queue_log_garbage_never_crashes(engine, tmp_path, items, batch_lines):
    from data.importers.queue_log import import_queue_log_file

    _clean(engine)
    base = 1780297200
    data = [f"{base}|c0|600|NONE|ENTERQUEUE||0600|1\n".encode()]
    uids = {"c0"}
    for item in items:
        if item[0] == "ok":
            i = item[1]
            data.append(f"{base + 60 * i}|c{i}|600|NONE|ENTERQUEUE||06{i:04d}|1\n".encode())
            data.append(f"{base + 60 * i + 7}|c{i}|600|NONE|ABANDON|1|1|7\n".encode())
            uids.add(f"c{i}")
        else:
            data.append(item[1])
    path = tmp_path / "queue_log"
    path.write_bytes(b"".join(data))
    stats = import_queue_log_file(engine, path, batch_lines=batch_lines)
    assert stats.lines_read == len(data)
    qc, aq = s.queue_call, s.agg_queue_hour
    with engine.connect() as conn:
        got = set(conn.execute(sa.select(qc.c.call_uid)).scalars())
        n_agg = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(aq.c.calls), 0))).scalar()
    assert got == uids
    assert int(n_agg) == count(engine, qc)

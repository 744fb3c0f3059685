"""The four call reports against a hand-built PBX day, on SQLite and PostgreSQL.

Europe/Prague: 2026-05-04 is CEST (UTC+2): 06:10 UTC = 08:10 local. 2026-10-25 has 25
local hours (02:00-03:00 twice: 00:00 and 01:00 UTC); 2026-03-29 has 23 (02:00 skipped).

Calls (start UTC, direction, status, extension -> peer, talk/hold s, DID / caller ID):
  c1  05-04 06:10 inbound  answered   101        120/10  DID 111
  c2  05-04 06:20 inbound  no_answer  101                DID 111
  c3  05-04 06:40 inbound  busy       102                DID 222
  c8  05-04 06:58 internal answered   101 -> 102 300/0   (ends 07:04: crosses the hour)
  c4  05-04 07:05 outbound failed     102                CID 111
  c5  05-04 07:15 outbound congestion 103                CID 111   (counts as failed)
  c6  05-04 07:30 inbound  voicemail  103                DID 222
  c7  05-04 07:45 inbound  abandoned  104                DID 111
  c10 05-04 08:00 inbound  answered   104        30/0    DID 222
  c11 05-04 09:10 inbound  abandoned  (none: IVR)        DID 111
  c9  05-05 10:00 outbound answered   103        60/5    CID 999
  d1  10-25 00:30 inbound  answered   101        10/0    (02:30 CEST)
  d2  10-25 01:30 inbound  answered   101        20/0    (02:30 CET)
  d3  03-29 01:30 inbound  answered   101        40/0    (03:30 CEST)
Every expected number below is counted from this table by hand.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callboard.core.i18n import gettext
from callboard.reports.registry import run_report
from exporters.report_csv import to_csv
from data import aggregates, db
from data import schema as s
from data.queries.report_filter import ReportFilter
from data.queries.report_path import uses_aggregates
from data.scope import Scope

TZ = ZoneInfo("Europe/Prague")
D4, D5 = date(2026, 5, 4), date(2026, 5, 5)
ALL = Scope.everything()


def _call(uid, start, direction, status, ext=None, peer=None, talk=0, hold=0, did=None, cid=None):
    answer = start + timedelta(seconds=5) if status == "answered" else None
    return dict(call_uid=uid, start_utc=start, answer_utc=answer, end_utc=start + timedelta(seconds=5 + talk + 360),
                direction=direction, status=status, extension=ext, peer_extension=peer, talk_s=talk, hold_s=hold,
                duration_s=5 + talk, ring_s=5, did=did, outbound_cid=cid)


CALLS = [
    _call("c1", datetime(2026, 5, 4, 6, 10), "inbound", "answered", "101", talk=120, hold=10, did="111"),
    _call("c2", datetime(2026, 5, 4, 6, 20), "inbound", "no_answer", "101", did="111"),
    _call("c3", datetime(2026, 5, 4, 6, 40), "inbound", "busy", "102", did="222"),
    _call("c8", datetime(2026, 5, 4, 6, 58), "internal", "answered", "101", "102", talk=300),
    _call("c4", datetime(2026, 5, 4, 7, 5), "outbound", "failed", "102", cid="111"),
    _call("c5", datetime(2026, 5, 4, 7, 15), "outbound", "congestion", "103", cid="111"),
    _call("c6", datetime(2026, 5, 4, 7, 30), "inbound", "voicemail", "103", did="222"),
    _call("c7", datetime(2026, 5, 4, 7, 45), "inbound", "abandoned", "104", did="111"),
    _call("c10", datetime(2026, 5, 4, 8, 0), "inbound", "answered", "104", talk=30, did="222"),
    _call("c11", datetime(2026, 5, 4, 9, 10), "inbound", "abandoned", None, did="111"),
    _call("c9", datetime(2026, 5, 5, 10, 0), "outbound", "answered", "103", talk=60, hold=5, cid="999"),
    _call("d1", datetime(2026, 10, 25, 0, 30), "inbound", "answered", "101", talk=10),
    _call("d2", datetime(2026, 10, 25, 1, 30), "inbound", "answered", "101", talk=20),
    _call("d3", datetime(2026, 3, 29, 1, 30), "inbound", "answered", "101", talk=40),
]


@pytest.fixture
def pbx(engine):
    with engine.begin() as conn:
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
        conn.execute(sa.insert(s.call), CALLS)
        conn.execute(sa.insert(s.extension), [dict(source_id=1, number="101", name="Alice"),
                                              dict(source_id=1, number="102", name="Bob")])
        conn.execute(sa.insert(s.phone_number), [dict(source_id=1, number="111", kind="both", name="Main line")])
        gid = conn.execute(sa.insert(s.extension_group).values(name="sales").returning(s.extension_group.c.id)).scalar()
        conn.execute(sa.insert(s.extension_group_member), [dict(group_id=gid, extension="101"),
                                                           dict(group_id=gid, extension="103")])
        aggregates.refresh(conn, datetime(2026, 3, 1), datetime(2026, 11, 1))
    return engine


def run(report, flt, scope=ALL, path=None, engine=None):
    return run_report(report, scope, flt, engine=engine, tz=TZ, path=path)


def records(result):
    return result.df.to_dict("records")


def both_paths(engine, report, flt, scope=ALL):
    """Aggregate and facts paths give the same table (for this scope too); returns the
    aggregate one, which is also the automatic choice."""
    a = run(report, flt, scope=scope, path="aggregate", engine=engine)
    f = run(report, flt, scope=scope, path="facts", engine=engine)
    assert a.df.to_dict("records") == f.df.to_dict("records")
    assert run(report, flt, scope=scope, engine=engine).path == "aggregate"
    return a


STAT_KEYS = ["extension", "name", "calls", "answered", "no_answer", "busy", "failed", "voicemail", "abandoned",
             "talk_s", "avg_talk_s", "hold_s"]


def stat(ext, name, calls, answered=0, no_answer=0, busy=0, failed=0, voicemail=0, abandoned=0, talk=0, hold=0):
    avg = talk / answered if answered else None
    return dict(zip(STAT_KEYS, [ext, name, calls, answered, no_answer, busy, failed, voicemail, abandoned, talk, avg, hold]))


EXPECTED_STATS = {
    "101": stat("101", "Alice", 3, answered=2, no_answer=1, talk=420, hold=10),  # c1, c2, c8
    "102": stat("102", "Bob", 3, answered=1, busy=1, failed=1, talk=300),  # c3, c8 (peer), c4
    "103": stat("103", "", 3, answered=1, failed=1, voicemail=1, talk=60, hold=5),  # c5 (congestion), c6, c9
    "104": stat("104", "", 2, answered=1, abandoned=1, talk=30),  # c7, c10
}


def _fix_stats(rows):
    out = []
    for r in rows:
        r = dict(r)
        if r["avg_talk_s"] is not None:
            r["avg_talk_s"] = float(r["avg_talk_s"])
        out.append(r)
    return out


def test_extension_statistics_every_status(pbx):
    flt = ReportFilter(D4, D5)
    result = both_paths(pbx, "extension-statistics", flt)
    assert result.path == "aggregate" and uses_aggregates("extension-statistics", ALL, flt)
    assert [c.key for c in result.columns] == STAT_KEYS
    assert _fix_stats(records(result)) == [EXPECTED_STATS[e] for e in ("101", "102", "103", "104")]
    # The internal call c8 counts for 101 and for 102; c11 (no extension) for nobody.
    assert result.total_calls == 11
    assert EXPECTED_STATS["101"]["avg_talk_s"] == 210.0


def test_extension_statistics_filters(pbx):
    only_internal = both_paths(pbx, "extension-statistics", ReportFilter(D4, D5, directions=["internal"]))
    assert [(r["extension"], r["calls"], r["answered"], r["talk_s"]) for r in records(only_internal)] == [
        ("101", 1, 1, 300), ("102", 1, 1, 300)]
    group = both_paths(pbx, "extension-statistics", ReportFilter(D4, D5, groups=["sales"]))
    assert [r["extension"] for r in records(group)] == ["101", "103"]
    picked = both_paths(pbx, "extension-statistics", ReportFilter(D4, D5, extensions=["104", "102"]))
    assert _fix_stats(records(picked)) == [EXPECTED_STATS["102"], EXPECTED_STATS["104"]]


def test_extension_statistics_scope_hides_extensions(pbx):
    scope = Scope.of(extensions=["101", "102"])
    result = both_paths(pbx, "extension-statistics", ReportFilter(D4, D5), scope=scope)
    assert _fix_stats(records(result)) == [EXPECTED_STATS["101"], EXPECTED_STATS["102"]]
    # Asking for a hidden extension does not reveal it.
    hidden = both_paths(pbx, "extension-statistics", ReportFilter(D4, D5, extensions=["103"]), scope=scope)
    assert hidden.df.empty and hidden.empty
    nothing = run("extension-statistics", ReportFilter(D4, D5), scope=Scope.nothing(), engine=pbx)
    assert nothing.df.empty


def _pbx_row(period, inbound=0, outbound=0, internal=0, answered=0):
    calls = inbound + outbound + internal
    return dict(period=period, inbound=inbound, outbound=outbound, internal=internal, calls=calls,
                answered=answered, unanswered=calls - answered)


def test_pbx_activity_by_day_counts_internal_once(pbx):
    result = both_paths(pbx, "pbx-activity", ReportFilter(D4, D5, by="day"))
    assert records(result) == [_pbx_row(D4, inbound=7, outbound=2, internal=1, answered=3),
                               _pbx_row(D5, outbound=1, answered=1)]
    assert result.total_calls == 11


def test_pbx_activity_by_hour_of_day(pbx):
    result = both_paths(pbx, "pbx-activity", ReportFilter(D4, D5, by="hour_of_day"))
    rows = records(result)
    assert [r["period"] for r in rows] == list(range(24))
    expected = {
        8: _pbx_row(8, inbound=3, internal=1, answered=2),  # c1 c2 c3 c8 (c8 crosses into 09:00)
        9: _pbx_row(9, inbound=2, outbound=2),  # c4 c5 c6 c7
        10: _pbx_row(10, inbound=1, answered=1),  # c10
        11: _pbx_row(11, inbound=1),  # c11
        12: _pbx_row(12, outbound=1, answered=1),  # c9 (next day)
    }
    assert rows == [expected.get(h, _pbx_row(h)) for h in range(24)]


def test_pbx_activity_by_month_and_dst_hour(pbx):
    months = both_paths(pbx, "pbx-activity", ReportFilter(date(2026, 3, 1), date(2026, 10, 31), by="month"))
    calls = {r["period"]: r["calls"] for r in records(months)}
    assert calls == {date(2026, m, 1): n for m, n in [(3, 1), (4, 0), (5, 11), (6, 0), (7, 0), (8, 0), (9, 0), (10, 2)]}
    # The fall-back day: both 02:30 calls are in local hour 2.
    fall = both_paths(pbx, "pbx-activity", ReportFilter(date(2026, 10, 25), date(2026, 10, 25), by="hour_of_day"))
    assert {r["period"]: r["calls"] for r in records(fall) if r["calls"]} == {2: 2}


def test_pbx_activity_scope_and_extension_filter(pbx):
    # Both extensions of the internal call c8 are in scope: still one call, on both paths.
    scoped = both_paths(pbx, "pbx-activity", ReportFilter(D4, D5, by="day"), scope=Scope.of(extensions=["101", "102"]))
    assert records(scoped) == [_pbx_row(D4, inbound=3, outbound=1, internal=1, answered=2), _pbx_row(D5)]
    picked = both_paths(pbx, "pbx-activity", ReportFilter(D4, D5, by="day", extensions=["103"]))
    assert records(picked) == [_pbx_row(D4, inbound=1, outbound=1), _pbx_row(D5, outbound=1, answered=1)]
    # The internal call between two chosen extensions is still one call.
    both = both_paths(pbx, "pbx-activity", ReportFilter(D4, D4, by="day", extensions=["101", "102"]))
    assert records(both) == [_pbx_row(D4, inbound=3, outbound=1, internal=1, answered=2)]


def _local(y, m, d, hh, mm, offset_h):
    from datetime import timezone
    return datetime(y, m, d, hh, mm, tzinfo=timezone(timedelta(hours=offset_h)))


def test_extension_activity_hourly_and_crossing_the_hour(pbx):
    result = both_paths(pbx, "extension-activity", ReportFilter(D4, D4, extensions=["101", "102"], interval=60))
    rows = records(result)
    assert len(rows) == 24
    assert [c.key for c in result.columns] == ["time", "ext:101", "ext:102", "calls", "answered"]
    busy = {r["time"].strftime("%H:%M"): (r["ext:101"], r["ext:102"], r["calls"], r["answered"]) for r in rows if r["calls"]}
    # 08:00: c1 c2 c8 for 101; c3 c8 for 102 — c8 starts 08:58 and stays in 08:00.
    assert busy == {"08:00": (3, 2, 5, 3), "09:00": (0, 1, 1, 0)}
    assert rows[0]["time"] == _local(2026, 5, 4, 0, 0, 2)


def test_extension_activity_quarter_and_half_hours(pbx):
    q = run("extension-activity", ReportFilter(D4, D4, extensions=["101", "102"], interval=15), engine=pbx)
    assert q.path == "facts" and len(q.df) == 96
    busy = {r["time"].strftime("%H:%M"): (r["ext:101"], r["ext:102"]) for r in records(q) if r["calls"]}
    assert busy == {"08:00": (1, 0), "08:15": (1, 0), "08:30": (0, 1), "08:45": (1, 1), "09:00": (0, 1)}
    h = run("extension-activity", ReportFilter(D4, D4, extensions=["101", "102"], interval=30), engine=pbx)
    assert len(h.df) == 48
    busy = {r["time"].strftime("%H:%M"): (r["ext:101"], r["ext:102"]) for r in records(h) if r["calls"]}
    assert busy == {"08:00": (2, 0), "08:30": (1, 2), "09:00": (0, 1)}


def test_extension_activity_dst_days_have_23_and_25_hours(pbx):
    fall = both_paths(pbx, "extension-activity", ReportFilter(date(2026, 10, 25), date(2026, 10, 25), interval=60))
    rows = records(fall)
    assert len(rows) == 25
    with_calls = [(r["time"].strftime("%H:%M"), r["time"].utcoffset(), r["ext:101"]) for r in rows if r["calls"]]
    assert with_calls == [("02:00", timedelta(hours=2), 1), ("02:00", timedelta(hours=1), 1)]
    spring = both_paths(pbx, "extension-activity", ReportFilter(date(2026, 3, 29), date(2026, 3, 29), interval=60))
    rows = records(spring)
    assert len(rows) == 23
    assert "02:00" not in [r["time"].strftime("%H:%M") for r in rows]
    assert [(r["time"].strftime("%H:%M"), r["calls"]) for r in rows if r["calls"]] == [("03:00", 1)]
    assert len(run("extension-activity", ReportFilter(date(2026, 10, 25), date(2026, 10, 25), interval=15),
                   engine=pbx).df) == 100


def test_extension_activity_per_day_and_coarsening(pbx):
    days = both_paths(pbx, "extension-activity", ReportFilter(D4, D5, interval=1440))
    assert [(r["time"], r["ext:101"], r["ext:102"], r["ext:103"], r["ext:104"], r["calls"]) for r in records(days)] == [
        (D4, 3, 3, 2, 2, 10), (D5, 0, 0, 1, 0, 1)]
    long = run("extension-activity", ReportFilter(date(2026, 3, 1), date(2026, 5, 31), interval=15), engine=pbx)
    assert long.filter.interval == 60 and long.notes


def test_did_dod(pbx):
    result = both_paths(pbx, "did-dod", ReportFilter(D4, D5, by="day"))
    assert result.path == "aggregate"
    # Scope {101}: c1 and c2 (DID 111) only; scope {103}: c6 (DID 222), c5 and c9 (CIDs).
    only_101 = both_paths(pbx, "did-dod", ReportFilter(D4, D5), scope=Scope.of(extensions=["101"]))
    assert [(r["kind"], r["number"], r["calls"], r["answered"]) for r in records(only_101)] == [("did", "111", 2, 1)]
    only_103 = both_paths(pbx, "did-dod", ReportFilter(D4, D5, by="month"), scope=Scope.of(groups=["sales"]),)
    assert [(r["kind"], r["number"], r["calls"]) for r in records(only_103)] == [
        ("did", "111", 2), ("did", "222", 1), ("dod", "111", 1), ("dod", "999", 1)]
    rows = [(r["period"], r["kind"], r["number"], r["name"], r["calls"], r["answered"], r["talk_s"]) for r in records(result)]
    assert rows == [
        (D4, "did", "111", "Main line", 4, 1, 120),  # c1 c2 c7 c11
        (D4, "did", "222", "", 3, 1, 30),  # c3 c6 c10
        (D4, "dod", "111", "Main line", 2, 0, 0),  # c4 c5
        (D5, "dod", "999", "", 1, 1, 60),  # c9
    ]
    # The chart has every number on every day (zeros included).
    assert len(result.chart) == 4 * 2
    inbound = both_paths(pbx, "did-dod", ReportFilter(D4, D5, by="month", directions=["inbound"]))
    assert [(r["period"], r["kind"], r["number"], r["calls"]) for r in records(inbound)] == [
        (date(2026, 5, 1), "did", "111", 4), (date(2026, 5, 1), "did", "222", 3)]
    scoped = run("did-dod", ReportFilter(D4, D5), scope=Scope.of(extensions=["101", "102"]), engine=pbx)
    assert [(r["kind"], r["number"], r["calls"]) for r in records(scoped)] == [
        ("did", "111", 2), ("did", "222", 1), ("dod", "111", 1)]
    internal = run("did-dod", ReportFilter(D4, D5, directions=["internal"]), engine=pbx)
    assert internal.df.empty


def test_empty_range(pbx):
    flt = ReportFilter(date(2026, 6, 1), date(2026, 6, 30))
    for report in ("extension-statistics", "pbx-activity", "extension-activity", "did-dod"):
        result = run(report, flt, engine=pbx)
        assert result.empty and result.total_calls == 0, report
    assert len(run("pbx-activity", flt, engine=pbx).df) == 30  # every day, zero


def test_csv_has_the_table_numbers(pbx):
    result = run("extension-statistics", ReportFilter(D4, D5), engine=pbx)
    rows = list(csv.reader(io.StringIO(to_csv(result, "cs"))))
    assert rows[0][:3] == [gettext("cs", m) for m in ("Extension", "Name", "Calls")] != ["Extension", "Name", "Calls"]
    # Durations are seconds (averages with one decimal, as on the page: issue 14, rule 9), and the
    # header says so.
    assert rows[0][-3:] == [gettext("cs", m) + " [s]" for m in ("Talk time", "Average talk time", "Hold time")]
    assert rows[0][-3].startswith("Doba hovoru")
    assert [r[0] for r in rows[1:]] == ["101", "102", "103", "104"]
    assert rows[1][2:] == ["3", "2", "1", "0", "0", "0", "0", "420", "210.0", "10"]
    table = result.df
    for i, r in enumerate(rows[1:]):
        assert int(r[2]) == table["calls"][i]
        assert int(r[9]) == table["talk_s"][i]


def test_filter_validation():
    with pytest.raises(ValueError):
        ReportFilter(D5, D4)
    with pytest.raises(ValueError):
        ReportFilter(D4, D4, directions=["sideways"])
    assert ReportFilter(D4, D4, directions=["internal", "inbound", "outbound"]).directions == ()
    assert ReportFilter(D4, D4, extensions="101,102", directions="inbound").extensions == ("101", "102")


def test_the_calls_behind_each_report(pbx):
    from callboard.reports.runners import call_rows

    def uids(report, flt, scope=ALL):
        result = run(report, flt, scope=scope, engine=pbx)
        starts = [r[0] for r in call_rows(result, scope, engine=pbx, tz=TZ)]
        by_start = {c["start_utc"]: c["call_uid"] for c in CALLS}
        return [by_start[s.astimezone(TZ).replace(tzinfo=None) - s.utcoffset()] for s in starts]

    flt = ReportFilter(D4, D5)
    # Extension statistics counted c8 twice (101 and 102) but it is one call; c11 had no extension.
    assert uids("extension-statistics", flt) == ["c1", "c2", "c3", "c8", "c4", "c5", "c6", "c7", "c10", "c9"]
    assert uids("pbx-activity", flt) == ["c1", "c2", "c3", "c8", "c4", "c5", "c6", "c7", "c10", "c11", "c9"]
    assert uids("pbx-activity", flt.with_(extensions=("103",))) == ["c5", "c6", "c9"]
    assert uids("extension-activity", flt.with_(extensions=("102",), interval=15)) == ["c3", "c8", "c4"]
    assert uids("did-dod", flt.with_(directions=("outbound",))) == ["c4", "c5", "c9"]
    assert uids("extension-statistics", flt, scope=Scope.of(extensions=["104"])) == ["c7", "c10"]
    csv_text = to_csv(run("pbx-activity", flt.with_(by="month"), engine=pbx), "en",
                      call_rows(run("pbx-activity", flt.with_(by="month"), engine=pbx), ALL, engine=pbx, tz=TZ))
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[1][4] == "11" and rows[2] == [] and rows[3][0] == "Start"
    assert len(rows) == 4 + 11
    assert rows[4][:3] == ["2026-05-04T08:10+02:00", "Inbound", "Answered"]


def test_csv_text_cells_are_never_formulas(pbx):
    with pbx.begin() as conn:
        conn.execute(sa.update(s.extension).where(s.extension.c.number == "101").values(name="=HYPERLINK(1)"))
    result = run("extension-statistics", ReportFilter(D4, D5), engine=pbx)
    rows = list(csv.reader(io.StringIO(to_csv(result, "en"))))
    assert rows[1][:2] == ["101", "'=HYPERLINK(1)"]

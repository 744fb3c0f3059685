"""The ivr and ring-groups reports against a hand-built fixture, on SQLite and PostgreSQL.

Europe/Prague: May 2026 is CEST (UTC+2); 2026-10-25 has 25 local hours (02:00-03:00 twice:
00:00 and 01:00 UTC).

IVR calls (call start UTC, call.ivr, extension; choices as (ivr, at UTC, option)):
  i1 05-04 06:00  700  101   700 06:00:10 "1"
  i2 05-04 07:00  700  -     700 07:00:10 "timeout", 700 07:00:20 "2"   (chooses twice)
  i3 05-04 08:00  700  102   700 08:00:10 "invalid", 701 08:00:20 "0"   (enters 701 by a choice)
  i5 05-04 10:00  700  -     (no choice: entered and hung up)
  i8 05-04 21:59:50 700 -    700 22:00:10 "#"  (call on local 05-04 23:59, choice on 05-05 00:00:
                                                 it counts on 05-04, the day the call started)
  i4 05-05 09:00  701  103   701 09:00:10.. "3" "4" "5" "6" "7" "8" "9" "*" "#"
  i6 10-25 00:30  701  -     701 00:30:10 "1"   (02:30 CEST)
  i7 10-25 01:30  701  -     701 01:30:10 "1"   (02:30 CET)
Ring-group calls (start UTC, call.ring_group, status, extension; legs: extension ring/talk status):
  r1 05-04 06:30  600 answered  201   201 8/100 answered, 202 8/0 no_answer
  r2 05-04 07:30  600 no_answer -     201 20/0 no_answer, 202 20/0 no_answer  (missed, two ringing)
  r3 05-05 08:00  600 answered  202   202 4/50 answered
  r4 05-05 09:00  601 answered  203   203 6/30 answered
  r5 10-25 01:10  600 answered  201   201 2/10 answered  (02:10 CET, the repeated hour)
Ring group 600 "Sales" has members 201 and 202, 601 "Support" 203 and 204.
Every expected number below is counted from these tables by hand.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from callboard.core.i18n import gettext
from callboard.reports.registry import run_report
from callboard.reports.runners import call_rows
from exporters.report_csv import to_csv
from data import aggregates
from data import schema as s
from data.queries.report_filter import ReportFilter
from data.schema import IVR_OPTIONS
from data.scope import Scope

TZ = ZoneInfo("Europe/Prague")
D4, D5 = date(2026, 5, 4), date(2026, 5, 5)
ALL = Scope.everything()


def _call(cid, uid, start, status="answered", ext=None, ivr=None, rg=None, talk=0):
    return dict(id=cid, call_uid=uid, start_utc=start, end_utc=start + timedelta(seconds=60 + talk),
                answer_utc=start + timedelta(seconds=5) if status == "answered" else None,
                direction="inbound", status=status, extension=ext, ivr=ivr, ring_group=rg, talk_s=talk,
                duration_s=60 + talk, ring_s=5)


CALLS = [
    _call(1, "i1", datetime(2026, 5, 4, 6, 0), ext="101", ivr="700"),
    _call(2, "i2", datetime(2026, 5, 4, 7, 0), "abandoned", ivr="700"),
    _call(3, "i3", datetime(2026, 5, 4, 8, 0), ext="102", ivr="700"),
    _call(5, "i5", datetime(2026, 5, 4, 10, 0), "abandoned", ivr="700"),
    _call(8, "i8", datetime(2026, 5, 4, 21, 59, 50), "abandoned", ivr="700"),
    _call(4, "i4", datetime(2026, 5, 5, 9, 0), ext="103", ivr="701"),
    _call(6, "i6", datetime(2026, 10, 25, 0, 30), "abandoned", ivr="701"),
    _call(7, "i7", datetime(2026, 10, 25, 1, 30), "abandoned", ivr="701"),
    _call(11, "r1", datetime(2026, 5, 4, 6, 30), ext="201", rg="600", talk=100),
    _call(12, "r2", datetime(2026, 5, 4, 7, 30), "no_answer", rg="600"),
    _call(13, "r3", datetime(2026, 5, 5, 8, 0), ext="202", rg="600", talk=50),
    _call(14, "r4", datetime(2026, 5, 5, 9, 0), ext="203", rg="601", talk=30),
    _call(15, "r5", datetime(2026, 10, 25, 1, 10), ext="201", rg="600", talk=10),
]


def _choice(call_id, ivr, at, seq, option):
    return dict(call_id=call_id, ivr=ivr, at_utc=at, seq=seq, option=option)


CHOICES = [
    _choice(1, "700", datetime(2026, 5, 4, 6, 0, 10), 1, "1"),
    _choice(2, "700", datetime(2026, 5, 4, 7, 0, 10), 1, "timeout"),
    _choice(2, "700", datetime(2026, 5, 4, 7, 0, 20), 2, "2"),
    _choice(3, "700", datetime(2026, 5, 4, 8, 0, 10), 1, "invalid"),
    _choice(3, "701", datetime(2026, 5, 4, 8, 0, 20), 2, "0"),
    _choice(8, "700", datetime(2026, 5, 4, 22, 0, 10), 1, "#"),
    *[_choice(4, "701", datetime(2026, 5, 5, 9, 0, 10 + i), i + 1, o)
      for i, o in enumerate(["3", "4", "5", "6", "7", "8", "9", "*", "#"])],
    _choice(6, "701", datetime(2026, 10, 25, 0, 30, 10), 1, "1"),
    _choice(7, "701", datetime(2026, 10, 25, 1, 30, 10), 1, "1"),
]


def _leg(call_id, seq, ext, start, ring, talk, status, via="600"):
    return dict(call_id=call_id, seq=seq, extension=ext, via_type="ring_group", via=via, start_utc=start,
                end_utc=start + timedelta(seconds=ring + talk), ring_s=ring, talk_s=talk, status=status,
                answer_utc=start + timedelta(seconds=ring) if status == "answered" else None)


LEGS = [
    _leg(11, 1, "201", datetime(2026, 5, 4, 6, 30), 8, 100, "answered"),
    _leg(11, 2, "202", datetime(2026, 5, 4, 6, 30), 8, 0, "no_answer"),
    _leg(12, 1, "201", datetime(2026, 5, 4, 7, 30), 20, 0, "no_answer"),
    _leg(12, 2, "202", datetime(2026, 5, 4, 7, 30), 20, 0, "no_answer"),
    _leg(13, 1, "202", datetime(2026, 5, 5, 8, 0), 4, 50, "answered"),
    _leg(14, 1, "203", datetime(2026, 5, 5, 9, 0), 6, 30, "answered", via="601"),
    _leg(15, 1, "201", datetime(2026, 10, 25, 1, 10), 2, 10, "answered"),
]


def fill(conn) -> None:
    if not conn.execute(sa.select(s.source.c.id)).first():
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
    conn.execute(sa.insert(s.call), CALLS)
    conn.execute(sa.insert(s.ivr_choice), CHOICES)
    conn.execute(sa.insert(s.call_leg), LEGS)
    conn.execute(sa.insert(s.ivr_menu), [dict(source_id=1, number="700", name="Main menu"),
                                         dict(source_id=1, number="701", name="Support menu")])
    for number, name, members in (("600", "Sales", ["201", "202"]), ("601", "Support", ["203", "204"])):
        rid = conn.execute(sa.insert(s.ring_group).values(source_id=1, number=number, name=name)
                           .returning(s.ring_group.c.id)).scalar()
        conn.execute(sa.insert(s.ring_group_member),
                     [dict(ring_group_id=rid, extension=e, position=i) for i, e in enumerate(members)])
    aggregates.refresh(conn, datetime(2026, 3, 1), datetime(2026, 11, 1))  # also fills time_hour


@pytest.fixture
def ivr_pbx(engine):
    with engine.begin() as conn:
        fill(conn)
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('call', 'id'), 100)"))
    return engine


def run(report, flt, scope=ALL, engine=None):
    return run_report(report, scope, flt, engine=engine, tz=TZ)


def ivr_row(ivr, name, entered, hangup=0, **options):
    # Issue 14: the table also counts the calls that hung up in the menu (ivr_choice rows
    # leading to 'hangup'); these hand-built choices say nothing of where they led: 0.
    opts = {o: 0 for o in IVR_OPTIONS}
    opts.update(options)
    return dict(ivr=ivr, name=name, entered=entered, **{f"opt:{o}": opts[o] for o in IVR_OPTIONS},
                choices=sum(opts.values()), hangup=hangup)


def test_ivr_totals_per_ivr_and_option(ivr_pbx):
    r = run("ivr", ReportFilter(D4, D5), engine=ivr_pbx)
    # 700: entered by i1 i2 i3 i5 i8 (i5 has no choice, only call.ivr); choices 1, timeout, 2
    # (i2 twice), invalid, # (i8, made on 05-05 local).
    # 701: i3 (by its "0" choice, although its call.ivr is 700) and i4.
    assert r.df.to_dict("records") == [
        ivr_row("700", "Main menu", 5, **{"1": 1, "timeout": 1, "2": 1, "invalid": 1, "#": 1}),
        ivr_row("701", "Support menu", 2, **{"0": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1,
                                             "*": 1, "#": 1}),
    ]
    assert r.total_calls == 7
    # Every option appears, each in its own column.
    assert [c.key for c in r.columns][3:-2] == [f"opt:{o}" for o in IVR_OPTIONS]


def test_ivr_over_time_by_local_day(ivr_pbx):
    r = run("ivr", ReportFilter(D4, D5, by="day"), engine=ivr_pbx)
    got = {(p, o): n for p, o, n in zip(r.chart["period"], r.chart["option"], r.chart["choices"]) if n}
    assert got == {
        # i8's choice at 22:00:10 UTC is 00:00:10 on 05-05 local, but its call started at
        # 23:59:50 on 05-04: a choice counts on the day its call started.
        (D4, "1"): 1, (D4, "timeout"): 1, (D4, "2"): 1, (D4, "invalid"): 1, (D4, "0"): 1, (D4, "#"): 1,
        # i4 chose 3..9 * #.
        **{(D5, o): 1 for o in ["3", "4", "5", "6", "7", "8", "9", "*", "#"]},
    }
    # The chart has every used option over the whole axis (zeros included).
    assert len(r.chart) == 2 * 14


def test_ivr_choice_day_edge_and_month(ivr_pbx):
    # The boundary rule: an IVR entry and its choices belong to the local hour the call
    # STARTED. 05-05 local = 05-04 22:00 .. 05-05 22:00 UTC holds only i4's call (701, nine
    # choices, one of them "#"); i8 started at 21:59:50 UTC (05-04 23:59:50 local), so its
    # "#" made at 00:00:10 on 05-05 counts on 05-04 with its entry into 700.
    r = run("ivr", ReportFilter(D5, D5), engine=ivr_pbx)
    assert r.df[["ivr", "entered", "opt:#", "choices"]].to_dict("records") == [
        dict(ivr="701", entered=1, **{"opt:#": 1}, choices=9),
    ]
    d4 = run("ivr", ReportFilter(D4, D4), engine=ivr_pbx)
    # 05-04: 700 entered by i1 i2 i3 i5 i8 with choices 1, timeout, 2, invalid, # (5);
    # 701 entered by i3's "0" (1 choice).
    assert d4.df[["ivr", "entered", "opt:#", "choices"]].to_dict("records") == [
        dict(ivr="700", entered=5, **{"opt:#": 1}, choices=5),
        dict(ivr="701", entered=1, **{"opt:#": 0}, choices=1),
    ]
    m = run("ivr", ReportFilter(date(2026, 5, 1), date(2026, 5, 31), by="month"), engine=ivr_pbx)
    assert list(m.chart["period"].unique()) == [date(2026, 5, 1)]
    assert int(m.chart["choices"].sum()) == 15


def test_ivr_dst_day(ivr_pbx):
    day = date(2026, 10, 25)
    r = run("ivr", ReportFilter(day, day), engine=ivr_pbx)
    # i6 (02:30 CEST) and i7 (02:30 CET) both fall on the 25-hour day.
    assert r.df[["ivr", "entered", "opt:1", "choices"]].to_dict("records") == [
        dict(ivr="701", entered=2, **{"opt:1": 2}, choices=2)]
    assert r.chart.to_dict("records") == [dict(period=day, option="1", choices=2)]


def test_ivr_restricted_scope(ivr_pbx):
    r = run("ivr", ReportFilter(D4, D5), scope=Scope.of(extensions=["101"]), engine=ivr_pbx)
    # Only i1 belongs to extension 101.
    assert r.df.to_dict("records") == [ivr_row("700", "Main menu", 1, **{"1": 1})]


@pytest.mark.parametrize("first,last,dirs,by", [(D4, D5, (), "day"), (D4, D4, (), "day"), (D5, D5, (), "month"),
                                                (date(2026, 10, 25), date(2026, 10, 25), (), "day"),
                                                (D4, D5, ("inbound",), "day"), (D4, D5, ("outbound",), "day"),
                                                (date(2026, 5, 1), date(2026, 10, 31), (), "month"),
                                                (date(2026, 1, 1), date(2026, 1, 31), (), "day")])
def test_ivr_rollup_equals_the_facts(ivr_pbx, first, last, dirs, by):
    """The page reads agg_ivr_hour (unrestricted) or agg_ivr_scope_hour (a restricted scope,
    an extension filter): the same table and chart as the facts."""
    flt = ReportFilter(first, last, directions=dirs, by=by)
    for scope, f in ((ALL, flt), (Scope.of(extensions=["101"]), flt), (Scope.of(extensions=["102", "103"]), flt),
                     (Scope.of(queues=["600"]), flt), (Scope.nothing(), flt), (ALL, flt.with_(extensions=("102",))),
                     (Scope.of(extensions=["101", "102"]), flt.with_(extensions=("102", "103")))):
        auto = run_report("ivr", scope, f, engine=ivr_pbx, tz=TZ)
        facts = run_report("ivr", scope, f, engine=ivr_pbx, tz=TZ, path="facts")
        assert auto.path == "aggregate" and facts.path == "facts"
        assert auto.df.to_dict("records") == facts.df.to_dict("records"), scope
        assert auto.chart.to_dict("records") == facts.chart.to_dict("records"), scope


def test_ivr_rollup_rows(ivr_pbx):
    """agg_ivr_hour by hand: i8's entry and "#" sit in its call's hour (21:00 UTC), not the
    choice's (22:00); i2's two choices and i4's nine are counted per option."""
    r = s.agg_ivr_hour
    with ivr_pbx.connect() as conn:
        rows = {(b.replace(tzinfo=None) if hasattr(b, "replace") else b, ivr, opt): (e, n)
                for b, ivr, opt, e, n in conn.execute(
                    sa.select(r.c.bucket_utc, r.c.ivr, r.c.option, r.c.entries, r.c.choices))}
    assert rows[(datetime(2026, 5, 4, 21), "700", "")] == (1, 0)
    assert rows[(datetime(2026, 5, 4, 21), "700", "#")] == (0, 1)
    assert not any(k[0] == datetime(2026, 5, 4, 22) for k in rows)
    assert rows[(datetime(2026, 5, 4, 7), "700", "")] == (1, 0)  # i2 once, two choices
    assert rows[(datetime(2026, 5, 4, 8), "701", "")] == (1, 0)  # i3 enters 701 by its "0"
    assert sum(e for e, _ in rows.values()) == 9  # 700: i1 i2 i3 i5 i8; 701: i3 i4 i6 i7
    assert sum(n for _, n in rows.values()) == 17  # every choice once
    sc = s.agg_ivr_scope_hour
    with ivr_pbx.connect() as conn:
        by_ext = conn.execute(sa.select(sc.c.extension, sa.func.sum(sc.c.entries), sa.func.sum(sc.c.choices))
                              .group_by(sc.c.extension).order_by(sc.c.extension)).all()
    # i3 (extension 102) entered 700 and 701 with two choices; i1 (101) one; i4 (103) nine;
    # i2 i5 i6 i7 i8 have no extension ('').
    assert [tuple(r) for r in by_ext] == [("", 5, 5), ("101", 1, 1), ("102", 2, 2), ("103", 1, 9)]


def test_ivr_empty_range(ivr_pbx):
    r = run("ivr", ReportFilter(date(2026, 1, 1), date(2026, 1, 31)), engine=ivr_pbx)
    assert r.empty and len(r.df) == 0


def rg_row(rg, name, calls, answered, avg_ring, avg_talk, members):
    return dict(ring_group=rg, name=name, calls=calls, answered=answered, missed=calls - answered,
                avg_ring_s=avg_ring, avg_talk_s=avg_talk, **{f"member:{e}": n for e, n in members.items()})


def test_ring_groups(ivr_pbx):
    r = run("ring-groups", ReportFilter(D4, D5), engine=ivr_pbx)
    # 600: r1 (201 answered, ring 8, talk 100), r2 missed with 201 and 202 ringing, r3 (202
    # answered, ring 4, talk 50): avg ring (8 + 4) / 2 = 6, avg talk (100 + 50) / 2 = 75.
    # 601: r4 (203, ring 6, talk 30). Member 204 answered nothing.
    assert r.df.to_dict("records") == [
        rg_row("600", "Sales", 3, 2, 6.0, 75.0, {"201": 1, "202": 1, "203": 0, "204": 0}),
        rg_row("601", "Support", 1, 1, 6.0, 30.0, {"201": 0, "202": 0, "203": 1, "204": 0}),
    ]
    assert r.total_calls == 4


def test_ring_groups_missed_only_and_dst(ivr_pbx):
    r = run("ring-groups", ReportFilter(D4, D4), engine=ivr_pbx)
    assert r.df.to_dict("records") == [rg_row("600", "Sales", 2, 1, 8.0, 100.0, {"201": 1, "202": 0})]
    day = date(2026, 10, 25)
    d = run("ring-groups", ReportFilter(day, day), engine=ivr_pbx)
    assert d.df.to_dict("records") == [rg_row("600", "Sales", 1, 1, 2.0, 10.0, {"201": 1, "202": 0})]


@pytest.mark.parametrize("first,last,dirs", [(D4, D5, ()), (D4, D4, ()), (date(2026, 10, 25), date(2026, 10, 25), ()),
                                             (D4, D5, ("inbound",)), (D4, D5, ("outbound", "internal")),
                                             (date(2026, 1, 1), date(2026, 1, 31), ())])
def test_ring_group_rollups_equal_the_facts(ivr_pbx, first, last, dirs):
    """The unrestricted page reads agg_ring_group_hour / _member_hour: the same table."""
    flt = ReportFilter(first, last, directions=dirs)
    auto = run_report("ring-groups", ALL, flt, engine=ivr_pbx, tz=TZ)
    facts = run_report("ring-groups", ALL, flt, engine=ivr_pbx, tz=TZ, path="facts")
    assert auto.path == "aggregate"
    assert auto.df.to_dict("records") == facts.df.to_dict("records")
    assert run_report("ring-groups", Scope.of(extensions=["202"]), flt, engine=ivr_pbx, tz=TZ).path == "facts"


def test_ring_groups_restricted_scope(ivr_pbx):
    r = run("ring-groups", ReportFilter(D4, D5), scope=Scope.of(extensions=["202"]), engine=ivr_pbx)
    # Only r3 (extension 202).
    assert r.df.to_dict("records") == [rg_row("600", "Sales", 1, 1, 4.0, 50.0, {"201": 0, "202": 1})]


def test_calls_behind_the_reports(ivr_pbx):
    r = run("ivr", ReportFilter(D4, D5), engine=ivr_pbx)
    assert len(list(call_rows(r, ALL, engine=ivr_pbx, tz=TZ))) == 6  # i1 i2 i3 i5 i8 i4
    g = run("ring-groups", ReportFilter(D4, D5), engine=ivr_pbx)
    assert len(list(call_rows(g, ALL, engine=ivr_pbx, tz=TZ))) == 4


runner = CliRunner()


@pytest.mark.parametrize("report,args", [("ivr", ["--by", "day"]), ("ring-groups", [])])
def test_cli_csv_equals_the_table(ivr_pbx, tmp_path, report, args):
    out = tmp_path / f"{report}.csv"
    res = runner.invoke(app, ["report", report, "--from", "2026-05-04", "--to", "2026-05-05", *args,
                              "--lang", "cs", "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    result = run(report, ReportFilter(D4, D5, **({"by": "day"} if args else {})))
    assert rows == list(csv.reader(to_csv(result, "cs").splitlines()))
    if report == "ivr":
        assert rows[0][2] == gettext("cs", "Calls entered") != "Calls entered"
        assert rows[1][:3] == ["700", "Main menu", "5"]
        # issue 14: "Hung up in the menu" after the choices (the last column)
        assert rows[0][-4:-2] == [gettext("cs", "Timeout"), gettext("cs", "Invalid")]
    else:
        # Average ring and talk keep one decimal, as on the page (issue 14, rule 9).
        assert rows[1] == ["600", "Sales", "3", "2", "1", "6.0", "75.0", "1", "1", "0", "0"]

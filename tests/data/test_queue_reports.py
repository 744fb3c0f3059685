"""The queue reports (queue-performance, queue-wait-talk) against hand-built queue calls, on
SQLite and PostgreSQL; aggregate path == facts path; the CLI CSV equals the table.

Europe/Prague: 2026-05-04 is CEST (UTC+2): 06:05 UTC = 08:05 local. 2026-10-25 has 25
local hours (02:00-03:00 twice: 00:00 and 01:00 UTC).

Queue 600 "Sales": default thresholds (target 20 s, short abandon < 5 s).
Queue 700 "Support": custom thresholds (target 30 s, short abandon < 10 s).

  uid  queue enter UTC      outcome    wait talk   note
  q1   600   05-04 06:05    answered    20  100    exactly at the target: within SL
  q2   600   05-04 06:15    answered    21  200    one second over: not within
  q3   600   05-04 06:30    abandoned    4         threshold − 1: short abandon
  q4   600   05-04 06:40    abandoned    5         at the threshold: a real abandon
  q5   600   05-04 07:10    timeout     60
  q6   600   05-04 07:20    exit_key    15
  q7   600   05-04 07:30    no_agents    0
  q8   600   05-04 07:50    answered     5   60    within
  r1   700   05-04 06:10    answered    30   90    within the custom 30 s (not the default 20)
  r2   700   05-04 06:20    abandoned    9         short under the custom 10 s (not the default 5)
  r3   700   05-04 06:25    abandoned   10         at the custom threshold: a real abandon
  r4   700   05-04 07:05    answered    31   30    not within
  d1   600   10-25 00:30    answered    10   40    02:30 CEST
  d2   600   10-25 01:30    abandoned   30         02:30 CET
Every expected number below is worked out by hand from this table.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from callboard.reports.registry import run_report
from exporters.report_csv import to_csv
from data import aggregates, metrics
from data import schema as s
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from tests.data.test_reports import TZ

D4 = date(2026, 5, 4)
FALL = date(2026, 10, 25)
ALL = Scope.everything()


def _qc(uid, queue, enter, outcome, wait, talk=0):
    return dict(source_id=1, call_uid=uid, queue=queue, enter_utc=enter, wait_s=wait, outcome=outcome, talk_s=talk,
                agent="101" if outcome == "answered" else None)


QUEUE_CALLS = [
    _qc("q1", "600", datetime(2026, 5, 4, 6, 5), "answered", 20, 100),
    _qc("q2", "600", datetime(2026, 5, 4, 6, 15), "answered", 21, 200),
    _qc("q3", "600", datetime(2026, 5, 4, 6, 30), "abandoned", 4),
    _qc("q4", "600", datetime(2026, 5, 4, 6, 40), "abandoned", 5),
    _qc("q5", "600", datetime(2026, 5, 4, 7, 10), "timeout", 60),
    _qc("q6", "600", datetime(2026, 5, 4, 7, 20), "exit_key", 15),
    _qc("q7", "600", datetime(2026, 5, 4, 7, 30), "no_agents", 0),
    _qc("q8", "600", datetime(2026, 5, 4, 7, 50), "answered", 5, 60),
    _qc("r1", "700", datetime(2026, 5, 4, 6, 10), "answered", 30, 90),
    _qc("r2", "700", datetime(2026, 5, 4, 6, 20), "abandoned", 9),
    _qc("r3", "700", datetime(2026, 5, 4, 6, 25), "abandoned", 10),
    _qc("r4", "700", datetime(2026, 5, 4, 7, 5), "answered", 31, 30),
    _qc("d1", "600", datetime(2026, 10, 25, 0, 30), "answered", 10, 40),
    _qc("d2", "600", datetime(2026, 10, 25, 1, 30), "abandoned", 30),
]


@pytest.fixture
def queues(engine):
    with engine.begin() as conn:
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
        conn.execute(sa.insert(s.queue), [dict(source_id=1, number="600", name="Sales", sl_target_s=20, short_abandon_s=5),
                                          dict(source_id=1, number="700", name="Support", sl_target_s=30,
                                               short_abandon_s=10)])
        conn.execute(sa.insert(s.queue_call), QUEUE_CALLS)
        aggregates.refresh(conn, datetime(2026, 5, 1), datetime(2026, 11, 1))
    return engine


def run(report, flt, scope=ALL, path=None, engine=None):
    return run_report(report, scope, flt, engine=engine, tz=TZ, path=path)


def both_paths(engine, report, flt):
    a = run(report, flt, path="aggregate", engine=engine)
    f = run(report, flt, path="facts", engine=engine)
    assert a.df.to_dict("records") == f.df.to_dict("records")
    return a


def _clean(rows):
    """Numbers as plain floats/ints so that 46/3 compares with a Decimal-free value."""
    return [{k: (float(v) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]


# waiting / talking (issue 14 rule 8): calls still open at the end of the data, none here.
PERF_KEYS = ["queue", "name", "calls", "offered", "answered", "abandoned", "short_abandons", "timed_out", "exit_key",
             "no_agents", "service_level", "abandon_rate", "asa_s", "wait_max_s", "avg_talk_s", "waiting", "talking"]

# Queue 600 on 05-04: 8 calls; q3 is the only short abandon -> offered 7; answered q1 q2 q8;
# abandoned q4; SL: q1 (20 <= 20) and q8 -> 2/7; ASA (20+21+5)/3; talk (100+200+60)/3.
# The report keeps what every format shows (issue 14, rule 9): ratios to 0.1 % (2/7 = 0.2857
# -> 0.286, 1/7 -> 0.143), averages to 0.1 s (46/3 = 15.33 -> 15.3).
SALES = dict(queue="600", name="Sales", calls=8, offered=7, answered=3, abandoned=1, short_abandons=1, timed_out=1,
             exit_key=1, no_agents=1, service_level=0.286, abandon_rate=0.143, asa_s=15.3, wait_max_s=60,
             avg_talk_s=120.0, waiting=0, talking=0)
# Queue 700: 4 calls; r2 short (9 < 10) -> offered 3; answered r1 r4; abandoned r3;
# SL: r1 (30 <= 30) -> 1/3 (0.333); ASA (30+31)/2; talk (90+30)/2.
SUPPORT = dict(queue="700", name="Support", calls=4, offered=3, answered=2, abandoned=1, short_abandons=1,
               timed_out=0, exit_key=0, no_agents=0, service_level=0.333, abandon_rate=0.333, asa_s=30.5,
               wait_max_s=31, avg_talk_s=60.0, waiting=0, talking=0)


def test_queue_performance_per_queue_every_outcome(queues):
    result = both_paths(queues, "queue-performance", ReportFilter(D4, D4, by="queue"))
    assert result.path == "aggregate"
    assert [c.key for c in result.columns] == PERF_KEYS
    assert _clean(result.df.to_dict("records")) == [pytest.approx(SALES), pytest.approx(SUPPORT)]
    assert result.total_calls == 12


def test_queue_performance_per_local_hour(queues):
    result = both_paths(queues, "queue-performance", ReportFilter(D4, D4, by="hour_of_day"))
    rows = {(r["period"], r["queue"]): r for r in result.df.to_dict("records")}
    assert len(rows) == 24 * 2
    # 08:00 local: q1 q2 q3 q4 — offered 3 (q3 short), answered 2, SL 1/3 (q1), abandoned q4.
    h8 = rows[(8, "600")]
    assert (h8["calls"], h8["offered"], h8["answered"], h8["abandoned"], h8["short_abandons"]) == (4, 3, 2, 1, 1)
    assert h8["service_level"] == 0.333 and h8["asa_s"] == 20.5  # 1/3 kept to 0.1 %
    # 09:00 local: q5 q6 q7 q8 — offered 4, SL 1/4, no abandons.
    h9 = rows[(9, "600")]
    assert (h9["calls"], h9["offered"], h9["timed_out"], h9["exit_key"], h9["no_agents"]) == (4, 4, 1, 1, 1)
    assert h9["service_level"] == pytest.approx(0.25) and h9["abandon_rate"] == 0 and h9["wait_max_s"] == 60
    # An hour without calls: zeros, and no ratio rather than a fake 0 %.
    empty = rows[(3, "700")]
    assert empty["calls"] == 0 and empty["service_level"] is None and empty["asa_s"] is None
    assert empty["wait_max_s"] is None


def test_queue_filter_scope_and_paths(queues):
    picked = both_paths(queues, "queue-performance", ReportFilter(D4, D4, by="queue", queues=["700"]))
    assert _clean(picked.df.to_dict("records")) == [pytest.approx(SUPPORT)]
    scoped = run("queue-performance", ReportFilter(D4, D4, by="queue"), scope=Scope.of(queues=["700"]), engine=queues)
    facts = run("queue-performance", ReportFilter(D4, D4, by="queue"), scope=Scope.of(queues=["700"]), engine=queues,
                path="facts")
    assert scoped.path == "aggregate" and scoped.df.to_dict("records") == facts.df.to_dict("records")
    assert _clean(scoped.df.to_dict("records")) == [pytest.approx(SUPPORT)]
    # Asking for a queue the scope hides reveals nothing.
    hidden = run("queue-performance", ReportFilter(D4, D4, by="queue", queues=["600"]), scope=Scope.of(queues=["700"]),
                 engine=queues)
    assert hidden.df.empty and hidden.empty
    nothing = run("queue-performance", ReportFilter(D4, D4, by="queue"), scope=Scope.of(extensions=["101"]),
                  engine=queues)
    assert nothing.empty


def test_changed_thresholds_are_applied_on_both_paths(queues):
    with queues.begin() as conn:
        conn.execute(sa.update(s.queue).where(s.queue.c.number == "600").values(sl_target_s=21, short_abandon_s=6))
        aggregates.refresh_queue(conn, "600")
    result = both_paths(queues, "queue-performance", ReportFilter(D4, D4, by="queue", queues=["600"]))
    r = result.df.to_dict("records")[0]
    # Now q3 (4 s) and q4 (5 s) are both short: offered 6; q2 (21 s) is within: SL 3/6.
    assert (r["short_abandons"], r["offered"], r["abandoned"]) == (2, 6, 0)
    assert r["service_level"] == pytest.approx(0.5) and r["abandon_rate"] == 0


def test_dst_day_and_months(queues):
    fall = both_paths(queues, "queue-performance", ReportFilter(FALL, FALL, by="hour_of_day", queues=["600"]))
    busy = [(r["period"], r["calls"], r["answered"], r["abandoned"]) for r in fall.df.to_dict("records") if r["calls"]]
    assert busy == [(2, 2, 1, 1)]  # both 02:30 local hours, CEST and CET
    months = both_paths(queues, "queue-performance", ReportFilter(date(2026, 5, 1), date(2026, 10, 31), by="month"))
    calls = {(r["period"], r["queue"]): r["calls"] for r in months.df.to_dict("records")}
    assert calls == {**{(date(2026, m, 1), qn): 0 for m in range(5, 11) for qn in ("600", "700")},
                     (date(2026, 5, 1), "600"): 8, (date(2026, 5, 1), "700"): 4, (date(2026, 10, 1), "600"): 2}


def test_queue_wait_talk(queues):
    result = both_paths(queues, "queue-wait-talk", ReportFilter(D4, D4, by="day"))
    assert [c.key for c in result.columns] == ["period", "queue", "name", "calls", "answered", "avg_wait_answered_s",
                                               "avg_wait_all_s", "avg_talk_s"]
    # 600: answered waits 20 21 5; all waits 20+21+4+5+60+15+0+5 = 130 over 8 calls.
    # 700: answered waits 30 31; all waits 30+9+10+31 = 80 over 4 calls.
    assert _clean(result.df.to_dict("records")) == [
        # 46/3 = 15.33 -> 15.3 s and 130/8 = 16.25 -> 16.3 s: averages keep 0.1 s, halves up (rule 9)
        pytest.approx(dict(period=D4, queue="600", name="Sales", calls=8, answered=3, avg_wait_answered_s=15.3,
                           avg_wait_all_s=16.3, avg_talk_s=120.0)),
        pytest.approx(dict(period=D4, queue="700", name="Support", calls=4, answered=2, avg_wait_answered_s=30.5,
                           avg_wait_all_s=20.0, avg_talk_s=60.0)),
    ]
    hours = both_paths(queues, "queue-wait-talk", ReportFilter(FALL, FALL, by="hour_of_day", queues=["600"]))
    h2 = [r for r in hours.df.to_dict("records") if r["period"] == 2][0]
    # d1 (wait 10, talk 40) and d2 (wait 30): answered wait 10, all (10+30)/2.
    assert (h2["calls"], h2["avg_wait_answered_s"], h2["avg_wait_all_s"], h2["avg_talk_s"]) == (2, 10, 20, 40)
    with pytest.raises(ValueError):
        run("queue-wait-talk", ReportFilter(D4, D4, by="queue"), engine=queues)


def test_empty_range(queues):
    for report in ("queue-performance", "queue-wait-talk"):
        result = run(report, ReportFilter(date(2026, 6, 1), date(2026, 6, 30)), engine=queues)
        assert result.empty and result.df.empty, report


def test_cli_csv_equals_the_table(queues, tmp_path):
    out = tmp_path / "qp.csv"
    r = CliRunner().invoke(app, ["report", "queue-performance", "--from", "2026-05-04", "--to", "2026-05-04",
                                 "--queue", "600", "--queue", "700", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    table = run("queue-performance", ReportFilter(D4, D4, by="queue"), engine=queues)
    assert rows == list(csv.reader(io.StringIO(to_csv(table, "en"))))
    assert rows[0][10:13] == ["Service level [%]", "Abandon rate [%]", "ASA [s]"]
    # 2/7 = 28.6 %, 1/7 = 14.3 %, ASA 46/3 = 15.33 s -> 15.3 (it was cut to 15 here while the
    # XLSX kept 15.33: issue 14, rule 9), average talk 120.0; the longest wait is whole seconds.
    # The last two: still waiting / still talking (issue 14 rule 8), none.
    assert rows[1] == ["600", "Sales", "8", "7", "3", "1", "1", "1", "1", "1", "28.6", "14.3", "15.3", "60", "120.0",
                       "0", "0"]
    out2 = tmp_path / "qw.csv"
    r = CliRunner().invoke(app, ["report", "queue-wait-talk", "--from", "2026-05-04", "--to", "2026-05-04",
                                 "--by", "day", "--lang", "cs", "-o", str(out2)])
    assert r.exit_code == 0, r.output
    table = run("queue-wait-talk", ReportFilter(D4, D4, by="day"), engine=queues)
    assert out2.read_text(encoding="utf-8") == to_csv(table, "cs")


def test_calls_behind_queue_report_is_empty_without_linked_calls(queues):
    from callboard.reports.runners import call_rows

    result = run("queue-performance", ReportFilter(D4, D4, by="queue"), engine=queues)
    assert list(call_rows(result, ALL, engine=queues, tz=TZ)) == []


def test_erlang_c_textbook_value():
    # λ = 100 calls/h, h = 180 s -> A = 100·180/3600 = 5 erlangs. With N = 7 agents:
    # Σ_{k<7} A^k/k! = 1 + 5 + 12.5 + 20.8333 + 26.0417 + 26.0417 + 21.7014 = 113.1181;
    # A^7/7! · N/(N−A) = 15.5010 · 7/2 = 54.2535; P(wait) = 54.2535 / (113.1181 + 54.2535) = 0.32415.
    import math

    top = 5 ** 7 / math.factorial(7) * 7 / 2
    below = sum(5 ** k / math.factorial(k) for k in range(7))
    assert top / (top + below) == pytest.approx(0.32415, abs=1e-4)
    assert metrics.erlang_c(5, 7) == pytest.approx(0.32415, abs=1e-4)
    # SL(20 s) = 1 − 0.32415·e^(−(7−5)·20/180) = 1 − 0.32415·0.80074 = 0.74044.
    assert metrics.erlang_c_service_level(100, 180, 7, 20) == pytest.approx(0.74044, abs=1e-4)
    # N = 8: Σ_{k<8} = 113.1181 + 15.5010 = 128.6191; A^8/8! · 8/3 = 9.6881 · 8/3 = 25.8350;
    # P(wait) = 25.8350 / 154.4541 = 0.16727; SL = 1 − 0.16727·e^(−3·20/180) = 1 − 0.16727·0.71653 = 0.88015.
    # So 80 % within 20 s needs 8 agents (7 reach only 74 %).
    assert metrics.erlang_c(5, 8) == pytest.approx(0.16727, abs=1e-4)
    assert metrics.erlang_c_service_level(100, 180, 8, 20) == pytest.approx(0.88015, abs=1e-4)
    assert metrics.agents_needed(100, 180, 20, 0.8) == 8
    assert metrics.erlang_c(5, 5) == 1.0 and metrics.agents_needed(0, 180, 20) == 0

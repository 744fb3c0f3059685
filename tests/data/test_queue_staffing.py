"""The staffing view of queue-performance (by=staffing): agents needed per local hour of
day by Erlang C beside the agents logged in — numbers worked out by hand, on SQLite and
PostgreSQL, through the page's runner and the CLI CSV.

Queue 600 (target 20 s, goal 80 %), 2026-05-04 (CEST, UTC+2):
  08:00 local (06:00-07:00 UTC): 100 calls, all answered after 0 s, 180 s talk each
      -> λ = 100/h, AHT 180 s, A = 5 erlangs: the textbook case below — 7 agents give
         74.0 %, 8 give 88.0 % -> 8 agents needed.
  09:00 local: one answered (talk 60 s) and one short abandon (wait 3 s < 5 s)
      -> offered 1, λ = 1/h, AHT 60 s, A = 1/60; N = 1: P(wait) = A = 0.016667,
         SL = 1 − 0.016667·e^(−(1 − 1/60)·20/60) = 1 − 0.016667·0.72024 = 0.98800 -> 1 agent.
Sessions:
  101 queue 600  06:00-07:00 UTC            -> 1.0 agent in 08:00
  102 queue NULL (member of 600) 06:30-08:00 -> 0.5 in 08:00, 1.0 in 09:00
  103 queue 700  06:00-08:00                -> not queue 600
  104 queue NULL, member of nothing         -> no queue
So 08:00: needed 8, logged in 1.5, gap −6.5 (understaffed), and 1 agent (1.5 rounded down)
cannot keep up with 5 erlangs: expected SL 0. 09:00: needed 1, logged in 1.0, gap 0.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, timedelta

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

D4, D5 = date(2026, 5, 4), date(2026, 5, 5)
FALL = date(2026, 10, 25)


def _qc(uid, enter, outcome, wait, talk=0):
    return dict(source_id=1, call_uid=uid, queue="600", enter_utc=enter, wait_s=wait, outcome=outcome, talk_s=talk,
                agent="101" if outcome == "answered" else None)


@pytest.fixture
def centre(engine):
    calls = [_qc(f"a{i}", datetime(2026, 5, 4, 6, 0) + timedelta(seconds=36 * i), "answered", 0, 180) for i in range(100)]
    calls += [_qc("b1", datetime(2026, 5, 4, 7, 10), "answered", 0, 60), _qc("b2", datetime(2026, 5, 4, 7, 20),
                                                                               "abandoned", 3)]
    # Fall-back day: one call in each 02:30 local (CEST then CET).
    calls += [_qc("f1", datetime(2026, 10, 25, 0, 30), "answered", 0, 60),
              _qc("f2", datetime(2026, 10, 25, 1, 30), "answered", 0, 60)]
    sessions = [("101", "600", datetime(2026, 5, 4, 6, 0), datetime(2026, 5, 4, 7, 0)),
                ("102", None, datetime(2026, 5, 4, 6, 30), datetime(2026, 5, 4, 8, 0)),
                ("103", "700", datetime(2026, 5, 4, 6, 0), datetime(2026, 5, 4, 8, 0)),
                ("104", None, datetime(2026, 5, 4, 6, 0), datetime(2026, 5, 4, 8, 0)),
                # 00:00-02:00 UTC on 10-25 = both local 02:00 hours.
                ("101", "600", datetime(2026, 10, 25, 0, 0), datetime(2026, 10, 25, 2, 0))]
    with engine.begin() as conn:
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
        ids = conn.execute(sa.insert(s.queue).returning(s.queue.c.id), [
            dict(source_id=1, number="600", name="Sales", sl_target_s=20, short_abandon_s=5, sl_goal_pct=80),
            dict(source_id=1, number="700", name="Support", sl_target_s=30, short_abandon_s=5, sl_goal_pct=90)]).scalars().all()
        conn.execute(sa.insert(s.queue_member), [dict(queue_id=ids[0], extension="102"),
                                                 dict(queue_id=ids[1], extension="103")])
        conn.execute(sa.insert(s.queue_call), calls)
        conn.execute(sa.insert(s.agent_session), [dict(source_id=1, agent=a, queue=qn, login_utc=i, logout_utc=o)
                                                  for a, qn, i, o in sessions])
        aggregates.refresh(conn, datetime(2026, 5, 1), datetime(2026, 11, 1))
    return engine


def staffing(engine, first, last, scope=Scope.everything(), path=None, **kw):
    flt = ReportFilter(first, last, by="staffing", **kw)
    return run_report("queue-performance", scope, flt, engine=engine, tz=TZ, path=path)


def test_textbook_erlang_c_case_worked_by_hand():
    # The same A = 5 case as tests/data/test_queue_reports.py, from the formula written out
    # here independently: P(wait) = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)).
    def p_wait(a, n):
        top = a ** n / math.factorial(n) * n / (n - a)
        return top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)

    def sl(a, n, t, h):
        return 1 - p_wait(a, n) * math.exp(-(n - a) * t / h)

    assert sl(5, 7, 20, 180) == pytest.approx(0.74044, abs=1e-4) and sl(5, 8, 20, 180) == pytest.approx(0.88015, abs=1e-4)
    assert metrics.staffing_need(100, 180, 20, 80) == 8
    # Goal 90 %: N = 9 gives 1 − p_wait(5, 9)·e^(−4·20/180) — still the fewest above 90 %?
    assert sl(5, 8, 20, 180) < 0.9 < sl(5, 9, 20, 180)
    assert metrics.staffing_need(100, 180, 20, 90) == 9
    # The Call Centre Helper example: 10 erlangs (100 calls / 30 min, 180 s), 80/20 -> 14 agents.
    assert sl(10, 13, 20, 180) < 0.8 < sl(10, 14, 20, 180)
    assert metrics.staffing_need(200, 180, 20, 80) == 14
    assert metrics.staffing_need(0, 180, 20, 80) == 0 and metrics.staffing_need(5, None, 20, 80) is None


def test_staffing_per_hour_of_day(centre):
    result = staffing(centre, D4, D4)
    rows = {(r["period"], r["queue"]): r for r in result.df.to_dict("records")}
    assert len(rows) == 24 * 2  # 600 has calls, 700 has a session
    h8 = rows[(8, "600")]
    assert (h8["calls"], h8["offered"], h8["calls_per_hour"], h8["aht_s"]) == (100, 100, 100.0, 180.0)
    assert (h8["sl_target_s"], h8["sl_goal"], h8["erlangs"], h8["agents_needed"]) == (20, 0.8, 5.0, 8)
    assert h8["logged_in"] == pytest.approx(1.5) and h8["gap"] == pytest.approx(-6.5)
    assert h8["expected_sl"] == 0.0 and h8["staffing"] == "short"
    h9 = rows[(9, "600")]
    assert (h9["calls"], h9["offered"], h9["calls_per_hour"], h9["aht_s"], h9["agents_needed"]) == (2, 1, 1.0, 60.0, 1)
    assert h9["logged_in"] == pytest.approx(1.0) and h9["gap"] == pytest.approx(0) and h9["staffing"] == "ok"
    assert h9["expected_sl"] == pytest.approx(0.98800, abs=1e-5)
    quiet = rows[(3, "600")]
    assert (quiet["offered"], quiet["agents_needed"], quiet["logged_in"], quiet["expected_sl"]) == (0, 0, 0.0, None)
    # Queue 700: its own goal, no calls, agent 103 logged in 08:00 and 09:00 (named queue).
    s8 = rows[(8, "700")]
    assert (s8["sl_goal"], s8["agents_needed"], s8["logged_in"]) == (0.9, 0, 1.0)
    assert result.notes


def test_two_days_halve_the_rates_and_paths_agree(centre):
    agg = staffing(centre, D4, D5, path="aggregate")
    facts = staffing(centre, D4, D5, path="facts")
    assert agg.df.astype(object).to_dict("records") == facts.df.astype(object).to_dict("records")
    h8 = [r for r in agg.df.to_dict("records") if r["period"] == 8 and r["queue"] == "600"][0]
    # 100 calls over two 08:00 hours: λ = 50/h, A = 2.5; logged in 1.5 agent-hours / 2 hours.
    assert h8["calls_per_hour"] == 50.0 and h8["erlangs"] == 2.5 and h8["logged_in"] == pytest.approx(0.75)
    assert h8["agents_needed"] == metrics.agents_needed(50, 180, 20, 0.8)


def test_dst_day_counts_the_repeated_hour_twice(centre):
    rows = {r["period"]: r for r in staffing(centre, FALL, FALL, queues=["600"]).df.to_dict("records")}
    # Two local 02:00 hours: 2 calls -> 1 per hour; 2 agent-hours -> 1 agent.
    assert (rows[2]["offered"], rows[2]["calls_per_hour"], rows[2]["logged_in"]) == (2, 1.0, pytest.approx(1.0))


def test_scope_and_queue_filter(centre):
    only_700 = staffing(centre, D4, D4, scope=Scope.of(queues=["700"]))
    assert set(only_700.df["queue"]) == {"700"}
    picked = staffing(centre, D4, D4, queues=["600"])
    assert set(picked.df["queue"]) == {"600"}
    assert staffing(centre, D4, D4, scope=Scope.of(extensions=["101"])).df.empty


def test_cli_csv(centre, tmp_path):
    out = tmp_path / "staffing.csv"
    r = CliRunner().invoke(app, ["report", "queue-performance", "--from", "2026-05-04", "--to", "2026-05-04",
                                 "--by", "staffing", "--queue", "600", "--lang", "cs", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert text == to_csv(staffing(centre, D4, D4, queues=["600"]), "cs")
    rows = list(csv.reader(io.StringIO(text)))
    h8 = rows[1 + 8]
    assert h8[:4] == ["08:00", "600", "Sales", "100"] and h8[10] == "8" and h8[11] == "1.50" and h8[-1] == "Málo agentů"

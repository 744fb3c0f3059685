"""The report figure builders (callboard/reports/report_figures.py); that every registered
report has one is checked with the registry (tests/callboard/reports/test_registry.py)."""

from __future__ import annotations


def test_queue_outcomes_show_callers_still_waiting_only_when_there_are_any():
    import pandas as pd

    from callboard.reports.figures import fig_queue_outcomes

    row = dict(label="600", answered=3, abandoned=1, short_abandons=1, timed_out=1, exit_key=1, no_agents=1)
    fig = fig_queue_outcomes(pd.DataFrame([{**row, "waiting": 2}]), "en", "Queue")
    bars = {t.name: list(t.y) for t in fig.data}
    assert bars["Still waiting"] == [2] and bars["Answered"] == [3]  # an open call is not hidden
    fig = fig_queue_outcomes(pd.DataFrame([{**row, "waiting": 0}]), "cs", "Fronta")
    assert len(fig.data) == 6  # nobody waiting: no empty legend entry

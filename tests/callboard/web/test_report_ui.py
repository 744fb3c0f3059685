"""The report table's rows: raw values and the locale text of each cell."""

from __future__ import annotations

from datetime import date

import pandas as pd

from callboard.web.report_ui import grid_rows
from callboard.reports.results import Col, ReportResult
from data.queries.report_filter import ReportFilter


def test_grid_rows_format_repeated_values_like_single_ones():
    """Each distinct value is formatted once and reused; the text is what it would be alone
    (1 and 1.0 in a text column stay "1" and "1.0"; a missing duration is a dash)."""
    cols = [Col("day", "Day", "date"), Col("number", "Number", "text"), Col("calls", "Calls"),
            Col("avg", "Average talk time", "duration")]
    df = pd.DataFrame([[date(2026, 5, 4), 1, 1234, 65.0], [date(2026, 5, 4), 1.0, 1234, None],
                       [date(2026, 5, 5), "+420 777", 7, 65.0]], columns=["day", "number", "calls", "avg"])
    df = df.astype({"number": object, "avg": object})
    result = ReportResult("did-dod", ReportFilter(date(2026, 5, 4), date(2026, 5, 5)), cols, df, df, 3, "facts")
    rows = grid_rows(result, "cs")
    assert [(r["c0_fmt"], r["c1_fmt"], r["c2_fmt"], r["c3_fmt"]) for r in rows] == [
        ("4. 5. 2026", "1", "1\xa0234", "1:05"),
        ("4. 5. 2026", "1.0", "1\xa0234", "–"),
        ("5. 5. 2026", "+420 777", "7", "1:05"),
    ]
    assert [r["c2"] for r in rows] == [1234, 1234, 7]

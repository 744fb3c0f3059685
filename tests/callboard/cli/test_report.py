"""`callboard report TYPE ... --format csv -o FILE` writes the same numbers as the page's
table, on SQLite and PostgreSQL (fixture calls of tests/data/test_reports.py)."""

from __future__ import annotations

import csv
from datetime import date

from typer.testing import CliRunner

from callboard.cli import app
from callboard.core.i18n import gettext
from callboard.reports.registry import run_report
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from tests.data.test_reports import TZ, pbx  # noqa: F401  (fixture)

runner = CliRunner()


def _csv(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_extension_statistics_csv(pbx, tmp_path):  # noqa: F811
    out = tmp_path / "stats.csv"
    result = runner.invoke(app, ["report", "extension-statistics", "--from", "2026-05-04", "--to", "2026-05-05",
                                 "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _csv(out)
    assert rows[0][:4] == ["Extension", "Name", "Calls", "Answered"]
    # Hand-counted (see tests/data/test_reports.py): 101 made/took c1 c2 c8, 102 c3 c4 c8.
    # The average talk time keeps one decimal, as on the page (issue 14, rule 9).
    assert rows[1] == ["101", "Alice", "3", "2", "1", "0", "0", "0", "0", "420", "210.0", "10"]
    assert rows[2] == ["102", "Bob", "3", "1", "0", "1", "1", "0", "0", "300", "300.0", "0"]
    assert len(rows) == 5


def test_report_csv_equals_the_table(pbx, tmp_path):  # noqa: F811
    out = tmp_path / "pbx.csv"
    args = ["report", "pbx-activity", "--from", "2026-05-04", "--to", "2026-05-05", "--by", "hour_of_day",
            "--direction", "inbound", "--direction", "internal", "--extension", "101", "--lang", "cs",
            "--format", "csv", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = _csv(out)
    assert rows[0][0] == gettext("cs", "Hour of day") != "Hour of day"
    table = run_report("pbx-activity", Scope.everything(),
                       ReportFilter(date(2026, 5, 4), date(2026, 5, 5), extensions=["101"],
                                    directions=["inbound", "internal"], by="hour_of_day"), tz=TZ).df
    assert len(rows) == 1 + len(table) == 25
    for csv_row, rec in zip(rows[1:], table.to_dict("records")):
        assert csv_row[0] == f"{rec['period']:02d}:00"
        assert [int(v) for v in csv_row[1:]] == [rec[k] for k in
                                                  ("inbound", "outbound", "internal", "calls", "answered", "unanswered")]
    # 08:00 local: c1, c2 inbound and c8 internal (101 -> 102); c1 and c8 answered.
    assert rows[1 + 8] == ["08:00", "2", "0", "1", "3", "2", "1"]


def test_extension_activity_and_did_dod(pbx, tmp_path):  # noqa: F811
    out = tmp_path / "ea.csv"
    result = runner.invoke(app, ["report", "extension-activity", "--from", "2026-05-04", "--to", "2026-05-04",
                                 "--extension", "101", "--extension", "102", "--interval", "15", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _csv(out)
    assert rows[0] == ["Time", "101", "102", "Calls", "Answered"]
    assert len(rows) == 1 + 96
    assert rows[1 + 8 * 4 + 3] == ["2026-05-04T08:45+02:00", "1", "1", "2", "2"]  # c8 for both
    out = tmp_path / "dd.csv"
    result = runner.invoke(app, ["report", "did-dod", "--from", "2026-05-04", "--to", "2026-05-05", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _csv(out)[1:] == [
        ["2026-05-04", "DID (inbound)", "111", "Main line", "4", "1", "120"],
        ["2026-05-04", "DID (inbound)", "222", "", "3", "1", "30"],
        ["2026-05-04", "DOD (outbound)", "111", "Main line", "2", "0", "0"],
        ["2026-05-05", "DOD (outbound)", "999", "", "1", "1", "60"],
    ]


def test_bad_arguments_fail_clearly(pbx, tmp_path):  # noqa: F811
    out = tmp_path / "x.csv"
    base = ["--from", "2026-05-04", "--to", "2026-05-05", "-o", str(out)]
    r = runner.invoke(app, ["report", "no-such-report", *base])
    assert r.exit_code == 2 and "unknown report type" in r.output
    r = runner.invoke(app, ["report", "pbx-activity", *base, "--direction", "sideways"])
    assert r.exit_code == 2 and "unknown direction" in r.output
    r = runner.invoke(app, ["report", "pbx-activity", *base, "--format", "docx"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["report", "pbx-activity", "--from", "2026-05-05", "--to", "2026-05-04", "-o", str(out)])
    assert r.exit_code == 2 and "before" in r.output
    assert not out.exists()


def test_with_calls_lists_every_counted_call_once(pbx, tmp_path):  # noqa: F811
    out = tmp_path / "es.csv"
    result = runner.invoke(app, ["report", "extension-statistics", "--from", "2026-05-04", "--to", "2026-05-05",
                                 "--with-calls", "--lang", "cs", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _csv(out)
    gap = rows.index([])
    summary, calls = rows[1:gap], rows[gap + 2:]
    assert sum(int(r[2]) for r in summary) == 11  # c8 counted for 101 and 102
    assert len(calls) == 10  # ... but listed once; c11 (no extension) not at all
    cs = [gettext("cs", m) for m in ("Start", "Direction", "Status", "Internal", "Answered")]
    assert rows[gap + 1][:3] == cs[:3] and rows[gap + 1][0] != "Start"
    assert calls[3][:3] == ["2026-05-04T08:58+02:00", cs[3], cs[4]]  # c8

"""`callboard report TYPE ...`: a report's table (the same numbers as its page) as a file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from callboard.cli.output import echo_error
from callboard.reports import registry  # light: the names `callboard report --help` lists


def report(
    report_type: str = typer.Argument(..., metavar="TYPE",
                                      help=" | ".join(registry.IDS)),
    date_from: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (PBX local)."),
    date_to: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (PBX local), inclusive."),
    extension: list[str] = typer.Option([], "--extension", help="Only these extensions (repeatable)."),
    group: list[str] = typer.Option([], "--group", help="Only these extension groups (repeatable)."),
    direction: list[str] = typer.Option([], "--direction", help="inbound | outbound | internal (repeatable)."),
    by: Optional[str] = typer.Option(None, help="pbx-activity: hour_of_day | day | month; did-dod, ivr: day | month."),
    queue: list[str] = typer.Option([], "--queue", help="queue-performance, queue-wait-talk: only these queues "
                                                        "(repeatable); --by queue | hour_of_day | day | month | staffing "
                                                        "(queue-performance: agents needed per hour, Erlang C)."),
    interval: int = typer.Option(60, help="extension-activity: 15 | 30 | 60 | 1440 minutes."),
    hours: int = typer.Option(24, help="missed-unreturned: a call returned within this many hours is done."),
    lang: str = typer.Option("en", "--lang", help="Language of the headers: en | cs."),
    fmt: str = typer.Option("csv", "--format", help="csv | xlsx | pdf (PDF: the charts and the table)."),
    with_calls: bool = typer.Option(False, "--with-calls", help="After the table, every call it counted."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
) -> None:
    """Write a report's table (the same numbers as its page) to a file."""
    from callboard.reports.registry import run_report
    from callboard.reports.runners import call_rows
    from exporters.report_csv import to_csv
    from data.queries.report_filter import ReportFilter
    from data.scope import Scope

    if report_type not in registry.BY_ID:
        echo_error(f"unknown report type {report_type!r}; one of: {', '.join(registry.IDS)}")
        raise typer.Exit(2)
    if fmt not in ("csv", "xlsx", "pdf"):
        echo_error(f"unsupported format {fmt!r} (supported: csv, xlsx, pdf)")
        raise typer.Exit(2)
    if with_calls and fmt != "csv":
        echo_error("--with-calls is only available with --format csv")
        raise typer.Exit(2)
    try:
        flt = ReportFilter(date.fromisoformat(date_from), date.fromisoformat(date_to), extensions=extension,
                           groups=group, directions=direction, interval=interval, queues=queue, hours=hours,
                           by=by or ("queue" if report_type == "queue-performance" else "day"))
        if fmt != "csv":
            from callboard.core.settings import get_settings
            from exporters.files import build_report_file

            made = build_report_file(report_type, flt, fmt=fmt, lang=lang, scope=Scope.everything(),
                                     tz=get_settings().tz)
        else:
            result = run_report(report_type, Scope.everything(), flt)
    except ValueError as exc:
        echo_error(str(exc))
        raise typer.Exit(2)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt != "csv":
        output.write_bytes(made.content)
        typer.echo(f"{report_type}: {made.rows_total} rows -> {output}")
        return
    calls = call_rows(result, Scope.everything()) if with_calls else None
    output.write_text(to_csv(result, lang, calls), encoding="utf-8")
    typer.echo(f"{report_type}: {len(result.df)} rows, {result.total_calls} calls -> {output}")

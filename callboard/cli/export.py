"""`callboard export cdr`: call records of a local-day range as a CSV, XLSX or PDF file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from callboard.cli.output import echo_error

export_app = typer.Typer(help="Export data as files.", no_args_is_help=True)


@export_app.command("cdr")
def export_cdr(
    from_: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (PBX local time)."),
    to: str = typer.Option(..., "--to", help="Last day (inclusive), YYYY-MM-DD (PBX local time)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    fmt: str = typer.Option("csv", "--format", help="csv (every matching record, streamed) | xlsx "
                            "(at most 10,000 records) | pdf (at most 5,000); a capped file says N of M."),
    extension: Optional[list[str]] = typer.Option(None, "--extension", help="Extension (repeatable)."),
    status: Optional[list[str]] = typer.Option(None, "--status", help="Status, e.g. answered (repeatable)."),
    direction: Optional[list[str]] = typer.Option(None, "--direction",
                                                  help="inbound, outbound or internal (repeatable)."),
    columns: str = typer.Option("main", "--columns",
                                help="Comma-separated column keys, 'main' (default) or 'all'."),
    excel: bool = typer.Option(False, "--excel", help="Excel-friendly CSV: BOM, ';' separator, CRLF."),
    lang: str = typer.Option("en", "--lang", help="Language of headers and labels (en or cs)."),
) -> None:
    """Call records of a local-day range as CSV (every matching row, streamed)."""
    from callboard.core.settings import get_settings
    from data.queries.calls import ALL_COLUMNS, COLUMNS, MAIN_COLUMNS, CallFilter, InvalidFilter
    from data.scope import Scope
    from data.timebuckets import local_day_bounds_utc
    from exporters.csv_export import write_cdr_csv

    if fmt not in ("csv", "xlsx", "pdf"):
        echo_error(f"unsupported format {fmt!r} (supported: csv, xlsx, pdf)")
        raise typer.Exit(2)
    try:
        first, last = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError:
        echo_error("dates must be written as YYYY-MM-DD")
        raise typer.Exit(2)
    keys = {"main": list(MAIN_COLUMNS), "all": list(ALL_COLUMNS)}.get(columns) or [
        k.strip() for k in columns.split(",") if k.strip()
    ]
    unknown = [k for k in keys if k not in COLUMNS]
    if unknown:
        echo_error(f"unknown columns: {', '.join(unknown)} (known: {', '.join(ALL_COLUMNS)})")
        raise typer.Exit(2)
    tz = get_settings().tz
    if last < first:
        echo_error("the time range is inverted: --to is before --from")
        raise typer.Exit(2)
    start_utc, end_utc = local_day_bounds_utc(first, last, tz)
    filt = CallFilter(start_utc=start_utc, end_utc=end_utc, extensions=tuple(extension or ()),
                      statuses=tuple(status or ()), directions=tuple(direction or ()))
    try:
        if fmt == "csv":
            size = write_cdr_csv(output, Scope.everything(), filt, keys, lang=lang, excel=excel, tz=tz)
        else:
            from exporters.files import build_cdr_file

            made = build_cdr_file(filt, fmt=fmt, lang=lang, scope=Scope.everything(), tz=tz, columns=keys)
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(made.content)
            size = len(made.content)
            if made.capped:
                typer.echo(f"capped: the file holds {made.rows_included} of {made.rows_total} records")
    except InvalidFilter as exc:
        echo_error(str(exc))
        raise typer.Exit(2)
    typer.echo(f"wrote {output} ({size} bytes)")

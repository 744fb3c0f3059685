"""`callboard import ...`: call data in from a PBX (Asterisk CDRs, queue_log) or from
Callboard's own call-records CSV; idempotent and incremental."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from callboard.cli.output import echo_error

import_app = typer.Typer(help="Import call data from a PBX (idempotent and incremental).", no_args_is_help=True)


@import_app.command("callboard-csv")
def import_callboard_csv(
    path: Path = typer.Argument(..., help="A call-records CSV downloaded from Callboard (\"Download records\" or "
                                          "`callboard export cdr`), English or Czech, plain or Excel variant."),
    source: Optional[str] = typer.Option(None, "--source", help="Name of the source (site) the calls belong to; "
                                         "created when new. Default: the first source ('main')."),
    source_tz: Optional[str] = typer.Option(None, "--source-tz", help="Zone of the times when the Start header does "
                                            "not name one. Default: CALLBOARD_TIMEZONE."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rules file (extension pattern) as for asterisk-cdr."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Where rejected rows are kept "
                                           "(default: CALLBOARD_FILES_DIR/rejects/<file>-<time>.rejects)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    database_url: Optional[str] = typer.Option(None, "--database-url", help="Overrides CALLBOARD_DATABASE_URL."),
) -> None:
    """Import a call-records CSV exported by Callboard. Re-importing adds nothing."""
    from data import db
    from data.importers.base import ImportFailed
    from data.importers.callboard_csv import import_callboard_csv as run
    from data.migrate import upgrade

    if rejects is None:
        rejects = _default_rejects(path)
    try:
        upgrade(url=database_url)
        stats = run(db.get_engine(database_url), path, source=source, source_tz=source_tz,
                    rules=rules, rejects_path=rejects, progress=progress)
    except (ImportFailed, ValueError, OSError) as exc:
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(2)
    for lineno, reason in stats.rejects[:20]:
        typer.echo(f"{path}:{lineno}: {reason}", err=True)
    if stats.lines_rejected > 20:
        typer.echo(f"... and {stats.lines_rejected - 20} more rejected lines", err=True)
    typer.echo(stats.summary())


@import_app.command("asterisk-cdr")
def import_asterisk_cdr(
    path: Optional[Path] = typer.Argument(None, help="CDR file: cdr_csv Master.csv (16/17/18/21 columns), "
                                                   "cdr_custom, or a CDR table export with a header row."),
    from_db: Optional[str] = typer.Option(None, "--from-db", help="Read the PBX's CDR table directly from this "
                                          "database URL (PostgreSQL, MySQL/MariaDB with its driver, SQLite) "
                                          "instead of a file."),
    table: str = typer.Option("cdr", "--table", help="CDR table name for --from-db."),
    follow: bool = typer.Option(False, "--follow", help="Keep running: import what is new every --interval "
                                "seconds (Ctrl-C stops)."),
    interval: float = typer.Option(10.0, "--interval", help="Seconds between rounds of --follow."),
    source: Optional[str] = typer.Option(None, "--source", help="Name of the PBX (site) the file comes from; "
                                         "created when new. Default: the first source ('main')."),
    source_tz: Optional[str] = typer.Option(None, "--source-tz", help="Time zone of the times in the file: "
                                            "'UTC' when cdr.conf has usegmtime=yes. Default: CALLBOARD_TIMEZONE."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="TOML/JSON file overriding the direction, "
                                         "extension and trunk rules (FreePBX defaults)."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Where rejected lines are kept "
                                           "(default: CALLBOARD_FILES_DIR/rejects/<file>-<time>.rejects)."),
    batch_lines: int = typer.Option(50_000, "--batch-lines", help="Lines per atomic batch."),
    workers: Optional[int] = typer.Option(None, "--workers", min=0, help="PostgreSQL: processes that parse "
                                          "and build batches while this one writes (0 = none). Default: the "
                                          "cores (at most 4) for a file of 200,000 lines or more, else 0."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    database_url: Optional[str] = typer.Option(None, "--database-url", help="Overrides CALLBOARD_DATABASE_URL."),
) -> None:
    """Import Asterisk CDRs. Re-importing adds nothing; a grown file imports only its new lines."""
    from data import db
    from data.importers.asterisk.cdr_file import import_cdr_file

    rejects = _prepare(path, from_db, rejects, database_url, "CDR")

    def run():
        if from_db is not None:
            from data.importers.asterisk.cdr_db import import_cdr_db

            return import_cdr_db(db.get_engine(database_url), from_db, table=table, source=source,
                                 source_tz=source_tz, rules=str(rules) if rules else None,
                                 batch_rows=batch_lines, progress=progress)
        return import_cdr_file(db.get_engine(database_url), path, source=source, source_tz=source_tz,
                               rules=rules, rejects_path=rejects, batch_lines=batch_lines, progress=progress,
                               workers=workers)

    _run_import(run, path, follow=follow, interval=interval)


def _prepare(path: Optional[Path], from_db: Optional[str], rejects: Optional[Path], database_url: Optional[str],
             what: str) -> Optional[Path]:
    """Before an import of a file or a table: exactly one of them is given (else exit 2), the
    schema is up to date; returns where rejected lines go."""
    from data.migrate import upgrade

    if (path is None) == (from_db is None):
        echo_error(f"give either a {what} file or --from-db URL")
        raise typer.Exit(2)
    if rejects is None:
        rejects = _default_rejects(path)
    upgrade(url=database_url)
    return rejects


def _default_rejects(path: Optional[Path]) -> Optional[Path]:
    """CALLBOARD_FILES_DIR/rejects/<file>-<time>.rejects for a file import; None otherwise."""
    from datetime import datetime as _dt

    from callboard.core.settings import get_settings

    if path is None:
        return None
    stamp = _dt.now().strftime("%Y%m%d-%H%M%S")
    return get_settings().files_dir / "rejects" / f"{path.name}-{stamp}.rejects"


def _run_import(run, path: Optional[Path], *, follow: bool, interval: float) -> None:
    """Run an import once (or every `interval` seconds with --follow), printing the first
    rejected lines with file:line and reason, and the summary; a failed import exits 2."""
    from data.importers.base import ImportFailed

    def report(stats) -> None:
        for lineno, reason in stats.rejects[:20]:
            echo_error(f"{path or stats.path}:{'' if path else 'row '}{lineno}: {reason}")
        if stats.lines_rejected > 20:
            echo_error(f"... and {stats.lines_rejected - 20} more rejected lines")
        if stats.lines_read or not follow:
            typer.echo(stats.summary())

    try:
        if follow:
            from data.importers.base import follow as follow_loop

            follow_loop(run, interval, on_stats=report)
        else:
            report(run())
    except (ImportFailed, ValueError, OSError) as exc:
        echo_error(f"import failed: {exc}")
        raise typer.Exit(2)


@import_app.command("queue-log")
def import_queue_log(
    path: Optional[Path] = typer.Argument(None, help="Asterisk queue_log file "
                                                   "(epoch|callid|queue|agent|event|data...)."),
    from_db: Optional[str] = typer.Option(None, "--from-db", help="Read the realtime queue_log table from this "
                                          "database URL instead of a file."),
    table: str = typer.Option("queue_log", "--table", help="Table name for --from-db."),
    source_tz: Optional[str] = typer.Option(None, "--source-tz", help="Time zone of a table's local times (--from-db, "
                                            "or a queue_log table exported to CSV; UTC with "
                                            "queue_log_realtime_use_gmt). Default: CALLBOARD_TIMEZONE."),
    source: Optional[str] = typer.Option(None, "--source", help="Name of the PBX (site); created when new."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Where rejected lines are kept "
                                           "(default: CALLBOARD_FILES_DIR/rejects/<file>-<time>.rejects)."),
    batch_lines: int = typer.Option(50_000, "--batch-lines", help="Lines per atomic batch."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    follow: bool = typer.Option(False, "--follow", help="Keep running: import what is new every --interval "
                                "seconds (Ctrl-C stops)."),
    interval: float = typer.Option(10.0, "--interval", help="Seconds between rounds of --follow."),
    database_url: Optional[str] = typer.Option(None, "--database-url", help="Overrides CALLBOARD_DATABASE_URL."),
) -> None:
    """Import an Asterisk queue_log: queue calls, ring attempts, agent sessions and pauses."""
    from data import db
    from data.importers.queue_log import import_queue_log_file

    rejects = _prepare(path, from_db, rejects, database_url, "queue_log")

    def run():
        if from_db is not None:
            from data.importers.queue_log import import_queue_log_db

            return import_queue_log_db(db.get_engine(database_url), from_db, table=table, source=source,
                                       source_tz=source_tz, batch_rows=batch_lines, progress=progress)
        from data.live import apply_queue_log_events

        return import_queue_log_file(db.get_engine(database_url), path, source=source, rejects_path=rejects,
                                     batch_lines=batch_lines, progress=progress, source_tz=source_tz,
                                     on_events=apply_queue_log_events if follow else None)

    _run_import(run, path, follow=follow, interval=interval)

"""The `callboard` command: every capability can be driven from here without a browser."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Callboard: call records, statistics and wallboards for a business PBX.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema and aggregates.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _echo_err(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the schema to the newest version (idempotent)."""
    from data.migrate import current_revision, upgrade

    upgrade(revision=revision)
    typer.echo(f"database at revision {current_revision()}")


@db_app.command("rebuild-aggregates")
def db_rebuild_aggregates() -> None:
    """Recompute every aggregate and the local-time table from the facts (e.g. after a
    change of CALLBOARD_TIMEZONE)."""
    from callboard.core.settings import get_settings
    from data import aggregates, db
    from data.timebuckets import rebuild_hours

    with db.transaction() as conn:
        rebuild_hours(conn, get_settings().tz)
        aggregates.rebuild_all(conn)
    typer.echo("aggregates rebuilt")


@db_app.command("rebuild-calls")
def db_rebuild_calls(
    source: Optional[str] = typer.Option(None, "--source", help="Source (PBX) name; default: the first."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Importer rules file (TOML or JSON), as on import."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Derive every call of a source again from its stored CDR legs, with the current rules
    and the number classes set on /admin/sources (after reclassifying or renaming). One
    transaction, aggregates refreshed: on failure nothing changes."""
    from data import db
    from data.importers.asterisk_cdr import rebuild_calls
    from data.importers.base import ImportFailed

    try:
        n = rebuild_calls(db.get_engine(), source, rules=rules, progress=progress)
    except (ImportFailed, ValueError, OSError) as exc:
        _echo_err(str(exc))
        raise typer.Exit(2)
    typer.echo(f"calls rebuilt {n}")


@app.command()
def generate(
    days: int = typer.Option(60, help="How many days of history, ending today."),
    calls_per_day: int = typer.Option(800, help="Average calls per weekday (weekends are quieter)."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same data."),
    end: Optional[str] = typer.Option(None, help="Last day (YYYY-MM-DD, PBX local); default today."),
    audio: bool = typer.Option(True, help="Write recordings as small real audio files."),
    database_url: Optional[str] = typer.Option(None, "--database-url", help="Overrides CALLBOARD_DATABASE_URL."),
) -> None:
    """Fill the database with a realistic, deterministic demo call centre."""
    from data.demo.generator import GeneratorConfig, generate as run_generate
    from data.migrate import upgrade

    upgrade(url=database_url)
    cfg = GeneratorConfig(
        days=days,
        calls_per_day=calls_per_day,
        seed=seed,
        end_day=date.fromisoformat(end) if end else None,
        with_audio=audio,
    )
    stats = run_generate(cfg, url=database_url, progress=True)
    typer.echo(stats.summary())


@app.command()
def demo(
    days: int = typer.Option(60, help="Days of demo data to generate when the database is empty."),
    calls_per_day: int = typer.Option(800, help="Average calls per weekday in the demo data."),
    host: Optional[str] = typer.Option(None, help="Default: CALLBOARD_HOST (127.0.0.1)."),
    port: Optional[int] = typer.Option(None, help="Default: CALLBOARD_PORT (8050)."),
    simulate: bool = typer.Option(True, "--simulate/--no-simulate", help="Run the live simulator with the app "
                                  "(calls keep arriving: the wallboard moves)."),
) -> None:
    """Create the database if missing, fill it with demo data if empty, and serve the app
    with the live call-centre simulator running beside it."""
    import sqlalchemy as sa

    from callboard.core.settings import get_settings
    from data import db, schema
    from data.migrate import upgrade

    settings = get_settings()
    upgrade()
    count = db.fetch_scalar(sa.select(sa.func.count()).select_from(schema.call))
    if not count:
        typer.echo(f"Generating {days} days of demo data (about {calls_per_day} calls a weekday)...")
        from data.demo.generator import GeneratorConfig, generate as run_generate

        stats = run_generate(GeneratorConfig(days=days, calls_per_day=calls_per_day, seed=1), progress=True)
        typer.echo(stats.summary())
    else:
        typer.echo(f"Database already holds {count} calls; not generating.")
    from app import create_app

    host, port = host or settings.host, port or settings.port
    typer.echo(f"Callboard demo on http://{host}:{port}  (database: {settings.database_url})")
    from callboard.cli.users import demo_wallboard_url, ensure_demo_admin

    admin_name, admin_password = ensure_demo_admin()
    typer.echo(f"Sign in as {admin_name} / {admin_password}  (a new password each demo start)")
    typer.echo(f"Wallboard without signing in: {demo_wallboard_url(f'http://{host}:{port}')}")
    stop_simulator = None
    if simulate:
        from callboard.cli.live import start_in_background

        stop_simulator = start_in_background(calls_per_day=calls_per_day)
        typer.echo(f"Live simulator running: wallboard at http://{host}:{port}/wallboard")
    try:
        create_app(settings).run(host=host, port=port, debug=False)
    finally:
        if stop_simulator is not None:
            stop_simulator.set()


LIMIT_REQUEST_LINE = 8190  # bytes of "METHOD /path?query HTTP/1.1" (gunicorn's maximum)
LIMIT_REQUEST_FIELDS = 100  # header fields per request
LIMIT_REQUEST_FIELD_SIZE = 8190  # bytes of one header field (cookies included)


@app.command()
def serve(
    workers: Optional[int] = typer.Option(None, help="Worker processes; default CALLBOARD_WORKERS."),
    host: Optional[str] = typer.Option(None, help="Default: CALLBOARD_HOST."),
    port: Optional[int] = typer.Option(None, help="Default: CALLBOARD_PORT."),
    threads: Optional[int] = typer.Option(None, help="Threads per worker; default CALLBOARD_THREADS."),
    timeout: int = typer.Option(120, help="Worker timeout in seconds (long exports); also the longest a "
                                "socket read or write of a request being answered may wait."),
) -> None:
    """Serve the app with gunicorn (production). /healthz checks the database.

    Threaded workers that read each request whole before a thread answers it
    (callboard.web.gunicorn_worker): a slow client holds no thread; header and body deadlines,
    request line and header limits. In production put a buffering reverse proxy (nginx) in
    front (README, "Deployment")."""
    import logging

    from gunicorn.app.base import BaseApplication

    from callboard.core.settings import get_settings
    from data.migrate import upgrade

    # The app's own warnings (e.g. X-Forwarded-For without CALLBOARD_PROXY_HOPS) beside gunicorn's.
    logging.basicConfig(level=logging.WARNING, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: "
                        "%(message)s", datefmt="%Y-%m-%d %H:%M:%S %z")
    settings = get_settings()
    upgrade()
    # No pooled connection may cross the fork: workers sharing the master's socket corrupt
    # each other's protocol stream ("consuming input failed" on a worker's first request).
    from data.db import dispose_engines

    dispose_engines()

    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host or settings.host}:{port or settings.port}")
            self.cfg.set("workers", workers or settings.workers)
            self.cfg.set("worker_class", "callboard.web.gunicorn_worker.BufferingThreadWorker")
            self.cfg.set("threads", threads or settings.threads)
            self.cfg.set("timeout", timeout)
            self.cfg.set("keepalive", 5)
            # gunicorn's own request limits (its maxima: a long filtered URL fits; more is refused
            # with 400 before the app sees it).
            self.cfg.set("limit_request_line", LIMIT_REQUEST_LINE)
            self.cfg.set("limit_request_fields", LIMIT_REQUEST_FIELDS)
            self.cfg.set("limit_request_field_size", LIMIT_REQUEST_FIELD_SIZE)
            self.cfg.set("accesslog", "-")

        def load(self):
            from app import create_app

            return create_app(settings).server

    _Server().run()


@app.command("settings")
def show_settings() -> None:
    """Every CALLBOARD_* setting, its current value and what it means."""
    from callboard.core.settings import Settings, get_settings

    current = get_settings()
    for name, field in Settings.model_fields.items():
        value = getattr(current, name)
        if "password" in name or "secret" in name:
            value = "***" if value else ""
        typer.echo(f"CALLBOARD_{name.upper()}={value}\n    {field.description}")


@app.command()
def bench(
    calls: int = typer.Option(10_000_000, help="Calls to load when the bench database is empty."),
    database_url: Optional[str] = typer.Option(None, "--database-url",
                                               help="PostgreSQL URL of the bench database."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the results as JSON here."),
    repeat: int = typer.Option(5, help="Timed runs per query (after one warm-up)."),
    reload: bool = typer.Option(False, help="Drop and reload the bench data first."),
) -> None:
    """Load N calls into PostgreSQL (if not loaded) and time the named queries."""
    from bench.harness import run_bench

    run_bench(calls=calls, url=database_url, json_out=json_out, repeat=repeat, reload=reload)


recordings_app = typer.Typer(help="Recording files in the recordings storage.", no_args_is_help=True)
app.add_typer(recordings_app, name="recordings")


@recordings_app.command("sweep-trash")
def recordings_sweep_trash(
    older_than: float = typer.Option(3600.0, "--older-than", min=0,
                                     help="Only trash files moved aside at least this many seconds ago "
                                          "(a younger one may belong to a delete still running)."),
    recordings_dir: Optional[Path] = typer.Option(None, "--recordings-dir",
                                                  help="Overrides CALLBOARD_RECORDINGS_DIR."),
) -> None:
    """Remove the trash files a crash left between a delete's commit and its unlink
    (".<name>.deleting-<id>" in the recordings storage), listing each one removed."""
    from data.recordings import recordings_root, sweep_trash

    root = recordings_root(recordings_dir)
    if not root.is_dir():
        typer.echo(f"no recordings storage at {root}; nothing to sweep")
        return
    removed = sweep_trash(root, min_age_s=older_than)
    for path in removed:
        typer.echo(f"removed {path.relative_to(root)}")
    typer.echo(f"{len(removed)} trash file{'' if len(removed) == 1 else 's'} removed from {root}")


export_app = typer.Typer(help="Export data as files.", no_args_is_help=True)
app.add_typer(export_app, name="export")


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
        _echo_err(f"unsupported format {fmt!r} (supported: csv, xlsx, pdf)")
        raise typer.Exit(2)
    try:
        first, last = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError:
        _echo_err("dates must be written as YYYY-MM-DD")
        raise typer.Exit(2)
    keys = {"main": list(MAIN_COLUMNS), "all": list(ALL_COLUMNS)}.get(columns) or [
        k.strip() for k in columns.split(",") if k.strip()
    ]
    unknown = [k for k in keys if k not in COLUMNS]
    if unknown:
        _echo_err(f"unknown columns: {', '.join(unknown)} (known: {', '.join(ALL_COLUMNS)})")
        raise typer.Exit(2)
    tz = get_settings().tz
    if last < first:
        _echo_err("the time range is inverted: --to is before --from")
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
        _echo_err(str(exc))
        raise typer.Exit(2)
    typer.echo(f"wrote {output} ({size} bytes)")


import_app = typer.Typer(help="Import call data from a PBX (idempotent and incremental).", no_args_is_help=True)
app.add_typer(import_app, name="import")
from callboard.cli.import_csv import register as _register_import_commands  # noqa: E402

_register_import_commands(import_app)  # import callboard-csv (the asterisk-* commands follow here)


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
    from data.importers.asterisk_cdr import import_cdr_file
    from data.migrate import upgrade

    if (path is None) == (from_db is None):
        _echo_err("give either a CDR file or --from-db URL")
        raise typer.Exit(2)
    if rejects is None:
        rejects = _default_rejects(path)
    upgrade(url=database_url)

    def run():
        if from_db is not None:
            from data.importers.cdr_db import import_cdr_db

            return import_cdr_db(db.get_engine(database_url), from_db, table=table, source=source,
                                 source_tz=source_tz, rules=str(rules) if rules else None,
                                 batch_rows=batch_lines, progress=progress)
        return import_cdr_file(db.get_engine(database_url), path, source=source, source_tz=source_tz,
                               rules=rules, rejects_path=rejects, batch_lines=batch_lines, progress=progress,
                               workers=workers)

    _run_import(run, path, follow=follow, interval=interval)


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
            _echo_err(f"{path or stats.path}:{'' if path else 'row '}{lineno}: {reason}")
        if stats.lines_rejected > 20:
            _echo_err(f"... and {stats.lines_rejected - 20} more rejected lines")
        if stats.lines_read or not follow:
            typer.echo(stats.summary())

    try:
        if follow:
            from data.importers.base import follow as follow_loop

            follow_loop(run, interval, on_stats=report)
        else:
            report(run())
    except (ImportFailed, ValueError, OSError) as exc:
        _echo_err(f"import failed: {exc}")
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
    from data.migrate import upgrade

    if (path is None) == (from_db is None):
        _echo_err("give either a queue_log file or --from-db URL")
        raise typer.Exit(2)
    if rejects is None:
        rejects = _default_rejects(path)
    upgrade(url=database_url)

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


@app.command()
def report(
    report_type: str = typer.Argument(..., metavar="TYPE",
                                      help="extension-statistics | pbx-activity | extension-activity | did-dod"
                                           " | ivr | ring-groups | queue-performance | queue-wait-talk"
                                           " | queue-agents | missed-unreturned"
                                           " | queue-callbacks | queue-satisfaction"),
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
    from callboard.reports.runners import RUNNERS, call_rows, run_report, to_csv
    from data.queries.reports import ReportFilter
    from data.scope import Scope

    if report_type not in RUNNERS:
        _echo_err(f"unknown report type {report_type!r}; one of: {', '.join(RUNNERS)}")
        raise typer.Exit(2)
    if fmt not in ("csv", "xlsx", "pdf"):
        _echo_err(f"unsupported format {fmt!r} (supported: csv, xlsx, pdf)")
        raise typer.Exit(2)
    if with_calls and fmt != "csv":
        _echo_err("--with-calls is only available with --format csv")
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
        _echo_err(str(exc))
        raise typer.Exit(2)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt != "csv":
        output.write_bytes(made.content)
        typer.echo(f"{report_type}: {made.rows_total} rows -> {output}")
        return
    calls = call_rows(result, Scope.everything()) if with_calls else None
    output.write_text(to_csv(result, lang, calls), encoding="utf-8")
    typer.echo(f"{report_type}: {len(result.df)} rows, {result.total_calls} calls -> {output}")


from callboard.cli.live import simulate as _simulate  # noqa: E402  (callboard simulate --live)

app.command("simulate")(_simulate)


from callboard.cli.schedule import register as _register_schedule_commands  # noqa: E402

_register_schedule_commands(app)  # schedule, scheduler, send-test-mail


from callboard.cli.users import register as _register_user_commands  # noqa: E402

_register_user_commands(app)  # users, display-token


from callboard.cli.privacy import register as _register_privacy_commands  # noqa: E402

_register_privacy_commands(app)  # retention run|show|set, privacy find|erase|masking


from callboard.cli.check import register as _register_check_command  # noqa: E402

_register_check_command(app)  # check (the production checklist)


def main() -> None:  # console-script entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

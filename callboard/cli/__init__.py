"""The `callboard` command: every capability can be driven from here without a browser.

One module per domain holds its commands (db, demo, serve, settings, bench, recordings,
export, imports, report, live, schedule, users, privacy, check); this file only puts them
together, in the order `callboard --help` lists them.
"""

from __future__ import annotations

import sys

import typer

from callboard.cli import (bench, check, db, demo, export, imports, live, privacy, recordings, report, schedule,
                           serve, settings, users)

app = typer.Typer(help="Callboard: call records, statistics and wallboards for a business PBX.",
                  no_args_is_help=True, add_completion=False)
app.add_typer(db.db_app, name="db")
app.command("generate")(demo.generate)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("settings")(settings.show_settings)
app.command("bench")(bench.bench)
app.add_typer(recordings.recordings_app, name="recordings")
app.add_typer(export.export_app, name="export")
app.add_typer(imports.import_app, name="import")
app.command("report")(report.report)
app.command("simulate")(live.simulate)
app.add_typer(schedule.schedule_app, name="schedule")
app.add_typer(schedule.scheduler_app, name="scheduler")
app.command("send-test-mail")(schedule.send_test_mail)
app.add_typer(users.users_app, name="users")
app.add_typer(users.tokens_app, name="display-token")
app.add_typer(privacy.retention_app, name="retention")
app.add_typer(privacy.privacy_app, name="privacy")
app.command("check")(check.check)


def main() -> None:  # console-script entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

"""`callboard import callboard-csv`: Callboard's own call-records CSV back in (round trip).

The Asterisk importers' commands live in callboard/cli.py; this one is registered on the
same `import` group by `register(import_app)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


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
    from datetime import datetime

    from callboard.core.settings import get_settings
    from data import db
    from data.importers.base import ImportFailed
    from data.importers.callboard_csv import import_callboard_csv as run
    from data.migrate import upgrade

    if rejects is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        rejects = get_settings().files_dir / "rejects" / f"{path.name}-{stamp}.rejects"
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


def register(import_app: typer.Typer) -> None:
    import_app.command("callboard-csv")(import_callboard_csv)

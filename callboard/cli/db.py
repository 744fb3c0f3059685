"""`callboard db ...`: the schema, and what is derived from the stored facts again
(aggregates, calls from their CDR legs)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from callboard.cli.output import echo_error

db_app = typer.Typer(help="Database schema and aggregates.", no_args_is_help=True)


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
    from data.importers.asterisk.rederive import rebuild_calls
    from data.importers.base import ImportFailed

    try:
        n = rebuild_calls(db.get_engine(), source, rules=rules, progress=progress)
    except (ImportFailed, ValueError, OSError) as exc:
        echo_error(str(exc))
        raise typer.Exit(2)
    typer.echo(f"calls rebuilt {n}")

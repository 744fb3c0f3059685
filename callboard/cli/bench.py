"""`callboard bench`: time the named queries on a large PostgreSQL database (bench.harness)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


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

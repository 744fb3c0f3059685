"""`callboard recordings ...`: the recording files in the recordings storage."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

recordings_app = typer.Typer(help="Recording files in the recordings storage.", no_args_is_help=True)


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

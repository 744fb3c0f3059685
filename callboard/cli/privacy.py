"""`callboard retention ...` and `callboard privacy ...`: the retention job, its periods,
and finding / erasing everything stored about one phone number (audited as actor "cli")."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Optional

import typer

from callboard.cli.output import echo_error, fail

retention_app = typer.Typer(help="How long data is kept, and the job that removes older data.", no_args_is_help=True)
privacy_app = typer.Typer(help="Find or erase everything stored about one phone number; masked numbers.",
                          no_args_is_help=True)
ACTOR = {"username": "cli"}


def _parse_now(text: Optional[str]) -> Optional[datetime]:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        echo_error(f"--now: {text!r} is not an ISO date/time (e.g. 2026-11-26T03:00:00Z)")
        raise typer.Exit(2) from None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be removed; change nothing."),
    now: Optional[str] = typer.Option(None, "--now", help="Pretend it is this UTC time (ISO), e.g. for a catch-up."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, help="Rows per transaction."),
) -> None:
    """Remove everything older than its retention period (what the scheduler runs daily)."""
    from data.retention import AlreadyRunning, run_retention

    try:
        report = run_retention(now=_parse_now(now), dry_run=dry_run, batch_size=batch_size, actor=ACTOR)
    except AlreadyRunning as exc:
        fail(exc)
    typer.echo(("DRY RUN — nothing removed. " if dry_run else "")
               + f"{report.seconds:.1f} s, {report.batches} transactions (longest {report.longest_batch_s:.2f} s)")
    typer.echo(f"{'kind':<11} {'cut-off (UTC)':<20} {'rows':>10} {'files':>7} {'bytes freed':>13}  related")
    for kind, k in report.kinds.items():
        cutoff = k.cutoff_utc.isoformat(sep=" ") if k.cutoff_utc else "forever"
        related = ", ".join(f"{name} {n}" for name, n in k.related_rows.items() if n)
        typer.echo(f"{kind:<11} {cutoff:<20} {k.rows:>10} {k.files:>7} {k.bytes_freed:>13}  {related}")
    for failed in report.files_failed:
        typer.secho(f"could not remove {failed['path']} ({failed['error']}): its row is kept", fg=typer.colors.YELLOW,
                    err=True)


@retention_app.command("show")
def retention_show() -> None:
    """The retention period of every kind of data."""
    from data.retention import load_policy

    for kind, keep in load_policy().items():
        typer.echo(f"{kind:<11} {'forever' if keep.forever else f'{keep.amount} {keep.unit}'}")


@retention_app.command("set")
def retention_set(periods: List[str] = typer.Argument(..., help="KIND=PERIOD, e.g. calls=24m recordings=6m "
                                                                "files=30d audit=forever")) -> None:
    """Change retention periods (the other kinds keep theirs)."""
    from data.retention import InvalidPolicy, load_policy, save_policy

    policy = {kind: keep.to_json() for kind, keep in load_policy().items()}
    for item in periods:
        kind, sep, value = item.partition("=")
        if not sep:
            echo_error(f"{item!r}: write KIND=PERIOD, e.g. calls=24m")
            raise typer.Exit(2)
        policy[kind.strip()] = value.strip()
    try:
        save_policy(policy, actor=ACTOR)
    except InvalidPolicy as exc:
        fail(exc)
    retention_show()


@privacy_app.command("find")
def privacy_find(number: str = typer.Argument(..., help="Any spelling: +420 777 123 456, 00420777123456, 777123456")
                 ) -> None:
    """Everything stored about one phone number."""
    from data.privacy import InvalidNumber, find

    try:
        found = find(number)
    except InvalidNumber as exc:
        fail(exc)
    typer.echo(f"{found.number}:")
    for name, n in found.counts().items():
        typer.echo(f"  {name:<15} {n}")
    for call in found.calls[:50]:
        typer.echo(f"  call {call['id']} {call['start_utc']} {call['direction']} {call['from_number']} -> "
                   f"{call['to_number']}")
    for rel in found.files:
        typer.echo(f"  file {rel}")


@privacy_app.command("erase")
def privacy_erase(
    number: str = typer.Argument(..., help="Any spelling of the number"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase everything stored about one number, in one transaction (audited with a salted hash)."""
    from data.privacy import InvalidNumber, erase, find

    try:
        found = find(number)
    except InvalidNumber as exc:
        fail(exc)
    if found.empty:
        typer.echo(f"Nothing is stored about {found.number}.")
        return
    summary = ", ".join(f"{n} {name}" for name, n in found.counts().items() if n)
    if not yes and not typer.confirm(f"Erase {summary} about {found.number}? This cannot be undone"):
        raise typer.Exit(1)
    result = erase(number, actor=ACTOR)
    typer.echo(f"Erased: {', '.join(f'{n} {name}' for name, n in result.counts.items() if n)}; "
               f"{result.redacted} other values redacted. Audit hash {result.number_hash[:16]}…")


@privacy_app.command("masking")
def privacy_masking(roles: Optional[List[str]] = typer.Argument(None, help="Roles that see external numbers "
                                                                           "masked: admin manager viewer; "
                                                                           "'none' for nobody")) -> None:
    """Show or set which roles see external numbers masked."""
    from data.privacy import masked_roles, set_masked_roles

    if roles:
        try:
            set_masked_roles([] if roles == ["none"] else roles, actor=ACTOR)
        except ValueError as exc:
            fail(exc)
    typer.echo("masked for: " + (", ".join(sorted(masked_roles())) or "nobody"))

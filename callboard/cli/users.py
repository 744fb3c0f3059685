"""`callboard users ...` and `callboard display-token ...`: accounts and wall-display tokens
from the command line (the operator's tool; entries are audited as actor "cli")."""

from __future__ import annotations

import secrets
from typing import List, Optional

import typer

from callboard.cli.output import echo_error, fail

users_app = typer.Typer(help="Users who may sign in: add, list, role, scope, disable, password.",
                        no_args_is_help=True)
tokens_app = typer.Typer(help="Display tokens: read-only wallboard access limited to queues.", no_args_is_help=True)
ACTOR = "cli"


def _password(password: Optional[str], generate: bool) -> tuple[str, bool]:
    if password:
        return password, False
    if generate:
        return secrets.token_urlsafe(12), True
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False


def _split(values: Optional[List[str]]) -> list[str]:
    out = []
    for v in values or []:
        out += [p.strip() for p in v.replace(";", ",").split(",") if p.strip()]
    return out


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name (no spaces)."),
    role: str = typer.Option("viewer", help="admin, manager or viewer."),
    password: Optional[str] = typer.Option(None, help="Default: asked for (or --generate-password)."),
    generate_password: bool = typer.Option(False, "--generate-password", help="Make a random password and print it."),
    display_name: Optional[str] = typer.Option(None, help="Full name shown in the app."),
    email: Optional[str] = typer.Option(None),
    language: str = typer.Option("en", help="en or cs."),
) -> None:
    """Add a user. Managers and viewers see nothing until `users set-scope` gives them groups / queues."""
    from data.access.passwords import WeakPassword
    from data.access.users import UserError, add_user

    pw, generated = _password(password, generate_password)
    try:
        add_user(username, pw, role, display_name=display_name, email=email, language=language, actor=ACTOR)
    except (UserError, WeakPassword) as exc:
        fail(exc)
    typer.echo(f"Added {username} ({role})." + (f" Password: {pw}" if generated else ""))


@users_app.command("list")
def users_list() -> None:
    """Every user with role, scope and state."""
    from data.access.users import list_users

    for u in list_users():
        scope = "everything" if u.role == "admin" else "; ".join(
            f"{k}: {','.join(v)}" for k, v in sorted(u.scope.items())) or "nothing"
        state = "disabled" if u.disabled else (f"locked until {u.locked_until_utc:%Y-%m-%d %H:%M} UTC"
                                               if u.locked_until_utc else "active")
        typer.echo(f"{u.username}\t{u.role}\t{state}\t{scope}")


@users_app.command("set-role")
def users_set_role(username: str, role: str = typer.Argument(..., help="admin, manager or viewer.")) -> None:
    from data.access.users import UserError, set_role

    try:
        set_role(username, role, actor=ACTOR)
    except UserError as exc:
        fail(exc)
    typer.echo(f"{username} is now {role}.")


@users_app.command("set-scope")
def users_set_scope(
    username: str,
    group: Optional[List[str]] = typer.Option(None, "--group", help="Extension group name (repeat or comma list)."),
    queue: Optional[List[str]] = typer.Option(None, "--queue", help="Queue number (repeat or comma list)."),
    extension: Optional[List[str]] = typer.Option(None, "--extension", help="Extension (repeat or comma list)."),
) -> None:
    """Replace what a manager / viewer sees: these groups, queues and extensions (none: nothing)."""
    from data.access.users import UserError, set_scope

    try:
        set_scope(username, groups=_split(group), queues=_split(queue), extensions=_split(extension), actor=ACTOR)
    except UserError as exc:
        fail(exc)
    typer.echo(f"Scope of {username}: groups {_split(group)}, queues {_split(queue)}, extensions {_split(extension)}.")


@users_app.command("disable")
def users_disable(username: str, enable: bool = typer.Option(False, "--enable", help="Enable again instead.")) -> None:
    """Disable a user (their sessions end at once), or --enable them again."""
    from data.access.users import UserError, set_disabled

    try:
        set_disabled(username, not enable, actor=ACTOR)
    except UserError as exc:
        fail(exc)
    typer.echo(f"{username} {'enabled' if enable else 'disabled'}.")


@users_app.command("reset-password")
def users_reset_password(
    username: str,
    password: Optional[str] = typer.Option(None, help="Default: asked for (or --generate-password)."),
    generate_password: bool = typer.Option(False, "--generate-password", help="Make a random password and print it."),
) -> None:
    """New password; also unlocks a locked-out user and ends their sessions."""
    from data.access.passwords import WeakPassword
    from data.access.users import UserError, set_password

    pw, generated = _password(password, generate_password)
    try:
        set_password(username, pw, actor=ACTOR)
    except (UserError, WeakPassword) as exc:
        fail(exc)
    typer.echo(f"Password of {username} reset." + (f" Password: {pw}" if generated else ""))


@tokens_app.command("add")
def token_add(
    name: str = typer.Argument(..., help="Where the display hangs, e.g. 'Support floor'."),
    queue: List[str] = typer.Option(..., "--queue", help="Queue number it may show (repeat or comma list)."),
) -> None:
    """Create a token and print the wallboard address with it (shown only now)."""
    from data.access.display_tokens import TokenError, create
    from callboard.core.settings import get_settings

    try:
        token = create(name, _split(queue), actor=ACTOR)
    except TokenError as exc:
        fail(exc)
    typer.echo(f"{get_settings().base_url.rstrip('/')}/wallboard?token={token}")


@tokens_app.command("list")
def token_list() -> None:
    from data.access.display_tokens import list_tokens

    for t in list_tokens():
        state = f"revoked {t.revoked_utc:%Y-%m-%d %H:%M} UTC" if t.revoked_utc else "active"
        typer.echo(f"{t.id}\t{t.name}\t{','.join(t.queues)}\t{state}")


@tokens_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="The id shown by `display-token list`.")) -> None:
    """Revoke a token: its display stops at its next refresh."""
    from data.access.display_tokens import revoke

    if not revoke(token_id, actor=ACTOR):
        echo_error(f"No active display token {token_id}.")
        raise typer.Exit(1)
    typer.echo(f"Display token {token_id} revoked.")

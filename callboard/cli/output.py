"""How every command reports an error: in red on stderr, then a non-zero exit status."""

from __future__ import annotations

import typer

from callboard.core.i18n import gettext


def echo_error(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)


def fail(exc: Exception) -> None:
    """Exit 1 with an access-model error's message (its msgid and params, in English)."""
    msgid, params = getattr(exc, "msgid", str(exc)), getattr(exc, "params", {})
    echo_error(gettext("en", msgid, **params))
    raise typer.Exit(1)

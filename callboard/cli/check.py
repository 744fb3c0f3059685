"""`callboard check`: the production checklist — which settings leave a deployment open.

The demo runs as it is (a generated secret key, plain http on 127.0.0.1, no proxy); a
production server should not. Each finding says what is wrong, why it matters and what to
set (README "Deployment"). Exit status 0; with ``--strict`` 1 when anything is warned about
(for a deployment script or CI).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Optional

import typer

from callboard.core.i18n import N_, gettext
from callboard.core.settings import Settings

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Finding:
    ok: bool
    msgid: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return gettext(lang, self.msgid, **self.params)


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_settings(settings: Settings) -> list[Finding]:
    """What `callboard check` reports for these settings (pure: no database, no network)."""
    out = []
    if not settings.secret_key:
        out.append(Finding(False, N_(
            "CALLBOARD_SECRET_KEY is not set: the key that signs CSRF tokens and emailed file links is generated and "
            "kept in the database (settings_kv), so anybody with a database dump or backup can forge them. Set "
            "CALLBOARD_SECRET_KEY to a random value of at least {n} characters in the service's environment, "
            "e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"),
            {"n": MIN_SECRET_LENGTH}))
    elif len(settings.secret_key) < MIN_SECRET_LENGTH:
        out.append(Finding(False, N_(
            "CALLBOARD_SECRET_KEY has {length} characters: use a random value of at least {n}."),
            {"length": len(settings.secret_key), "n": MIN_SECRET_LENGTH}))
    else:
        out.append(Finding(True, N_("CALLBOARD_SECRET_KEY is set (not kept in the database).")))
    if not settings.base_url.lower().startswith("https://"):
        out.append(Finding(False, N_(
            "CALLBOARD_BASE_URL is {url}: not https. Emailed links and sign-in cookies travel in clear text; serve "
            "Callboard behind a reverse proxy with TLS and set CALLBOARD_BASE_URL to its https:// address."),
            {"url": settings.base_url}))
    else:
        out.append(Finding(True, N_("CALLBOARD_BASE_URL is https ({url})."), {"url": settings.base_url}))
    if settings.proxy_hops <= 0:
        out.append(Finding(False, N_(
            "CALLBOARD_PROXY_HOPS is 0: the app takes the connection's address as the client's. Behind a reverse "
            "proxy every client then has the proxy's address, and 20 failed sign-ins from anybody block everybody's "
            "sign-in. Set CALLBOARD_PROXY_HOPS to the number of proxies in front of Callboard (1 behind nginx).")))
    else:
        out.append(Finding(True, N_("CALLBOARD_PROXY_HOPS is {hops}: client addresses are read from "
                                    "X-Forwarded-For through that many proxies."), {"hops": settings.proxy_hops}))
    local_relay = _loopback(settings.smtp_host)
    if settings.smtp_security == "none" and (not local_relay or settings.smtp_user):
        out.append(Finding(False, N_(
            "CALLBOARD_SMTP_SECURITY is none while mail goes to {host}:{port}: report emails (with their download "
            "links) and any SMTP password cross the network in clear text. Set CALLBOARD_SMTP_SECURITY to "
            "starttls (port 587) or ssl (port 465)."), {"host": settings.smtp_host, "port": settings.smtp_port}))
    elif settings.smtp_security == "none":
        out.append(Finding(True, N_("SMTP goes to a relay on this machine ({host}) without a login: no TLS needed "
                                    "to reach it (the relay's own onward delivery should use TLS)."),
                           {"host": settings.smtp_host}))
    else:
        out.append(Finding(True, N_("SMTP uses {security} to {host}:{port}."),
                           {"security": settings.smtp_security, "host": settings.smtp_host,
                            "port": settings.smtp_port}))
    return out


def check(
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 when anything is warned about."),
    lang: Optional[str] = typer.Option(None, help="en or cs; default CALLBOARD_DEFAULT_LANGUAGE."),
) -> None:
    """Production checklist: warns about a secret key kept in the database, a base URL that is
    not https, no proxy hops, SMTP without TLS. README "Deployment" says what to set."""
    from callboard.core.settings import get_settings

    settings = get_settings()
    lang = lang or settings.default_language
    findings = check_settings(settings)
    for f in findings:
        label = "ok  " if f.ok else "WARN"
        typer.secho(f"{label} {f.text(lang)}", fg=None if f.ok else typer.colors.YELLOW, err=False)
    warnings = sum(not f.ok for f in findings)
    typer.echo(gettext(lang, N_("{n} warning(s)."), n=warnings) if warnings
               else gettext(lang, N_("Nothing to warn about.")))
    if strict and warnings:
        raise typer.Exit(1)

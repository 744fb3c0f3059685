"""`callboard generate` (demo data) and `callboard demo` (demo data, its administrator, a
wallboard token and the live simulator, served)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Optional

import typer


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


DEMO_ADMIN = "admin"


def ensure_demo_admin() -> tuple[str, str]:
    """The demo's administrator with a fresh random password (created or reset), to print."""
    from data.access.users import add_user, get_user, set_password

    password = secrets.token_urlsafe(9)
    if get_user(DEMO_ADMIN) is None:
        add_user(DEMO_ADMIN, password, "admin", display_name="Demo administrator", actor="demo")
    else:
        set_password(DEMO_ADMIN, password, actor="demo")
    return DEMO_ADMIN, password


def demo_wallboard_url(base: str) -> str:
    """A display token over every queue of the demo (a new one each run), as a wallboard address."""
    from data.access.display_tokens import create
    from data.access.options import queue_options

    queues = [o["value"] for o in queue_options()] or ["600"]
    token = create("Demo wallboard", queues, actor="demo")
    return f"{base}/wallboard?token={token}"

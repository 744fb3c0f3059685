"""`callboard simulate --live`: the demo call centre in real time (data.demo.live_sim)."""

from __future__ import annotations

from typing import Optional

import typer

from callboard.cli.output import echo_error


def simulate(
    live_mode: bool = typer.Option(False, "--live", help="Run the demo call centre in real time (required)."),
    seed: int = typer.Option(1, help="Random seed: the same seed and clock give the same calls."),
    calls_per_day: int = typer.Option(800, help="Average calls per weekday, as `callboard generate`."),
    min_calls_per_hour: float = typer.Option(0.0, help="Floor of queue calls per hour (a demo at night moves)."),
    flush_every: float = typer.Option(2.0, help="Seconds between writes of the live state and finished calls."),
    database_url: Optional[str] = typer.Option(None, "--database-url", help="Overrides CALLBOARD_DATABASE_URL."),
) -> None:
    """Keep the demo call centre running: calls arrive in the queues, wait, are answered or
    abandon; agents log in, out and pause. Writes the live state (wallboard) and the finished
    calls (reports). Ctrl-C stops; a restart continues from the stored state."""
    from callboard.core.settings import get_settings
    from data import db
    from data.demo.live_sim import SimConfig, run_forever
    from data.migrate import upgrade

    if not live_mode:
        echo_error("only --live is supported: callboard simulate --live")
        raise typer.Exit(2)
    upgrade(url=database_url)
    cfg = SimConfig(seed=seed, calls_per_day=calls_per_day, min_calls_per_hour=min_calls_per_hour)

    def report(sim, written: int) -> None:
        if written:
            waiting = sum(1 for c in sim.calls.values() if c.answer is None)
            typer.echo(f"{sim.clock:%Y-%m-%d %H:%M:%S} UTC: {written} finished calls written, {waiting} waiting")

    typer.echo("simulating the demo call centre in real time (Ctrl-C stops)")
    try:
        run_forever(db.get_engine(database_url), cfg, get_settings().tz, flush_every_s=flush_every, on_flush=report)
    except KeyboardInterrupt:
        pass


def start_in_background(url: str | None = None, *, min_calls_per_hour: float = 20.0, calls_per_day: int = 800,
                        flush_every_s: float = 2.0):
    """The simulator on a daemon thread of this process (``callboard demo``); the returned
    Event stops it (it also ends with the process)."""
    import threading

    from callboard.core.settings import get_settings
    from data import db
    from data.demo.live_sim import SimConfig, run_forever

    stop = threading.Event()
    cfg = SimConfig(seed=1, calls_per_day=calls_per_day, min_calls_per_hour=min_calls_per_hour)
    thread = threading.Thread(target=run_forever, args=(db.get_engine(url), cfg, get_settings().tz),
                              kwargs={"stop": stop, "flush_every_s": flush_every_s}, name="live-simulator",
                              daemon=True)
    thread.start()
    return stop

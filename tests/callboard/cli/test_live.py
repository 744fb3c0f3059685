"""`callboard simulate` and the simulator thread `callboard demo` starts."""

from __future__ import annotations

import time

import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from data import schema as s


def test_simulate_needs_live():
    result = CliRunner().invoke(app, ["simulate"])
    assert result.exit_code == 2
    assert "--live" in result.output


def test_demo_thread_keeps_the_live_state_and_stops(db_url, engine):
    """The background simulator writes its clock and agents within a flush or two, and
    its stop event ends it (the app's shutdown)."""
    from callboard.cli.live import start_in_background

    stop = start_in_background(db_url, flush_every_s=0.3)
    try:
        deadline = time.monotonic() + 30
        agents: dict = {}
        while time.monotonic() < deadline and not {"100", "120"} <= set(agents):
            time.sleep(0.5)
            with engine.connect() as conn:
                agents = {r.agent: r.state for r in conn.execute(sa.select(s.live_agent_state))}
                clock = conn.execute(sa.select(s.settings_kv.c.value)
                                     .where(s.settings_kv.c.key == "live.sim.1")).scalar()
        assert clock and "clock" in clock
        # The night crew is on duty at any hour.
        assert agents.get("100") != "logged_out" and agents.get("120") != "logged_out", agents
    finally:
        stop.set()
    import threading

    time.sleep(0.5)
    assert not any(t.name == "live-simulator" and t.is_alive() for t in threading.enumerate())

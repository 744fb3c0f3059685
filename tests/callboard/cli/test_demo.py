"""The demo's way in: README's Quick start (`./scripts/demo.sh`, which runs `callboard demo`)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_readme_quick_start_matches_ci():
    """README's Quick start holds exactly two commands; .ci/run runs the second one."""
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash)?\n(.*?)```", quick, re.S).group(1)
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].lstrip("./") in ci
    for command in commands:
        assert (ROOT / command.split()[0]).exists()

"""The wallboard's URL configuration (dashboards/wallboard.parse_config): a bad value keeps
its default and is named on screen; an absent or empty one is simply the default."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def parse_config():
    from app import create_app

    create_app()
    from dashboards.wallboard import parse_config

    return parse_config


def test_good_values_are_used_and_absent_ones_are_the_defaults(parse_config):
    cfg, problems = parse_config({"wait_amber": "30", "refresh": ["10"], "sl_red": ""})
    assert (cfg["wait_amber"], cfg["refresh"], cfg["sl_red"], cfg["wait_red"]) == (30, 10, 60, 120)
    assert problems == []


def test_bad_values_keep_the_default_and_are_named(parse_config):
    cfg, problems = parse_config({"wait_amber": "soon", "refresh": "1", "cols": "  "})
    assert (cfg["wait_amber"], cfg["refresh"], cfg["cols"]) == (60, 5, 0)
    assert problems == [("wait_amber", "soon"), ("refresh", "1"), ("cols", "  ")]

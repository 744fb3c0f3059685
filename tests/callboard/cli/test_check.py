"""`callboard check`, the production checklist (issue 15, point 10): the demo's settings are
warned about one by one, a production configuration passes, `--strict` fails on a warning."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from callboard.cli import app
from callboard.cli.check import check_settings
from callboard.core.settings import Settings, reset_settings_cache

runner = CliRunner()
PRODUCTION = dict(CALLBOARD_SECRET_KEY="k" * 48, CALLBOARD_BASE_URL="https://callboard.example.com",
                  CALLBOARD_PROXY_HOPS="1", CALLBOARD_SMTP_HOST="mail.example.com", CALLBOARD_SMTP_PORT="587",
                  CALLBOARD_SMTP_SECURITY="starttls", CALLBOARD_SMTP_USER="reports")


@pytest.fixture
def env(monkeypatch):
    def apply(**values):
        for name in ("CALLBOARD_SECRET_KEY", "CALLBOARD_BASE_URL", "CALLBOARD_PROXY_HOPS", "CALLBOARD_SMTP_HOST",
                     "CALLBOARD_SMTP_PORT", "CALLBOARD_SMTP_SECURITY", "CALLBOARD_SMTP_USER"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset_settings_cache()

    yield apply
    reset_settings_cache()


def _warned(settings: Settings) -> list[str]:
    return [f.msgid.split(" ", 1)[0] for f in check_settings(settings) if not f.ok]


def test_each_production_gap_is_warned_about_on_its_own(env):
    env(**PRODUCTION)
    assert _warned(Settings()) == []
    for name, value, first_word in (("CALLBOARD_SECRET_KEY", "", "CALLBOARD_SECRET_KEY"),  # from the database
                                    ("CALLBOARD_SECRET_KEY", "short", "CALLBOARD_SECRET_KEY"),
                                    ("CALLBOARD_BASE_URL", "http://callboard.example.com", "CALLBOARD_BASE_URL"),
                                    ("CALLBOARD_PROXY_HOPS", "0", "CALLBOARD_PROXY_HOPS"),
                                    ("CALLBOARD_SMTP_SECURITY", "none", "CALLBOARD_SMTP_SECURITY")):
        env(**dict(PRODUCTION, **{name: value}))
        assert _warned(Settings()) == [first_word], (name, value)
    # A relay on this machine without a login needs no TLS; with a login (a password) it does.
    env(**dict(PRODUCTION, CALLBOARD_SMTP_HOST="127.0.0.1", CALLBOARD_SMTP_SECURITY="none", CALLBOARD_SMTP_USER=""))
    assert _warned(Settings()) == []
    env(**dict(PRODUCTION, CALLBOARD_SMTP_HOST="localhost", CALLBOARD_SMTP_SECURITY="none"))
    assert _warned(Settings()) == ["CALLBOARD_SMTP_SECURITY"]


def test_the_command_lists_the_demo_settings_and_strict_fails(env):
    env(CALLBOARD_SMTP_HOST="mail.example.com")  # otherwise the demo's defaults
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    warns = [line for line in result.output.splitlines() if line.startswith("WARN ")]
    assert [w.split()[1] for w in warns] == ["CALLBOARD_SECRET_KEY", "CALLBOARD_BASE_URL", "CALLBOARD_PROXY_HOPS",
                                             "CALLBOARD_SMTP_SECURITY"]
    assert "kept in the database (settings_kv)" in warns[0] and "token_urlsafe" in warns[0]
    assert result.output.rstrip().endswith("4 warning(s).")
    assert runner.invoke(app, ["check", "--strict"]).exit_code == 1
    cs = runner.invoke(app, ["check", "--lang", "cs"])
    assert "CALLBOARD_SECRET_KEY není nastaven" in cs.output
    env(**PRODUCTION)
    result = runner.invoke(app, ["check", "--strict"])
    assert result.exit_code == 0 and "WARN" not in result.output and "Nothing to warn about." in result.output

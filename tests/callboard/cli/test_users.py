"""`callboard users ...` and `callboard display-token ...` as an operator types them."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from callboard.web import access
from data.access import login
from data.access import users
from callboard.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_users_commands(db_url):
    code, out = run("users", "add", "anna", "--role", "manager", "--generate-password")
    assert code == 0, out
    password = re.search(r"Password: (\S+)", out).group(1)
    assert login.authenticate("anna", password).ok
    assert run("users", "set-scope", "anna", "--group", "Sales", "--queue", "600,601")[0] == 0
    anna = users.get_user("anna")
    assert users.scope_for_user(anna.id).queues == frozenset({"600", "601"})
    assert users.scope_for_user(anna.id).groups == frozenset({"Sales"})
    assert run("users", "set-role", "anna", "viewer")[0] == 0
    code, out = run("users", "list")
    assert out.splitlines() == ["anna\tviewer\tactive\textension_group: Sales; queue: 600,601"]
    code, out = run("users", "set-role", "anna", "boss")
    assert code == 1 and "Unknown role “boss” (use one of: admin, manager, viewer)." in out
    code, out = run("users", "add", "bob", "--password", "short")
    assert code == 1 and "at least 8 characters" in out and users.get_user("bob") is None
    assert run("users", "disable", "anna")[0] == 0
    assert not login.authenticate("anna", password).ok and users.scope_for_user(anna.id).is_empty
    assert run("users", "disable", "anna", "--enable")[0] == 0
    code, out = run("users", "reset-password", "anna", "--password", "a-new-password")
    assert code == 0 and login.authenticate("anna", "a-new-password").ok
    assert run("users", "reset-password", "nobody", "--password", "a-new-password")[0] == 1


def test_display_token_commands(db_url):
    code, out = run("display-token", "add", "Support floor", "--queue", "600")
    assert code == 0, out
    token = re.search(r"/wallboard\?token=(\S+)", out).group(1)
    assert access.wallboard_scope(token).queues == frozenset({"600"})
    code, out = run("display-token", "list")
    tid = out.split("\t")[0]
    assert out.strip().endswith("Support floor\t600\tactive")
    assert run("display-token", "revoke", tid)[0] == 0
    assert access.wallboard_scope(token) is None
    assert run("display-token", "revoke", tid)[0] == 1  # already revoked
    assert run("display-token", "add", "Nothing", "--queue", " ")[0] == 1

"""/email-template: a template over the sandbox's render limits is refused with the reason
under its field, in the page's language, and nothing is saved (issue 15, point 9) — through
Dash's callback endpoint as the administrator's browser sends it."""

from __future__ import annotations

import json

import pytest

from tests.callboard.web.auth.support import exact_body, login, post_body, server_callbacks
from tests.browser_support import app_settings


@pytest.fixture(scope="module")
def admin(tmp_path_factory):
    from data.access import users
    from data import db as dbmod
    from data.migrate import upgrade

    tmp = tmp_path_factory.mktemp("email-template")
    url = f"sqlite:///{tmp / 'callboard.db'}"
    with app_settings(CALLBOARD_DATABASE_URL=url, CALLBOARD_FILES_DIR=str(tmp / "files")):
        upgrade(url)
        users.add_user("boss", "boss-password", "admin")
        from app import create_app

        app = create_app()
        client = app.server.test_client()
        assert login(client, "boss", "boss-password").status_code == 302
        client.get("/email-template")  # the session's CSRF cookie
        yield app, client
        dbmod.dispose_engines()


def _save(app, client, body: str, lang: str, button: str = "et-save"):
    key = next(k for k, outs in server_callbacks(app).items() if outs[0]["id"] == "et-err-subject")
    values = {("et-preview-btn", "n_clicks"): 1 if button == "et-preview-btn" else None,
              ("et-save", "n_clicks"): 1 if button == "et-save" else None,
              ("et-kind", "value"): "report", ("et-lang", "value"): "en", ("et-subject", "value"): "{{ name }}",
              ("et-body", "value"): body, ("lang", "value"): lang}
    request = exact_body(app, key, values)
    request["changedPropIds"] = [f"{button}.n_clicks"]
    resp = post_body(client, request)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return json.loads(resp.get_data())["response"]


def test_a_template_over_the_limits_is_refused_under_its_field(admin):
    from scheduler import templates

    app, client = admin
    out = _save(app, client, "{{ 'a' * 50000000 }}", "en")
    assert out["et-err-body"]["children"] == ("The template is refused: it would make a text longer than 50,000 "
                                              "characters")
    assert out["et-err-subject"]["children"] == ""
    assert "Not saved." in json.dumps(out["et-message"])
    assert templates.stored("report", "en") == templates.DEFAULTS["en"]  # nothing saved
    cs = _save(app, client, "{% for a in range(400) %}{% for b in range(400) %}{% endfor %}{% endfor %}", "cs",
               button="et-preview-btn")
    assert cs["et-err-body"]["children"] == ("Šablona byla odmítnuta: vykreslení by trvalo víc než 100\xa0000 kroků "
                                             "(průchody smyček, volání, filtry)")

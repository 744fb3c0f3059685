"""The sign-in and password-change pages: plain HTML forms served by Flask (callboard.web.auth.views),
so they work before any session exists and without JavaScript. Not a Dash page (no
register_page): Dash's page scan imports it and finds nothing to route."""

from __future__ import annotations

from urllib.parse import quote

from flask import render_template_string

from callboard.core.i18n import translator

_PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Callboard</title>
<link rel="stylesheet" href="/assets/01-bootstrap-5.3.6.min.css">
<link rel="stylesheet" href="/assets/10-callboard.css">
</head>
<body class="bg-light">
<main class="container" style="max-width: 26rem; margin-top: 8vh;">
  <h1 class="h3 mb-3">Callboard</h1>
  <h2 class="h5 mb-3" id="auth-title">{{ title }}</h2>
  {% if message %}<div class="alert alert-{{ message_kind }}" role="alert" id="auth-message">{{ message }}</div>{% endif %}
  <form method="post" action="{{ action }}" id="auth-form">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    {% if next_url %}<input type="hidden" name="next" value="{{ next_url }}">{% endif %}
    {% for f in fields %}
    <div class="mb-3">
      <label class="form-label" for="{{ f.name }}">{{ f.label }}</label>
      <input class="form-control" id="{{ f.name }}" name="{{ f.name }}" type="{{ f.type }}"
             autocomplete="{{ f.autocomplete }}" value="{{ f.value }}" {% if loop.first %}autofocus{% endif %} required>
    </div>
    {% endfor %}
    <button class="btn btn-primary w-100" type="submit" id="auth-submit">{{ submit }}</button>
  </form>
  <p class="mt-3 small">
    {% for link in links %}<a class="me-3" href="{{ link.href }}">{{ link.label }}</a>{% endfor %}
  </p>
</main>
</body>
</html>"""


def _render(lang: str, *, title: str, action: str, fields: list[dict], submit: str, csrf_token: str,
            message: str | None = None, message_kind: str = "danger", next_url: str | None = None,
            links: list[dict] | None = None) -> str:
    return render_template_string(_PAGE, lang=lang, title=title, action=action, fields=fields, submit=submit,
                                  csrf_token=csrf_token, message=message, message_kind=message_kind,
                                  next_url=next_url, links=links or [])


def login_page(lang: str, *, csrf_token: str, next_url: str = "/", username: str = "",
               message: str | None = None) -> str:
    _ = translator(lang)
    other = "cs" if lang == "en" else "en"
    return _render(
        lang, title=_("Sign in"), action="/login", submit=_("Sign in"), csrf_token=csrf_token,
        message=message, next_url=next_url,
        fields=[
            dict(name="username", label=_("User name"), type="text", autocomplete="username", value=username),
            dict(name="password", label=_("Password"), type="password", autocomplete="current-password", value=""),
        ],
        links=[dict(href=f"/login?lang={other}&next={quote(next_url, safe='/')}", label="Čeština" if other == "cs" else "English")],
    )


def password_page(lang: str, *, csrf_token: str, message: str | None = None, message_kind: str = "danger") -> str:
    _ = translator(lang)
    return _render(
        lang, title=_("Change password"), action=f"/account/password?lang={lang}", submit=_("Change password"),
        csrf_token=csrf_token, message=message, message_kind=message_kind,
        fields=[
            dict(name="current", label=_("Current password"), type="password", autocomplete="current-password",
                 value=""),
            dict(name="new", label=_("New password"), type="password", autocomplete="new-password", value=""),
            dict(name="repeat", label=_("New password again"), type="password", autocomplete="new-password",
                 value=""),
        ],
        links=[dict(href="/", label=_("Back to Callboard"))],
    )

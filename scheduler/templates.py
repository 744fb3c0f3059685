"""The editable email template: subject and body with placeholders, rendered in a
Jinja2 sandbox.

Templates come from an administrator's form, so they are untrusted code: they are
rendered by ``ImmutableSandboxedEnvironment`` over a context of plain strings and
numbers only (no settings, no objects), so ``{{ name.__class__ }}`` renders as nothing and
calling anything unsafe raises ``SecurityError``; ``check()`` refuses, before saving, a
template that does not parse, names an unknown placeholder or fails to render. The HTML
body is the same text, HTML-escaped, with the two links as anchors and line breaks kept.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from data import db
from data import schema as s

PLACEHOLDERS = {
    "name": "Report_1",
    "report": "Extension call statistics",
    "period": "2026-11-01 – 2026-11-25",
    "period_from": "2026-11-01",
    "period_to": "2026-11-25",
    "record_count": 120,
    "total_count": 120,
    "capped": False,
    "format": "PDF",
    "filename": "extension-statistics_2026-11-01_2026-11-25.pdf",
    "download_link": "https://callboard.example/files/TOKEN",
    "view_link": "https://callboard.example/view/TOKEN",
    "expires": "2026-11-28 10:00 (Europe/Prague)",
    "generated": "2026-11-25 10:00 (Europe/Prague)",
}

DEFAULTS = {
    "en": (
        "{{ name }}: {{ report }}, {{ period }}",
        "Hello,\n\n"
        "here is \"{{ name }}\": {{ report }} for {{ period }}, generated {{ generated }}.\n"
        "{% if capped %}The file holds the first {{ record_count }} of {{ total_count }} records.\n{% endif %}"
        "\n"
        "Download the file ({{ format }}): {{ download_link }}\n"
        "View it in the browser: {{ view_link }}\n"
        "\n"
        "Both links are valid until {{ expires }}.\n"
        "\n"
        "Callboard\n",
    ),
    "cs": (
        "{{ name }}: {{ report }}, {{ period }}",
        "Dobrý den,\n\n"
        "posíláme „{{ name }}“: {{ report }} za období {{ period }}, vytvořeno {{ generated }}.\n"
        "{% if capped %}Soubor obsahuje prvních {{ record_count }} z {{ total_count }} záznamů.\n{% endif %}"
        "\n"
        "Stáhnout soubor ({{ format }}): {{ download_link }}\n"
        "Zobrazit v prohlížeči: {{ view_link }}\n"
        "\n"
        "Oba odkazy platí do {{ expires }}.\n"
        "\n"
        "Callboard\n",
    ),
}

_text_env = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_html_env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


class TemplateInvalid(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def check(subject: str, body: str) -> None:
    """Raise TemplateInvalid (field, reason) unless both parse, use only known placeholders
    and render on the sample context."""
    for field, source in (("subject", subject), ("body", body)):
        if not source.strip():
            raise TemplateInvalid(field, "empty")
        try:
            unknown = meta.find_undeclared_variables(_text_env.parse(source)) - set(PLACEHOLDERS)
            if unknown:
                raise TemplateInvalid(field, "unknown placeholder: " + ", ".join(sorted(unknown)))
            _text_env.from_string(source).render(PLACEHOLDERS)
        except TemplateInvalid:
            raise
        except TemplateError as exc:  # syntax errors and SecurityError
            raise TemplateInvalid(field, f"{exc.__class__.__name__}: {exc}") from exc
        except Exception as exc:  # a template cannot crash the sender: refuse it instead
            raise TemplateInvalid(field, f"{exc.__class__.__name__}: {exc}") from exc


def render(subject: str, body: str, context: dict) -> RenderedMail:
    ctx = {k: context.get(k, v) for k, v in PLACEHOLDERS.items()}
    subj = " ".join(_text_env.from_string(subject).render(ctx).split())  # one header line
    text = _text_env.from_string(body).render(ctx)
    marked = dict(ctx, download_link="\x00D\x00", view_link="\x00V\x00")
    body_html = _html_env.from_string(body).render(marked)
    for mark, url in (("\x00D\x00", ctx["download_link"]), ("\x00V\x00", ctx["view_link"])):
        u = html.escape(str(url), quote=True)
        body_html = body_html.replace(mark, f'<a href="{u}">{u}</a>')
    body_html = ('<html><body style="font-family: sans-serif">'
                 + body_html.replace("\n", "<br>\n") + "</body></html>")
    return RenderedMail(subj, text, body_html)


def stored(kind: str, language: str, engine=None) -> tuple[str, str]:
    """The saved template for (kind, language), or the built-in default."""
    t = s.email_template
    rows = db.fetch_all(sa.select(t.c.subject, t.c.body).where(t.c.kind == kind, t.c.language == language), engine)
    if rows:
        return rows[0].subject, rows[0].body
    return DEFAULTS.get(language, DEFAULTS["en"])


def save(kind: str, language: str, subject: str, body: str, *, user_id=None, engine=None) -> None:
    check(subject, body)
    t = s.email_template
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with db.transaction(engine) as conn:
        n = conn.execute(t.update().where(t.c.kind == kind, t.c.language == language)
                         .values(subject=subject, body=body, updated_utc=now, updated_by=user_id)).rowcount
        if not n:
            conn.execute(t.insert().values(kind=kind, language=language, subject=subject, body=body,
                                           updated_utc=now, updated_by=user_id))


def render_for(kind: str, language: str, context: dict, engine=None) -> RenderedMail:
    """The stored template rendered; a stored template that fails (it passed check() when
    saved, so only an edge case) falls back to the default, so the mail still goes out."""
    subject, body = stored(kind, language, engine)
    try:
        return render(subject, body, context)
    except Exception:
        return render(*DEFAULTS.get(language, DEFAULTS["en"]), context)

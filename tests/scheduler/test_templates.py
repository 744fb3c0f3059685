"""The email template is untrusted input: rendered in a sandbox, refused before saving when
it reaches for Python objects, names unknown placeholders or does not parse."""

from __future__ import annotations

import pytest

from scheduler import templates
from scheduler.templates import PLACEHOLDERS, TemplateInvalid, check, render


@pytest.mark.parametrize("body", [
    "{{ name.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__() }}",
    "{{ download_link.format.__globals__ }}",
    "{{ config }}",
    "{{ settings.secret_key }}",
    "{% for x in range(10**9) %}{% endfor %}{{ name",
    "{{ lipsum.__globals__['os'] }}",
])
def test_templates_reaching_python_are_refused(body):
    with pytest.raises(TemplateInvalid) as exc:
        check("Subject {{ name }}", body)
    assert exc.value.field == "body"


def test_a_bad_template_in_the_database_falls_back_to_the_default(engine):
    """Written around check() (straight into the table): rendering it raises in the sandbox,
    and the mail still goes out with the default text — never with an object in it."""
    from datetime import datetime

    from jinja2.exceptions import SecurityError

    from data import db
    from data import schema as s

    with pytest.raises(SecurityError):
        render("{{ name }}", "[{{ name.__class__ }}]", {"name": "R"})
    with db.transaction() as conn:
        conn.execute(s.email_template.insert().values(kind="report", language="en", subject="{{ name }}",
                                                      body="{{ name.__class__.__mro__ }}",
                                                      updated_utc=datetime(2026, 11, 26)))
    mail = templates.render_for("report", "en", dict(PLACEHOLDERS, name="R"))
    assert mail.text.startswith("Hello,") and "class" not in mail.text


def test_default_templates_render_both_links_and_the_capped_note():
    ctx = dict(PLACEHOLDERS, capped=True, record_count="5 000", total_count="12 345",
               download_link="https://x/files/T?a=1&b=2", view_link="https://x/view/T")
    en = render(*templates.DEFAULTS["en"], ctx)
    assert "The file holds the first 5 000 of 12 345 records." in en.text
    assert "https://x/files/T?a=1&b=2" in en.text and "https://x/view/T" in en.text
    assert '<a href="https://x/files/T?a=1&amp;b=2">' in en.html
    cs = render(*templates.DEFAULTS["cs"], dict(ctx, capped=False))
    assert "Stáhnout soubor" in cs.text and "prvních" not in cs.text
    for lang in ("en", "cs"):
        check(*templates.DEFAULTS[lang])


def test_html_body_escapes_values():
    mail = render("{{ name }}", "Hi {{ name }}", {"name": "<script>alert(1)</script>"})
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert mail.subject == "<script>alert(1)</script>"  # a header is text, not HTML


def test_saved_template_is_used_and_a_bad_one_is_not_saved(engine):
    templates.save("report", "en", "Hello {{ name }}", "Body {{ download_link }}")
    assert templates.stored("report", "en") == ("Hello {{ name }}", "Body {{ download_link }}")
    with pytest.raises(TemplateInvalid):
        templates.save("report", "en", "Hello {{ name }}", "{{ name.__class__.__mro__ }}")
    assert templates.stored("report", "en") == ("Hello {{ name }}", "Body {{ download_link }}")
    assert templates.stored("cdr", "cs") == templates.DEFAULTS["cs"]


@pytest.mark.parametrize("body, limit", [
    ("{{ 'a' * 50000000 }}", "longer than 50000 characters"),  # the 50 MB preview
    ("{{ ('a' * 9999)|list|join('b' * 9999) }}", "longer than 50000 characters"),  # 100 MB from one join
    ("{{ ('aaaa' * 10000).replace('a', 'bbbbbbbbbb') }}", "longer than 50000 characters"),
    ("{% for a in 'x' * 400 %}{% for b in 'y' * 400 %}{% endfor %}{% endfor %}", "more than 100000 steps"),
    ("{% for i in range(10**9) %}{% endfor %}", "more than 100000 steps"),
    ("{{ '{:>99999}'.format(1) }}", "width or count of 99999"),
    ("{{ '%.5000f' % 1 }}", "width or count of 5000"),
    ("{{ name|center(100000000) }}", "width or count of 100000000"),
    ("{{ 9**9**9 }}", "number larger than"),
    ("{% for i in range(1000) %}{{ name * 10 }}{% endfor %}", "longer than 50000 characters"),  # the output
])
def test_templates_over_the_render_limits_are_refused_quickly(body, limit):
    """Issue 15: the preview rendered {{ 'a' * 50000000 }} (50 MB). Each of these is refused
    by the sandbox's limits before it builds the text (or runs the loop) — with the limit
    named, translatably, for the message under the field."""
    with pytest.raises(TemplateInvalid) as exc:
        check("Subject {{ name }}", body)
    assert exc.value.field == "body" and limit in exc.value.reason
    assert exc.value.msgid in (templates.TOO_LONG, templates.TOO_MANY_STEPS, templates.TOO_BIG, templates.TOO_WIDE)
    with pytest.raises(TemplateInvalid) as exc:
        check(body, "Body")
    assert exc.value.field == "subject"


def test_templates_within_the_limits_still_render():
    body = ("{% for i in range(3) %}{{ loop.index }}. {{ name|upper }}\n{% endfor %}"
            "{{ 'Calls in 2026: {:,}'.format(250000) }} / {{ '%05d'|format(record_count) }} / "
            "{{ ['a', 'b']|join(', ') }} / {{ 'x' * 49000 }}")
    check("{{ name }}", body)
    text = render("{{ name }}", body, PLACEHOLDERS).text
    assert text.startswith("1. REPORT_1\n2. REPORT_1\n3. REPORT_1\nCalls in 2026: 250,000 / 00120 / a, b / xxx")
    assert len(text) == 49000 + len("1. REPORT_1\n") * 3 + len("Calls in 2026: 250,000 / 00120 / a, b / ")
    # The step budget is per render: two renders in a row each get the whole of it.
    loop = "{% for a in range(300) %}{% for b in range(300) %}{% endfor %}{% endfor %}"
    check("s", loop)
    check("s", loop)

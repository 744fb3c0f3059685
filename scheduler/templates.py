"""The editable email template: subject and body with placeholders, rendered in a
Jinja2 sandbox.

Templates come from an administrator's form, so they are untrusted code: they are
rendered by ``ImmutableSandboxedEnvironment`` over a context of plain strings and
numbers only (no settings, no objects), so ``{{ name.__class__ }}`` renders as nothing and
calling anything unsafe raises ``SecurityError``; ``check()`` refuses, before saving, a
template that does not parse, names an unknown placeholder or fails to render. The HTML
body is the same text, HTML-escaped, with the two links as anchors and line breaks kept.

The sandbox also bounds the work of a render (``{{ 'a' * 50000000 }}`` made 50 MB, issue
15): at most MAX_OPERATIONS steps (loop rounds, calls, filters and operators, counted per
render), no text or list longer than MAX_CHARS — checked before ``*``, ``+``, ``%``,
``join``, ``replace`` and the padding methods and filters build one, and on every value
made — no number above MAX_NUMBER, padding widths and counts (``center``, ``indent``,
``wordwrap``, format specs such as ``{:>20}`` / ``%20s``, ...) of at most MAX_WIDTH,
``range`` of at most MAX_OPERATIONS, and the rendered text itself at most MAX_CHARS. Over a limit: TemplateLimit,
refused by ``check()`` with the limit named.
"""

from __future__ import annotations

import functools
import html
import math
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from callboard.core.i18n import N_
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

MAX_OPERATIONS = 100_000
MAX_CHARS = 50_000  # of any text or list made, and of the rendered subject or body
MAX_NUMBER = 10**15
MAX_WIDTH = 1_000  # padding widths, indents, repeat counts given to a filter or method
LOOP_GUARD = "_callboard_loop_guard"  # wraps every {% for %}'s iterable (counts its rounds)


class TemplateLimit(SecurityError):
    """A render went over one of the limits: msgid (translatable) + params."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid.format(**params))
        self.msgid, self.params = msgid, params


TOO_LONG = N_("it would make a text longer than {limit} characters")
TOO_MANY_STEPS = N_("it takes more than {limit} steps to render (loop rounds, calls, filters)")
TOO_BIG = N_("it would compute a number larger than {limit}")
TOO_WIDE = N_("it asks for a width or count of {value} (at most {limit})")


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_OPERATIONS

    def tick(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise TemplateLimit(TOO_MANY_STEPS, limit=MAX_OPERATIONS)


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def _size(value) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


def _check_value(value):
    size = _size(value)
    if size is not None and size > MAX_CHARS:
        raise TemplateLimit(TOO_LONG, limit=MAX_CHARS)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise TemplateLimit(TOO_BIG, limit=MAX_NUMBER)
    return value


def _check_width(value) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise TemplateLimit(TOO_WIDE, value=value, limit=MAX_WIDTH)


def _check_estimate(chars: int) -> None:
    if chars > MAX_CHARS:
        raise TemplateLimit(TOO_LONG, limit=MAX_CHARS)


_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")  # "{name:>20}" -> ">20"
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*([0-9]*)(?:\.([0-9]*))?")  # "%-20.5s" -> 20, 5
_WIDTH_NAMES = frozenset({"center", "ljust", "rjust", "zfill", "indent", "wordwrap", "truncate", "batch", "slice",
                          "expandtabs"})


def _check_format(fmt: str, *, printf: bool) -> None:
    """Widths and precisions in a format string (``str.format`` / ``%``) of at most MAX_WIDTH."""
    if printf:
        numbers = [n for pair in _PRINTF_SPEC.findall(fmt) for n in pair if n]
    else:
        numbers = [n for spec in _BRACE_SPEC.findall(fmt) for n in re.findall(r"[0-9]+", spec)]
    for n in numbers:
        _check_width(int(n))


def _before_call(name: str, subject, args, kwargs, *, is_filter: bool = False) -> None:
    """Size checks before a call that could make a long text out of short ones: a method of
    `subject` (a text), or the filter `name` with `subject` the filtered value."""
    if name in _WIDTH_NAMES:
        for value in (*args, *kwargs.values()):
            _check_width(value)
    if name == "join" and (is_filter or isinstance(subject, str)):
        items, sep = (subject, args[0] if args else kwargs.get("d", "")) if is_filter else \
            (args[0] if args else (), subject)
        items = items if isinstance(items, (str, list, tuple)) else list(items)
        _check_estimate(sum(len(str(x)) for x in items) + len(str(sep)) * max(0, len(items) - 1))
    elif not isinstance(subject, str):
        return
    elif name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        _check_estimate(len(subject) + (subject.count(old) if old else len(subject) + 1) * len(new))
    elif name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        _check_estimate(len(subject) + (subject.count("\n") + 1) * pad)
    elif name in ("format", "format_map"):
        _check_format(subject, printf=is_filter)  # the format filter is printf-style
    elif name == "expandtabs":
        _check_estimate(len(subject) + subject.count("\t") * (args[0] if args and isinstance(args[0], int) else 8))


class _LimitedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with the render limits of the module docstring."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.globals["range"] = _range
        self.globals[LOOP_GUARD] = _loop_guard
        self.filters = {name: _limited_filter(name, f) for name, f in self.filters.items()}

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(LOOP_GUARD, "load", lineno=loop.lineno), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        tree.set_environment(self)
        return tree

    def call_binop(self, context, operator, left, right):
        _tick()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if _size(seq) is not None and isinstance(count, int):
                    _check_estimate(_size(seq) * count)
        elif operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
            if abs(left) > 1 and right > 0 and right * math.log10(abs(left)) > math.log10(MAX_NUMBER):
                raise TemplateLimit(TOO_BIG, limit=MAX_NUMBER)
        elif operator == "+" and _size(left) is not None and _size(right) is not None:
            _check_estimate(_size(left) + _size(right))
        elif operator == "%" and isinstance(left, str):
            _check_format(left, printf=True)
        return _check_value(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        _tick()
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox's str.format wrapper: the method
        _before_call(getattr(method, "__name__", ""), getattr(method, "__self__", None), args, kwargs)
        return _check_value(super().call(__context, __obj, *args, **kwargs))


def _loop_guard(iterable):
    for item in iterable:
        _tick()
        yield item


def _range(*args):
    rng = range(*args)
    if len(rng) > MAX_OPERATIONS:
        raise TemplateLimit(TOO_MANY_STEPS, limit=MAX_OPERATIONS)
    return rng


def _limited_filter(name, f):
    @functools.wraps(f)  # keeps Jinja's pass_context / pass_environment marks
    def limited(*args, **kwargs):
        _tick()
        passed = getattr(f, "jinja_pass_arg", None)
        own = args[1:] if passed is not None else args  # without the context / environment
        if own:
            _before_call(name, own[0], own[1:], kwargs, is_filter=True)
        return _check_value(f(*args, **kwargs))

    return limited


_text_env = _LimitedSandbox(autoescape=False, undefined=StrictUndefined)
_html_env = _LimitedSandbox(autoescape=True, undefined=StrictUndefined)


def _render(env: _LimitedSandbox, source: str, context: dict) -> str:
    """The template rendered within the limits (steps counted afresh for each render)."""
    token = _budget.set(_Budget())
    try:
        out, size = [], 0
        for piece in env.from_string(source).generate(context):
            size += len(piece)
            if size > MAX_CHARS:
                raise TemplateLimit(TOO_LONG, limit=MAX_CHARS)
            out.append(piece)
        return "".join(out)
    finally:
        _budget.reset(token)


class TemplateInvalid(ValueError):
    """Refused: the field ("subject" / "body") and the reason — English text, or msgid and
    params for the page to translate (the render limits)."""

    def __init__(self, field: str, reason: str, *, msgid: str | None = None, params: dict | None = None):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.msgid, self.params = msgid, params or {}


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
        if len(source) > MAX_CHARS:
            raise TemplateInvalid(field, TOO_LONG.format(limit=MAX_CHARS), msgid=TOO_LONG, params={"limit": MAX_CHARS})
        try:
            unknown = meta.find_undeclared_variables(_text_env.parse(source)) - set(PLACEHOLDERS) - {LOOP_GUARD}
            if unknown:
                raise TemplateInvalid(field, "unknown placeholder: " + ", ".join(sorted(unknown)))
            _render(_text_env, source, PLACEHOLDERS)
        except TemplateInvalid:
            raise
        except TemplateLimit as exc:
            raise TemplateInvalid(field, str(exc), msgid=exc.msgid, params=exc.params) from exc
        except TemplateError as exc:  # syntax errors and SecurityError
            raise TemplateInvalid(field, f"{exc.__class__.__name__}: {exc}") from exc
        except Exception as exc:  # a template cannot crash the sender: refuse it instead
            raise TemplateInvalid(field, f"{exc.__class__.__name__}: {exc}") from exc


def render(subject: str, body: str, context: dict) -> RenderedMail:
    ctx = {k: context.get(k, v) for k, v in PLACEHOLDERS.items()}
    subj = " ".join(_render(_text_env, subject, ctx).split())  # one header line
    text = _render(_text_env, body, ctx)
    marked = dict(ctx, download_link="\x00D\x00", view_link="\x00V\x00")
    body_html = _render(_html_env, body, marked)
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

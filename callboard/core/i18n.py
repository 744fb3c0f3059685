"""Translation layer: every user-visible string goes through ``translator(lang)``.

Catalogs are gettext ``.po`` files under ``callboard/core/locale/<lang>/LC_MESSAGES``; English
is the source language (msgid = English text). Catalogs are read with babel and cached
per process; there is no global ``install`` (each request/callback passes its language).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "cs")
DEFAULT_LANGUAGE = "en"
BABEL_LOCALES = {"en": "en_GB", "cs": "cs_CZ"}


def normalize_lang(lang: str | None) -> str:
    # Not a string (a number from a hand-made callback body): the default, not a crash.
    lang = (lang if isinstance(lang, str) else "").lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def _catalog(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def gettext(lang: str | None, message: str, **params) -> str:
    text = _catalog(normalize_lang(lang)).get(message, message)
    return text.format(**params) if params else text


def translator(lang: str | None) -> Callable[..., str]:
    """``_ = translator(lang); _("Call records")`` — with ``{name}`` placeholders as kwargs."""
    lang = normalize_lang(lang)

    def _(message: str, **params) -> str:
        return gettext(lang, message, **params)

    return _


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (constants, registries)."""
    return message

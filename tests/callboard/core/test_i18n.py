"""The Czech catalog covers every string the code marks for translation.

The msgids are extracted from the code with babel (keywords ``_`` and ``N_``), exactly as a
translator's tooling would; a new user-visible string without a Czech translation fails
here, listing what is missing.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from callboard.core import i18n
from callboard.reports.figures import DIRECTION_LABELS
from callboard.core.i18n import gettext, translator

ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIRS = ("callboard", "dashboards", "data", "exporters")
PO_PATH = ROOT / "callboard" / "core" / "locale" / "cs" / "LC_MESSAGES" / "messages.po"


def extracted_msgids() -> dict[str, str]:
    """msgid -> first place it is used ("path:line")."""
    found: dict[str, str] = {}
    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / folder),
            method_map=[("**.py", "python")],
            keywords={"_": None, "N_": None},
        ):
            if isinstance(message, tuple):  # plural forms: the singular is the msgid
                message = message[0]
            found.setdefault(message, f"{folder}/{filename}:{lineno}")
    return found


def po_catalog():
    with PO_PATH.open("rb") as fh:
        return read_po(fh, locale="cs")


def placeholders(text: str) -> set[str]:
    return {field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None}


@pytest.fixture(scope="module")
def msgids() -> dict[str, str]:
    ids = extracted_msgids()
    assert len(ids) > 50, "extraction found suspiciously few strings"
    return ids


@pytest.fixture(scope="module")
def translations() -> dict[str, str]:
    return {m.id: m.string for m in po_catalog() if m.id}


def test_po_file_is_utf8_and_not_fuzzy():
    raw = PO_PATH.read_bytes()
    raw.decode("utf-8")  # raises if not UTF-8
    catalog = po_catalog()
    assert catalog.charset.lower() == "utf-8"
    assert str(catalog.locale) == "cs"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are ignored at runtime: {fuzzy}"


def test_every_msgid_has_a_czech_translation(msgids, translations):
    missing = [f"{where}: {msgid!r}" for msgid, where in msgids.items() if not translations.get(msgid, "").strip()]
    assert not missing, "msgids without a Czech translation in messages.po:\n" + "\n".join(missing)


def test_strings_translated_through_lookup_tables_are_in_the_catalog(translations):
    # Labels kept in dicts and passed to _() later cannot be found by extraction.
    missing = [label for label in DIRECTION_LABELS.values() if not translations.get(label)]
    assert not missing


def test_placeholders_match(translations):
    wrong = []
    for msgid, msgstr in translations.items():
        if not msgstr:
            continue
        if placeholders(msgid) != placeholders(msgstr):
            wrong.append(f"{msgid!r}: {sorted(placeholders(msgid))} vs {sorted(placeholders(msgstr))}")
            continue
        params = {name: "X" for name in placeholders(msgid)}
        if params:
            msgstr.format(**params)  # must not raise (unbalanced braces, bad spec)
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_translations_look_czech(translations):
    # Czech text is not a copy of the English one; some entries legitimately match
    # (names and abbreviations: SMS, WhatsApp, Interval), but only a few.
    same = [m for m, s in translations.items() if s == m]
    assert len(same) <= max(5, len(translations) // 20), same
    assert any(ch in "".join(translations.values()) for ch in "ěščřžýáíéůú")


def test_runtime_gettext_returns_czech():
    i18n._catalog.cache_clear()
    assert gettext("cs", "Call records") == "Záznamy hovorů"
    assert gettext("cs", "Recordings") == "Nahrávky"
    assert gettext("cs", "Wallboard") == "Nástěnka"
    assert gettext("cs", "Email template") == "Šablona e-mailu"
    assert gettext("cs", "Download list") == "Seznam ke stažení"
    assert gettext("cs-CZ", "External chats") == "Externí chaty"
    _ = translator("cs")
    assert _("Times are in the PBX time zone ({tz}).", tz="Europe/Prague") == (
        "Časy jsou uvedeny v časovém pásmu ústředny (Europe/Prague)."
    )


def test_english_and_unknown_languages_return_the_source_text():
    assert gettext("en", "Call records") == "Call records"
    assert gettext("de", "Call records") == "Call records"
    assert gettext(None, "Not built yet.") == "Not built yet."
    assert gettext("cs", "A string nobody translated") == "A string nobody translated"

"""The report registry is the one place a report is defined: every entry has a page at its
path, a name the report command accepts, a title and summary in every language, a file
export, the same title in the menu, and the level its pages are guarded by."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from callboard.cli import app as cli_app
from callboard.core.i18n import LOCALE_DIR
from callboard.reports import registry
from callboard.reports.registry import REPORTS
from data.access import policy
from data.queries.report_filter import ReportFilter
from data.scope import Scope

IDS = [r.id for r in REPORTS]


def test_ids_are_unique_and_every_id_has_one_prefix():
    assert len(set(IDS)) == len(IDS) == 12
    assert len({r.prefix for r in REPORTS}) == len(REPORTS)
    assert registry.IDS == tuple(IDS)
    with pytest.raises(ValueError, match="unknown report 'nope'"):
        registry.get("nope")


def test_every_entry_names_a_runner_and_a_figure_builder_that_exist():
    for r in REPORTS:
        assert callable(r.runner) and r.runner.__name__ == r.runner_name, r.id
        assert callable(r.figures) and r.figures.__name__ == r.figures_name, r.id


def test_the_registry_is_light_enough_for_the_command_line_to_list_it():
    """`callboard --help` reads the registry: importing it loads no pandas, plotly or SQLAlchemy."""
    import subprocess
    import sys

    code = ("import sys, callboard.reports.registry as r; assert len(r.IDS) == 12; "
            "print(sorted(m for m in ('pandas', 'plotly', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_report_has_its_page_at_its_path(db_url):
    import dash

    from app import create_app

    create_app()
    pages = {p["module"]: p for p in dash.page_registry.values()}
    for r in REPORTS:
        page = pages.get(r.page_module)
        assert page is not None, f"{r.id}: no page module {r.page_module}"
        assert page["path"] == r.path
        assert __import__(r.page_module, fromlist=["PAGE"]).PAGE.entry is r


def test_the_menu_and_the_schedules_offer_the_registered_reports_under_their_titles():
    from callboard.web import navigation, schedule_ui

    assert [(s.path, s.title, s.summary) for s in navigation.REPORTS] == [(r.path, r.title, r.summary) for r in REPORTS]
    assert schedule_ui._report_types() == IDS


def test_every_title_and_summary_is_translated():
    for lang in ("cs",):
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
            catalog = read_po(fh, locale=lang)
        for r in REPORTS:
            for msgid in (r.title, r.summary, *(o.label for o in r.options)):
                msg = catalog.get(msgid)
                assert msg is not None and msg.string, f"{r.id}: {msgid!r} has no {lang} translation"


def test_pages_are_guarded_at_the_registered_level():
    for r in REPORTS:
        assert policy.page_level(r.path) == r.level


def test_the_report_command_accepts_every_registered_report_and_no_other(db_url, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(cli_app, ["report", "nope", "--from", "2026-05-04", "--to", "2026-05-05", "-o",
                                  str(tmp_path / "x.csv")])
    assert bad.exit_code == 2 and f"one of: {', '.join(IDS)}" in bad.output
    for r in REPORTS:
        out = tmp_path / f"{r.id}.csv"
        res = runner.invoke(cli_app, ["report", r.id, "--from", "2026-05-04", "--to", "2026-05-05", "-o", str(out)])
        assert res.exit_code == 0, (r.id, res.output)
        assert next(csv.reader(out.open(encoding="utf-8"))), r.id  # a header row


def test_every_report_exports_to_every_file_format_named_by_its_id(db_url):
    from exporters.files import build_report_file

    flt = ReportFilter(date(2026, 5, 4), date(2026, 5, 5))
    for r in REPORTS:
        f = build_report_file(r.id, flt, fmt="csv", lang="cs", scope=Scope.everything(), tz=None)
        assert f.filename == f"{r.id}_2026-05-04_2026-05-05.csv"
        header = next(csv.reader(io.StringIO(f.content.decode("utf-8"))))
        assert header and all(header), r.id
        x = build_report_file(r.id, flt, fmt="xlsx", lang="en", scope=Scope.everything(), tz=None)
        assert x.content[:2] == b"PK" and x.filename.endswith(".xlsx")

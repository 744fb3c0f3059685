"""Report and call-record files (exporters.files): CSV and XLSX read back and compared with
the hand-checked data; PDFs read back with pypdf (numbers, Czech text, repeated table
header, capped note), rendered with pdftoppm, charts as vectors, and a missing or stuck
Chromium giving a note instead of a chart — within the timeout.

Report data: tests.data.test_reports (hand-counted PBX day, 2026-05-04/05). Inbound only:
  101 Alice  c1 answered (talk 120, hold 10), c2 no answer   -> 2 calls
  102 Bob    c3 busy                                         -> 1
  103        c6 voicemail                                    -> 1
  104        c7 abandoned, c10 answered (talk 30)            -> 2
Call records: tests.calls_data (local day 2026-03-10 in Prague = c6, c1, c2, c3, c4).
"""

from __future__ import annotations

import csv
import io
import re
import stat
import subprocess
import time
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from typer.testing import CliRunner
from zoneinfo import ZoneInfo

from callboard.cli import app
from callboard.core.i18n import gettext
from callboard.core.settings import reset_settings_cache
from data import db
from data import schema as s
from data.queries.calls import ALL_COLUMNS, CallFilter
from data.queries.report_filter import ReportFilter
from data.scope import Scope
from data.timebuckets import local_day_bounds_utc
from exporters import files
from exporters.figure_export import shutdown
from exporters.files import build_cdr_file, build_report_file
from tests.calls_data import insert_calls
from tests.conftest import _fresh_database
from tests.data.test_queue_reports import D4 as D4Q, queues  # noqa: F401  (fixture)
from tests.data.test_reports import D4, D5, pbx  # noqa: F401  (fixture)

TZ = ZoneInfo("Europe/Prague")
ALL = Scope.everything()
INBOUND = ReportFilter(D4, D5, directions=("inbound",))
MARCH_10 = CallFilter(*local_day_bounds_utc(date(2026, 3, 10), date(2026, 3, 10), TZ))
# extension, name, calls, answered, no_answer, busy, failed, voicemail, abandoned, talk, avg talk, hold
# The average talk time (column 10) keeps one decimal in every format (issue 14, rule 9).
INBOUND_STATS = [
    ["101", "Alice", 2, 1, 1, 0, 0, 0, 0, 120, 120.0, 10],
    ["102", "Bob", 1, 0, 0, 1, 0, 0, 0, 0, None, 0],
    ["103", "", 1, 0, 0, 0, 0, 1, 0, 0, None, 0],
    ["104", "", 2, 1, 0, 0, 0, 0, 1, 30, 30.0, 0],
]


@pytest.fixture
def sqlite_url(request, tmp_path, monkeypatch):
    """A fresh SQLite database: for the PDF layer (its data path is covered on both databases)."""
    yield from _fresh_database("sqlite", request, tmp_path, monkeypatch)


def _fill_pbx(url):
    """The rows of tests.data.test_reports' pbx fixture (which runs on both databases)."""
    from data import aggregates
    from tests.data.test_reports import CALLS

    engine = db.get_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
        conn.execute(sa.insert(s.call), CALLS)
        conn.execute(sa.insert(s.extension), [dict(source_id=1, number="101", name="Alice"),
                                              dict(source_id=1, number="102", name="Bob")])
        aggregates.refresh(conn, datetime(2026, 3, 1), datetime(2026, 11, 1))
    return engine


def report(fmt, lang="en", flt=INBOUND, kind="extension-statistics", **kw):
    return build_report_file(kind, flt, fmt=fmt, lang=lang, scope=ALL, tz=TZ, **kw)


def cdr(fmt, lang="en", flt=MARCH_10, **kw):
    return build_cdr_file(flt, fmt=fmt, lang=lang, scope=ALL, tz=TZ, **kw)


def sheet_rows(content: bytes):
    """(rows above the header, header, data rows) of the first sheet, values typed."""
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    top_row = ws.freeze_panes  # e.g. "A9": the header is the row above
    header_at = int(top_row[1:]) - 2
    return rows[:header_at], rows[header_at], rows[header_at + 1:]


def pdf_pages(content: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(content)).pages]


# --------------------------------------------------------------------------- reports: CSV, XLSX (both databases)


def test_report_csv_and_xlsx_hold_the_database_numbers(pbx):  # noqa: F811
    made = report("csv")
    assert made.filename == "extension-statistics_2026-05-04_2026-05-05.csv"
    assert made.mimetype.startswith("text/csv") and made.rows_total == made.rows_included == 4
    rows = list(csv.reader(io.StringIO(made.content.decode("utf-8"))))
    assert rows[0][:3] == ["Extension", "Name", "Calls"] and rows[0][9] == "Talk time [s]"
    assert rows[1:] == [[str(v) if v is not None else "" for v in r] for r in INBOUND_STATS]

    made = report("xlsx", lang="cs")
    assert made.filename.endswith(".xlsx") and made.rows_included == 4
    top, header, data = sheet_rows(made.content)
    assert top[0][0] == "Statistika hovorů poboček"
    assert "Typ komunikace: Příchozí" in [r[0] for r in top]
    assert header[:4] == ["Pobočka", "Jméno", "Hovory", "Přijaté"]
    for got, want in zip(data, INBOUND_STATS):
        assert got[:9] == [want[0], want[1] or None, *want[2:9]]  # counts are numbers
        # Durations are Excel times ([h]:mm:ss), which openpyxl reads back as timedeltas.
        assert got[9:] == [None if v is None else timedelta(seconds=v) for v in want[9:]]
    assert len(data) == 4


# --------------------------------------------------------------------------- call records: CSV, XLSX (both databases)


def test_cdr_xlsx_typed_cells_oldest_first(engine):
    insert_calls()
    made = cdr("xlsx", lang="cs", columns=ALL_COLUMNS)
    assert made.filename == "call-records_2026-03-10_2026-03-10.xlsx"
    assert (made.rows_total, made.rows_included) == (5, 5)
    top, header, data = sheet_rows(made.content)
    assert top[0][0] == "Záznamy hovorů" and not any("z 5" in str(r[0]) for r in top)
    assert header[0] == "Začátek (Europe/Prague)" and header[5] == "Délka (s)" and header[-1] == "Přepojeno na"
    uid = header.index("ID hovoru")
    assert [r[uid] for r in data] == ["c6", "c1", "c2", "c3", "c4"]
    # c6 started 23:59:59 UTC on 9 March = 00:59:59 on 10 March in Prague; a real date cell.
    assert data[0][0] == datetime(2026, 3, 10, 0, 59, 59)
    assert data[1][:6] == [datetime(2026, 3, 10, 9, 0), "+420601111111", "Alice Nováková", "100", "Reception", 60]
    status = header.index("Stav")
    assert [r[status] for r in data] == ["Obsazeno", "Přijaté", "Přijaté", "Nepřijato", "Opuštěno"]


def test_capped_cdr_files_say_n_of_m(engine, monkeypatch):
    insert_calls()
    monkeypatch.setitem(files.CDR_CAPS, "xlsx", 2)
    monkeypatch.setitem(files.CDR_CAPS, "csv", 3)
    made = cdr("xlsx")
    assert (made.rows_total, made.rows_included, made.capped) == (5, 2, True)
    top, header, data = sheet_rows(made.content)
    assert "This file holds the first 2 of 5 records." in top[-2][0]
    assert len(data) == 2

    made = cdr("csv", lang="cs")
    assert (made.rows_total, made.rows_included) == (5, 3)
    lines = made.content.decode("utf-8").split("\r\n")
    assert len(lines) == 1 + 3 + 3  # header, 3 records, empty line, the note, end
    assert lines[-2].startswith("Tento soubor obsahuje prvních 3 z 5 záznamů.")


# --------------------------------------------------------------------------- PDF (SQLite; Chromium)


@pytest.fixture
def fake_chromium(tmp_path, monkeypatch):
    """Point the settings at a Chromium that never answers (or at none); restore after."""

    def use(path, timeout_s=1.5):
        monkeypatch.setenv("CALLBOARD_CHROMIUM_PATH", str(path))
        monkeypatch.setenv("CALLBOARD_CHART_TIMEOUT_S", str(timeout_s))
        reset_settings_cache()

    yield use
    shutdown()
    reset_settings_cache()


def test_report_pdf_numbers_czech_charts_as_vectors_and_renders(sqlite_url, tmp_path):
    _fill_pbx(sqlite_url)
    made = report("pdf", lang="cs", generated_at=datetime(2026, 11, 25, 9, 0))
    assert made.filename == "extension-statistics_2026-05-04_2026-05-05.pdf" and made.content[:5] == b"%PDF-"
    text = "\n".join(pdf_pages(made.content))
    for line in ("Statistika hovorů poboček", "Období: 4. 5. 2026 – 5. 5. 2026", "Typ komunikace: Příchozí",
                 "Vytvořeno: 25. 11. 2026 10:00:00 (Europe/Prague)", "Hovory podle stavu", "Hlasová schránka"):
        assert line in text
    assert "Graf není k dispozici" not in text
    assert "33,3%" in text  # the pie's share of answered calls (2 of 6), with the Czech decimal comma
    cells = text.split("\n")
    start = cells.index("101")  # the table: one cell a line, as laid out
    # The average talk time keeps its tenth of a second, as on the page and in the CSV (rule 9).
    assert cells[start:start + 12] == ["101", "Alice", "2", "1", "1", "0", "0", "0", "0", "2:00", "2:00,0", "0:10"]

    # The chart is vector paths and text, not a picture.
    page = PdfReader(io.BytesIO(made.content)).pages[0]
    assert len(page.images) == 0
    ops = page.get_contents().get_data()
    curves = re.findall(rb"(?:-?[\d.]+ ){6}c\b", ops)  # Bézier segments: the pie's slices
    assert len(curves) >= 10

    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(made.content)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
    assert im.size[0] > 400 and len(colours) > 20  # drawn, not a blank page


def test_long_cdr_pdf_repeats_header_and_says_capped(sqlite_url, monkeypatch):
    start = datetime(2026, 3, 10, 6, 0)
    with db.transaction() as conn:
        conn.execute(sa.insert(s.source).values(id=1, name="main"))
        conn.execute(sa.insert(s.call), [
            dict(call_uid=f"x{i}", start_utc=start + timedelta(minutes=i), end_utc=start + timedelta(minutes=i, seconds=i),
                 direction="inbound", status="answered",
                 from_number=f"+42060000{i:04d}", from_name="Příchozí Žofie", to_number="100", extension="101",
                 duration_s=i, ring_s=1, talk_s=i - 1 if i else 0)
            for i in range(130)])
    monkeypatch.setitem(files.CDR_CAPS, "pdf", 120)
    made = cdr("pdf")
    assert (made.rows_total, made.rows_included) == (130, 120)
    pages = pdf_pages(made.content)
    assert len(pages) >= 3
    assert "This file holds the first 120 of 130 records." in pages[0]
    for text in pages[1:]:
        assert "Start (Europe/Prague)" in text and "Caller name" in text  # the header repeats
    everything = "\n".join(pages)
    assert "Příchozí Žofie" in everything
    assert "+420600000119" in everything and "+420600000120" not in everything  # oldest first, first 120


def test_missing_chromium_gives_a_pdf_with_a_note(sqlite_url, fake_chromium, tmp_path):
    _fill_pbx(sqlite_url)
    fake_chromium(tmp_path / "no-such-chromium")
    made = report("pdf", lang="cs", title="Report_1")  # a schedule's name
    text = "\n".join(pdf_pages(made.content))
    assert "\nReport_1\nStatistika hovorů poboček\nObdobí: 4. 5. 2026 – 5. 5. 2026\n" in text  # title, type, period
    assert "Graf není k dispozici (vykreslování grafů neodpovědělo): Hovory podle stavu" in text
    assert "Alice" in text  # the table is still there


def test_stuck_chromium_gives_a_note_within_the_timeout(sqlite_url, fake_chromium, tmp_path):
    _fill_pbx(sqlite_url)
    stuck = tmp_path / "stuck-chromium"
    stuck.write_text("#!/bin/sh\nexec sleep 120\n")
    stuck.chmod(stuck.stat().st_mode | stat.S_IXUSR)
    fake_chromium(stuck, timeout_s=1.5)
    t0 = time.monotonic()
    made = report("pdf", kind="pbx-activity", flt=ReportFilter(D4, D5, by="hour_of_day"))
    elapsed = time.monotonic() - t0
    text = "\n".join(pdf_pages(made.content))
    assert text.count("Chart unavailable (the chart renderer did not answer)") == 2
    # Given up after 1.5 s (plus killing the stuck process); the second chart is not tried again.
    assert elapsed < 8, elapsed
    # The stuck process was killed, not left behind.
    out = subprocess.run(["pgrep", "-f", str(stuck)], capture_output=True, text=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------- CLI


runner = CliRunner()


def test_cli_writes_xlsx_and_pdf(sqlite_url, tmp_path):
    _fill_pbx(sqlite_url)
    out = tmp_path / "es.xlsx"
    r = runner.invoke(app, ["report", "extension-statistics", "--from", "2026-05-04", "--to", "2026-05-05",
                            "--direction", "inbound", "--format", "xlsx", "--lang", "cs", "-o", str(out)])
    assert r.exit_code == 0, r.output
    _top, header, data = sheet_rows(out.read_bytes())
    assert header[0] == "Pobočka" and [row[2] for row in data] == [2, 1, 1, 2]

    out = tmp_path / "cdr.pdf"
    r = runner.invoke(app, ["export", "cdr", "--from", "2026-05-04", "--to", "2026-05-05", "--format", "pdf",
                            "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "Call records" in pdf_pages(out.read_bytes())[0]
    r = runner.invoke(app, ["report", "extension-statistics", "--from", "2026-05-04", "--to", "2026-05-05",
                            "--format", "pdf", "--with-calls", "-o", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "--with-calls" in r.output


def test_unknown_format_is_refused(sqlite_url):
    with pytest.raises(ValueError, match="unknown file format 'docx'"):
        cdr("docx")


# --------------------------------------------------------------------------- one figure in every format


def test_an_average_is_the_same_figure_on_the_page_and_in_every_file(queues):  # noqa: F811
    """Issue 14, rule 9: queue 600 on 4 May has ASA (20+21+5)/3 = 15.33 s, average wait of all
    calls 130/8 = 16.25 s (a half: 16.3 s), service level 2/7 = 28.57 % -> 28.6 %. The page
    table, the CSV, the XLSX and the PDF show the same figure for each (before, the CSV cut
    the ASA to 15 while the XLSX kept 15.33 and the page showed 0:15)."""
    from callboard.reports.registry import run_report
    from callboard.reports.results import display_value

    perf = ReportFilter(D4Q, D4Q, by="queue", queues=["600"])
    result = run_report("queue-performance", ALL, perf, tz=TZ)
    by_key = {c.key: c for c in result.columns}
    row = result.df.to_dict("records")[0]
    assert (row["asa_s"], row["service_level"]) == (15.3, 0.286)
    page = {k: display_value(by_key[k], row[k], "cs") for k in ("asa_s", "service_level", "avg_talk_s")}
    assert page == {"asa_s": "0:15,3", "service_level": "28,6\xa0%", "avg_talk_s": "2:00,0"}

    made = build_report_file("queue-performance", perf, fmt="csv", lang="en", scope=ALL, tz=TZ)
    header, first = list(csv.reader(io.StringIO(made.content.decode("utf-8"))))[:2]
    csv_row = dict(zip(header, first))
    assert (csv_row["ASA [s]"], csv_row["Service level [%]"], csv_row["Average talk time [s]"]) == ("15.3", "28.6",
                                                                                                  "120.0")

    made = build_report_file("queue-performance", perf, fmt="xlsx", lang="cs", scope=ALL, tz=TZ)
    ws = openpyxl.load_workbook(io.BytesIO(made.content)).worksheets[0]
    header_row = int(ws.freeze_panes[1:]) - 1
    names = [c.value for c in ws[header_row]]
    asa = ws.cell(header_row + 1, names.index(gettext("cs", "ASA")) + 1)
    assert asa.number_format == "[h]:mm:ss.0" and asa.value == timedelta(seconds=15.3)
    sl = ws.cell(header_row + 1, names.index(gettext("cs", "Service level")) + 1)
    assert sl.number_format == "0.0%" and sl.value == pytest.approx(0.286, abs=1e-12)

    made = build_report_file("queue-performance", perf, fmt="pdf", lang="cs", scope=ALL, tz=TZ)
    cells = "\n".join(pdf_pages(made.content)).split("\n")
    assert "0:15,3" in cells and "28,6 %" in [c.replace("\xa0", " ") for c in cells]

    # The half case: 16.25 s is 16.3 everywhere (Python's round() and '%.1f' would give 16.2).
    wait = ReportFilter(D4Q, D4Q, by="day", queues=["600"])
    made = build_report_file("queue-wait-talk", wait, fmt="csv", lang="en", scope=ALL, tz=TZ)
    header, first = list(csv.reader(io.StringIO(made.content.decode("utf-8"))))[:2]
    assert dict(zip(header, first))["Average wait (all) [s]"] == "16.3"
    result = run_report("queue-wait-talk", ALL, wait, tz=TZ)
    col = next(c for c in result.columns if c.key == "avg_wait_all_s")
    assert display_value(col, result.df["avg_wait_all_s"][0], "en") == "0:16.3"

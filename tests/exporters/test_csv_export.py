"""CSV export of call records: content equals the database rows for the filter, Excel
variant, formula neutralisation, flat memory, and the `callboard export cdr` command."""

from __future__ import annotations

import csv
import io
import shutil
import tracemalloc
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from callboard.cli import app
from callboard.core.settings import reset_settings_cache
from data import db, schema
from data.queries.calls import ALL_COLUMNS, MAIN_COLUMNS, CallFilter, InvalidFilter, list_calls
from data.scope import Scope
from callboard.core.formatting import neutralise
from exporters.csv_export import csv_filename, iter_cdr_csv
from tests.calls_data import DAY_END, DAY_START, TRANSFERS, TRANSFERS_DAY, insert_calls

ALL = Scope.everything()
DAY = CallFilter(start_utc=DAY_START, end_utc=DAY_END)
PRAGUE = ZoneInfo("Europe/Prague")
HEADER_ALL = [
    "Start (Europe/Prague)", "From", "Caller name", "To", "Callee name", "Duration (s)", "Ring time (s)",
    "Talk time (s)", "Status", "Call ID", "Hung up by", "Hang-up cause", "Source trunk", "Destination trunk",
    "Communication type", "DID", "Outbound caller ID", "Caller IP address", "PIN code", "Transferred to",
]


def parse(data: bytes, delimiter=",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))


def export(filt=DAY, columns=ALL_COLUMNS, **kw) -> bytes:
    return b"".join(iter_cdr_csv(ALL, filt, columns, **kw))


@pytest.fixture
def ids(db_url):
    return insert_calls()


def test_csv_has_every_matching_row_with_local_times(ids):
    rows = parse(export())
    assert rows[0] == HEADER_ALL
    # Newest first, as the page; times in Prague (CET = UTC+1 on 10 March 2026).
    assert rows[1:] == [
        ["2026-03-10 10:00:00", "'+420608999000", "", "600", "", "15", "15", "0", "Abandoned", "c4", "", "", "sip-cetin",
         "", "Inbound", "", "", "", "", ""],
        ["2026-03-10 10:00:00", "101", "", "103", "", "20", "20", "0", "No answer", "c3", "", "", "", "", "Internal",
         "", "", "10.0.0.11", "", ""],
        ["2026-03-10 09:30:00", "102", "Bob", "'+420777222333", "", "120", "5", "115", "Answered", "c2", "Callee", "",
         "", "sip-o2", "Outbound", "", "'+420222000200", "10.0.0.12", "1234", ""],
        ["2026-03-10 09:00:00", "'+420601111111", "Alice Nováková", "100", "Reception", "60", "10", "50", "Answered",
         "c1", "Caller", "normal_clearing", "sip-o2", "", "Inbound", "'+420222000100", "", "", "", ""],
    ]


def test_csv_matches_the_database_for_a_filter(ids):
    filt = CallFilter(start_utc=datetime(2026, 3, 1), end_utc=datetime(2026, 4, 1), statuses=("answered", "voicemail",
                                                                                               "busy"))
    rows = parse(export(filt, ["start", "call_uid", "talk", "status"]))
    # Registry order (as the grid shows them), whatever order they were asked in.
    assert rows[0] == ["Start (Europe/Prague)", "Talk time (s)", "Status", "Call ID"]
    expected = [
        [r.start_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(PRAGUE).strftime("%Y-%m-%d %H:%M:%S"),
         str(r.talk_s), r.status.capitalize(), r.call_uid]
        for r in db.fetch_all(list_calls(ALL, filt, ALL_COLUMNS, limit=None))
    ]
    assert rows[1:] == expected
    assert [r[3] for r in rows[1:]] == ["c5", "c2", "c1", "c6"]


def test_main_columns_by_default_and_czech_labels(ids):
    rows = parse(b"".join(iter_cdr_csv(ALL, DAY, None, lang="cs")))
    assert len(rows[0]) == 9  # start, from + name, to + name, duration, ring, talk, status
    assert rows[0][0] == "Začátek (Europe/Prague)"
    assert [r[8] for r in rows[1:]] == ["Opuštěno", "Nepřijato", "Přijaté", "Přijaté"]
    assert MAIN_COLUMNS[0] == "start"


def test_transfer_target_in_the_csv_masked_for_a_masking_scope(db_url):
    insert_calls(TRANSFERS)
    march_12 = CallFilter(start_utc=TRANSFERS_DAY[0], end_utc=TRANSFERS_DAY[1])
    cols = ["start", "call_uid", "transferred_to"]
    # c8 10:00 UTC = 11:00 Prague, handed to extension 103; c7 09:00 UTC = 10:00, to an
    # outside number (written with the formula apostrophe, as From / To are).
    assert parse(export(march_12, cols)) == [
        ["Start (Europe/Prague)", "Call ID", "Transferred to"],
        ["2026-03-12 11:00:00", "c8", "103"],
        ["2026-03-12 10:00:00", "c7", "'+420731555666"],
    ]
    masked = b"".join(iter_cdr_csv(Scope(all=True, mask_external=True), march_12, cols, lang="cs", excel=True))
    assert list(csv.reader(io.StringIO(masked.decode("utf-8-sig"), newline=""), delimiter=";")) == [
        ["Začátek (Europe/Prague)", "ID hovoru", "Přepojeno na"],
        ["2026-03-12 11:00:00", "c8", "103"],
        ["2026-03-12 10:00:00", "c7", "'+420731••••66"],
    ]


def test_excel_variant_has_bom_semicolons_and_crlf(ids):
    data = export(excel=True)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 5 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == HEADER_ALL
    assert rows[1:] == parse(export())[1:]
    plain = export()
    assert not plain.startswith(b"\xef\xbb\xbf") and plain.count(b"\r\n") == 5


def test_hostile_cells_are_neutralised_but_numbers_are_not(db_url):
    hostile = [
        "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR", "=HYPERLINK(\"http://x\")",
    ]
    extra = [
        dict(call_uid=f"h{i}", start_utc=datetime(2026, 3, 10, 12, i), end_utc=datetime(2026, 3, 10, 12, i, 5),
             direction="inbound", status="answered", from_number="777", from_name=name, duration_s=-5 if i == 0 else 5)
        for i, name in enumerate(hostile)
    ]
    insert_calls(extra)
    rows = parse(export(CallFilter(start_utc=datetime(2026, 3, 10, 12), end_utc=datetime(2026, 3, 10, 13)),
                        ["from", "duration"]))
    by_name = {r[1]: r for r in rows[1:]}
    assert sorted(by_name) == sorted("'" + h for h in hostile)
    assert by_name["'=cmd|' /C calc'!A0"][2] == "-5"  # a negative number stays a number
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows[1:] for cell in r[:2])


def test_neutralise():
    assert neutralise("=1+2") == "'=1+2"
    assert neutralise("Alice") == "Alice"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_invalid_filter_raises_before_any_output(ids):
    with pytest.raises(InvalidFilter):
        next(iter_cdr_csv(ALL, CallFilter(start_utc=DAY_END, end_utc=DAY_START)))


def test_empty_scope_exports_only_the_header(ids):
    rows = parse(b"".join(iter_cdr_csv(Scope.nothing(), DAY, ["call_uid"])))
    assert rows == [["Call ID"]]


def test_filename_names_local_days():
    filt = CallFilter(start_utc=datetime(2026, 2, 28, 23), end_utc=datetime(2026, 3, 31, 22))
    assert csv_filename(filt, PRAGUE) == "call-records_2026-03-01_2026-03-31.csv"


# --------------------------------------------------------------------------- memory


@pytest.fixture
def big_sqlite(tmp_path, monkeypatch, sqlite_template):
    path = tmp_path / "big.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CALLBOARD_DATABASE_URL", url)
    reset_settings_cache()
    engine = db.get_engine(url)
    start = datetime(2026, 1, 1)
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
    rows = (
        (f"u{i}", (start + timedelta(seconds=13 * i)).strftime(fmt), (start + timedelta(seconds=13 * i + 60)).strftime(fmt),
         f"+4206{i:08d}", f"Caller {i}")
        for i in range(200_000)
    )
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.source).values(id=1, name="main"))
        conn.exec_driver_sql(
            "INSERT INTO call (source_id, call_uid, start_utc, end_utc, from_number, from_name, to_number, direction, "
            "status, duration_s, ring_s, talk_s, hold_s, extension, has_recording) "
            "VALUES (1, ?, ?, ?, ?, ?, '100', 'inbound', 'answered', 60, 5, 55, 0, '101', 0)",
            list(rows),
        )
    yield engine
    reset_settings_cache()
    db.dispose_engines()


@pytest.mark.slow
def test_streaming_200k_rows_keeps_memory_flat(big_sqlite):
    tracemalloc.start()
    try:
        size = rows = 0
        for chunk in iter_cdr_csv(ALL, CallFilter(), MAIN_COLUMNS, engine=big_sqlite, excel=True):
            size += len(chunk)
            rows += chunk.count(b"\r\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 200_001
    assert size > 12_000_000  # the output is far larger than the memory it took
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_export_uses_local_days(ids, tmp_path):
    out = tmp_path / "cdr.csv"
    result = runner.invoke(app, ["export", "cdr", "--from", "2026-03-10", "--to", "2026-03-10", "--format", "csv",
                                 "--columns", "start,call_uid", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = parse(out.read_bytes())
    # Local 10 March in Prague is 09 Mar 23:00 – 10 Mar 23:00 UTC: c6 (23:59:59 UTC on the 9th) is in it.
    assert [r[1] for r in rows[1:]] == ["c4", "c3", "c2", "c1", "c6"]
    assert rows[-1] == ["2026-03-10 00:59:59", "c6"]


def test_cli_export_filters_and_excel(ids, tmp_path):
    out = tmp_path / "cdr.csv"
    result = runner.invoke(app, ["export", "cdr", "--from", "2026-03-09", "--to", "2026-03-11", "--extension", "101",
                                 "--status", "answered", "--status", "busy", "--excel", "--format", "csv",
                                 "-o", str(out), "--columns", "all"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == HEADER_ALL
    assert [r[9] for r in rows[1:]] == ["c1", "c6"]

    result = runner.invoke(app, ["export", "cdr", "--from", "2026-03-09", "--to", "2026-03-11", "--direction",
                                 "internal", "--format", "csv", "-o", str(out), "--columns", "call_uid"])
    assert result.exit_code == 0, result.output
    assert parse(out.read_bytes()) == [["Call ID"], ["c3"]]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2026-03-11", "--to", "2026-03-10"], "inverted"),
        (["--from", "10.3.2026", "--to", "2026-03-10"], "YYYY-MM-DD"),
        (["--from", "2026-03-10", "--to", "2026-03-10", "--format", "docx"], "unsupported format"),
        (["--from", "2026-03-10", "--to", "2026-03-10", "--columns", "start,bogus"], "unknown columns"),
    ],
)
def test_cli_export_rejects_bad_input(ids, tmp_path, args, message):
    out = tmp_path / "cdr.csv"
    result = runner.invoke(app, ["export", "cdr", *args, "-o", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()

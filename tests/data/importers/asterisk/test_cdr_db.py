"""`import asterisk-cdr --from-db`: the PBX's own cdr table (here a SQLite file standing in
for MySQL/PostgreSQL), imported into SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from data import schema as s
from data.importers.base import ImportFailed
from data.importers.asterisk.cdr_db import import_cdr_db
from tests.data.importers.asterisk.test_cdr_file import assert_aggregates_match_calls, calls, count

FIX = Path(__file__).parent.parent / "fixtures"
D = datetime


def freepbx_cdr_db(tmp_path: Path, rows: slice = slice(None)) -> str:
    """A FreePBX-style cdr table holding the rows of fixtures/freepbx_export.csv."""
    url = f"sqlite:///{tmp_path / 'asteriskcdrdb.sqlite'}"
    with open(FIX / "freepbx_export.csv", newline="") as fh:
        data = list(csv.reader(fh))
    header, body = data[0], data[1:][rows]
    eng = sa.create_engine(url)
    md = sa.MetaData()
    cols = [sa.Column(h, sa.DateTime if h == "calldate" else
                      sa.Integer if h in ("duration", "billsec", "amaflags", "sequence") else sa.String(255))
            for h in header]
    table = sa.Table("cdr", md, *cols)
    md.create_all(eng)
    with eng.begin() as conn:
        for r in body:
            values = {}
            for h, v in zip(header, r):
                if v == "NULL":
                    values[h] = None
                elif h == "calldate":
                    values[h] = datetime.fromisoformat(v)
                elif h in ("duration", "billsec", "amaflags", "sequence"):
                    values[h] = int(v)
                else:
                    values[h] = v
            conn.execute(table.insert().values(**values))
    eng.dispose()
    return url


def test_from_db_freepbx_table_incremental(engine, tmp_path):
    url = freepbx_cdr_db(tmp_path, slice(0, 2))
    st = import_cdr_db(engine, url, source_tz="Europe/Prague")
    assert (st.lines_read, st.calls_added, st.lines_rejected) == (2, 2, 0)
    jan = calls(engine)["1777878000.20"]  # as from the CSV export: 09:00 CEST = 07:00 UTC
    assert (jan.start_utc, jan.answer_utc, jan.did, jan.has_recording) == (D(2026, 5, 4, 7), D(2026, 5, 4, 7, 0, 8),
                                                                           "0212345670", True)
    # Two more rows arrive; no key column: the recent rows are read again and skipped.
    Path(url.removeprefix("sqlite:///")).unlink()
    url = freepbx_cdr_db(tmp_path)
    st2 = import_cdr_db(engine, url, source_tz="Europe/Prague")
    assert (st2.calls_added, st2.duplicates_skipped) == (2, 2)
    assert count(engine, s.call) == 4
    assert_aggregates_match_calls(engine)
    st3 = import_cdr_db(engine, url, source_tz="Europe/Prague")
    assert st3.calls_added == 0 and count(engine, s.call) == 4


def test_from_db_asterisk_schema_with_id_continues_after_last_id(engine, tmp_path):
    url = f"sqlite:///{tmp_path / 'ast.sqlite'}"
    eng = sa.create_engine(url)
    md = sa.MetaData()
    cdr = sa.Table(
        "cdr", md, sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(n, sa.String(80)) for n in ("accountcode", "src", "dst", "dcontext", "clid", "channel",
                                                  "dstchannel", "lastapp", "lastdata")],
        sa.Column("start", sa.DateTime), sa.Column("answer", sa.DateTime), sa.Column("end", sa.DateTime),
        sa.Column("duration", sa.Integer), sa.Column("billsec", sa.Integer), sa.Column("disposition", sa.String(45)),
        sa.Column("amaflags", sa.String(45)), sa.Column("uniqueid", sa.String(150)),
        sa.Column("linkedid", sa.String(150)), sa.Column("sequence", sa.Integer),
    )
    md.create_all(eng)
    base = dict(accountcode="", src="101", dst="102", dcontext="from-internal", clid='"Bob" <101>',
                channel="PJSIP/101-00000001", dstchannel="PJSIP/102-00000002", lastapp="Dial", lastdata="PJSIP/102",
                amaflags="DOCUMENTATION")
    with eng.begin() as conn:
        conn.execute(cdr.insert().values(id=1, start=D(2026, 2, 2, 9), answer=D(2026, 2, 2, 9, 0, 4),
                                         end=D(2026, 2, 2, 9, 1, 4), duration=64, billsec=60, disposition="ANSWERED",
                                         uniqueid="1.1", linkedid="1.1", sequence=1, **base))
    st = import_cdr_db(engine, url, source_tz="UTC")
    assert (st.calls_added, st.resumed_at) == (1, 0)
    with eng.begin() as conn:
        conn.execute(cdr.insert().values(id=2, start=D(2026, 2, 2, 10), answer=None, end=D(2026, 2, 2, 10, 0, 9),
                                         duration=9, billsec=0, disposition="NO ANSWER", uniqueid="2.1",
                                         linkedid="2.1", sequence=2, **base))
    st2 = import_cdr_db(engine, url, source_tz="UTC")
    assert (st2.lines_read, st2.calls_added, st2.duplicates_skipped, st2.resumed_at) == (1, 1, 0, 1)
    got = calls(engine)
    assert (got["1.1"].direction, got["1.1"].talk_s, got["1.1"].peer_extension) == ("internal", 60, "102")
    assert (got["2.1"].status, got["2.1"].ring_s) == ("no_answer", 9)
    eng.dispose()


def test_from_db_errors_write_nothing(engine, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    sa.create_engine(url).connect().close()
    with pytest.raises(ImportFailed, match="no table 'cdr'"):
        import_cdr_db(engine, url)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notcdr (a TEXT, b TEXT)")
    with pytest.raises(ImportFailed, match="not an Asterisk CDR table"):
        import_cdr_db(engine, url, table="notcdr")
    assert count(engine, s.source) == 0


def test_cli_from_db(db_url, tmp_path):
    from typer.testing import CliRunner

    from callboard.cli import app

    url = freepbx_cdr_db(tmp_path)
    res = CliRunner().invoke(app, ["import", "asterisk-cdr", "--from-db", url, "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "calls added 4" in res.output
    res = CliRunner().invoke(app, ["import", "asterisk-cdr", "--no-progress"])
    assert res.exit_code == 2 and "either a CDR file or --from-db" in res.output
    res = CliRunner().invoke(app, ["import", "asterisk-cdr", "--from-db", url, "--table", "nope", "--no-progress"])
    assert res.exit_code == 2 and "no table 'nope'" in res.output


def test_from_db_missing_driver_is_a_clear_error(engine):
    for url in ("mysql+nosuchdriver9://u:secret@db.example/asteriskcdrdb", "mysql+mysqldb://u:secret@db.example/x"):
        with pytest.raises(ImportFailed, match="driver is not installed|cannot open") as err:
            import_cdr_db(engine, url)
        assert "secret" not in str(err.value)


def test_a_large_table_is_written_like_a_large_file_with_the_same_result(engine, tmp_path, monkeypatch):
    """Worker processes and bulk mode (PostgreSQL), the aggregates once at the end, as for
    200k+ rows: same calls, legs and aggregates as the per-batch path, nothing pending."""
    from data import aggregates
    from data import bulk
    from data.importers.asterisk import load
    from tests.data.importers.asterisk.test_parallel_import import _wipe, snapshot

    url = freepbx_cdr_db(tmp_path)
    import_cdr_db(engine, url, source_tz="Europe/Prague", batch_rows=2)
    expected = snapshot(engine)
    _wipe(engine)
    monkeypatch.setattr(load, "LARGE_IMPORT_LINES", 1)
    monkeypatch.setattr(bulk, "BULK_MIN_LINES", 1)
    from data.importers import parallel

    used = []
    real_map = parallel.ordered_map

    def spy(*args, **kwargs):
        used.append(kwargs["workers"])
        return real_map(*args, **kwargs)

    monkeypatch.setattr(parallel, "ordered_map", spy)
    st = import_cdr_db(engine, url, source_tz="Europe/Prague", batch_rows=2)
    assert used == [parallel.default_workers() if engine.dialect.name == "postgresql" else 0]
    assert st.bulk_load == (engine.dialect.name == "postgresql")
    assert snapshot(engine) == expected and expected["calls"]
    with engine.connect() as conn:
        assert aggregates.pending(conn) is None


def test_from_a_postgresql_cdr_table_with_time_zone(pg_only_url):
    """cdr_pgsql: calldate is `timestamp with time zone`, read as text ('...+00'); the zone
    in the value wins over --source-tz. An id column makes the next import continue."""
    from data import db

    engine = db.get_engine(pg_only_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS cdr_pgsql")
        conn.exec_driver_sql(
            "CREATE TABLE cdr_pgsql (id serial PRIMARY KEY, calldate timestamptz NOT NULL, clid text, src text, "
            "dst text, dcontext text, channel text, dstchannel text, lastapp text, lastdata text, "
            "duration integer, billsec integer, disposition text, amaflags integer, accountcode text, "
            "uniqueid text, userfield text, linkedid text)")
        conn.exec_driver_sql(
            "INSERT INTO cdr_pgsql (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, "
            "duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, linkedid) VALUES "
            "('2026-05-04 09:00:00+02', '\"Anna\" <0601111111>', '0601111111', '0212345670', 'from-trunk', "
            "'PJSIP/provider-00000001', 'PJSIP/101-00000002', 'Dial', 'PJSIP/101', 40, 30, 'ANSWERED', 3, '', "
            "'1777878000.1', '', '1777878000.1')")
    try:
        st = import_cdr_db(engine, pg_only_url, table="cdr_pgsql",
                           source_tz="America/New_York")
        assert (st.lines_read, st.calls_added, st.lines_rejected) == (1, 1, 0)
        call = calls(engine)["1777878000.1"]
        assert (call.start_utc, call.answer_utc, call.end_utc) == (D(2026, 5, 4, 7), D(2026, 5, 4, 7, 0, 10),
                                                                   D(2026, 5, 4, 7, 0, 40))
        assert (call.direction, call.status, call.extension, call.from_name) == ("inbound", "answered", "101", "Anna")
        again = import_cdr_db(engine, pg_only_url, table="cdr_pgsql", source_tz="America/New_York")
        assert (again.lines_read, again.calls_added) == (0, 0)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS cdr_pgsql")


def test_two_from_db_imports_into_one_source_run_one_after_the_other(engine, tmp_path, caplog):
    """A --from-db import takes the source's lock as a file import does: while another import
    holds it, this one waits and writes nothing; afterwards it imports the table once, and
    a second run finds nothing new."""
    import threading

    from data.importers.base import source_lock

    url = freepbx_cdr_db(tmp_path)
    done: list = []
    with source_lock(engine, "main"):
        worker = threading.Thread(target=lambda: done.append(import_cdr_db(engine, url, source_tz="Europe/Prague")))
        worker.start()
        worker.join(timeout=3)
        assert worker.is_alive() and not done  # it waits for the lock
        assert count(engine, s.call) == 0
    worker.join(timeout=60)
    assert not worker.is_alive() and done[0].calls_added == 4
    assert "another import into source 'main' is running" in caplog.text
    again = import_cdr_db(engine, url, source_tz="Europe/Prague")
    assert again.calls_added == 0 and count(engine, s.call) == 4

"""Asterisk CDRs read straight from the PBX's database table (cdr_pgsql, cdr_adaptive_odbc,
FreePBX ``asteriskcdrdb.cdr``): ``callboard import asterisk-cdr --from-db URL``.

Columns are found by name, as in a header-row export (``calldate`` or ``start``/``answer``/
``end``, ``did``, ``recordingfile``, ``linkedid``, ...). Incremental: with an integer key
column (``id``, ``acctid``) the import continues after the last key read; otherwise it
re-reads from ``overlap`` before the newest start time seen (rows are written when a leg
ends, so an earlier start can arrive later) and the re-read rows are skipped as duplicates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data.importers import parallel
from data.importers.asterisk import load
from data.importers.asterisk.layout import header_layout
from data.importers.asterisk.legs import Leg
from data.importers.asterisk.load import KIND, LoadPlan, commit_prepared, id_reserver
from data.importers.asterisk.parse import RowParser
from data.importers.asterisk.prepare import init_worker, prepare_rows
from data.importers.asterisk.rederive import apply_learned
from data.importers.base import (ImportFailed, ImportStats, ensure_source, find_source, gc_paused, get_state,
                                 source_lock, source_name)
from data.importers.rules import Rules, load_known, load_rules

KEY_COLUMNS = ("id", "acctid", "cdr_id")
EPOCH = datetime(1970, 1, 1)


def _text(v) -> str:
    if v is None:
        return ""
    if type(v) is str:
        return v
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def _rereader(parser: RowParser, rows: list[list[str]], rowno: int) -> Callable[[int], Leg]:
    """reread(j) for commit_prepared: the batch's row j as a Leg again (a call found stored: rare)."""
    def reread(j: int) -> Leg:
        return parser.leg_from_fields(list(rows[j]), rowno + j + 1)

    return reread


@gc_paused()
def import_cdr_db(
    engine: sa.Engine,
    url: str,
    *,
    table: str = "cdr",
    source: str | None = None,
    source_tz: str | ZoneInfo | None = None,
    rules: Rules | str | None = None,
    batch_rows: int = 50_000,
    overlap: timedelta = timedelta(hours=6),
    progress: bool = False,
) -> ImportStats:
    from callboard.core.settings import get_settings

    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    try:
        tz = get_settings().tz if source_tz is None else (
            source_tz if isinstance(source_tz, ZoneInfo) else ZoneInfo(source_tz))
    except Exception:
        raise ImportFailed(f"unknown time zone {source_tz!r} (use an IANA name such as Europe/Prague or UTC)")
    try:
        safe_url = sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception as exc:
        raise ImportFailed(f"not a database URL: {exc}") from None
    location = f"{safe_url}#{table}"[:500]
    stats = ImportStats(path=location)
    held = ExitStack()  # the source's import lock, from reading its position to the last commit
    try:
        src_engine = sa.create_engine(url)
    except ModuleNotFoundError as exc:
        raise ImportFailed(f"{safe_url}: the database driver is not installed ({exc.name}); "
                           "e.g. pip install pymysql for mysql+pymysql:// URLs") from None
    except Exception as exc:
        raise ImportFailed(f"{safe_url}: cannot open: {exc}") from None
    try:
        try:
            cdr = sa.Table(table, sa.MetaData(), autoload_with=src_engine)
        except sa.exc.NoSuchTableError:
            raise ImportFailed(f"{safe_url}: no table {table!r}; nothing imported") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ImportFailed(f"{safe_url}: cannot read: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None
        names = [c.name for c in cdr.columns]
        layout = header_layout(names, "")
        if layout is None:
            raise ImportFailed(f"{safe_url}: table {table!r} is not an Asterisk CDR table "
                               "(needs calldate/start, src, dst, channel, duration, billsec, disposition)")
        stats.layout = f"CDR table {table} ({len(names)} columns)"
        parser = RowParser(layout, tz)
        lower = {c.name.lower(): c for c in cdr.columns}
        key_col = next((lower[k] for k in KEY_COLUMNS
                        if k in lower and isinstance(lower[k].type, sa.Integer)), None)
        time_col = lower.get("calldate") if "calldate" in lower else lower.get("start")

        with engine.connect() as conn:
            name = source_name(conn, source)
        # One import into a source at a time (as for files): a second --from-db run waits
        # and then continues from where the first ended instead of importing its rows again.
        held.enter_context(source_lock(engine, name))
        with engine.connect() as conn:
            source_id = find_source(conn, source)
            state = get_state(conn, source_id, KIND, location) if source_id is not None else None
        position = int(state["position"]) if state else 0
        done = int(state["lines"]) if state else 0
        stats.resumed_at = position
        # Every column as text (the database formats it: faster than the driver making
        # Python datetimes and numbers for us to format again), plus the key or time column
        # as it is, for the position.
        tracked = key_col if key_col is not None else time_col
        columns = [sa.cast(c, sa.String).label(f"c{i}") for i, c in enumerate(cdr.columns)] + [tracked.label("pos")]
        if key_col is not None:
            stmt = sa.select(*columns).where(key_col > position).order_by(key_col)
        else:
            since = EPOCH + timedelta(seconds=position) - overlap if position else None
            stmt = sa.select(*columns).order_by(time_col)
            if since is not None:
                stmt = stmt.where(time_col >= since)

        if source_id is None:
            with engine.begin() as conn:
                source_id = ensure_source(conn, source)
        with engine.connect() as conn:
            known_before = load_known(conn, source_id)
        rules = rules.with_classes(known_before)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(unit=" rows", desc=table, leave=False)
        with src_engine.connect() as sconn:
            # Large tables are written like large files (LoadPlan: bulk mode, aggregates once
            # at the end); counting the new rows costs one index scan on the PBX's side.
            incoming = sconn.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar()
        pg = engine.dialect.name == "postgresql"
        # Large tables: parsing and building run in worker processes (as for files) while
        # this process reads the next rows from the PBX and writes the batches.
        workers = parallel.default_workers() if pg and incoming >= load.LARGE_IMPORT_LINES else 0
        reserve = id_reserver(engine) if pg else None
        ncols = len(names)
        meta: deque = deque()

        def jobs(result):
            nonlocal position, done
            for part in result.partitions(batch_rows):
                first = done
                rows = []
                for row in part:
                    done += 1
                    rows.append([_text(v) for v in row[:ncols]])
                    if key_col is not None:
                        position = max(position, int(row[ncols]))
                    else:
                        t = row[ncols]
                        if isinstance(t, datetime):
                            if t.tzinfo is not None:
                                t = t.astimezone(timezone.utc).replace(tzinfo=None)
                            position = max(position, int((t - EPOCH).total_seconds()))
                meta.append((rows, first, position, done))
                call_id, leg_id = reserve(len(rows)) if reserve is not None else (None, None)
                yield rows, first, call_id, leg_id

        try:
            with src_engine.connect() as sconn, LoadPlan(engine, source_id, incoming, stats) as plan:
                result = sconn.execution_options(stream_results=True, yield_per=batch_rows).execute(stmt)
                results = parallel.ordered_map(prepare_rows, jobs(result), workers=workers,
                                               initializer=init_worker,
                                               initargs=(layout, str(tz), rules, source_id, pg))
                for res in results:
                    rows, first, pos, upto = meta.popleft()
                    commit_prepared(engine, source_id, res, _rereader(parser, rows, first), rules, stats, location,
                                    "db", pos, upto, plan)
                    stats.lines_read += res.lines
                    for rowno, reason, _ in res.bad:
                        stats.lines_rejected += 1
                        if len(stats.rejects) < 1000:
                            stats.rejects.append((rowno, reason))
                    if bar is not None:
                        bar.update(res.lines)
                stats.calls_rederived += apply_learned(engine, source_id, rules, known_before, defer=plan.defer)
                if bar is not None and (plan.bulk or plan.defer):
                    bar.set_description(f"{table}: building indexes and aggregates")
        finally:
            if bar is not None:
                bar.close()
    finally:
        src_engine.dispose()
        held.close()
    return stats

"""SQL functions the report queries need that SQLite and PostgreSQL spell differently
(compiled per dialect), and clipping an interval to the report's range with them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class greater(FunctionElement):
    """SQL: the greater of two timestamps (GREATEST on PostgreSQL, max() on SQLite)."""

    type = sa.DateTime()
    inherit_cache = True


class lesser(FunctionElement):
    type = sa.DateTime()
    inherit_cache = True


@compiles(greater)
def _greater_default(element, compiler, **kw):
    return "GREATEST(%s)" % compiler.process(element.clauses, **kw)


@compiles(greater, "sqlite")
def _greater_sqlite(element, compiler, **kw):
    return "max(%s)" % compiler.process(element.clauses, **kw)


@compiles(lesser)
def _lesser_default(element, compiler, **kw):
    return "LEAST(%s)" % compiler.process(element.clauses, **kw)


@compiles(lesser, "sqlite")
def _lesser_sqlite(element, compiler, **kw):
    return "min(%s)" % compiler.process(element.clauses, **kw)


class seconds_between(FunctionElement):
    """SQL: seconds from the first timestamp to the second."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return "EXTRACT(EPOCH FROM (%s - %s))" % (compiler.process(b, **kw), compiler.process(a, **kw))


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return "((julianday(%s) - julianday(%s)) * 86400.0)" % (compiler.process(b, **kw), compiler.process(a, **kw))


class plus_seconds(FunctionElement):
    """SQL: a timestamp plus a whole number of seconds (a literal int)."""

    type = sa.DateTime()
    inherit_cache = False

    def __init__(self, ts, seconds: int):
        self.seconds = int(seconds)
        super().__init__(ts)


@compiles(plus_seconds)
def _plus_default(element, compiler, **kw):
    return "(%s + interval '%d seconds')" % (compiler.process(element.clauses, **kw), element.seconds)


@compiles(plus_seconds, "sqlite")
def _plus_sqlite(element, compiler, **kw):
    # Same text format SQLAlchemy stores DateTime in on SQLite (6 fraction digits).
    return "(strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+%d seconds') || '000')" % (
        compiler.process(element.clauses, **kw), element.seconds)


def clipped_seconds(start_col, end_col, start: datetime, end: datetime, now: datetime):
    """SQL: seconds of [start_col, end_col or open) inside [start, end); 0 when outside.
    Agent time is clipped to the range in SQL this way: an interval counts from max(start,
    range start) to min(end, range end); an open interval (NULL end) runs to min(now, range end)."""
    open_end = min(now, end)
    lo = greater(start_col, sa.literal(start, sa.DateTime()))
    hi = lesser(sa.func.coalesce(end_col, sa.literal(open_end, sa.DateTime())), sa.literal(end, sa.DateTime()))
    return sa.case((hi > lo, seconds_between(lo, hi)), else_=0.0)

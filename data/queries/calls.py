"""Call records (CDR) listing: filter, columns, sort and paging — all in SQL.

Pure builders (arguments in, SQLAlchemy statement out), like ``data.queries.overview``:
the page, the CSV export and the CLI hand the statements to ``data.db``.

- ``CallFilter`` holds what the user filtered by; ``CallFilter.validate`` rejects an empty
  or inverted time range and inverted duration bounds with ``InvalidFilter`` (a
  ``ValueError`` carrying a msgid, so a page shows it translated).
- ``COLUMNS`` is the column registry: the main columns shown by default and every
  secondary column of SPEC §1, each with its msgid label, the SQL columns it reads and the
  expression it sorts by. Only registered columns can be sorted on.
- Sorting always ends with ``call.id`` so paging is deterministic; the default is newest
  first (``start_utc DESC, id DESC``), which ``ix_call_start_utc`` serves.
- Every builder takes a ``Scope``; an empty scope sees nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from callboard.core.i18n import N_
from data import schema as s
from data.privacy import searchable, visible, visible_columns
from data.scope import Scope, call_clause

MAX_PAGE = 1000  # largest page one request may ask for (the grid asks for 100)


class InvalidFilter(ValueError):
    """A filter that cannot mean anything (e.g. an inverted time range).

    ``msgid`` / ``params`` let a page show the message translated; ``str(exc)`` is English.
    """

    def __init__(self, msgid: str, **params):
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


# --------------------------------------------------------------------------- filter

@dataclass(frozen=True)
class CallFilter:
    """Calls starting in [start_utc, end_utc) (naive UTC) matching every given criterion.

    Empty tuples / None mean "no restriction" for that criterion.
    """

    start_utc: datetime | None = None
    end_utc: datetime | None = None
    number_contains: str | None = None  # in the caller's or the callee's number
    extensions: tuple[str, ...] = ()  # the call's extension or its peer extension
    extension_groups: tuple[str, ...] = ()  # names; members via extension_group_member
    statuses: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    trunks: tuple[str, ...] = ()  # source or destination trunk
    dids: tuple[str, ...] = ()
    has_recording: bool | None = None
    min_duration_s: int | None = None
    max_duration_s: int | None = None

    def validate(self) -> "CallFilter":
        if self.start_utc is not None and self.end_utc is not None:
            if self.end_utc < self.start_utc:
                raise InvalidFilter(N_("The time range is inverted: its end is before its start."))
            if self.end_utc == self.start_utc:
                raise InvalidFilter(N_("The time range is empty: choose an end after the start."))
        for value in (self.min_duration_s, self.max_duration_s):
            if value is not None and value < 0:
                raise InvalidFilter(N_("Durations cannot be negative."))
        if (
            self.min_duration_s is not None
            and self.max_duration_s is not None
            and self.min_duration_s > self.max_duration_s
        ):
            raise InvalidFilter(N_("The shortest duration is longer than the longest one."))
        return self


def _clean(values: Iterable[str] | None) -> list[str]:
    return sorted({str(v).strip() for v in (values or ()) if v is not None and str(v).strip()})


def filter_clauses(scope: Scope, filt: CallFilter, calls=s.call) -> list:
    """WHERE clauses for `call` under the scope and the filter (validated here)."""
    filt.validate()
    c = calls.c
    where = [call_clause(scope, calls)]
    if filt.start_utc is not None:
        where.append(c.start_utc >= filt.start_utc)
    if filt.end_utc is not None:
        where.append(c.start_utc < filt.end_utc)
    number = (filt.number_contains or "").strip()
    if number:
        where.append(
            sa.or_(searchable(c.from_number, scope).contains(number, autoescape=True),
                   searchable(c.to_number, scope).contains(number, autoescape=True))
        )
    ext_terms = []
    exts = _clean(filt.extensions)
    if exts:
        ext_terms += [c.extension.in_(exts), c.peer_extension.in_(exts)]
    groups = _clean(filt.extension_groups)
    if groups:
        g, m = s.extension_group, s.extension_group_member
        members = sa.select(m.c.extension).join(g, g.c.id == m.c.group_id).where(g.c.name.in_(groups))
        ext_terms += [c.extension.in_(members), c.peer_extension.in_(members)]
    if ext_terms:
        where.append(sa.or_(*ext_terms))
    if filt.statuses:
        where.append(c.status.in_(_clean(filt.statuses)))
    if filt.directions:
        where.append(c.direction.in_(_clean(filt.directions)))
    trunks = _clean(filt.trunks)
    if trunks:
        where.append(sa.or_(c.src_trunk.in_(trunks), c.dst_trunk.in_(trunks)))
    if filt.dids:
        where.append(c.did.in_(_clean(filt.dids)))
    if filt.has_recording is not None:
        where.append(c.has_recording.is_(sa.true()) if filt.has_recording else c.has_recording.is_(sa.false()))
    if filt.min_duration_s is not None:
        where.append(c.duration_s >= int(filt.min_duration_s))
    if filt.max_duration_s is not None:
        where.append(c.duration_s <= int(filt.max_duration_s))
    return where


# --------------------------------------------------------------------------- columns

@dataclass(frozen=True)
class Field:
    """One value of a column: the `call` column it reads and how it is shown."""

    name: str  # column of `call`; also the key in result rows
    label: str  # msgid (CSV header)
    kind: str = "text"  # text | datetime | seconds | status | direction | hangup_by


@dataclass(frozen=True)
class CallColumn:
    key: str  # stable id: URL, grid colId, CSV --columns
    label: str  # msgid
    fields: tuple[Field, ...]
    main: bool = False  # shown by default
    sort_nullable: bool = False  # sort NULLs last on both databases

    @property
    def sort_expr(self):
        return s.call.c[self.fields[0].name]


def _col(key, label, *fields, main=False, nullable=False) -> CallColumn:
    return CallColumn(key, label, tuple(fields), main, nullable)


COLUMN_LIST: tuple[CallColumn, ...] = (
    _col("start", N_("Start"), Field("start_utc", N_("Start"), "datetime"), main=True),
    _col("from", N_("From"), Field("from_number", N_("From")), Field("from_name", N_("Caller name")), main=True),
    _col("to", N_("To"), Field("to_number", N_("To")), Field("to_name", N_("Callee name")), main=True),
    _col("duration", N_("Duration"), Field("duration_s", N_("Duration (s)"), "seconds"), main=True),
    _col("ring", N_("Ring time"), Field("ring_s", N_("Ring time (s)"), "seconds"), main=True),
    _col("talk", N_("Talk time"), Field("talk_s", N_("Talk time (s)"), "seconds"), main=True),
    _col("status", N_("Status"), Field("status", N_("Status"), "status"), main=True),
    _col("call_uid", N_("Call ID"), Field("call_uid", N_("Call ID"))),
    _col("hangup", N_("Hang-up"), Field("hangup_by", N_("Hung up by"), "hangup_by"),
         Field("hangup_cause", N_("Hang-up cause")), nullable=True),
    _col("src_trunk", N_("Source trunk"), Field("src_trunk", N_("Source trunk")), nullable=True),
    _col("dst_trunk", N_("Destination trunk"), Field("dst_trunk", N_("Destination trunk")), nullable=True),
    _col("direction", N_("Communication type"), Field("direction", N_("Communication type"), "direction")),
    _col("did", N_("DID"), Field("did", N_("DID")), nullable=True),
    _col("outbound_cid", N_("Outbound caller ID"), Field("outbound_cid", N_("Outbound caller ID")), nullable=True),
    _col("caller_ip", N_("Caller IP address"), Field("caller_ip", N_("Caller IP address")), nullable=True),
    _col("pin", N_("PIN code"), Field("pin", N_("PIN code")), nullable=True),
    # Filled by the importers (migration 0008): the extension or outside number the call was
    # handed on to; an outside number is masked like From / To (data.privacy).
    _col("transferred_to", N_("Transferred to"), Field("transferred_to", N_("Transferred to")), nullable=True),
)
COLUMNS: dict[str, CallColumn] = {c.key: c for c in COLUMN_LIST}
MAIN_COLUMNS: tuple[str, ...] = tuple(c.key for c in COLUMN_LIST if c.main)
SECONDARY_COLUMNS: tuple[str, ...] = tuple(c.key for c in COLUMN_LIST if not c.main)
ALL_COLUMNS: tuple[str, ...] = tuple(COLUMNS)

# Labels of the stored vocabularies (data.schema), translated where shown.
STATUS_LABELS = {
    "answered": N_("Answered"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "failed": N_("Failed"),
    "voicemail": N_("Voicemail"),
    "abandoned": N_("Abandoned"),
    "congestion": N_("Congestion"),
}
DIRECTION_LABELS = {"inbound": N_("Inbound"), "outbound": N_("Outbound"), "internal": N_("Internal")}
# agent: a queue agent hung up (queue_log COMPLETEAGENT; COMPLETECALLER / ABANDON say caller).
HANGUP_BY_LABELS = {"caller": N_("Caller"), "callee": N_("Callee"), "agent": N_("Agent"), "system": N_("System")}
LEG_STATUS_LABELS = {
    "answered": N_("Answered"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
    "rejected": N_("Rejected"),
}
VIA_LABELS = {
    "direct": N_("Direct"),
    "queue": N_("Queue"),
    "ring_group": N_("Ring group"),
    "transfer": N_("Transfer"),
    "ivr": N_("IVR"),
    "voicemail": N_("Voicemail"),
}


def resolve_columns(columns: Iterable[str] | None) -> list[CallColumn]:
    """Registered columns in registry order; unknown keys are ignored; None -> main columns."""
    wanted = set(MAIN_COLUMNS if columns is None else columns)
    return [c for c in COLUMN_LIST if c.key in wanted]


def _fields(columns: Sequence[CallColumn]) -> list[Field]:
    seen, out = set(), []
    for col in columns:
        for f in col.fields:
            if f.name not in seen:
                seen.add(f.name)
                out.append(f)
    return out


def _order_by(sort: Sequence[tuple[str, str]] | None, scope: Scope) -> list:
    order = []
    first_dir = "desc"
    for key, direction in sort or ():
        col = COLUMNS.get(key)
        direction = (direction or "").lower()
        if col is None or direction not in ("asc", "desc"):
            continue  # only whitelisted columns and directions
        # A masking scope sorts by what it sees: ordering by the full number would reveal
        # the order of the hidden digits.
        sort_expr = visible(col.sort_expr, scope)
        sort_expr = getattr(sort_expr, "element", sort_expr)  # the label's expression
        expr = sort_expr.desc() if direction == "desc" else sort_expr.asc()
        if col.sort_nullable:
            expr = expr.nulls_last()
        if not order:
            first_dir = direction
        order.append(expr)
    if not order:
        order.append(s.call.c.start_utc.desc())
    c_id = s.call.c.id
    order.append(c_id.desc() if first_dir == "desc" else c_id.asc())
    return order


# --------------------------------------------------------------------------- builders

def list_calls(
    scope: Scope,
    filt: CallFilter,
    columns: Iterable[str] | None = None,
    sort: Sequence[tuple[str, str]] | None = None,
    offset: int = 0,
    limit: int | None = 100,
) -> sa.Select:
    """One page of calls: ``id``, ``has_recording`` and the fields of the chosen columns.

    ``limit=None`` selects every matching row (exports stream it). Rows are keyed by the
    `call` column names (``start_utc``, ``from_number``, ``from_name``...).
    """
    c = s.call.c
    cols = resolve_columns(columns)
    # visible(): external numbers come out masked for a masking scope (data.privacy).
    selected = [c.id, c.has_recording] + [visible(c[f.name], scope) for f in _fields(cols)
                                          if f.name not in ("id", "has_recording")]
    stmt = sa.select(*selected).where(*filter_clauses(scope, filt)).order_by(*_order_by(sort, scope))
    offset = max(0, int(offset or 0))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(max(1, min(int(limit), MAX_PAGE)))
    return stmt


def count_calls(scope: Scope, filt: CallFilter) -> sa.Select:
    """How many calls match (what the grid shows as the row count).

    With an extension filter (and no group filter) the count is split in two so each part
    reads one index instead of filtering every call of the range by
    ``extension IN (..) OR peer_extension IN (..)``: the calls whose own extension matches
    (``ix_call_extension_start``, index-only) plus those matching only as the peer
    (``ix_call_peer_extension_start``; internal calls only, few). Every other criterion and
    the scope apply to both parts, so the number is the same as the plain count.
    """
    exts = _clean(filt.extensions)
    if not exts or _clean(filt.extension_groups):
        return sa.select(sa.func.count()).select_from(s.call).where(*filter_clauses(scope, filt))
    filt.validate()
    c = s.call.c
    rest = filter_clauses(scope, replace(filt, extensions=()))
    own = sa.select(sa.func.count()).select_from(s.call).where(*rest, c.extension.in_(exts))
    peer_only = sa.select(sa.func.count()).select_from(s.call).where(
        *rest, c.peer_extension.in_(exts), sa.or_(c.extension.is_(None), c.extension.not_in(exts))
    )
    return sa.select((own.scalar_subquery() + peer_only.scalar_subquery()).label("count"))


def get_call(scope: Scope, call_id: int) -> sa.Select:
    """Every column of one call, or no row when it does not exist or is out of scope."""
    return sa.select(*visible_columns(s.call, scope)).where(s.call.c.id == int(call_id), call_clause(scope))


def call_legs(scope: Scope, call_id: int) -> sa.Select:
    """The legs of one call in order (no rows when the call is out of scope)."""
    leg, c = s.call_leg, s.call
    return (
        sa.select(
            leg.c.seq,
            leg.c.extension,
            visible(leg.c.number, scope),
            leg.c.via_type,
            leg.c.via,
            leg.c.start_utc,
            leg.c.answer_utc,
            leg.c.end_utc,
            leg.c.ring_s,
            leg.c.talk_s,
            leg.c.status,
        )
        .join(c, c.c.id == leg.c.call_id)
        .where(leg.c.call_id == int(call_id), call_clause(scope))
        .order_by(leg.c.seq, leg.c.id)
    )


def export_fields(columns: Iterable[str] | None) -> list[Field]:
    """The flat list of fields (CSV columns) for the chosen columns, in registry order."""
    return _fields(resolve_columns(columns))


def unknown_extensions(scope: Scope, extensions: Iterable[str]) -> sa.Select | None:
    """Which of `extensions` no visible call ever had (as its extension or peer) — to tell
    the user "unknown extension 999" instead of a bare empty result. Index-backed EXISTS
    per extension (ix_call_extension_start / ix_call_peer_extension_start). None when
    no extensions are given."""
    c = s.call
    parts = []
    for ext in _clean(extensions):
        seen = sa.or_(
            sa.exists().where(c.c.extension == ext, call_clause(scope)),
            sa.exists().where(c.c.peer_extension == ext, call_clause(scope)),
        )
        parts.append(sa.select(sa.literal(ext, sa.String).label("extension")).where(~seen))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)

"""Privacy: phone numbers normalised to E.164, masked numbers, and erasure by number.

Normalising
    ``normalise("+420 777 123 456")``, ``normalise("00420777123456")`` and
    ``normalise("777123456")`` are all ``+420777123456``: ``phonenumbers`` parses with the
    PBX's default country (``CALLBOARD_DEFAULT_COUNTRY_CODE``, a calling code such as 420).
    Stored values keep whatever form the PBX wrote, so finding matches every *spelling* of
    the number (``spellings``) on the number columns, and a separator-tolerant pattern
    (``mention_regex``) on free text.

Masking
    ``EXTERNAL_NUMBER_COLUMNS`` lists every column that can hold an outside party's number.
    A Scope with ``mask_external`` gets them masked *inside the SELECT* (``masked``), so the
    full number never leaves the database for that user: not to a page, a callback
    response, a CSV/XLSX/PDF or an email. Values no longer than ``EXTENSION_MAX_LEN``
    (extensions, queues, short codes) and our own numbers (``phone_number``: DIDs, caller
    IDs) stay visible. ``masking_for_role(role)`` reads the per-role setting.

Erasure (``find`` / ``erase``)
    Calls with the number as caller, callee, a dialled leg, a queue caller or a callback
    number; their legs, queue paths, IVR choices, survey answers, recordings (rows and
    files) and callbacks; chat sessions with it as the outside party (messages, events);
    mentions in other chat messages and audit entries (redacted); generated files that
    contain it (deleted, with their download rows); live queue entries. ``erase`` does it
    in ONE transaction, refreshes the aggregate hours of the deleted calls, then sweeps
    every text column of every table for a leftover mention (redacted), and writes an
    audit entry holding only a salted hash of the number. Files are moved to trash names
    inside the transaction and unlinked after the commit (moved back on a rollback).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from callboard.core.i18n import N_
from callboard.core.settings import get_settings
from data import aggregates, db
from data import schema as s
from data.access import audit
from data.recordings import UnsafePath, recordings_root, resolve_path
from data.scope import Scope

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- settings

MASK_ROLES_KEY = "privacy.mask_roles"  # settings_kv: list of roles that see numbers masked
ERASE_SALT_KEY = "privacy.erase_salt"  # settings_kv: random salt of the erasure audit hash
MASKABLE_ROLES = ("admin", "manager", "viewer")


def _kv_get(conn, key: str, default=None):
    value = conn.execute(sa.select(s.settings_kv.c.value).where(s.settings_kv.c.key == key)).scalar()
    return default if value is None else value


def _kv_put(conn, key: str, value) -> None:
    kv = s.settings_kv
    if conn.execute(sa.update(kv).where(kv.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(sa.insert(kv).values(key=key, value=value))


def masked_roles(engine: Engine | None = None) -> set[str]:
    with db.connect(engine) as conn:
        return {str(r) for r in (_kv_get(conn, MASK_ROLES_KEY, []) or [])}


def set_masked_roles(roles: Iterable[str], *, actor: dict | None = None, engine: Engine | None = None) -> None:
    roles = sorted({_role(r) for r in roles})
    bad = [r for r in roles if r not in MASKABLE_ROLES]
    if bad:
        raise ValueError(f"unknown role(s) {', '.join(bad)}: expected {', '.join(MASKABLE_ROLES)}")
    with db.transaction(engine) as conn:
        _kv_put(conn, MASK_ROLES_KEY, roles)
        audit.record("privacy_masking", ("settings", MASK_ROLES_KEY), {"masked_roles": roles}, actor or {}, conn=conn)


def _role(role: str) -> str:
    role = str(role or "").strip().lower()
    return "admin" if role == "administrator" else role


def masking_for_role(role: str, engine: Engine | None = None) -> bool:
    """Whether users of this role (admin | administrator | manager | viewer) see external
    numbers masked — what data.scope.Scope.mask_external is set from."""
    return _role(role) in masked_roles(engine)


# --------------------------------------------------------------------------- masking

# Values this short are extensions, queues, feature codes: never masked.
EXTENSION_MAX_LEN = 6
MASK = "••••"

# Every column that can hold an outside party's number (mask these; erase finds them).
EXTERNAL_NUMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "call": ("from_number", "to_number", "destination", "transferred_to"),
    "call_leg": ("number",),
    "queue_call": ("caller_number", "transferred_to"),
    "callback": ("number",),
    "chat_session": ("external_number", "sender", "recipient"),
    "chat_message": ("sender",),
    "live_queue_call": ("caller_number",),
}
# Name columns that PBXs often fill with the number itself (no caller-ID name): masked
# when equal to the number beside them.
NAME_OF_NUMBER: dict[tuple[str, str], str] = {("call", "from_name"): "from_number", ("call", "to_name"): "to_number"}


def mask_number(value: str | None, ours: Iterable[str] = ()) -> str | None:
    """The Python twin of ``masked``: '+420777123456' -> '+420777••••56'."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= EXTENSION_MAX_LEN or text in set(ours):
        return text
    return text[: len(text) - 6] + MASK + text[-2:]


def masked(column, scope: Scope, label: str | None = None):
    """``column`` as the scope may see it, labelled with the column's name: masked
    (keep all but the last six characters, four bullets, the last two) for a masking
    scope unless it is short (an extension) or one of our own numbers."""
    name = label or column.name
    if not scope.mask_external:
        return column.label(name) if label else column
    n = sa.func.length(column)
    ours = sa.select(s.phone_number.c.number).scalar_subquery()
    hidden = (sa.func.substr(column, 1, n - 6, type_=sa.String)
              + sa.literal(MASK, sa.String)
              + sa.func.substr(column, n - 1, 2, type_=sa.String))
    return sa.case(
        (sa.or_(column.is_(None), n <= EXTENSION_MAX_LEN, column.in_(ours)), column),
        else_=hidden,
    ).label(name)


def searchable(column, scope: Scope):
    """The expression a "number contains" filter may match for this scope: the masked text
    for a masking scope, so typing digits cannot probe the hidden ones."""
    out = visible(column, scope)
    return out.element if out is not column else column


def masked_name(name_column, number_column, scope: Scope, label: str | None = None):
    """A caller-ID name column: masked like its number when it *is* the number."""
    name = label or name_column.name
    if not scope.mask_external:
        return name_column.label(name) if label else name_column
    return sa.case(
        (name_column == number_column, masked(number_column, scope, "_n").element),
        else_=name_column,
    ).label(name)


def visible(column, scope: Scope):
    """The one function query builders pass a selected column through: external-number
    columns (and caller-ID names that are numbers) come out masked for a masking scope,
    every other column unchanged. The result keeps the column's name as its key."""
    table = getattr(column, "table", None)
    tname = getattr(table, "name", None)
    if not scope.mask_external or tname is None:
        return column
    if column.name in EXTERNAL_NUMBER_COLUMNS.get(tname, ()):
        return masked(column, scope)
    number = NAME_OF_NUMBER.get((tname, column.name))
    if number is not None:
        return masked_name(column, table.c[number], scope)
    return column


def masked_body(body_column, session_table, scope: Scope):
    """A chat message's text with the session's outside number masked where it appears."""
    if not scope.mask_external:
        return body_column
    ext = session_table.c.external_number
    return sa.func.replace(body_column, ext, masked(ext, scope, "_m").element).label(body_column.name)


def visible_columns(table: sa.Table, scope: Scope) -> list:
    """Every column of a table as ``visible`` gives it (for SELECT table.* builders)."""
    return [visible(col, scope) for col in table.columns]


# --------------------------------------------------------------------------- numbers

class InvalidNumber(ValueError):
    """Input that is not a phone number; ``msgid`` for pages, ``str()`` English."""

    def __init__(self, msgid: str, **params):
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


def _region(country_code: str | int | None = None) -> str:
    code = str(country_code or get_settings().default_country_code).lstrip("+")
    region = phonenumbers.region_code_for_country_code(int(code)) if code.isdigit() else "ZZ"
    return region


def normalise(text: str, country_code: str | int | None = None) -> str:
    """E.164 ('+420777123456') of a number in any usual spelling; national numbers are read
    in the PBX's default country. InvalidNumber when it is not a phone number."""
    raw = str(text or "").strip()
    if not raw:
        raise InvalidNumber(N_("Enter a phone number."))
    if sum(ch.isdigit() for ch in raw) < 3 or re.search(r"[^\d\s+()./\-]", raw):
        raise InvalidNumber(N_("“{number}” is not a phone number."), number=raw)
    try:
        parsed = phonenumbers.parse(raw, _region(country_code))
    except phonenumbers.NumberParseException:
        raise InvalidNumber(N_("“{number}” is not a phone number."), number=raw) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(N_("“{number}” is not a phone number."), number=raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def spellings(e164: str) -> list[str]:
    """How a PBX may have stored the number: +420777123456, 00420777123456, 420777123456,
    777123456 (and the national form with its trunk prefix where the country has one)."""
    parsed = phonenumbers.parse(e164, None)
    cc, nsn = str(parsed.country_code), phonenumbers.national_significant_number(parsed)
    national = re.sub(r"\D", "", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    return sorted({e164, e164[1:], "00" + cc + nsn, nsn, national})


def mention_regex(e164: str) -> re.Pattern:
    """The number inside free text, in any spelling with spaces / dashes / dots between
    digits, not as part of a longer digit run."""
    parsed = phonenumbers.parse(e164, None)
    cc, nsn = str(parsed.country_code), phonenumbers.national_significant_number(parsed)
    sep = r"[\s\-./()]*"
    prefix = rf"(?:(?:\+|00)?{sep.join(cc)}{sep}|0{sep})?"
    return re.compile(rf"(?<!\d){prefix}{sep.join(nsn)}(?!\d)")


def _like_all_digits(e164: str) -> str:
    """A LIKE pattern every spelling (separators included) matches: the national digits
    in order with anything between (prefilter; mention_regex decides)."""
    nsn = phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
    return "%" + "%".join(nsn) + "%"


def salted_hash(e164: str, engine: Engine | None = None, conn=None) -> str:
    """sha256(salt + number): lets an auditor check "was this number erased?" without the
    audit log holding the number. The salt is created once and kept in settings_kv."""
    def body(c):
        salt = _kv_get(c, ERASE_SALT_KEY)
        if not salt:
            salt = secrets.token_hex(16)
            _kv_put(c, ERASE_SALT_KEY, salt)
        return hashlib.sha256((salt + e164).encode()).hexdigest()

    if conn is not None:
        return body(conn)
    with db.transaction(engine) as c:
        return body(c)


# --------------------------------------------------------------------------- find

@dataclass
class Findings:
    number: str  # E.164
    calls: list[dict] = field(default_factory=list)
    recordings: list[dict] = field(default_factory=list)
    queue_calls: list[dict] = field(default_factory=list)
    callbacks: list[dict] = field(default_factory=list)
    surveys: list[dict] = field(default_factory=list)
    ivr_choices: int = 0
    chat_sessions: list[dict] = field(default_factory=list)
    chat_messages: list[dict] = field(default_factory=list)  # mentions in other sessions
    live_queue: int = 0
    audit_entries: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # relative to CALLBOARD_FILES_DIR

    def counts(self) -> dict[str, int]:
        return {
            "calls": len(self.calls), "recordings": len(self.recordings), "queue_calls": len(self.queue_calls),
            "callbacks": len(self.callbacks), "surveys": len(self.surveys), "ivr_choices": self.ivr_choices,
            "chat_sessions": len(self.chat_sessions), "chat_messages": len(self.chat_messages),
            "live_queue": self.live_queue, "audit_entries": len(self.audit_entries), "files": len(self.files),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


def _call_ids_select(spell: list[str]) -> sa.Select:
    c, leg, qc, cb = s.call, s.call_leg, s.queue_call, s.callback
    return sa.union(
        sa.select(c.c.id).where(c.c.from_number.in_(spell)),
        sa.select(c.c.id).where(c.c.to_number.in_(spell)),
        sa.select(c.c.id).where(c.c.destination.in_(spell)),
        sa.select(leg.c.call_id).where(leg.c.number.in_(spell)),
        sa.select(qc.c.call_id).where(qc.c.caller_number.in_(spell), qc.c.call_id.is_not(None)),
        sa.select(qc.c.call_id).where(qc.c.transferred_to.in_(spell), qc.c.call_id.is_not(None)),
        sa.select(cb.c.call_id).where(cb.c.number.in_(spell), cb.c.call_id.is_not(None)),
    )


def _rows(conn, stmt) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _files_root() -> Path:
    return Path(get_settings().files_dir).resolve()


def _file_mentions(path: Path, pattern: re.Pattern) -> bool:
    """Whether a generated file (CSV/text, XLSX, PDF, anything) contains the number."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    texts = [data]
    if data[:2] == b"PK":  # XLSX / zip: every member, uncompressed
        try:
            with zipfile.ZipFile(path) as zf:
                texts += [zf.read(name) for name in zf.namelist()]
        except (zipfile.BadZipFile, OSError):
            pass
    if data[:5] == b"%PDF-":  # PDF: extracted text and every deflated stream
        for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
            try:
                texts.append(zlib.decompress(m.group(1)))
            except zlib.error:
                pass
        try:
            import pypdf

            texts += [(p.extract_text() or "").encode() for p in pypdf.PdfReader(str(path)).pages]
        except Exception:  # noqa: BLE001 - a PDF the reader cannot parse is still scanned raw
            pass
    for blob in texts:
        for enc in ("utf-8", "utf-16-le", "utf-16-be", "latin-1"):
            try:
                text = blob.decode(enc)
            except UnicodeDecodeError:
                continue
            if pattern.search(text):
                return True
    return False


def _matching_files(pattern: re.Pattern) -> list[str]:
    root = _files_root()
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and ".deleting-" not in path.name and _file_mentions(path, pattern):
            out.append(path.relative_to(root).as_posix())
    return out


def find(number: str, *, engine: Engine | None = None, country_code: str | int | None = None) -> Findings:
    """Everything stored about one number (see the module docstring)."""
    e164 = normalise(number, country_code)
    spell, pattern, like = spellings(e164), mention_regex(e164), _like_all_digits(e164)
    with db.connect(engine) as conn:
        return _find(conn, e164, spell, pattern, like)


def _find(conn, e164, spell, pattern, like) -> Findings:
    c, r, qc, cb, sv, ivr = s.call, s.recording, s.queue_call, s.callback, s.survey_answer, s.ivr_choice
    cs, cm, lq, al = s.chat_session, s.chat_message, s.live_queue_call, s.audit_log
    f = Findings(e164)
    ids = _call_ids_select(spell).subquery()
    in_calls = sa.select(ids.c[0])
    f.calls = _rows(conn, sa.select(c.c.id, c.c.call_uid, c.c.start_utc, c.c.direction, c.c.status, c.c.from_number,
                                    c.c.to_number, c.c.extension, c.c.has_recording)
                    .where(c.c.id.in_(in_calls)).order_by(c.c.start_utc, c.c.id))
    f.recordings = _rows(conn, sa.select(r.c.id, r.c.call_id, r.c.path, r.c.size_bytes)
                         .where(r.c.call_id.in_(in_calls)).order_by(r.c.id))
    f.queue_calls = _rows(conn, sa.select(qc.c.id, qc.c.call_id, qc.c.queue, qc.c.enter_utc, qc.c.outcome)
                          .where(sa.or_(qc.c.call_id.in_(in_calls), qc.c.caller_number.in_(spell),
                                        qc.c.transferred_to.in_(spell))).order_by(qc.c.enter_utc, qc.c.id))
    f.callbacks = _rows(conn, sa.select(cb.c.id, cb.c.call_id, cb.c.queue, cb.c.requested_utc, cb.c.status)
                        .where(sa.or_(cb.c.number.in_(spell), cb.c.call_id.in_(in_calls))).order_by(cb.c.id))
    f.surveys = _rows(conn, sa.select(sv.c.id, sv.c.call_id, sv.c.queue, sv.c.score_key, sv.c.points)
                      .where(sv.c.call_id.in_(in_calls)).order_by(sv.c.id))
    f.ivr_choices = conn.execute(sa.select(sa.func.count()).where(ivr.c.call_id.in_(in_calls))).scalar_one()
    f.chat_sessions = _rows(conn, sa.select(cs.c.id, cs.c.session_uid, cs.c.channel_type, cs.c.created_utc,
                                            cs.c.message_count)
                            .where(sa.or_(cs.c.external_number.in_(spell), cs.c.sender.in_(spell),
                                          cs.c.recipient.in_(spell))).order_by(cs.c.id))
    own = {row["id"] for row in f.chat_sessions}
    f.chat_messages = [
        {"id": row.id, "session_id": row.session_id, "sent_utc": row.sent_utc}
        for row in conn.execute(sa.select(cm.c.id, cm.c.session_id, cm.c.sent_utc, cm.c.sender, cm.c.body)
                                .where(sa.or_(cm.c.sender.in_(spell), cm.c.body.like(like))).order_by(cm.c.id))
        if row.session_id not in own and (row.sender in spell or pattern.search(row.body or ""))
    ]
    f.live_queue = conn.execute(sa.select(sa.func.count()).where(lq.c.caller_number.in_(spell))).scalar_one()
    f.audit_entries = [
        row.id for row in conn.execute(
            sa.select(al.c.id, al.c.object_id, sa.cast(al.c.details, sa.Text).label("details"))
            .where(sa.or_(al.c.object_id.like(like), sa.cast(al.c.details, sa.Text).like(like))).order_by(al.c.id))
        if pattern.search(row.object_id or "") or pattern.search(row.details or "")
    ]
    f.files = _matching_files(pattern)
    return f


# --------------------------------------------------------------------------- erase

ERASED = "[erased]"
# Tables the leftover sweep skips: derived rows (aggregates, local time) hold only our own
# dimensions, and credential hashes are not text anyone wrote.
_SWEEP_SKIP_TABLES = {"time_hour"}
_SWEEP_SKIP_COLUMNS = {("app_user", "password_hash"), ("display_token", "token_hash"), ("delivery", "token_hash")}


@dataclass
class ErasureResult:
    number_hash: str
    counts: dict[str, int]
    files_deleted: int = 0
    recording_files_deleted: int = 0
    redacted: int = 0


def _redact(value, pattern: re.Pattern):
    """The value with every mention replaced (strings inside JSON too)."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_redact(v, pattern) for v in value]
    if isinstance(value, dict):
        return {_redact(k, pattern): _redact(v, pattern) for k, v in value.items()}
    return value


class _FileTrash:
    """Files moved to trash names during the transaction: unlinked after the commit,
    moved back on a rollback (the pattern of data.recordings)."""

    def __init__(self):
        self.moved: list[tuple[Path, Path]] = []

    def take(self, path: Path) -> None:
        trash = path.with_name(f".{path.name}.deleting-{uuid.uuid4().hex[:12]}")
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            return
        self.moved.append((path, trash))

    def restore(self) -> None:
        for path, trash in reversed(self.moved):
            try:
                os.rename(trash, path)
            except OSError:  # pragma: no cover
                log.exception("could not move %s back to %s", trash, path)

    def purge(self) -> None:
        for _path, trash in self.moved:
            try:
                trash.unlink()
            except OSError:  # pragma: no cover - recordings sweep-trash removes leftovers
                log.exception("could not remove %s", trash)


def _hour_spans(times: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Distinct hours merged into runs of consecutive hours (one refresh per run)."""
    hours = sorted({t.replace(minute=0, second=0, microsecond=0) for t in times if t is not None})
    spans: list[list[datetime]] = []
    for h in hours:
        if spans and (h - spans[-1][1]).total_seconds() <= 3600:
            spans[-1][1] = h
        else:
            spans.append([h, h])
    return [(a, b) for a, b in spans]


def erase(number: str, *, actor: dict | None = None, engine: Engine | None = None,
          country_code: str | int | None = None) -> ErasureResult:
    """Erase everything stored about one number, in one transaction (module docstring)."""
    e164 = normalise(number, country_code)
    spell, pattern, like = spellings(e164), mention_regex(e164), _like_all_digits(e164)
    trash = _FileTrash()
    rec_root = recordings_root()
    files_root = _files_root()
    try:
        with db.transaction(engine) as conn:
            f = _find(conn, e164, spell, pattern, like)
            result = _erase(conn, f, spell, pattern, like, trash, rec_root, files_root)
            result.number_hash = salted_hash(e164, conn=conn)
            audit.record("privacy_erase", ("number", result.number_hash[:16]),
                         {"number_sha256_salted": result.number_hash, "counts": result.counts,
                          "redacted_values": result.redacted}, actor or {}, conn=conn)
    except BaseException:
        trash.restore()
        raise
    trash.purge()
    return result


def _erase(conn, f: Findings, spell, pattern, like, trash: _FileTrash, rec_root: Path, files_root: Path) -> ErasureResult:
    c, r, qc, cb, cs, cm, lq, al, dl = (s.call, s.recording, s.queue_call, s.callback, s.chat_session,
                                        s.chat_message, s.live_queue_call, s.audit_log, s.delivery)
    call_ids = [row["id"] for row in f.calls]
    result = ErasureResult("", f.counts())
    rec_before = len(trash.moved)
    for rec in f.recordings:
        try:
            trash.take(resolve_path(rec["path"], rec_root))
        except UnsafePath:
            pass  # not a file of ours; the row goes
    result.recording_files_deleted = len(trash.moved) - rec_before
    # Aggregate hours the deleted facts fall in: the calls' starts and their queue passes.
    times = [row["start_utc"] for row in f.calls] + [row["enter_utc"] for row in f.queue_calls]
    for chunk in _chunks(call_ids, 500):
        conn.execute(sa.delete(cb).where(cb.c.call_id.in_(chunk)))
        conn.execute(sa.update(cb).where(cb.c.result_call_id.in_(chunk)).values(result_call_id=None))
        conn.execute(sa.delete(c).where(c.c.id.in_(chunk)))  # legs, queue paths, IVR, surveys, recordings cascade
    conn.execute(sa.delete(qc).where(sa.or_(qc.c.caller_number.in_(spell), qc.c.transferred_to.in_(spell))))
    conn.execute(sa.delete(cb).where(cb.c.number.in_(spell)))
    conn.execute(sa.delete(lq).where(lq.c.caller_number.in_(spell)))
    conn.execute(sa.delete(cs).where(sa.or_(cs.c.external_number.in_(spell), cs.c.sender.in_(spell),
                                            cs.c.recipient.in_(spell))))  # messages, events cascade
    for start, end in _hour_spans(times):
        aggregates.refresh(conn, start, end)
    # Generated files that contain the number go, with their download rows.
    for rel in f.files:
        trash.take(files_root / rel)
    if f.files:
        conn.execute(sa.delete(dl).where(dl.c.path.in_(f.files)))
    result.files_deleted = len(f.files)
    # Whatever still mentions it (other chats' messages, audit details, names, anything):
    # redacted in place, row by row.
    result.redacted = _sweep(conn, pattern, like, spell)
    return result


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _text_columns(table: sa.Table) -> list[sa.Column]:
    return [col for col in table.columns
            if isinstance(col.type, (sa.String, sa.Text, sa.JSON)) and (table.name, col.name) not in _SWEEP_SKIP_COLUMNS]


def _sweep(conn, pattern: re.Pattern, like: str, spell: list[str]) -> int:
    """Redact every remaining mention in every text / JSON column of every table."""
    changed = 0
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())  # a database one migration behind the code
    for table in s.metadata.sorted_tables:
        if table.name in _SWEEP_SKIP_TABLES or table.name not in existing or not table.primary_key.columns:
            continue
        there = {col["name"] for col in inspector.get_columns(table.name)}
        cols = [col for col in _text_columns(table) if col.name in there]
        if not cols:
            continue
        pk = list(table.primary_key.columns)
        as_text = [sa.cast(col, sa.Text) if isinstance(col.type, sa.JSON) else col for col in cols]
        where = sa.or_(*[t.like(like) for t in as_text], *[col.in_(spell) for col in cols
                                                           if not isinstance(col.type, sa.JSON)])
        for row in conn.execute(sa.select(*pk, *cols).where(where)).all():
            values = {}
            for col in cols:
                value = row._mapping[col]
                new = _redact(value, pattern)
                if isinstance(value, str) and value in spell:
                    new = ERASED
                if new != value:
                    values[col.name] = new
            if values:
                conn.execute(sa.update(table).where(*[k == row._mapping[k] for k in pk]).values(**values))
                changed += 1
    return changed

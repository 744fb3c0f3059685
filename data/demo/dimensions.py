"""Writing the demo call centre (``data.demo.call_centre``) into the database: source 1, its
extensions, extension groups, trunks, numbers, queues, ring groups and IVR menus, each
inserted when missing (so the generator and the live simulator can both call it)."""

from __future__ import annotations

import sqlalchemy as sa

from data import schema as s
from data.demo.call_centre import (
    AGENTS,
    DIDS,
    EXT_NAMES,
    EXTS,
    GROUPS,
    IVRS,
    OUTBOUND_CIDS,
    QUEUES,
    RING_GROUPS,
    SOURCE_ID,
    TRUNKS,
)

def ensure_dimensions(conn: sa.Connection) -> None:
    def have(table, *where):
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar() > 0

    if not have(s.source, s.source.c.id == SOURCE_ID):
        conn.execute(s.source.insert().values(id=SOURCE_ID, name="main", description="Demo PBX"))
    existing = {r[0] for r in conn.execute(sa.select(s.extension.c.number).where(s.extension.c.source_id == SOURCE_ID))}
    rows = [{"source_id": SOURCE_ID, "number": e, "name": EXT_NAMES[e],
             "email": _email(EXT_NAMES[e]), "is_agent": e in AGENTS} for e in EXTS if e not in existing]
    if rows:
        conn.execute(s.extension.insert(), rows)
    for name, (desc, members) in GROUPS.items():
        gid = conn.execute(sa.select(s.extension_group.c.id).where(s.extension_group.c.name == name)).scalar()
        if gid is None:
            gid = conn.execute(s.extension_group.insert().values(name=name, description=desc)).inserted_primary_key[0]
            conn.execute(s.extension_group_member.insert(), [{"group_id": gid, "extension": e} for e in members])
    for name, kind, desc in TRUNKS:
        if not have(s.trunk, s.trunk.c.source_id == SOURCE_ID, s.trunk.c.name == name):
            conn.execute(s.trunk.insert().values(source_id=SOURCE_ID, name=name, kind=kind, description=desc))
    for number, kind, name, trunk, dest, _ in DIDS + OUTBOUND_CIDS:
        if not have(s.phone_number, s.phone_number.c.source_id == SOURCE_ID, s.phone_number.c.number == number):
            conn.execute(s.phone_number.insert().values(source_id=SOURCE_ID, number=number, kind=kind, name=name,
                                                        trunk=trunk, destination=dest))
    for number, (name, strategy, sl, short, members, _) in QUEUES.items():
        if not have(s.queue, s.queue.c.source_id == SOURCE_ID, s.queue.c.number == number):
            qid = conn.execute(s.queue.insert().values(
                source_id=SOURCE_ID, number=number, name=name, strategy=strategy, sl_target_s=sl,
                short_abandon_s=short)).inserted_primary_key[0]
            conn.execute(s.queue_member.insert(), [
                {"queue_id": qid, "extension": e, "penalty": 0 if i < len(members) * 2 // 3 else 1}
                for i, e in enumerate(members)])
    for number, (name, strategy, ring_time, members) in RING_GROUPS.items():
        if not have(s.ring_group, s.ring_group.c.source_id == SOURCE_ID, s.ring_group.c.number == number):
            gid = conn.execute(s.ring_group.insert().values(
                source_id=SOURCE_ID, number=number, name=name, strategy=strategy,
                ring_time_s=ring_time)).inserted_primary_key[0]
            conn.execute(s.ring_group_member.insert(), [
                {"ring_group_id": gid, "extension": e, "position": i} for i, e in enumerate(members)])
    for number, (name, opts) in IVRS.items():
        if not have(s.ivr_menu, s.ivr_menu.c.source_id == SOURCE_ID, s.ivr_menu.c.number == number):
            options = {k: v[0] for k, v in opts.items() if k not in ("hangup",) and v[0]}
            options["invalid"] = "repeat"
            conn.execute(s.ivr_menu.insert().values(source_id=SOURCE_ID, number=number, name=name, options=options))


def _email(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    first, last = ascii_name.split()
    return f"{first}.{last}@example.cz"

"""Hand-made calls shared by the call-records tests (queries, CSV, CLI, browser).

Times are UTC; the PBX zone in tests is Europe/Prague (CET, UTC+1, in March 2026).

    uid  start (UTC)          dir       status     from            to             ext  peer queue dur ring talk rec
    c1   2026-03-10 08:00:00  inbound   answered   +420601111111   100            101  -    600   60  10   50   yes
    c2   2026-03-10 08:30:00  outbound  answered   102             +420777222333  102  -    -     120 5    115  no
    c3   2026-03-10 09:00:00  internal  no_answer  101             103            101  103  -     20  20   0    no
    c4   2026-03-10 09:00:00  inbound   abandoned  +420608999000   600            -    -    600   15  15   0    no
    c5   2026-03-11 10:00:00  inbound   voicemail  +420603000000   103            103  -    -     30  25   0    no
    c6   2026-03-09 23:59:59  outbound  busy       101             +420999000111  101  -    -     3   3    0    no

Extension group "Sales" = 101, 102. c1 has two legs (stored out of order).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from data import db, schema

D = datetime

CALLS = [
    dict(call_uid="c1", start_utc=D(2026, 3, 10, 8, 0), end_utc=D(2026, 3, 10, 8, 1), answer_utc=D(2026, 3, 10, 8, 0, 10),
         direction="inbound", status="answered", from_number="+420601111111", from_name="Alice Nováková",
         to_number="100", to_name="Reception", extension="101", queue="600", duration_s=60, ring_s=10, talk_s=50,
         has_recording=True, hangup_by="caller", hangup_cause="normal_clearing", src_trunk="sip-o2",
         did="+420222000100"),
    dict(call_uid="c2", start_utc=D(2026, 3, 10, 8, 30), end_utc=D(2026, 3, 10, 8, 32), answer_utc=D(2026, 3, 10, 8, 30, 5),
         direction="outbound", status="answered", from_number="102", from_name="Bob", to_number="+420777222333",
         extension="102", duration_s=120, ring_s=5, talk_s=115, hangup_by="callee", dst_trunk="sip-o2",
         outbound_cid="+420222000200", caller_ip="10.0.0.12", pin="1234"),
    dict(call_uid="c3", start_utc=D(2026, 3, 10, 9, 0), end_utc=D(2026, 3, 10, 9, 0, 20), direction="internal",
         status="no_answer", from_number="101", to_number="103", extension="101", peer_extension="103",
         duration_s=20, ring_s=20, talk_s=0, caller_ip="10.0.0.11"),
    dict(call_uid="c4", start_utc=D(2026, 3, 10, 9, 0), end_utc=D(2026, 3, 10, 9, 0, 15), direction="inbound",
         status="abandoned", from_number="+420608999000", to_number="600", queue="600", duration_s=15, ring_s=15,
         talk_s=0, src_trunk="sip-cetin"),
    dict(call_uid="c5", start_utc=D(2026, 3, 11, 10, 0), end_utc=D(2026, 3, 11, 10, 0, 30), direction="inbound",
         status="voicemail", from_number="+420603000000", to_number="103", extension="103", duration_s=30,
         ring_s=25, talk_s=0, did="+420222000100"),
    dict(call_uid="c6", start_utc=D(2026, 3, 9, 23, 59, 59), end_utc=D(2026, 3, 10, 0, 0, 2), direction="outbound",
         status="busy", from_number="101", to_number="+420999000111", extension="101", duration_s=3, ring_s=3,
         talk_s=0),
]

# The UTC day 2026-03-10: c1..c4.
DAY_START, DAY_END = D(2026, 3, 10), D(2026, 3, 11)

# Transferred calls, inserted only where asked (``insert_calls(TRANSFERS)``), on the UTC day
# 2026-03-12 (outside the others): c7 inbound, answered by 101 and handed on to an outside
# number; c8 internal 102 -> 101, handed on to extension 103.
TRANSFERS = [
    dict(call_uid="c7", start_utc=D(2026, 3, 12, 9, 0), end_utc=D(2026, 3, 12, 9, 3), answer_utc=D(2026, 3, 12, 9, 0, 5),
         direction="inbound", status="answered", from_number="+420601111111", to_number="100", extension="101",
         duration_s=180, ring_s=5, talk_s=175, transferred_to="+420731555666"),
    dict(call_uid="c8", start_utc=D(2026, 3, 12, 10, 0), end_utc=D(2026, 3, 12, 10, 1), answer_utc=D(2026, 3, 12, 10, 0, 4),
         direction="internal", status="answered", from_number="102", to_number="101", extension="102",
         peer_extension="101", duration_s=60, ring_s=4, talk_s=56, transferred_to="103"),
]
TRANSFERS_DAY = (D(2026, 3, 12), D(2026, 3, 13))


def insert_calls(extra: list[dict] | None = None) -> dict[str, int]:
    """Insert the calls (and c1's legs, the Sales group); returns call_uid -> id."""
    with db.transaction() as conn:
        conn.execute(sa.insert(schema.source).values(id=1, name="main"))
        for row in CALLS + (extra or []):  # one by one: ids follow this order
            conn.execute(sa.insert(schema.call).values(**row))
        ids = {uid: cid for cid, uid in conn.execute(sa.select(schema.call.c.id, schema.call.c.call_uid))}
        conn.execute(
            sa.insert(schema.call_leg),
            [
                dict(call_id=ids["c1"], seq=2, extension="101", via_type="queue", via="600",
                     start_utc=D(2026, 3, 10, 8, 0, 4), answer_utc=D(2026, 3, 10, 8, 0, 10),
                     end_utc=D(2026, 3, 10, 8, 1), ring_s=6, talk_s=50, status="answered"),
                dict(call_id=ids["c1"], seq=1, extension="102", via_type="queue", via="600",
                     start_utc=D(2026, 3, 10, 8, 0, 0), answer_utc=None, end_utc=D(2026, 3, 10, 8, 0, 4), ring_s=4, talk_s=0,
                     status="no_answer"),
            ],
        )
        gid = conn.execute(sa.insert(schema.extension_group).values(name="Sales").returning(schema.extension_group.c.id)).scalar_one()
        conn.execute(sa.insert(schema.extension_group_member), [dict(group_id=gid, extension="101"),
                                                                dict(group_id=gid, extension="102")])
    return ids

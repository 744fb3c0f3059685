"""The demo generator writes calls that satisfy issue 14's definitions: only extensions in the
extension columns, answered only when a person (an extension or a queue agent) answered, and
IVR visits that say where the call went next."""

from __future__ import annotations

import sqlalchemy as sa

from data import schema as s
from data.demo.call_centre import IVRS, QUEUES, RING_GROUPS
from tests.data.demo.test_generator import _rows, generated  # noqa: F401  (the shared small demo fixture)


def test_no_queue_ring_group_or_ivr_number_in_extension_columns(engine, generated):
    c = s.call
    not_extensions = set(QUEUES) | set(RING_GROUPS) | set(IVRS)
    for col in (c.c.extension, c.c.peer_extension, c.c.answered_by):
        found = {r[0] for r in _rows(engine, sa.select(sa.distinct(col)).where(col.is_not(None)))}
        assert not found & not_extensions, col.name


def test_answered_calls_have_a_person_and_talk(engine, generated):
    c = s.call
    rows = _rows(engine, sa.select(c.c.direction, c.c.answered_by, c.c.talk_s, c.c.answer_utc)
                 .where(c.c.status == "answered"))
    assert rows
    assert all(r.answer_utc is not None for r in rows)
    # inbound and internal answered calls name the extension or agent who picked up
    assert all(r.answered_by for r in rows if r.direction in ("inbound", "internal"))


def test_ivr_visits_say_where_the_call_went(engine, generated):
    ch, c = s.ivr_choice, s.call
    rows = _rows(engine, sa.select(ch.c.option, ch.c.next_dest, c.c.status, c.c.destination_type)
                 .join(c, c.c.id == ch.c.call_id))
    assert rows and all(r.next_dest for r in rows)
    hung = [r for r in rows if r.next_dest == "hangup"]
    assert hung and all(r.option == "-" and r.status == "abandoned" and r.destination_type == "ivr" for r in hung)
    kinds = {r.next_dest.split(":")[0] for r in rows}
    assert {"queue", "ivr", "hangup"} <= kinds

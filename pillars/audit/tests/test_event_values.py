"""An event's values: the bytes its HMAC covers, the instance ``record`` hands back and the row
the INSERT writes are the same whatever type each value comes in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from django.utils.translation import gettext_lazy

from pillars.audit import log
from pillars.audit.choices import Action
from pillars.audit.models import CHAINED_FIELDS, AuditEvent, canonical
from pillars.audit.verify import verify_database

# Outside a transaction: ``log.together`` holds an event until its block ends.
pytestmark = pytest.mark.django_db(transaction=True)

PERSON = UUID("12345678-1234-5678-1234-567812345678")


def test_the_hashed_bytes_of_each_kind_of_value() -> None:
    values: dict[str, Any] = {
        "seq": 7,
        "occurred_at": datetime(2026, 3, 8, 9, 30, 0, 5, tzinfo=timezone(timedelta(hours=-5))),
        "actor_id": None,
        "actor_label": "nurse",
        "action": Action.VIEW,  # text of a subclass of str
        "object_type": gettext_lazy("people.personserved"),  # text not made yet
        "object_id": 12,
        "person_id": PERSON,
        "outcome": "success",
        "category": "general",
        "purpose": "",
        "ip": "127.0.0.1",
        "user_agent": "é agent",
        "request_id": "",
        "detail": {"b": [1, 2.5, True], "a": "x"},
        "prev_hmac": "0" * 64,
    }
    assert canonical(values) == (
        b'{"action":"view","actor_id":null,"actor_label":"nurse","category":"general",'
        b'"detail":{"a":"x","b":[1,2.5,true]},"ip":"127.0.0.1","object_id":12,'
        b'"object_type":"people.personserved","occurred_at":"2026-03-08T09:30:00.000005-05:00",'
        b'"outcome":"success","person_id":"12345678-1234-5678-1234-567812345678",'
        b'"prev_hmac":"0000000000000000000000000000000000000000000000000000000000000000",'
        b'"purpose":"","request_id":"","seq":7,"user_agent":"\xc3\xa9 agent"}'
    )
    # A day is written as its text, a missing value as null.
    del values["ip"]
    values["occurred_at"] = date(2026, 1, 2)
    assert b'"ip":null' in canonical(values)
    assert b'"occurred_at":"2026-01-02"' in canonical(values)


def _record(**fields: Any) -> AuditEvent:
    return log.record(actor=None, action=Action.VIEW, person_id=PERSON, **fields)


@pytest.mark.parametrize("together", [False, True])
def test_the_event_handed_back_and_the_row_written_hold_the_values_given(together: bool) -> None:
    fields: dict[str, Any] = {
        "object_type": gettext_lazy("people.personserved"),  # text not made yet: stored as text
        "object_id": "a1",
        "detail": {"note": "é"},
    }
    if together:
        with log.together():
            held = _record(**fields)
        assert held.seq is None
        assert held.hmac == ""
        assert held.lane == 1
    else:
        held = _record(**fields)
    expected = {f.attname: f.get_default() for f in AuditEvent._meta.concrete_fields}
    expected.update(log._values(actor=None, action=Action.VIEW, person_id=PERSON, **fields))
    for name in ("occurred_at", "detail"):
        expected[name] = getattr(held, name)  # the moment of the call; the channel it came by
    if not together:
        expected.update(
            {name: getattr(held, name) for name in ("id", "seq", "lane", "prev_hmac", "hmac")}
        )
    assert {f.attname: getattr(held, f.attname) for f in AuditEvent._meta.concrete_fields} == {
        name: expected[name] for name in expected
    }
    stored = AuditEvent.objects.get()
    assert stored.object_type == "people.personserved"
    assert stored.person_id == PERSON
    assert stored.detail == held.detail
    assert stored.occurred_at == held.occurred_at.astimezone(UTC)
    if not together:
        assert {n: getattr(stored, n) for n in CHAINED_FIELDS} == {
            n: getattr(held, n) for n in CHAINED_FIELDS
        }
    assert verify_database() == (None, 1)

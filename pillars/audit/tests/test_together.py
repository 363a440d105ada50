"""``log.together``: the events a block of reads records outside any transaction are written at
its end, in order, in one transaction (one INSERT), chained like any others; an event inside a
transaction, and a durable one, is written at once as always; a block that raises still writes
what it recorded."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pillars.audit import log
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database

pytestmark = pytest.mark.django_db(transaction=True)

INSERT = 'INSERT INTO "audit_auditevent"'


def _view(n: int, **fields: Any) -> AuditEvent:
    return log.record(actor=None, action="view", object_type="test", object_id=str(n), **fields)


def _ids() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("object_id", flat=True))


def test_a_blocks_events_are_written_at_its_end_in_one_insert_and_chained() -> None:
    _view(0)
    with CaptureQueriesContext(connection) as queries, log.together():
        held = _view(1, detail={"note": "the list read"})
        _view(2, detail={"note": "the disclosure it made"})
        assert held.pk is None
        assert _ids() == ["0"]
    assert _ids() == ["0", "1", "2"]
    assert sum(INSERT in q["sql"] for q in queries.captured_queries) == 1
    events = list(AuditEvent.objects.order_by("seq"))
    assert all(b.prev_hmac == a.hmac for a, b in itertools.pairwise(events))
    assert [e.seq for e in events] == sorted({e.seq for e in events})
    assert AuditEvent.objects.get(object_id="1").detail["note"] == "the list read"
    assert verify_database() == (None, 3)


def test_a_block_that_raises_still_writes_what_it_recorded() -> None:
    def failing_page() -> None:
        with log.together():
            _view(1)
            raise RuntimeError("the page failed after its read")

    with pytest.raises(RuntimeError):
        failing_page()
    assert _ids() == ["1"]
    assert verify_database() == (None, 1)


def test_an_event_inside_a_transaction_or_a_durable_one_is_written_at_once() -> None:
    with log.together():
        with transaction.atomic():
            _view(1)
        assert _ids() == ["1"]
        _view(2, durable=True)
        assert _ids() == ["1", "2"]
        _view(3)
        assert _ids() == ["1", "2"]
    assert _ids() == ["1", "2", "3"]
    assert verify_database() == (None, 3)


def test_a_block_inside_another_is_written_with_the_outer_one() -> None:
    with log.together():
        with log.together():
            _view(1)
        assert _ids() == []
        _view(2)
    assert _ids() == ["1", "2"]
    assert verify_database() == (None, 2)


def test_a_block_that_records_nothing_writes_nothing() -> None:
    with CaptureQueriesContext(connection) as queries, log.together():
        pass
    assert queries.captured_queries == []

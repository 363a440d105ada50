"""PostgreSQL's one-statement append (``log._append_at_tip``): where the last event this process
wrote is still the newest, the next one outside a transaction is numbered, chained and stored
in one statement; where another writer came between, it is written the locked way, the same
event exactly once, and the chain still verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from pillars.audit import log
from pillars.audit.models import AuditEvent, ChainHead
from pillars.audit.verify import verify_database

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the one-statement append is PostgreSQL's"
    ),
]


@pytest.fixture(autouse=True)
def fresh_tips() -> Iterator[None]:
    """Each test starts as a process that has written nothing yet."""
    log._tips.clear()
    log._skips.clear()
    yield
    log._tips.clear()
    log._skips.clear()


def _record(name: str) -> AuditEvent:
    return log.record(actor=None, action="view", object_type="test", object_id=name)


def _recorded(name: str) -> tuple[AuditEvent, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        event = _record(name)
    return event, [q["sql"] for q in queries.captured_queries]


def _intact() -> None:
    broken, _count = verify_database()
    assert broken is None


def _stored_once(event: AuditEvent) -> None:
    assert AuditEvent.objects.filter(object_id=event.object_id).count() == 1
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.lane, stored.hmac) == (event.seq, event.lane, event.hmac)


def test_the_next_event_after_this_process_wrote_the_newest_is_one_statement() -> None:
    first, _ = _recorded("first")  # the locked way: nothing known yet
    second, sql = _recorded("second")
    assert len(sql) == 1
    assert " taken AS " in sql[0]
    assert (second.seq, second.lane, second.prev_hmac) == (first.seq + 1, first.lane, first.hmac)
    head = ChainHead.objects.get(pk=first.lane)
    assert (head.seq, head.hmac) == (second.seq, second.hmac)
    _stored_once(second)
    _intact()


def test_a_number_taken_elsewhere_sends_the_event_the_locked_way() -> None:
    _record("first")
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{log.SEQUENCE}')")
            [(taken,)] = cursor.fetchall()
    finally:
        other.close()
    second, sql = _recorded("second")
    assert " taken AS " in sql[0]
    assert len(sql) > 1
    assert second.seq > taken
    _stored_once(second)
    _intact()


def test_a_head_moved_by_another_writer_sends_the_event_the_locked_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _record("first")
    with monkeypatch.context() as patched:
        # Another process's append: this process does not learn its tip.
        patched.setattr(log, "_keep_tip", lambda *_args: None)
        with transaction.atomic():
            between = _record("between")
    second, sql = _recorded("second")
    assert " taken AS " in sql[0]
    assert len(sql) > 1
    assert second.seq > between.seq > first.seq
    for event in (first, between, second):
        _stored_once(event)
    _intact()


def test_after_a_miss_the_next_appends_skip_the_one_statement_then_try_again() -> None:
    _record("first")
    log._tips[log._tip_key(connection)] = log._Tip(1, -1, "stale")
    _, sql = _recorded("missed")
    assert len(sql) > 1
    skipped = log._skips[log._tip_key(connection)][0]
    assert skipped >= 1
    for i in range(skipped):
        _, sql = _recorded(f"skipped {i}")
        assert not any(" taken AS " in s for s in sql)
    _, sql = _recorded("again")
    assert len(sql) == 1
    _intact()


def test_a_lane_a_transaction_holds_is_not_waited_on() -> None:
    first = _record("first")
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ChainHead.objects.select_for_update().get(pk=first.lane)
                held.set()
                done.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        second = _record("second")
    finally:
        done.set()
        holder.join()
    assert second.lane != first.lane
    _stored_once(second)
    _intact()


def test_an_event_inside_a_transaction_is_written_the_locked_way() -> None:
    _record("first")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        inside = _record("inside")
    assert not any(" taken AS " in q["sql"] for q in queries.captured_queries)
    after, sql = _recorded("after")
    # The transaction's commit taught this process the tip: the next event is one statement.
    assert len(sql) == 1
    assert after.seq == inside.seq + 1
    _intact()


def test_a_blocks_events_after_this_process_wrote_the_newest_are_one_statement() -> None:
    first = _record("first")
    with CaptureQueriesContext(connection) as queries, log.together():
        _record("a")
        _record("b")
    [sql] = [q["sql"] for q in queries.captured_queries]
    assert " taken AS " in sql
    a, b = AuditEvent.objects.filter(object_id__in=["a", "b"]).order_by("seq")
    assert (a.seq, b.seq) == (first.seq + 1, first.seq + 2)
    assert (a.prev_hmac, b.prev_hmac) == (first.hmac, a.hmac)
    assert a.lane == b.lane == first.lane
    _intact()


def test_the_one_statement_is_planned_once_not_on_every_run() -> None:
    """The statement names how many numbers it takes in its text: with the count as a value,
    PostgreSQL guessed a thousand rows for its generic plan and planned it afresh every run."""
    if not connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold"):
        pytest.skip("statements are not kept (prepared) with this setting")
    _record("first")
    for i in range(12):
        _record(f"next {i}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["% taken AS %"],
        )
        [(generic,)] = cursor.fetchall()
    assert generic > 0


def test_more_events_at_once_than_the_statement_takes_go_the_locked_way() -> None:
    first = _record("first")
    with CaptureQueriesContext(connection) as queries, log.together():
        for i in range(log.MOST_AT_ONCE + 1):
            _record(f"many {i}")
    assert not any(" taken AS " in q["sql"] for q in queries.captured_queries)
    many = list(AuditEvent.objects.filter(object_id__startswith="many ").order_by("seq"))
    assert len(many) == log.MOST_AT_ONCE + 1
    assert many[0].seq > first.seq
    _intact()

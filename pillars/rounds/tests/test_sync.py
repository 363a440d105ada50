"""Batch sync of queued checks: each item on its own, replays, scope per item, the audit chain,
and two devices syncing overlapping batches at once (no duplicate, no loss)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connections

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.audit.tests.test_concurrency import _in_thread, writers_database
from pillars.audit.verify import verify_database
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.testing import World, build_world
from pillars.rounds import services
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder
from pillars.rounds.services.sync import MAX_BATCH, CheckItem, record_checks

__all__ = ["writers_database"]  # the fixture: a database the device threads can share


def q15() -> ObservationLevel:
    return ObservationLevel.objects.get(code="q15", is_current=True)


def open_order(
    world: World, person: Any = None, minutes_ago: int = 60, by: Any = None
) -> ObservationOrder:
    return services.order_observation(
        person or world.person_a,
        actor=by or world.user("nurse"),
        level=q15(),
        reason="Admission default",
        started_at=clock.now() - timedelta(minutes=minutes_ago),
    )


def item(of: ObservationOrder, **overrides: Any) -> CheckItem:
    values: dict[str, Any] = {
        "order": of.public_id,
        "client_id": uuid.uuid4(),
        "observed_at": clock.now() - timedelta(minutes=1),
        "location": "dayroom",
        "activity": "sitting",
        "safety_status": "safe",
    }
    values.update(overrides)
    return CheckItem(**values)


@pytest.mark.django_db
def test_a_bad_item_never_loses_the_good_ones(world: World) -> None:
    order = open_order(world)
    before = last_seq()
    good = [item(order, observed_at=clock.now() - timedelta(minutes=m)) for m in (3, 2)]
    bad = item(order, location="roof", activity="flying")
    late = item(order, observed_at=clock.now() - timedelta(minutes=40))
    results = record_checks([good[0], bad, late, good[1]], actor=world.user("bht"))

    assert [r.status for r in results] == ["created", "refused", "refused", "created"]
    assert set(results[1].errors) == {"location", "activity"}
    assert "late_reason" in results[2].errors
    assert results[2].check is None
    stored = Check.objects.filter(order=order)
    assert {c.public_id for c in stored} == {results[0].check, results[3].check}
    assert {c.client_id for c in stored} == {good[0].client_id, good[1].client_id}
    # One update per order, to the newest observation only.
    order.refresh_from_db()
    assert order.last_observed_at == good[1].observed_at
    assert order.due_at == good[1].observed_at + timedelta(minutes=15)
    # One audit event per stored check, as record_check would write it.
    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.object_id for e in events] == [str(results[0].check), str(results[3].check)]
    assert all(e.action == "create" and e.person_id == world.person_a.public_id for e in events)
    assert events[0].detail["order"] == str(order.public_id)
    assert events[0].detail["location"] == "dayroom"
    assert verify_database()[0] is None


@pytest.mark.django_db
def test_replays_answer_with_the_first_check_and_other_details_are_refused(
    world: World,
) -> None:
    order = open_order(world)
    first = item(order)
    [created] = record_checks([first], actor=world.user("bht"))
    count = Check.objects.count()
    events = AuditEvent.objects.count()

    same = first
    changed = CheckItem(**{**first.__dict__, "safety_status": "concern"})
    twice = item(order)
    twice_changed = CheckItem(**{**twice.__dict__, "note": "different"})
    results = record_checks([same, changed, twice, twice, twice_changed], actor=world.user("bht"))

    assert [r.status for r in results] == ["replayed", "refused", "created", "replayed", "refused"]
    assert results[0].check == created.check
    assert results[1].errors == {"client_id": [services.orders.REPLAY_CONFLICT]}
    assert results[3].check == results[2].check
    assert Check.objects.count() == count + 1
    assert AuditEvent.objects.count() == events + 1  # replays are not new writes


@pytest.mark.django_db
def test_a_client_id_of_another_persons_order_is_refused(world: World) -> None:
    order = open_order(world)
    first = item(order)
    record_checks([first], actor=world.user("bht"))
    placed = build_second_person(world)
    other = open_order(world, person=placed)
    [result] = record_checks([item(other, client_id=first.client_id)], actor=world.user("bht"))
    assert result.status == "refused"
    assert result.errors == {"client_id": [services.orders.OTHER_ORDER]}


def build_second_person(world: World) -> Any:
    from pillars.people.testing import make_person, place

    person = make_person("MRN-A2", "Nguyen")
    place(person, world.unit_a, world.beds_a[1], world.staff["nurse"])
    return person


@pytest.mark.django_db
def test_an_out_of_scope_order_refuses_that_item_not_the_batch(world: World) -> None:
    mine = open_order(world)
    from pillars.people.testing import make_staff

    nurse_b = make_staff("t-nurse-b", ["nurse"], [world.unit_b])
    theirs = open_order(world, person=world.person_b, by=nurse_b.user)
    before = last_seq()
    results = record_checks(
        [item(theirs), item(mine), item(mine, order=uuid.uuid4()), item(mine, order="nope")],
        actor=world.user("bht"),
    )
    assert [r.status for r in results] == ["refused", "created", "refused", "refused"]
    # An order out of scope reads exactly like one that does not exist.
    assert results[0].errors == results[2].errors == {"order": ["Not found."]}
    assert not Check.objects.filter(order=theirs).exists()
    denied = AuditEvent.objects.filter(seq__gt=before, outcome="denied")
    assert {e.object_id for e in denied} >= {str(theirs.public_id)}
    assert all(e.detail["policy_action"] == "rounds.record_check" for e in denied)


@pytest.mark.django_db
def test_a_role_that_may_not_record_checks_is_refused_whole(world: World) -> None:
    order = open_order(world)
    with pytest.raises(PermissionDenied):
        record_checks([item(order)], actor=world.user("peer"))
    assert not Check.objects.exists()


@pytest.mark.django_db
def test_at_most_a_thousand_checks_per_sync(world: World) -> None:
    order = open_order(world)
    with pytest.raises(ValidationError) as refused:
        record_checks([item(order) for _ in range(MAX_BATCH + 1)], actor=world.user("bht"))
    assert "checks" in refused.value.message_dict
    assert not Check.objects.exists()


@pytest.mark.django_db
def test_a_full_batch_of_a_thousand_is_stored_and_the_chain_verifies(world: World) -> None:
    order = open_order(world, minutes_ago=9)
    start = clock.now() - timedelta(minutes=9)
    batch = [
        item(order, observed_at=start + timedelta(microseconds=500 * n)) for n in range(MAX_BATCH)
    ]
    results = record_checks(batch, actor=world.user("bht"))
    assert {r.status for r in results} == {"created"}
    assert Check.objects.filter(order=order).count() == MAX_BATCH
    assert AuditEvent.objects.filter(object_type="rounds.check").count() == MAX_BATCH
    problem, checked = verify_database()
    assert problem is None
    assert checked >= MAX_BATCH
    call_command("audit", "verify")  # the command an auditor runs passes too


@pytest.mark.django_db
def test_a_late_batch_entry_never_moves_the_clock_backwards(world: World) -> None:
    order = open_order(world)
    services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now(),
        location="dayroom",
        activity="sitting",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )
    order.refresh_from_db()
    newest = order.last_observed_at
    record_checks(
        [item(order, observed_at=clock.now() - timedelta(minutes=5))], actor=world.user("bht")
    )
    order.refresh_from_db()
    assert order.last_observed_at == newest


@pytest.mark.django_db(transaction=True)
def test_two_devices_syncing_overlapping_batches_at_once(writers_database: str) -> None:
    """Runs on PostgreSQL (row locks, ON CONFLICT DO NOTHING) and on an SQLite file in WAL mode
    (the IMMEDIATE write lock), each device on its own connection."""
    world = _in_thread(build_world)
    order = _in_thread(lambda: open_order(world))
    shared = [item(order, observed_at=clock.now() - timedelta(seconds=n)) for n in range(40)]
    only_a = [item(order) for _ in range(10)]
    only_b = [item(order) for _ in range(10)]
    batches = {"a": shared + only_a, "b": list(reversed(shared)) + only_b}
    users = {"a": world.user("bht"), "b": world.user("nurse")}
    answers: dict[str, list[Any]] = {}
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sync(device: str) -> None:
        try:
            barrier.wait(timeout=10)
            answers[device] = record_checks(batches[device], actor=users[device])
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync, args=(d,)) for d in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    ids = [i.client_id for i in shared + only_a + only_b]

    def stored() -> dict[str, Any]:
        rows = Check.objects.filter(order=order).values_list("client_id", "public_id")
        return {
            "rows": [(str(c), p) for c, p in rows],
            "events": AuditEvent.objects.filter(object_type="rounds.check").count(),
            "verified": verify_database()[0] is None,
        }

    after = _in_thread(stored)
    assert sorted(c for c, _ in after["rows"]) == sorted(str(i) for i in ids)  # no dup, no loss
    by_client = dict(after["rows"])
    created = [r for d in answers for r in answers[d] if r.status == "created"]
    assert len(created) == len(ids)  # each check created exactly once, by one device
    replayed = [r for d in answers for r in answers[d] if r.status == "replayed"]
    assert len(replayed) == len(shared)  # the overlap: the other device's answer is a replay
    for device in answers:
        assert {r.status for r in answers[device]} <= {"created", "replayed"}
        for r in answers[device]:
            assert r.check == by_client[r.client_id]
    assert after["events"] == len(ids)
    assert after["verified"]

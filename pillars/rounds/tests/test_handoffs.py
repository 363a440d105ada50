"""The signed shift handoff: compiled content, notes and addenda, both signatures, the pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core.errors import Conflict, ValidationError
from pillars.people.models import Alert
from pillars.people.services import set_pin
from pillars.people.testing import World
from pillars.rounds.models import (
    Check,
    Coverage,
    Handoff,
    HandoffNote,
    MonitoringException,
    ObservationLevel,
    ObservationOrder,
)
from pillars.rounds.services import handoffs as services

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 4, 13, 0, tzinfo=UTC)  # 07:00 in America/Chicago
END = START + timedelta(hours=12)
PIN = "482913"


@pytest.fixture(autouse=True)
def _end_of_shift() -> Any:
    with time_machine.travel(END - timedelta(minutes=10), tick=False):
        yield


def _order(world: World, level: str, started: datetime, **kw: Any) -> ObservationOrder:
    return ObservationOrder.objects.create(
        person=world.person_a,
        episode=world.person_a.episodes.get(),
        level=ObservationLevel.objects.get(code=level, is_current=True),
        reason="test",
        ordered_by=world.staff["nurse"],
        started_at=started,
        recorded_at=started,
        **kw,
    )


def _check(order: ObservationOrder, world: World, minutes: float, **kw: Any) -> Check:
    observed = START + timedelta(minutes=minutes)
    values = {"recorded_at": observed + timedelta(seconds=5), **kw}
    return Check.objects.create(
        order=order,
        observed_by=world.staff["bht"],
        observed_at=observed,
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
        **values,
    )


@pytest.fixture
def shift(world: World) -> dict[str, Any]:
    """A q15 order from before the shift, changed to 1:1 at 09:00 local (2 h in)."""
    first = _order(world, "q15", START - timedelta(hours=5))
    first.ended_at = START + timedelta(hours=2)
    first.save()
    second = _order(world, "one-to-one", START + timedelta(hours=2), replaces=first)
    second.precautions = ["suicide"]
    second.save()
    for m in [-5, 10, 25, 55, 70, 115]:  # 25 -> 55 is 30 min: missed; 70 -> 115 missed
        _check(first, world, m)
    _check(
        first,
        world,
        40,
        recorded_at=START + timedelta(minutes=58),
        is_late_entry=True,
        late_reason="Busy with an admission",
    )
    minute = 120
    while minute < 12 * 60 - 10:
        _check(second, world, minute)
        minute += 14
    MonitoringException.objects.create(
        order=second,
        kind="off_unit",
        reason="X-ray",
        with_whom="Transport",
        where="Radiology",
        started_at=START + timedelta(hours=4),
        started_by=world.staff["nurse"],
        recorded_at=START + timedelta(hours=4),
        ended_at=START + timedelta(hours=5),
    )
    Coverage.objects.create(
        order=second,
        staff=world.staff["bht"],
        started_at=START + timedelta(hours=2),
        started_by=world.staff["nurse"],
        recorded_at=START + timedelta(hours=2),
    )
    Alert.objects.create(
        kind="escalation",
        recipient=world.staff["nurse"],
        unit=world.unit_a,
        person=world.person_a,
        subject_kind="rounds.observationorder",
        subject_id=first.public_id,
        message="Check overdue for Alex Rivera",
        due_at=START + timedelta(minutes=50),
        created_at=START + timedelta(minutes=50),
        dedupe_key="t-1",
    )
    return {"first": first, "second": second}


def _compile(world: World, role: str = "nurse") -> Handoff:
    return services.compile_handoff(world.unit_a, actor=world.user(role), start=START, end=END)


def test_compile_gathers_the_shift_per_person(world: World, shift: dict[str, Any]) -> None:
    handoff = _compile(world)
    person = next(p for p in handoff.snapshot["persons"] if p["name"] == "Alex Rivera")
    assert person["level"] == "1:1 observation" or "1:1" in person["level"]
    assert person["precautions"] == ["Suicide"]
    assert [c["started_in_shift"] for c in person["level_changes"]] == [False, True]
    missed = [(g["from_at"], g["minutes"]) for g in person["missed_checks"]]
    assert missed == [((START + timedelta(minutes=70)).isoformat(), 45)]
    assert [e["reason"] for e in person["late_entries"]] == ["Busy with an admission"]
    assert [e["where"] for e in person["exceptions"]] == ["Radiology"]
    assert [c["staff"] for c in person["coverage"]] == ["T Bht"]
    assert [a["message"] for a in person["open_alerts"]] == ["Check overdue for Alex Rivera"]
    assert handoff.snapshot["open_findings"] == []
    event = AuditEvent.objects.get(object_id=str(handoff.public_id), action="create")
    assert str(world.person_a.public_id) in event.detail["person_ids"]
    # The person on unit B is not in unit A's handoff.
    assert all(p["name"] != "Alex Okafor" for p in handoff.snapshot["persons"])


def test_late_checks_within_the_grace(world: World) -> None:
    order = _order(world, "q15", START - timedelta(hours=1))
    for m in [0, 20, 35]:
        _check(order, world, m)
    with time_machine.travel(START + timedelta(minutes=45), tick=False):
        handoff = services.compile_handoff(
            world.unit_a, actor=world.user("bht"), start=START, end=END
        )
    person = handoff.snapshot["persons"][0]
    assert [g["minutes"] for g in person["late_checks"]] == [20]
    assert person["missed_checks"] == []


def test_compile_refuses_bad_periods_and_roles(world: World) -> None:
    for start, end in [(END, START), (START, START + timedelta(hours=25))]:
        with pytest.raises(ValidationError):
            services.compile_handoff(world.unit_a, actor=world.user("nurse"), start=start, end=end)
    with pytest.raises(ValidationError):
        services.compile_handoff(
            world.unit_a,
            actor=world.user("nurse"),
            start=END + timedelta(hours=1),
            end=END + timedelta(hours=2),
        )
    with pytest.raises(PermissionDenied):
        _compile(world, role="clinician")
    assert not Handoff.objects.exists()


def test_sign_outgoing_then_incoming_with_pin(world: World, shift: dict[str, Any]) -> None:
    handoff = _compile(world)
    set_pin(world.staff["bht"], actor=world.user("bht"), pin=PIN)
    with pytest.raises(ValidationError):
        services.sign_incoming(handoff, actor=world.user("bht"), pin=PIN)  # outgoing first
    handoff = services.sign_outgoing(handoff, actor=world.user("nurse"))
    assert handoff.outgoing_staff == world.staff["nurse"]
    with pytest.raises(Conflict):
        services.sign_outgoing(handoff, actor=world.user("bht"))
    with pytest.raises(Conflict):
        services.recompile_handoff(handoff, actor=world.user("nurse"))
    # The same person may not sign both sides.
    with pytest.raises(ValidationError):
        services.sign_incoming(handoff, actor=world.user("nurse"), pin=PIN)
    with pytest.raises(ValidationError) as wrong:
        services.sign_incoming(handoff, actor=world.user("bht"), pin="000111")
    assert "pin" in wrong.value.message_dict
    assert AuditEvent.objects.filter(object_id=str(handoff.public_id), outcome="failed").exists()
    handoff.refresh_from_db()
    assert handoff.incoming_signed_at is None
    handoff = services.sign_incoming(handoff, actor=world.user("bht"), pin=PIN)
    assert handoff.incoming_staff == world.staff["bht"]
    assert handoff.is_signed
    events = AuditEvent.objects.filter(object_id=str(handoff.public_id), action="update")
    assert {e.detail.get("event") for e in events} >= {"signed_outgoing", "signed_incoming"}
    with pytest.raises(Conflict):
        services.sign_incoming(handoff, actor=world.user("bht"), pin=PIN)


def test_notes_before_and_addenda_after_signing(world: World, shift: dict[str, Any]) -> None:
    handoff = _compile(world)
    note = services.add_note(
        handoff, actor=world.user("nurse"), text="Ate little at supper.", person=world.person_a
    )
    assert not note.is_addendum
    with pytest.raises(ValidationError):
        services.add_note(handoff, actor=world.user("nurse"), text="x", person=world.person_b)
    with pytest.raises(ValidationError):
        services.add_note(handoff, actor=world.user("nurse"), text="   ")
    set_pin(world.staff["bht"], actor=world.user("bht"), pin=PIN)
    services.sign_outgoing(handoff, actor=world.user("nurse"))
    handoff = services.sign_incoming(handoff, actor=world.user("bht"), pin=PIN)
    with pytest.raises(ValidationError) as missing:
        services.add_note(handoff, actor=world.user("bht"), text="Forgot: family call at 9.")
    assert "reason" in missing.value.message_dict
    assert HandoffNote.objects.count() == 1
    addendum = services.add_note(
        handoff, actor=world.user("bht"), text="Family call at 9.", reason="Left out at handoff"
    )
    assert addendum.is_addendum
    assert addendum.reason == "Left out at handoff"
    event = AuditEvent.objects.get(object_id=str(addendum.public_id))
    assert event.detail["addendum"] is True


def test_recompile_before_signing_picks_up_new_data(world: World, shift: dict[str, Any]) -> None:
    handoff = _compile(world)
    before = len(handoff.snapshot["persons"][0]["late_entries"])
    _check(
        shift["second"],
        world,
        600,
        recorded_at=END - timedelta(minutes=11),
        is_late_entry=True,
        late_reason="Tablet down",
    )
    handoff = services.recompile_handoff(handoff, actor=world.user("nurse"))
    assert len(handoff.snapshot["persons"][0]["late_entries"]) == before + 1


# --- Pages --------------------------------------------------------------------------------------


def test_pages_compile_sign_and_print(world: World, shift: dict[str, Any], signed_in: Any) -> None:
    nurse = signed_in("nurse")
    new_url = reverse("rounds:handoff-new", kwargs={"public_id": world.unit_a.public_id})
    assert nurse.get(new_url).status_code == 200
    response = nurse.post(new_url, {"starts_at": "2025-03-04T07:00", "ends_at": "2025-03-04T19:00"})
    assert response.status_code == 302
    handoff = Handoff.objects.get()
    assert handoff.starts_at == START
    detail = reverse("rounds:handoff-detail", kwargs={"public_id": handoff.public_id})
    body = nurse.get(detail).content.decode()
    assert "Alex Rivera" in body
    assert "Missed" in body
    assert "Busy with an admission" in body
    assert "Radiology" in body
    note_url = reverse("rounds:handoff-note", kwargs={"public_id": handoff.public_id})
    nurse.post(note_url, {"person": str(world.person_a.public_id), "text": "Calm all evening."})
    assert HandoffNote.objects.get().text == "Calm all evening."
    sign_url = reverse("rounds:handoff-sign", kwargs={"public_id": handoff.public_id})
    assert nurse.post(sign_url, {"side": "outgoing"}).status_code == 302
    set_pin(world.staff["bht"], actor=world.user("bht"), pin=PIN)
    bht = signed_in("bht")
    wrong = bht.post(sign_url, {"side": "incoming", "pin": "111222"})
    assert wrong.status_code == 200
    assert "That PIN does not match" in wrong.content.decode()
    assert bht.post(sign_url, {"side": "incoming", "pin": PIN}).status_code == 302
    handoff.refresh_from_db()
    assert handoff.is_signed
    printed = nurse.get(
        reverse("rounds:handoff-print", kwargs={"public_id": handoff.public_id})
    ).content.decode()
    assert "Calm all evening." in printed
    assert 'class="nav"' not in printed
    assert "Signed by T Nurse" in printed
    assert 'style="' not in printed
    listing = nurse.get(
        reverse("rounds:handoff-list", kwargs={"public_id": world.unit_a.public_id})
    ).content.decode()
    assert detail in listing


# --- API ----------------------------------------------------------------------------------------


def test_api_compile_read_and_sign(world: World, shift: dict[str, Any]) -> None:
    from django.test import Client

    from pillars.core.tests.api_support import token_for

    def client(role: str) -> Any:
        return {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.user(role))}"}

    api = Client()
    url = f"/api/v1/units/{world.unit_a.public_id}/handoffs"
    body = {"starts_at": START.isoformat(), "ends_at": END.isoformat()}
    made = api.post(url, body, content_type="application/json", **client("nurse"))
    assert made.status_code == 201, made.content
    public_id = made.json()["public_id"]
    assert made.json()["snapshot"]["persons"][0]["name"] == "Alex Rivera"
    listed = api.get(url, **client("supervisor")).json()
    assert [h["public_id"] for h in listed] == [public_id]
    sign = f"/api/v1/handoffs/{public_id}/sign"
    signed = api.post(
        sign, {"side": "outgoing"}, content_type="application/json", **client("nurse")
    )
    assert signed.status_code == 200
    assert signed.json()["outgoing_signed_at"] is not None
    set_pin(world.staff["bht"], actor=world.user("bht"), pin=PIN)
    wrong = api.post(
        sign,
        {"side": "incoming", "pin": "999000"},
        content_type="application/json",
        **client("bht"),
    )
    assert wrong.status_code == 422
    ok = api.post(
        sign, {"side": "incoming", "pin": PIN}, content_type="application/json", **client("bht")
    )
    assert ok.status_code == 200
    got = api.get(f"/api/v1/handoffs/{public_id}", **client("bht")).json()
    assert got["incoming_staff"] == str(world.staff["bht"].public_id)


def _escalation(world: World, order: Any, message: str, due: datetime, **closed: Any) -> None:
    Alert.objects.create(
        kind="escalation",
        recipient=world.staff["nurse"],
        unit=world.unit_a,
        person=world.person_a,
        subject_kind="rounds.observationorder",
        subject_id=order.public_id,
        message=message,
        due_at=due,
        created_at=due,
        dedupe_key=f"t-{message}",
        **closed,
    )


def test_an_escalation_closed_in_the_shift_is_not_listed_as_open(
    world: World, shift: dict[str, Any]
) -> None:
    """An escalation closed before the shift ended (a check was recorded, the order ended) was
    answered: the handoff lists only those still open at its end, acknowledged or not."""
    closed = {"resolved_reason": "A check was recorded."}
    _escalation(
        world,
        shift["first"],
        "Closed in the shift",
        START + timedelta(minutes=20),
        resolved_at=START + timedelta(minutes=30),
        **closed,
    )
    _escalation(
        world,
        shift["first"],
        "Closed after the shift",
        START + timedelta(minutes=25),
        resolved_at=END + timedelta(minutes=5),
        **closed,
    )
    handoff = _compile(world)
    person = next(p for p in handoff.snapshot["persons"] if p["name"] == "Alex Rivera")
    assert [a["message"] for a in person["open_alerts"]] == [
        "Closed after the shift",
        "Check overdue for Alex Rivera",
    ]

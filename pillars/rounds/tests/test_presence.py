"""Proof of presence: levels that want a scanned code, codes that cannot be forged, the pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.testing import World
from pillars.rounds import presence, services
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def proof_order(world: World) -> ObservationOrder:
    level = services.change_level(
        ObservationLevel.objects.get(code="q15", is_current=True),
        actor=world.user("admin"),
        requires_presence_proof=True,
    )
    return services.order_observation(
        world.person_a, actor=world.user("nurse"), level=level, reason="Elopement risk"
    )


def record(order: ObservationOrder, world: World, **overrides: Any) -> Check:
    values: dict[str, Any] = {
        "observed_at": clock.now(),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
        "client_id": uuid.uuid4(),
    }
    values.update(overrides)
    return services.record_check(order, actor=world.user("bht"), **values)


def test_the_level_setting_is_versioned(world: World, proof_order: ObservationOrder) -> None:
    assert proof_order.level.requires_presence_proof
    assert proof_order.level.version == 2
    event = AuditEvent.objects.filter(object_id=str(proof_order.level.public_id)).get()
    assert event.detail["changes"]["requires_presence_proof"] == {"old": False, "new": True}


def test_a_tap_at_a_proof_level_needs_a_reason(world: World, proof_order: ObservationOrder) -> None:
    with pytest.raises(ValidationError) as refused:
        record(proof_order, world)
    assert "no_code_reason" in refused.value.message_dict
    assert not Check.objects.exists()
    kept = record(proof_order, world, no_code_reason="Code label torn off")
    assert kept.proof == "tap"
    assert kept.no_code_reason == "Code label torn off"
    event = AuditEvent.objects.get(object_id=str(kept.public_id))
    assert event.detail["no_code_reason"] == "Code label torn off"


def test_a_scanned_code_must_be_the_persons_room_or_bed(
    world: World, proof_order: ObservationOrder
) -> None:
    own_bed, own_room = world.beds_a[0], world.beds_a[0].room
    other_room = world.beds_a[2].room
    assert other_room != own_room
    with pytest.raises(ValidationError) as refused:
        record(proof_order, world, proof="qr", presence_code=presence.code_for(other_room))
    assert "proof" in refused.value.message_dict
    with pytest.raises(ValidationError):
        record(proof_order, world, proof="qr", presence_code="AAAAA-AAAAA")
    by_room = record(proof_order, world, proof="qr", presence_code=presence.code_for(own_room))
    typed = presence.code_for(own_bed).lower().replace("-", " ")
    by_bed = record(proof_order, world, proof="qr", presence_code=typed)
    assert by_room.proof == by_bed.proof == "qr"


def test_a_level_without_proof_ignores_the_reason(world: World) -> None:
    order = services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Default",
    )
    check = record(order, world, no_code_reason="not needed")
    assert check.no_code_reason == ""


def test_codes_are_distinct_and_hold_no_person_data(world: World) -> None:
    places: list[Any] = [*world.beds_a, *{b.room for b in world.beds_a}]
    codes = {presence.code_for(p) for p in places}
    assert len(codes) == len(places)
    assert all(len(c) == 11 and world.person_a.record_number not in c for c in codes)


def test_the_codes_page_prints_a_qr_per_room_and_bed(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").get(f"/rounds/units/{world.unit_a.public_id}/codes/")
    assert response.status_code == 200
    body = response.content.decode()
    rooms = {b.room for b in world.beds_a}
    assert body.count("<svg") == len(rooms) + len(world.beds_a)
    assert presence.code_for(world.beds_a[0]) in body
    assert world.person_a.legal_family_name not in body
    assert ' style="' not in body.split("<main", 1)[-1]  # the CSP: no inline style


def test_the_codes_page_offers_the_scanner_only_to_those_who_round(
    world: World, signed_in: Any
) -> None:
    """A supervisor prints the codes but does not round: no button to a scanner they cannot
    open."""
    path = f"/rounds/units/{world.unit_a.public_id}/codes/"
    for role, offered in (("nurse", True), ("supervisor", False)):
        body = signed_in(role).get(path).content.decode()
        assert ('href="/rounds/scan/"' in body) is offered, role
        if offered:
            assert signed_in(role).get("/rounds/scan/").status_code == 200
        else:
            assert signed_in(role).get("/rounds/scan/").status_code == 403


def test_scanning_a_code_shows_the_person_and_records_a_qr_check(
    world: World, proof_order: ObservationOrder, signed_in: Any
) -> None:
    client = signed_in("bht")
    code = presence.code_for(world.beds_a[0].room)
    page = client.get(f"/rounds/scan/{code}/")
    assert page.status_code == 200
    assert world.person_a.display_name in page.content.decode()
    prefix = str(proof_order.public_id)
    response = client.post(
        f"/rounds/scan/{code}/orders/{proof_order.public_id}/check/",
        {
            f"{prefix}-client_id": str(uuid.uuid4()),
            f"{prefix}-location": "bedroom",
            f"{prefix}-activity": "asleep",
            f"{prefix}-safety_status": "safe",
        },
    )
    assert response.status_code == 302
    stored = Check.objects.get(order=proof_order)
    assert stored.proof == "qr"
    # The typed fallback lands on the same page; an unknown code is not found.
    typed = client.get("/rounds/scan/", {"code": code.lower()})
    assert typed.status_code == 302
    assert client.get(typed["Location"]).status_code == 200
    assert client.get("/rounds/scan/AAAAA-AAAAA/").status_code == 404
    # What is no code at all (nothing left once spaces and symbols go, or too short) is said
    # on the scanner's page, with what was typed kept (it once answered 500).
    for junk in ("%", "[]", "99999999999999999999", "ABC"):
        page = client.get("/rounds/scan/", {"code": junk})
        assert page.status_code == 200, junk
        assert "is not a room code" in page.content.decode(), junk
    assert signed_in("outsider").get(f"/rounds/scan/{code}/").status_code == 404

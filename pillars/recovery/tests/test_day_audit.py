"""The organization's day, not UTC's, in recovery: a peer chosen in the evening starts the
caseload that day, a peer working their last days is still offered, a person leaving a caseload
today still counts today, a referral's response date counts from the day it was sent; and a
replayed assessment key with other facts is a conflict, as other replays are."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from pillars.core import clock
from pillars.core.errors import Conflict
from pillars.core.roles import RoleCode
from pillars.people.models import CaseloadAssignment, Staff
from pillars.people.testing import World, make_person, make_staff
from pillars.recovery.models.capital import Assessment, Instrument
from pillars.recovery.models.directory import HsdsOrganization, HsdsService
from pillars.recovery.models.matching import MatchRequest
from pillars.recovery.selectors import matching as selectors
from pillars.recovery.services import capital as capital_services
from pillars.recovery.services import matching as services
from pillars.recovery.services import referrals as referral_services

pytestmark = pytest.mark.django_db

# 18:00 UTC is noon in Chicago (the organization's and the units' zone); 03:00 UTC the next
# morning is 21:00 the same Tuesday evening there, when UTC's date is already Wednesday.
NOON = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
EVENING = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)
TUESDAY = date(2026, 12, 8)


def _peer(world: World, name: str) -> Staff:
    staff = make_staff(name, [RoleCode.PEER], [world.unit_a])
    services.save_peer_profile(
        staff,
        actor=staff.user,
        values={"languages": ["Spanish"]},
        shares=["languages"],
        is_accepting=True,
    )
    return staff


def _carry(staff: Staff, count: int, **kw: Any) -> None:
    for n in range(count):
        person = make_person(f"MRN-D{staff.pk}-{n}-{kw.get('ended_on', '')}", f"Carried{n}")
        CaseloadAssignment.objects.create(
            staff=staff, person=person, kind="peer", started_on=date(2026, 1, 5), **kw
        )


def _request(world: World) -> MatchRequest:
    return services.open_match_request(
        world.person_a, actor=world.user("nurse"), preferences={"languages": ["Spanish"]}
    )


# --- Peer matching ------------------------------------------------------------------------------


def test_a_choice_in_the_evening_starts_the_caseload_that_day(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        chosen = _peer(world, "t-evening")
        request = _request(world)
        done = services.choose_peer(
            request, actor=world.user("nurse"), peer=chosen, chosen_by_person=True
        )
    assert done.assignment is not None
    assert done.assignment.started_on == TUESDAY


def test_a_peer_working_their_last_day_tomorrow_is_still_offered_in_the_evening(
    world: World,
) -> None:
    with time_machine.travel(EVENING, tick=False):
        leaving = _peer(world, "t-leaving")
        Staff.objects.filter(pk=leaving.pk).update(
            exited_on=date(2026, 12, 9), exit_reason="relocated"
        )
        request = _request(world)
        assert [o.peer.pk for o in selectors.offered_peers(request)] == [leaving.pk]


def test_a_person_leaving_the_caseload_today_still_counts_in_the_evening(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        busy = _peer(world, "t-busy-day")
        _carry(busy, 14)
        request = _request(world)
        assert selectors.offered_peers(request)[0].is_available
        # A 15th person on the caseload through today: full until the day ends in Chicago.
        _carry(busy, 1, ended_on=TUESDAY)
    with time_machine.travel(EVENING, tick=False):
        assert selectors.offered_peers(request)[0].is_available is False
        with pytest.raises(Conflict):
            services.choose_peer(
                request, actor=world.user("nurse"), peer=busy, chosen_by_person=True
            )
    assert not CaseloadAssignment.objects.filter(staff=busy, person=world.person_a).exists()


# --- Referrals ----------------------------------------------------------------------------------


def test_a_referral_for_a_person_on_no_unit_is_due_from_the_organizations_day(
    world: World,
) -> None:
    """A person served in the community (never placed on a unit) has no unit's zone: the
    response date counts from the organization's day, not UTC's."""
    person = make_person("MRN-COMMUNITY", "Okafor")
    CaseloadAssignment.objects.create(
        staff=world.staff["peer"], person=person, kind="peer", started_on=date(2026, 1, 5)
    )
    organization = HsdsOrganization.objects.create(name="Harbor Housing")
    service = HsdsService.objects.create(
        organization=organization, name="Housing help", status="active"
    )
    with time_machine.travel(EVENING, tick=False):
        made = referral_services.refer(
            person, actor=world.user("peer"), service=service, reason="A safe place to live"
        )
    assert made.made_in_unit is None
    # Tuesday plus two business days.
    assert made.due_on == date(2026, 12, 10)


# --- Recovery capital: replays ------------------------------------------------------------------


def _barc() -> Instrument:
    return Instrument.objects.get(code="barc-10")


ANSWERS = {str(i): 4 for i in range(1, 11)}


@pytest.mark.parametrize(
    "changed",
    [
        {"administered_on": "yesterday"},
        {"note": "Other words"},
        {"is_self_administered": True},
        {"actor": "peer2"},
    ],
    ids=["administered_on", "note", "self-administration", "recorder"],
)
def test_a_replayed_assessment_key_with_other_facts_is_a_conflict(
    world: World, changed: dict[str, Any]
) -> None:
    key = uuid.uuid4()
    today = clock.today_in("America/Chicago")
    first = capital_services.record_assessment(
        world.person_a,
        actor=world.user("peer"),
        instrument=_barc(),
        answers=ANSWERS,
        administered_on=today,
        note="As said",
        client_id=key,
    )
    again = capital_services.record_assessment(
        world.person_a,
        actor=world.user("peer"),
        instrument=_barc(),
        answers=ANSWERS,
        administered_on=today,
        note="As said",
        client_id=key,
    )
    assert again.pk == first.pk
    kw: dict[str, Any] = {
        "actor": world.user("peer"),
        "administered_on": today,
        "note": "As said",
        "is_self_administered": False,
    }
    for name, value in changed.items():
        if name == "administered_on":
            kw[name] = date.fromordinal(today.toordinal() - 1)
        elif name == "actor":
            other = make_staff("t-peer-two", [RoleCode.PEER], [world.unit_a])
            kw[name] = other.user
        else:
            kw[name] = value
    with pytest.raises(Conflict):
        capital_services.record_assessment(
            world.person_a, instrument=_barc(), answers=ANSWERS, client_id=key, **kw
        )
    assert Assessment.objects.count() == 1


def test_a_replay_without_a_date_returns_the_first_assessment(world: World) -> None:
    """A tablet that left the date to the server may send again after midnight: the same
    assessment, not a conflict."""
    key = uuid.uuid4()
    with time_machine.travel(NOON, tick=False):
        first = capital_services.record_assessment(
            world.person_a,
            actor=world.user("peer"),
            instrument=_barc(),
            answers=ANSWERS,
            client_id=key,
        )
    with time_machine.travel(datetime(2026, 12, 9, 18, 0, tzinfo=UTC), tick=False):
        again = capital_services.record_assessment(
            world.person_a,
            actor=world.user("peer"),
            instrument=_barc(),
            answers=ANSWERS,
            client_id=key,
        )
    assert again.pk == first.pk


def test_the_api_answers_another_peers_send_of_a_used_key_with_409(world: World) -> None:
    """The API's own replay record is per user: another peer's device sending a key already
    used reaches the service, which must not hand back someone else's assessment as theirs."""
    from pillars.core.tests.api_support import api_as

    url = f"/recovery/persons/{world.person_a.public_id}/assessments"
    body = {"instrument": "barc-10", "answers": ANSWERS, "client_id": str(uuid.uuid4())}
    first = api_as(world.user("peer")).post(url, body)
    assert first.status_code == 201, first.content
    other = make_staff("t-peer-three", [RoleCode.PEER], [world.unit_a])
    again = api_as(other.user).post(url, body)
    assert again.status_code == 409, again.content
    assert Assessment.objects.count() == 1

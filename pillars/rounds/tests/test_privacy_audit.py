"""Privacy audit of the floor's side paths: alerts about a Part 2 record (an observation order
made in a substance-use program, its checks) reach only that program's team (42 CFR Part 2,
DESIGN.md rule 6): never the staff of the unit the person moved to, nor a director outside the
program."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from pillars.core import clock
from pillars.core.roles import RoleCode
from pillars.people.models import Alert
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.people.tests.part2_support import build_story
from pillars.rounds import services
from pillars.rounds.models import Check, ObservationLevel
from pillars.rounds.services import escalation
from pillars.rounds.services.escalation import alert_checks_not_safe, escalate_due

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


def _heard(**where: Any) -> set[str]:
    """Who the alerts matching ``where`` went to (sign-in names)."""
    alerts = Alert.objects.filter(**where)
    return set(alerts.values_list("recipient__user__username", flat=True))


def _outsiders(world: World) -> set[str]:
    """The world's staff: unit A's lead, nurses, supervisor and director, not the program's."""
    return {world.user(role).username for role in world.users}


def test_escalation_of_a_part2_order_never_alerts_the_unit_the_person_moved_to(
    world: World,
) -> None:
    story = build_story(world)
    order = story.order
    order.refresh_from_db()
    assert order.is_part2
    assert order.ended_at is None
    assert order.due_at is not None
    escalate_due(order.due_at + 30 * MIN)
    heard = _heard(person=story.person)
    outsiders = _outsiders(world)
    # Unit A's lead, nurses, supervisor and director are not the program's team.
    assert heard & outsiders == set()
    # The program that owns the order hears it instead, rather than nobody: its nurse on duty.
    assert heard == {story.sud_nurse.user.username}


def test_an_unsafe_check_on_a_part2_order_is_not_quoted_to_the_unit_the_person_moved_to(
    world: World,
) -> None:
    story = build_story(world)
    Check.objects.filter(pk=story.check.pk).update(
        safety_status="emergency", note="Found with a bottle of vodka in the bathroom"
    )
    check = Check.objects.get(pk=story.check.pk)
    order = story.order
    order.refresh_from_db()
    alert_checks_not_safe([check], {order.pk: order})
    leaked = _heard(message__contains="vodka")
    outsiders = _outsiders(world)
    assert set(leaked) & outsiders == set()
    # An emergency is never unalerted: the program's nurse on duty hears it.
    assert set(leaked) == {story.sud_nurse.user.username}


def test_the_every_director_fallback_never_reaches_outside_a_part2_program(
    world: World,
) -> None:
    sud, beds = make_unit(world.site, "sud", part2=True)
    nurse = make_staff("sud-nurse", [RoleCode.NURSE], [sud])
    person = make_person("MRN-S9", "Okafor")
    place(person, sud, beds[0], nurse)
    order = services.order_observation(
        person,
        actor=nurse.user,
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Withdrawal watch on admission",
    )
    now = clock.now()
    # No director on the program: the fallback would name every director of the organization,
    # here unit A's, who is not on the program's team.
    assert escalation.recipients_for("director", order, sud, now) == []
    services.record_check(
        order,
        actor=nurse.user,
        observed_at=now,
        location="bathroom",
        activity="resting",
        safety_status="emergency",
        note="Found with a bottle of vodka",
        client_id=uuid.uuid4(),
    )
    escalation.sweep_emergency_climb(now + 11 * MIN)
    # The organization's director is told only that the unit needs a call: no person, no
    # subject, nothing of the note.
    heard = Alert.objects.filter(recipient=world.staff["director"])
    assert heard.count() == 1
    alert = heard.get()
    assert alert.person_id is None
    assert alert.subject_id is None
    assert "vodka" not in alert.message
    assert "Okafor" not in alert.message


def test_a_coverage_lapse_of_a_part2_order_is_not_alerted_to_the_unit_the_person_moved_to(
    world: World,
) -> None:
    from pillars.rounds.models import ObservationOrder
    from pillars.rounds.services.coverage import sweep_coverage_lapses

    story = build_story(world)
    one_to_one = ObservationLevel.objects.get(code="one-to-one", is_current=True)
    ObservationOrder.objects.filter(pk=story.order.pk).update(level=one_to_one)
    sweep_coverage_lapses(clock.now())
    heard = _heard(person=story.person)
    outsiders = _outsiders(world)
    assert heard & outsiders == set()
    # A lapse of one-to-one coverage is never unalerted: the program's nurse on duty hears it.
    assert heard == {story.sud_nurse.user.username}


def test_a_set_aside_check_of_a_part2_order_is_not_alerted_to_the_unit_the_person_moved_to(
    world: World,
) -> None:
    from pillars.rounds.services import set_aside as svc

    story = build_story(world)
    # A nurse of the program who also works on unit A may still record on the order.
    story.sud_nurse.home_units.add(world.unit_a)
    nurse = get_user_model().objects.get(pk=story.sud_nurse.user.pk)  # scope read afresh
    (row,) = svc.set_aside_checks(
        [
            svc.SetAsideItem(
                order=str(story.order.public_id),
                problem="Relapse talk; the check could not be saved",
                fields={"observed_at": clock.now().isoformat(), "location": "bedroom"},
            )
        ],
        actor=nurse,
    )
    assert row is not None
    leaked = _heard(message__contains="Relapse")
    outsiders = _outsiders(world)
    assert set(leaked) & outsiders == set()

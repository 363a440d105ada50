"""Part 2 labels on the reads kept once built (``policy.readable_later``, ``core.prepared``):
the key a reader's reads are kept under, and the shape of rows a kept read may take so that
what a grant or consent opened is logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode
from pillars.incidents.models import BehaviorPlan
from pillars.people import labels
from pillars.people import services as people_services
from pillars.people.consents import grants_for
from pillars.people.testing import World, make_staff
from pillars.people.tests.part2_support import Part2Story, build_story
from pillars.people.tests.test_part2_consents import consent_for
from pillars.rounds.models import SetAsideCheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(world: World) -> Part2Story:
    return build_story(world)


def _expected_key(actor: Actor) -> Any:
    """The key as ``restrict_labelled`` builds its condition: everything for the privacy
    officer, else the actor's units, emergency grants' persons and consents' grants."""
    if actor.has_role(RoleCode.PRIVACY):
        return "everything"
    return (
        tuple(sorted(actor.unit_ids)),
        tuple(sorted(actor.emergency_person_ids)),
        tuple(
            sorted(
                (g.person_id, tuple(sorted(g.unit_ids)), tuple(sorted(g.kinds)))
                for g in grants_for(actor)
            )
        ),
    )


def test_the_restrict_key_follows_roles_grants_and_consents(story: Part2Story) -> None:
    """Asked once per request (the actor's), it is what the label condition is built from, for
    every kind of reader: the privacy officer, the program's team, another unit's nurse with
    nothing, under a consent, and under an emergency grant as well."""
    world = story.world
    nurse = world.user("nurse")
    readers = {
        "privacy": world.user("privacy"),
        "program nurse": story.sud_nurse.user,
        "program director": story.sud_director.user,
        "other nurse": nurse,
        "other unit": make_staff("unit-b-nurse", [RoleCode.NURSE], [world.unit_b]).user,
    }
    keys: dict[str, Any] = {}

    def asked(label: str, user: Any) -> None:
        policy.forget(user)
        actor = policy.actor_for(user)
        first = labels.restrict_key(actor)
        assert first == _expected_key(actor)
        assert labels.restrict_key(actor) is first  # once per request
        keys[label] = first

    for label, user in readers.items():
        asked(label, user)
    consent_for(story, information_kinds=["safety_plan", "behavior"])
    asked("nurse under a consent", nurse)
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the withdrawal history now"
    )
    asked("nurse under a consent and a grant", nurse)
    assert keys["privacy"] == "everything"
    assert keys["nurse under a consent"][2]  # the consent's grant is in the key
    assert keys["nurse under a consent and a grant"][1] == (story.person.pk,)
    # Readers whose conditions differ never share a key (and so a kept read).
    distinct = [
        keys[k]
        for k in (
            "program nurse",
            "other nurse",
            "other unit",
            "nurse under a consent",
            "nurse under a consent and a grant",
        )
    ]
    assert len(set(distinct)) == len(distinct)
    assert keys["program nurse"] == keys["program director"]


def _kept(name: str, user: Any, build: Any) -> Any:
    return policy.readable_later(name, user, build, 1).rows()


@pytest.mark.parametrize("granted", [False, True])
def test_a_kept_read_of_values_or_of_a_records_parts_is_refused(
    story: Part2Story, granted: bool
) -> None:
    """A kept read is built with stand-in values: the records behind rows that are not the
    records themselves could not be read again from it, and what a grant opened would go
    unlogged. So a kept read of a labelled record's values, or of a part of a record, is
    refused for every reader, with a grant or without."""
    nurse = story.world.user("nurse")
    if granted:
        people_services.start_emergency_access(
            story.person, actor=nurse, reason="Unresponsive; need the behavior plan now"
        )
    policy.forget(nurse)

    def values(person_id: int) -> QuerySet[Any]:
        return policy.readable(BehaviorPlan.objects.filter(person_id=person_id), nurse).values_list(
            "pk", flat=True
        )

    def parts(order_id: int) -> QuerySet[Any]:
        return policy.readable(SetAsideCheck.objects.filter(order_id=order_id), nurse)

    with pytest.raises(TypeError, match="labelled records themselves"):
        policy.readable_later(f"plan ids {granted}", nurse, values, story.person.pk)
    with pytest.raises(TypeError, match="labelled records themselves"):
        policy.readable_later(f"set-aside checks {granted}", nurse, parts, story.order.pk)

"""The policy engine: unknown actions and unscoped models are refused, 404 before 403."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.core import policy
from pillars.people.models import PersonServed, Site
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def test_unknown_action_is_a_programming_error(world: World) -> None:
    with pytest.raises(RuntimeError, match="unknown policy action"):
        policy.can(world.user("nurse"), "people.no_such_action")


def test_model_without_scope_is_denied_by_default(world: World) -> None:
    with pytest.raises(RuntimeError, match="no registered scope"):
        policy.is_visible(world.user("nurse"), world.site)
    assert Site.objects.exists()


def test_out_of_scope_is_404_and_audited_as_denied(world: World) -> None:
    outsider = world.user("outsider")
    with pytest.raises(Http404):
        policy.require(outsider, "people.view_person", world.person_a)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.outcome == "denied"
    assert event.person_id == world.person_a.public_id
    assert event.detail["refusal"] == "not_found"


def test_visible_but_not_allowed_is_403(world: World) -> None:
    # The administrator works on unit A (so the person is in scope) but may not open records.
    with pytest.raises(PermissionDenied):
        policy.require(world.user("admin"), "people.view_person", world.person_a)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.detail["refusal"] == "forbidden"


def test_restrict_returns_nothing_without_the_role(world: World) -> None:
    qs = policy.restrict(PersonServed.objects.all(), world.user("admin"), "people.list_persons")
    assert list(qs) == []
    visible = policy.restrict(PersonServed.objects.all(), world.user("bht"), "people.list_persons")
    assert list(visible) == [world.person_a]


def test_org_wide_role_sees_every_unit(world: World) -> None:
    seen = policy.restrict(
        PersonServed.objects.all(), world.user("director"), "people.list_persons"
    )
    assert set(seen) == {world.person_a, world.person_b}


def test_read_only_token_cannot_write(world: World) -> None:
    nurse = policy.actor_for(world.user("nurse"))
    read_only = dataclasses.replace(nurse, token_scopes=frozenset({"read"}))
    assert policy.can(read_only, "people.view_person", world.person_a)
    assert not policy.can(read_only, "people.edit_person", world.person_a)
    writer = dataclasses.replace(nurse, token_scopes=frozenset({"read", "write"}))
    assert policy.can(writer, "people.edit_person", world.person_a)


def test_anonymous_can_do_nothing(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not policy.can(AnonymousUser(), "people.view_unit")
    assert not policy.is_visible(AnonymousUser(), world.unit_a)


def test_exited_staff_have_no_rights(world: World) -> None:
    staff = world.staff["nurse"]
    staff.exited_on = staff.hired_on
    staff.exit_reason = "relocated"
    staff.save()
    user = world.user("nurse")
    policy.forget(user)
    assert not policy.can(user, "people.view_unit")


def test_the_actions_permitted_are_those_can_allows_for_every_role(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    actions = sorted(policy.actions())
    for user in [*world.users.values(), AnonymousUser()]:
        expected = {action for action in actions if policy.can(user, action)}
        assert policy.permitted(user, actions) == expected
    assert policy.permitted(world.user("nurse"), actions)  # not an empty answer for everyone
    with pytest.raises(RuntimeError, match="unknown policy action"):
        policy.permitted(world.user("nurse"), ["people.no_such_action"])


def test_an_actor_of_a_lazy_user_is_the_one_cached_on_the_user(world: World) -> None:
    from django.utils.functional import SimpleLazyObject

    user = world.user("nurse")
    actor = policy.actor_for(user)
    assert policy.actor_for(SimpleLazyObject(lambda: user)) is actor
    assert actor.is_authenticated
    assert not policy.ANONYMOUS.is_authenticated

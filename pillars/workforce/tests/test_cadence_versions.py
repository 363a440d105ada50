"""Supervision cadence rules are versioned rules (core.versioning): the shipped rules are
version 1 and current; a revision makes version 2 (audited, the old one kept and no longer
current), the rule chosen for a role and status is the current version, and a profile that
named the rule follows its code to the current version. The database refuses a second current
version of a code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from pillars.audit.models import AuditEvent
from pillars.core.errors import Conflict, ValidationError
from pillars.people.testing import World
from pillars.workforce.models import CadenceRule, SupervisionProfile
from pillars.workforce.services import supervision as services
from pillars.workforce.tests.test_supervision import NOW, _session, at

pytestmark = pytest.mark.django_db


def test_shipped_rules_are_version_one_and_current(world: World) -> None:
    rules = list(CadenceRule.objects.all())
    assert rules
    assert {(r.version, r.is_current) for r in rules} == {(1, True)}


def test_a_revision_is_the_next_version_and_the_rule_now(world: World) -> None:
    peer = world.staff["peer"]
    weekly = services.cadence_rule_for(peer)
    assert weekly is not None
    assert weekly.code == "peer-initial-weekly"
    revised = services.revise_cadence_rule(weekly, actor=world.user("admin"), period_days=14)
    assert (revised.code, revised.version, revised.is_current) == (weekly.code, 2, True)
    weekly.refresh_from_db()
    assert not weekly.is_current
    assert weekly.period_days == 7  # the old version keeps its meaning
    event = AuditEvent.objects.filter(object_type="workforce.cadencerule").order_by("-seq")[0]
    assert event.detail["version"] == 2
    assert event.actor == world.user("admin")
    assert services.cadence_rule_for(peer) == revised
    # One session eight days ago: overdue under the weekly rule, on cadence under 14 days.
    _session(world, at(-8))
    assert services.cadence_state(peer, NOW).status != "overdue"
    with pytest.raises(Conflict):
        services.revise_cadence_rule(weekly, actor=world.user("admin"), period_days=10)
    with pytest.raises(ValidationError):
        services.revise_cadence_rule(revised, actor=world.user("admin"), period_days=14)


def test_a_profile_naming_a_rule_follows_its_code(world: World) -> None:
    peer = world.staff["peer"]
    face = CadenceRule.objects.get(code="peer-weekly-hour-face")
    SupervisionProfile.objects.create(staff=peer, cadence_rule=face)
    revised = services.revise_cadence_rule(
        face, actor=world.user("admin"), min_face_to_face_minutes=30
    )
    assert services.cadence_rule_for(peer) == revised
    _session(world, NOW - timedelta(days=1), minutes=30, face=True)
    assert services.cadence_state(peer, NOW).status != "overdue"


def test_only_administrators_revise_and_one_current_version_per_code(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    rule = CadenceRule.objects.get(code="staff-monthly")
    with pytest.raises(PermissionDenied):
        services.revise_cadence_rule(rule, actor=world.user("supervisor"), period_days=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        CadenceRule.objects.create(code=rule.code, name="Twin", version=2, is_current=True)


def test_many_states_at_once_match_one_by_one_in_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from pillars.people.models import Staff

    peer = world.staff["peer"]
    face = CadenceRule.objects.get(code="peer-weekly-hour-face")
    SupervisionProfile.objects.create(staff=world.staff["bht"], cadence_rule=face)
    services.revise_cadence_rule(face, actor=world.user("admin"), min_face_to_face_minutes=30)
    weekly = services.cadence_rule_for(peer)
    assert weekly is not None
    services.revise_cadence_rule(weekly, actor=world.user("admin"), period_days=10)
    _session(world, at(-8))
    staff = list(Staff.objects.prefetch_related("roles").order_by("pk"))
    one_by_one = {s.pk: services.cadence_state(s, NOW) for s in staff}
    with django_assert_max_num_queries(3):
        together = services.cadence_states(staff, NOW)
    assert together == one_by_one
    # A profile naming a revised rule follows it to the current version from the list too.
    rules = list(CadenceRule.objects.filter(is_current=True))
    profile = SupervisionProfile.objects.select_related("cadence_rule").get(
        staff=world.staff["bht"]
    )
    named = services.cadence_rule_for(world.staff["bht"], profile, rules=rules)
    assert named is not None
    assert (named.code, named.version) == (face.code, 2)

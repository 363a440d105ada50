"""Trainings in the expiry reminder digest and in the compliance figures, as credentials are:
one digest per staff member and threshold lists credentials and trainings together, a later
completion (or a renewed credential) silences the one it replaces, and compliance counts a
required course missing, due, lapsed or current."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from pillars.core import clock
from pillars.people.alerts import Alert
from pillars.people.testing import World
from pillars.workforce.models.credentials import Credential
from pillars.workforce.models.trainings import Course, TrainingAssignment, TrainingCompletion
from pillars.workforce.selectors.credentials import (
    EXPIRING,
    LAPSED,
    ComplianceLine,
    compliance_for,
)
from pillars.workforce.services.credentials import sweep_expiry_reminders
from pillars.workforce.services.trainings import record_completion
from pillars.workforce.tests.test_floor import hold

pytestmark = pytest.mark.django_db


def _complete(world: World, code: str, days_ago: int, who: str = "bht") -> TrainingCompletion:
    return record_completion(
        world.staff[who],
        actor=world.user("admin"),
        course=Course.objects.get(code=code),
        completed_on=clock.organization_today() - timedelta(days=days_ago),
    )


def _alerts(world: World) -> list[Alert]:
    return list(
        Alert.objects.filter(
            recipient=world.staff["bht"], subject_kind="workforce.credentials"
        ).order_by("created_at", "pk")
    )


def test_a_training_and_a_credential_lapsing_together_make_one_digest(world: World) -> None:
    today = clock.organization_today()
    done = _complete(world, "observation", 300)  # 12 months: lapses in about 65 days
    assert done.next_reminder_on == done.expires_on - timedelta(days=90)  # type: ignore[operator]
    hold(world, "bht", "cpr-bls", today - timedelta(days=5), expires=done.expires_on)
    sweep_expiry_reminders()
    [alert] = _alerts(world)
    assert "Expiring within 90 days" in alert.message
    assert "training Observation and rounds" in alert.message
    assert "CPR / basic life support" in alert.message
    assert sweep_expiry_reminders().alerts == 0  # replay: nothing new
    with time_machine.travel(clock.now() + timedelta(days=10), tick=False):
        sweep_expiry_reminders()
        assert len(_alerts(world)) == 2  # the 60-day digest, both again
        assert "training Observation and rounds" in _alerts(world)[-1].message


def test_a_later_completion_or_renewal_silences_the_old_reminders(world: World) -> None:
    today = clock.organization_today()
    old = _complete(world, "observation", 300)
    card = hold(world, "bht", "cpr-bls", today - timedelta(days=700))  # 24 months
    assert card.next_reminder_on is not None
    _complete(world, "observation", 1)
    hold(world, "bht", "cpr-bls", today - timedelta(days=1))
    old.refresh_from_db()
    card.refresh_from_db()
    assert old.next_reminder_on is None
    assert card.next_reminder_on is None
    assert sweep_expiry_reminders().alerts == 0
    assert _alerts(world) == []
    assert TrainingCompletion.objects.filter(next_reminder_on__isnull=False).count() == 1
    assert Credential.objects.filter(next_reminder_on__isnull=False).count() == 1


def _line(world: World, who: str = "bht") -> ComplianceLine:
    lines = compliance_for(world.user("director"))
    [line] = [x for x in lines if x.staff.public_id == world.staff[who].public_id]
    return line


def test_compliance_counts_required_trainings(world: World) -> None:
    today = clock.organization_today()
    from pillars.workforce.models.credentials import CredentialType

    for kind in CredentialType.objects.filter(required_for__code="bht", is_current=True):
        hold(world, "bht", kind.code, today - timedelta(days=10))
    # The BHT's roles require courses they never completed: lapsed, named as trainings.
    line = _line(world)
    assert line.status == LAPSED
    assert "Training: Observation and rounds" in line.lapsed
    assert not [n for n in line.lapsed if not n.startswith("Training: ")]
    # Assigned and still within the due date: expiring on that date, not lapsed.
    courses = Course.objects.filter(required_for__code="bht", is_active=True)
    for course in courses:
        TrainingAssignment.objects.create(
            staff=world.staff["bht"],
            course=course,
            assigned_on=today,
            due_on=today + timedelta(days=20),
            reason="hire",
            created_at=clock.now(),
        )
    line = _line(world)
    assert line.status == EXPIRING
    assert "Training: Observation and rounds" in line.expiring
    for course in courses:
        record_completion(
            world.staff["bht"], actor=world.user("admin"), course=course, completed_on=today
        )
    line = _line(world)
    assert not [n for n in line.lapsed + line.expiring if n.startswith("Training: ")]
    # A completion that lapsed is lapsed, even with a fresh assignment date passed.
    TrainingCompletion.objects.filter(course__code="observation").update(
        expires_on=today - timedelta(days=1)
    )
    TrainingAssignment.objects.update(due_on=today - timedelta(days=1))
    assert "Training: Observation and rounds" in _line(world).lapsed

"""The floor knows: the gate in rounds (1:1 coverage), incidents (restraint team) and recovery
(billable encounters), block and warn; required trainings on hire and role change; and the
expiry reminder digest (thresholds, one alert per person and threshold, no storm, replay-safe)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.core.tests.api_support import api_as
from pillars.incidents.services import restraint
from pillars.people import services as people_services
from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.recovery.tests.test_encounters_services import billing, goal, write
from pillars.rounds.models import Coverage
from pillars.rounds.services.coverage import start_coverage
from pillars.rounds.tests.floor import order_for
from pillars.workforce.models.credentials import Credential, CredentialType
from pillars.workforce.models.gating import FloorRule, FloorWarning
from pillars.workforce.models.trainings import Course, TrainingAssignment, TrainingCompletion
from pillars.workforce.services import credentials as services
from pillars.workforce.services.gating import check
from pillars.workforce.services.trainings import record_completion
from pillars.workforce.sweeps import SWEEPS

pytestmark = pytest.mark.django_db


def hold(
    world: World, who: str, code: str, issued: date, expires: date | None = None
) -> Credential:
    kind = CredentialType.objects.get(code=code, is_current=True)
    return services.record_credential(
        world.staff[who],
        actor=world.user("admin"),
        credential_type=kind,
        issued_on=issued,
        expires_on=expires,
    )


def rule(task: str) -> FloorRule:
    return FloorRule.objects.get(task=task)


def trained(world: World, who: str = "bht") -> None:
    record_completion(
        world.staff[who],
        actor=world.user("admin"),
        course=Course.objects.get(code="observation"),
        completed_on=clock.organization_today() - timedelta(days=3),
    )


# --- Rounds: 1:1 coverage ---------------------------------------------------------------------


def test_a_lapsed_credential_blocks_a_one_to_one_with_the_reason(world: World) -> None:
    today = clock.organization_today()
    hold(world, "bht", "cpr-bls", today - timedelta(days=30))
    hold(world, "bht", "nci", today - timedelta(days=400))  # 12 months: lapsed
    trained(world)
    order = order_for(world, code="one-to-one")
    with pytest.raises(ValidationError) as exc:
        start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    [message] = exc.value.message_dict["staff"]
    assert "Nonviolent crisis intervention expired on" in message
    assert not Coverage.objects.exists()
    # Through the API: 422 with the reason.
    api = api_as(world.user("nurse"))
    answer = api.post(
        f"/orders/{order.public_id}/coverage",
        {"staff": str(world.staff["bht"].public_id)},
    )
    assert answer.status_code == 422
    assert "crisis intervention" in answer.content.decode()
    # Renewed: allowed.
    hold(world, "bht", "nci", today - timedelta(days=1))
    start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    assert Coverage.objects.count() == 1


def test_a_warn_rule_lets_the_one_to_one_through_and_records_the_warning(world: World) -> None:
    r = rule("one_to_one")
    r.effect = "warn"
    r.save()
    today = clock.organization_today()
    hold(world, "bht", "cpr-bls", today - timedelta(days=900))  # 24 months: lapsed
    hold(world, "bht", "nci", today - timedelta(days=10))
    trained(world)
    order = order_for(world, code="one-to-one")
    start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    [warning] = FloorWarning.objects.all()
    assert warning.staff == world.staff["bht"]
    assert "CPR / basic life support" in warning.reason
    assert warning.subject_id == order.public_id


def test_a_one_to_one_that_fails_after_the_gate_leaves_no_warning(world: World) -> None:
    r = rule("one_to_one")
    r.effect = "warn"
    r.save()
    today = clock.organization_today()
    hold(world, "bht", "cpr-bls", today - timedelta(days=900))  # 24 months: lapsed
    hold(world, "bht", "nci", today - timedelta(days=10))
    trained(world)
    order = order_for(world, code="one-to-one")
    start_coverage(order, actor=world.user("nurse"), staff=world.staff["nurse"])
    # The gate warns for the BHT, then the coverage fails: 1:1 already has its one staff member.
    with pytest.raises(ValidationError, match="already has 1 staff"):
        start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    assert not FloorWarning.objects.exists()
    assert not AuditEvent.objects.filter(object_type="workforce.floorwarning").exists()
    assert Coverage.objects.filter(order=order).count() == 1


def test_missing_records_follow_the_missing_effect(world: World) -> None:
    bht = world.staff["bht"]
    assert check(bht, "one_to_one") == []  # shipped: missing records are not gated
    r = rule("one_to_one")
    r.missing_effect = "block"
    r.save()
    problems = check(bht, "one_to_one")
    assert {p.requirement for p in problems} == {"cpr-bls", "nci", "course:observation"}
    assert all(p.blocks for p in problems)
    assert "has not completed Observation and rounds" in problems[-1].reason
    r.roles.set([world.staff["peer"].roles.get()])  # the rule now only applies to peers
    assert check(bht, "one_to_one") == []


def test_a_lapsed_training_blocks(world: World) -> None:
    today = clock.organization_today()
    hold(world, "bht", "cpr-bls", today - timedelta(days=3))
    hold(world, "bht", "nci", today - timedelta(days=3))
    record_completion(
        world.staff["bht"],
        actor=world.user("admin"),
        course=Course.objects.get(code="observation"),
        completed_on=today - timedelta(days=500),
    )
    [problem] = check(world.staff["bht"], "one_to_one")
    assert problem.blocks
    assert "training Observation and rounds lapsed on" in problem.reason


# --- Incidents: restraint team ----------------------------------------------------------------


def _episode(world: World) -> Any:
    return restraint.start_episode(
        world.person_a,
        actor=world.user("nurse"),
        ordered_by=world.staff["clinician"],
        kind="physical_hold",
        reason="Hit a peer",
        release_criteria="Calm",
        started_at=clock.now() - timedelta(minutes=10),
        late_reason="Entered after the hold",
        staff=[world.staff["bht"]],
    )


def test_restraint_team_warns_by_default_and_blocks_when_the_rule_says(world: World) -> None:
    hold(world, "bht", "nci", clock.organization_today() - timedelta(days=400))
    episode = _episode(world)
    assert episode.staff_roles.count() == 1
    assert FloorWarning.objects.filter(task="restraint_team").count() == 1
    restraint.release_episode(episode, actor=world.user("nurse"), reason="Calm")


def test_restraint_team_block(world: World) -> None:
    hold(world, "bht", "nci", clock.organization_today() - timedelta(days=400))
    r = rule("restraint_team")
    r.effect = "block"
    r.save()
    with pytest.raises(ValidationError) as exc:
        _episode(world)
    assert "Nonviolent crisis intervention expired" in exc.value.message_dict["staff"][0]


# --- Recovery: billable peer services -----------------------------------------------------------


def test_a_lapsed_peer_certification_blocks_billing_but_not_unbilled_notes(world: World) -> None:
    hold(world, "peer", "state-peer", date(2021, 10, 1))  # expired 1 September 2023
    enc = write(world)  # no billing rule: not a billable service
    assert enc.billing_units is None
    billing(world)
    with pytest.raises(ValidationError) as exc:
        write(world, goal=goal(world))
    assert "State peer certification expired on 1 September 2023" in str(
        exc.value.message_dict["credential"]
    )
    r = rule("billable_peer_service")
    r.effect = "warn"
    r.save()
    enc = write(world, goal=goal(world))
    assert enc.billing_units
    assert FloorWarning.objects.filter(task="billable_peer_service").exists()


# --- Trainings ----------------------------------------------------------------------------------


def test_courses_are_assigned_on_hire_and_on_role_change(world: World) -> None:
    staff = people_services.create_staff(
        actor=world.user("admin"),
        username="new-peer",
        display_name="New Peer",
        hired_on=clock.organization_today(),
        roles=["peer"],
        home_units=[world.unit_a],
    )
    codes = set(
        TrainingAssignment.objects.filter(staff=staff).values_list("course__code", flat=True)
    )
    assert codes == {"trauma-informed", "privacy", "peer-ethics"}
    people_services.set_roles(staff, actor=world.user("admin"), roles=["peer", "bht"])
    codes = set(
        TrainingAssignment.objects.filter(staff=staff).values_list("course__code", flat=True)
    )
    assert codes == {"trauma-informed", "privacy", "peer-ethics", "observation"}
    [row] = TrainingAssignment.objects.filter(staff=staff, course__code="observation")
    assert row.reason == "role change"
    assert row.due_on == clock.organization_today() + timedelta(days=30)


def test_training_status_due_overdue_current(world: World) -> None:
    from pillars.workforce.selectors.trainings import trainings_of

    staff = people_services.create_staff(
        actor=world.user("admin"),
        username="new-bht",
        display_name="New Bht",
        hired_on=clock.organization_today(),
        roles=["bht"],
    )
    today = clock.organization_today()
    lines = {t.assignment.course.code: t for t in trainings_of(staff, world.user("admin"), today)}
    assert lines["observation"].status == "due"
    later = today + timedelta(days=31)
    lines = {t.assignment.course.code: t for t in trainings_of(staff, world.user("admin"), later)}
    assert lines["observation"].status == "overdue"
    record_completion(
        staff,
        actor=world.user("admin"),
        course=Course.objects.get(code="observation"),
        completed_on=today,
    )
    lines = {t.assignment.course.code: t for t in trainings_of(staff, world.user("admin"), later)}
    assert lines["observation"].status == "current"
    end = today + timedelta(days=350)
    lines = {t.assignment.course.code: t for t in trainings_of(staff, world.user("admin"), end)}
    assert lines["observation"].status == "due_soon"
    assert TrainingCompletion.objects.count() == 1


# --- Reminders ----------------------------------------------------------------------------------


def _alerts(world: World, who: str = "bht") -> list[Alert]:
    return list(
        Alert.objects.filter(
            recipient=world.staff[who], subject_kind="workforce.credentials"
        ).order_by("created_at", "pk")
    )


def test_reminder_digest_thresholds_dedupe_and_no_storm(world: World) -> None:
    from pillars.workforce.services.credentials import sweep_expiry_reminders

    assert sweep_expiry_reminders in SWEEPS
    today = clock.organization_today()
    # Three credentials ending on the same day, 100 days out.
    for code in ("cpr-bls", "nci", "qpr"):
        hold(world, "bht", code, today - timedelta(days=10), expires=today + timedelta(days=100))
    result = sweep_expiry_reminders()
    assert result.alerts == 0
    assert _alerts(world) == []
    with time_machine.travel(clock.now() + timedelta(days=10), tick=False):
        result = sweep_expiry_reminders()
        [alert] = _alerts(world)
        assert "Expiring within 90 days" in alert.message
        assert "CPR / basic life support" in alert.message
        assert "QPR" in alert.message
        assert sweep_expiry_reminders().alerts == 0  # replay: nothing new
    with time_machine.travel(clock.now() + timedelta(days=45), tick=False):
        sweep_expiry_reminders()
        assert len(_alerts(world)) == 2  # the 60-day digest
    # The worker was down past two thresholds: one reminder, at the nearest (7 days).
    with time_machine.travel(clock.now() + timedelta(days=95), tick=False):
        sweep_expiry_reminders()
        alerts = _alerts(world)
        assert len(alerts) == 3
        assert "within 7 days" in alerts[-1].message
        sweep_expiry_reminders()
        assert len(_alerts(world)) == 3
    assert not Credential.objects.filter(next_reminder_on__isnull=False).exists()


def test_many_people_many_credentials_one_alert_each(world: World) -> None:
    from pillars.workforce.services.credentials import sweep_expiry_reminders

    today = clock.organization_today()
    for who in ("bht", "nurse", "outsider"):
        for code in ("cpr-bls", "nci"):
            hold(world, who, code, today - timedelta(days=5), expires=today + timedelta(days=30))
    sweep_expiry_reminders()
    assert len(_alerts(world, "bht")) == len(_alerts(world, "nurse")) == 1
    assert len(_alerts(world, "outsider")) == 1
    assert "within 30 days" in _alerts(world, "nurse")[0].message

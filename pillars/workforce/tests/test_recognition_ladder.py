"""Recognition (seen by the person, counts for leaders) and the career ladder (criteria as data,
evaluators by kind, progress to the next step)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.testing import World
from pillars.workforce.models.ladder import LadderCriterion, LadderStep
from pillars.workforce.models.recognition import Recognition
from pillars.workforce.selectors import ladder as ladder_sel
from pillars.workforce.selectors import recognition as rec_sel
from pillars.workforce.services import ladder as ladder_svc
from pillars.workforce.services import recognition as rec_svc

pytestmark = pytest.mark.django_db


def thank(world: World, giver: str, to: str, text: str = "Thanks for the handoff.") -> Recognition:
    return rec_svc.give_recognition(world.staff[to], actor=world.user(giver), message=text)


def test_recognition_is_seen_by_the_person_and_counted_for_leaders(
    world: World, signed_in: Any
) -> None:
    peer_thanks = thank(world, "nurse", "bht", "You kept the hallway calm tonight.")
    leader_thanks = thank(world, "supervisor", "bht")
    assert not peer_thanks.is_from_leader
    assert leader_thanks.is_from_leader
    assert {r.pk for r in rec_sel.received_by(world.user("bht"))} == {
        peer_thanks.pk,
        leader_thanks.pk,
    }
    assert not rec_sel.received_by(world.user("director")).exists()
    counts = rec_sel.recognition_counts(world.user("director"))
    assert counts.total == 2
    assert counts.by_unit == [("Unit A", 2)]
    assert sum(p + lead for _, p, lead in counts.by_month) == 2
    page = signed_in("director").get(reverse("workforce:recognition-counts")).content.decode()
    assert "You kept the hallway calm" not in page
    mine = signed_in("bht").get(reverse("workforce:recognition-mine")).content.decode()
    assert "You kept the hallway calm" in mine
    with pytest.raises(PermissionDenied):
        rec_sel.recognition_counts(world.user("bht"))


def test_recognition_input_is_checked(world: World) -> None:
    with pytest.raises(ValidationError):
        thank(world, "bht", "bht")
    with pytest.raises(ValidationError):
        thank(world, "bht", "nurse", "   ")
    with pytest.raises(ValidationError):
        thank(world, "bht", "nurse", "x" * 501)
    assert not Recognition.objects.exists()


def test_progress_to_the_next_step(world: World) -> None:
    peer = world.staff["peer"]  # hired 1 January 2024
    with time_machine.travel(date(2024, 8, 15), tick=False):
        [progress] = ladder_sel.progress_of(peer, date(2024, 8, 15))
    assert progress.current is not None
    assert progress.current.rank == 1
    assert progress.next_step is not None
    assert progress.next_step.rank == 2
    measured = {c.kind: m for c, m in progress.criteria}
    assert measured["tenure_months"].value == 7
    assert measured["tenure_months"].met is True
    # The credentials and supervision areas measure their criteria: no certification recorded
    # and no supervised hours yet, so neither is met.
    assert measured["credential"].met is False
    assert measured["supervised_hours"].met is False
    assert measured["supervised_hours"].value == 0
    assert not progress.is_ready


def test_months_are_whole_months() -> None:
    assert ladder_sel.months_between(date(2024, 1, 31), date(2024, 2, 29)) == 0
    assert ladder_sel.months_between(date(2024, 1, 15), date(2024, 7, 15)) == 6
    assert ladder_sel.months_between(date(2024, 1, 15), date(2024, 7, 14)) == 5


def test_other_areas_plug_in_evaluators(world: World) -> None:
    step = LadderStep.objects.get(role__code="bht", rank=2)
    criterion = step.criteria.get(kind="training")
    seen = []

    def trained(staff: Any, c: LadderCriterion, today: date) -> ladder_sel.Measure:
        seen.append((staff, c.code))
        return ladder_sel.Measure(1, True, "current")

    before = ladder_sel.evaluators()
    ladder_sel.register_evaluator("training", trained)
    try:
        for n in range(2):
            thank(world, "nurse" if n else "peer", "bht")
        [progress] = ladder_sel.progress_of(world.staff["bht"], clock.organization_today())
    finally:
        ladder_sel._evaluators.clear()
        ladder_sel._evaluators.update(before)
    assert seen == [(world.staff["bht"], criterion.code)]
    assert progress.is_ready
    assert criterion.threshold == Decimal("1.00")


def test_recording_a_step(world: World, signed_in: Any) -> None:
    peer = world.staff["peer"]
    step = LadderStep.objects.get(role__code="peer", rank=2)
    with pytest.raises(ValidationError):
        ladder_svc.place_on_ladder(
            peer,
            actor=world.user("supervisor"),
            step=LadderStep.objects.get(role__code="bht", rank=2),
        )
    with pytest.raises(PermissionDenied):
        ladder_svc.place_on_ladder(world.staff["nurse"], actor=world.user("supervisor"), step=step)
    with pytest.raises(Http404):
        ladder_sel.get_staff_for(
            world.user("outsider"), peer.public_id, "workforce.view_ladder_progress"
        )
    ladder_svc.place_on_ladder(peer, actor=world.user("supervisor"), step=step)
    [progress] = ladder_sel.progress_of(peer, date(2026, 1, 1))
    assert progress.current == step
    assert progress.next_step is not None
    assert progress.next_step.rank == 3
    page = signed_in("peer").get(reverse("workforce:ladder-mine")).content.decode()
    assert "Certified peer support specialist" in page
    assert "of 2000 supervised hours" in page


def test_credentials_and_trainings_measure_their_criteria(world: World) -> None:
    """A credential criterion is met by a credential in force and verified (a pending one is
    not yet); a training criterion by a current completion of the course."""
    from pillars.workforce.models.credentials import CredentialType
    from pillars.workforce.models.trainings import Course
    from pillars.workforce.services import credentials as cred_svc
    from pillars.workforce.services import trainings as training_svc

    peer, bht = world.staff["peer"], world.staff["bht"]
    today = clock.organization_today()
    wanted = LadderCriterion.objects.get(step__role__code="peer", step__rank=2, kind="credential")
    course = LadderCriterion.objects.get(step__role__code="bht", step__rank=2, kind="training")
    measure = ladder_sel.evaluators()
    assert measure["credential"](peer, wanted, today).met is False
    held = cred_svc.record_credential(
        peer,
        actor=world.user("admin"),
        credential_type=CredentialType.objects.get(code=wanted.code, is_current=True),
        issued_on=today.replace(day=1),
    )
    assert measure["credential"](peer, wanted, today).met is False  # pending verification
    cred_svc.verify_credential(held, actor=world.user("admin"), method="primary source website")
    assert measure["credential"](peer, wanted, today).met is True
    assert measure["training"](bht, course, today).met is False
    training_svc.record_completion(
        bht,
        actor=world.user("admin"),
        course=Course.objects.get(code=course.code),
        completed_on=today,
    )
    assert measure["training"](bht, course, today).met is True

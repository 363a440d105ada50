"""One bad row never stops a sweep (issue 13): the coverage-lapse and ligature-risk sweeps
guard each row, log it and audit the failure, and alert every other row; the failing row is
tried again on the next loop (nothing was written for it)."""

from __future__ import annotations

from typing import Any

import pytest

from pillars.audit.choices import Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel
from pillars.rounds.services import coverage
from pillars.rounds.services import inspections as eoc
from pillars.rounds.tests.floor import another_person, order_for
from pillars.rounds.tests.test_inspections import on_precautions, rod_order  # noqa: F401

pytestmark = pytest.mark.django_db


def failed_events(label: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor_label=label, outcome=Outcome.FAILED))


def test_one_bad_lapse_does_not_stop_the_coverage_sweep(world: World, monkeypatch: Any) -> None:
    bad = order_for(world, code="one-to-one")
    good = order_for(world, another_person(world, "MRN-G1"), code="one-to-one")
    real = coverage._unit_of

    def unit_of(order: Any) -> Any:
        if order.pk == bad.pk:
            raise RuntimeError("a corrupt row")
        return real(order)

    monkeypatch.setattr(coverage, "_unit_of", unit_of)
    written = coverage.sweep_coverage_lapses(clock.now())
    assert [a.subject_id for a in written] == [good.public_id]
    [failed] = failed_events(coverage.SWEEP_LABEL)
    assert failed.object_id == str(bad.public_id)
    assert "a corrupt row" in failed.detail["error"]
    # Fixed: the next loop alerts the row that failed, once.
    monkeypatch.setattr(coverage, "_unit_of", real)
    again = coverage.sweep_coverage_lapses(clock.now())
    assert [a.subject_id for a in again] == [bad.public_id]


def test_one_bad_risk_does_not_stop_the_ligature_sweep(
    world: World,
    rod_order: Any,  # noqa: F811
    monkeypatch: Any,
) -> None:
    on_precautions(world, ["suicide"])
    other = another_person(world, "MRN-G2", world.beds_a[1])  # same room as person A
    services.order_observation(
        other,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Risk assessment",
        precautions=["self_harm"],
    )
    real = eoc.risk_message

    def message(risk: Any) -> str:
        if risk.person.pk == world.person_a.pk:
            raise RuntimeError("a corrupt row")
        return real(risk)

    monkeypatch.setattr(eoc, "risk_message", message)
    written = eoc.sweep_ligature_alerts(clock.now())
    assert {a.person_id for a in written} == {other.pk}
    assert failed_events(eoc.SWEEP_LABEL)
    monkeypatch.setattr(eoc, "risk_message", real)
    again = eoc.sweep_ligature_alerts(clock.now())
    assert {a.person_id for a in again} == {world.person_a.pk}
    assert Alert.objects.filter(person=world.person_a).exists()

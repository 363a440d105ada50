"""Workforce reads: the career ladder and each person's progress to their next step.

Criteria are data; how a criterion of a kind is measured is code, in a registry keyed by the
kind (``register_evaluator``). This area measures ``tenure_months`` and ``recognitions``; the
credentials, trainings and supervision areas register ``credential``, ``training`` and
``supervised_hours`` from their own ``extensions`` when they are installed. A kind with no
evaluator is reported as not measured, never as met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from pillars.core import clock, policy
from pillars.core.entry import get_for
from pillars.people.models import Staff
from pillars.workforce.models.ladder import LadderCriterion, LadderPlacement, LadderStep
from pillars.workforce.models.recognition import Recognition


@dataclass(frozen=True)
class Measure:
    """Where a person stands on one criterion: ``met`` is None when it cannot be measured."""

    value: float | None
    met: bool | None
    detail: str


Evaluator = Callable[[Staff, LadderCriterion, date], Measure]
_evaluators: dict[str, Evaluator] = {}


def register_evaluator(kind: str, evaluator: Evaluator) -> None:
    """Plug in how criteria of ``kind`` are measured (one evaluator per kind)."""
    _evaluators[kind] = evaluator


def evaluators() -> dict[str, Evaluator]:
    return dict(_evaluators)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (a month is complete on the same day-of-month)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return max(months - (1 if end.day < start.day else 0), 0)


def tenure_months(staff: Staff, criterion: LadderCriterion, today: date) -> Measure:
    months = months_between(staff.hired_on, today)
    need = float(criterion.threshold)
    return Measure(months, months >= need, f"{months} of {need:g} months since hire")


def recognitions(staff: Staff, criterion: LadderCriterion, today: date) -> Measure:
    # Through the end of ``today`` in the organization's zone: thanks given at 21:00 in Chicago
    # is already tomorrow in UTC.
    zone = ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)
    until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    count = Recognition.objects.filter(given_to=staff, given_at__lt=until).count()
    need = float(criterion.threshold)
    return Measure(count, count >= need, f"{count} of {need:g} recognitions")


register_evaluator("tenure_months", tenure_months)
register_evaluator("recognitions", recognitions)


def measure(staff: Staff, criterion: LadderCriterion, today: date) -> Measure:
    evaluator = _evaluators.get(criterion.kind)
    if evaluator is None:
        return Measure(None, None, "Not measured in Pillars yet: check it by hand.")
    return evaluator(staff, criterion, today)


@dataclass(frozen=True)
class Progress:
    role: str
    current: LadderStep | None
    since_on: date | None
    next_step: LadderStep | None
    criteria: list[tuple[LadderCriterion, Measure]]

    @property
    def met(self) -> int:
        return sum(1 for _, m in self.criteria if m.met)

    @property
    def is_ready(self) -> bool:
        return bool(self.criteria) and all(m.met for _, m in self.criteria)


def progress_of(staff: Staff, today: date) -> list[Progress]:
    """For each of the staff member's roles with a ladder: their step (the newest placement, or
    the first step) and each criterion of the next one, measured."""
    found = []
    placements = list(
        LadderPlacement.objects.filter(staff=staff)
        .select_related("step__role")
        .order_by("-since_on", "-pk")
    )
    for role in staff.roles.all():
        steps = list(
            LadderStep.objects.filter(role=role, is_active=True)
            .prefetch_related("criteria")
            .order_by("rank")
        )
        if not steps:
            continue
        placed = next((p for p in placements if p.step.role_id == role.pk), None)
        current = placed.step if placed else steps[0]
        later = [s for s in steps if s.rank > current.rank]
        next_step = later[0] if later else None
        criteria = (
            [(c, measure(staff, c, today)) for c in next_step.criteria.all()] if next_step else []
        )
        found.append(
            Progress(
                role=role.name,
                current=current,
                since_on=placed.since_on if placed else staff.hired_on,
                next_step=next_step,
                criteria=criteria,
            )
        )
    return found


def get_staff_for(user: Any, public_id: Any, action: str) -> Staff:
    return get_for(Staff, user, public_id, action)


def progress_for(user: Any, staff: Staff) -> list[Progress]:
    policy.require(user, "workforce.view_ladder_progress", staff)
    return progress_of(staff, clock.organization_today())


def ladders() -> list[tuple[str, list[LadderStep]]]:
    by_role: dict[str, list[LadderStep]] = {}
    for step in (
        LadderStep.objects.filter(is_active=True)
        .select_related("role")
        .prefetch_related("criteria")
        .order_by("role__name", "rank")
    ):
        by_role.setdefault(step.role.name, []).append(step)
    return list(by_role.items())

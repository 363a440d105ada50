"""Reads of trainings: a staff member's assigned courses with their status on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.people.models import Staff
from pillars.workforce.models.trainings import (
    Course,
    TrainingAssignment,
    TrainingCompletion,
    TrainingStatus,
)


@dataclass(frozen=True)
class TrainingLine:
    assignment: TrainingAssignment
    latest: TrainingCompletion | None
    status: str

    @property
    def status_label(self) -> str:
        return TrainingStatus(self.status).label

    @property
    def next_due(self) -> date | None:
        if self.latest is not None:
            return self.latest.expires_on
        return self.assignment.due_on


def courses() -> QuerySet[Course]:
    return Course.objects.filter(is_active=True)


def trainings_of(staff: Staff, user: Any, today: date) -> list[TrainingLine]:
    """A staff member's assigned courses with the latest completion and the status on
    ``today`` (the caller checked and audited the read of the staff member's record)."""
    assignments = policy.restrict(
        TrainingAssignment.objects.filter(staff=staff).select_related("course"),
        user,
        "workforce.view_credentials",
    ).order_by("course__name")
    latest: dict[int, TrainingCompletion] = {}
    for c in TrainingCompletion.objects.filter(staff=staff).order_by("completed_on", "pk"):
        latest[c.course_id] = c
    return [
        TrainingLine(a, latest.get(a.course_id), a.status_on(today, latest.get(a.course_id)))
        for a in assignments
    ]


def ladder_training(staff: Staff, criterion: Any, today: date) -> Any:
    """The career ladder's ``training`` criterion: a completion of the course ``code`` names
    that is current today."""
    from pillars.workforce.selectors.ladder import Measure

    done = [
        c
        for c in TrainingCompletion.objects.filter(staff=staff, course__code=criterion.code)
        if c.is_current_on(today)
    ]
    if done:
        return Measure(1, True, f"{criterion.code} completed {max(c.completed_on for c in done)}")
    return Measure(0, False, f"{criterion.code} not completed (or lapsed)")

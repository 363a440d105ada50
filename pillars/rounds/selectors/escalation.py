"""Reads of escalation chains, and of the board's unsafe checks still waiting for a lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from pillars.core import prepared
from pillars.people.alerts import Alert, AlertKind
from pillars.rounds.models import EscalationStep


def own_steps(unit: Any) -> list[EscalationStep]:
    """The unit's own active steps (empty when it uses the default chain)."""
    return list(EscalationStep.objects.filter(unit=unit, is_active=True).order_by("position"))


@dataclass(frozen=True)
class WaitingCheck:
    """A check that was not safe and that no lead has acknowledged yet."""

    check_id: UUID
    person_id: int
    observed_at: datetime
    message: str


@prepared.stepwise
def checks_not_safe_waiting(
    unit: Any, person_ids: list[int]
) -> prepared.Steps[dict[int, list[WaitingCheck]]]:
    """By person: the checks on this unit that were not safe and whose alert nobody has
    acknowledged yet (one acknowledgement by any recipient is enough). One query, built once
    per census size (``core.prepared.read``)."""

    def build(unit_id: int, persons: list[int]) -> QuerySet[Alert, tuple[Any, ...]]:
        return (
            Alert.objects.filter(
                kind=AlertKind.CHECK_NOT_SAFE,
                unit_id=unit_id,
                person_id__in=persons,
                acknowledged_at__isnull=True,
                resolved_at__isnull=True,
                subject_id__isnull=False,
            )
            .filter(
                ~Q(
                    subject_id__in=Alert.objects.filter(
                        kind=AlertKind.CHECK_NOT_SAFE,
                        unit_id=unit_id,
                        acknowledged_at__isnull=False,
                    ).values("subject_id")
                )
            )
            .values_list("subject_id", "person_id", "due_at", "message")
            .order_by("due_at", "subject_id")
        )

    rows = yield prepared.read_later(
        "the board's unsafe checks waiting", "", build, unit.pk, sorted(set(person_ids))
    )
    found: dict[int, list[WaitingCheck]] = {}
    seen: set[UUID] = set()
    for subject_id, person_id, due_at, message in rows:
        if subject_id is None or subject_id in seen:  # the filter excludes None; for mypy
            continue
        seen.add(subject_id)
        found.setdefault(person_id, []).append(WaitingCheck(subject_id, person_id, due_at, message))
    return found

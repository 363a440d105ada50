"""Reads of escalation chains, and of the board's unsafe checks still waiting for a lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q

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


def checks_not_safe_waiting(unit: Any, person_ids: list[int]) -> dict[int, list[WaitingCheck]]:
    """By person: the checks on this unit that were not safe and whose alert nobody has
    acknowledged yet (one acknowledgement by any recipient is enough). One query, its SQL
    compiled once per census size (``core.prepared``)."""
    # Both conditions hold the unit and the persons shown, the same on every refresh of the
    # board: each is resolved once per process for those values (``prepared.filtered``).
    waiting = Q(
        kind=AlertKind.CHECK_NOT_SAFE,
        unit_id=unit.pk,
        person_id__in=sorted(person_ids),
        acknowledged_at__isnull=True,
        resolved_at__isnull=True,
        subject_id__isnull=False,
    )
    rows = prepared.rows(
        "the board's unsafe checks waiting",
        prepared.filtered(
            prepared.filtered(Alert.objects.all(), waiting),
            lambda: (
                ~Q(
                    subject_id__in=Alert.objects.filter(
                        kind=AlertKind.CHECK_NOT_SAFE,
                        unit_id=unit.pk,
                        acknowledged_at__isnull=False,
                    ).values("subject_id")
                )
            ),
            key=("unsafe checks acknowledged on the unit", unit.pk),
        )
        .values_list("subject_id", "person_id", "due_at", "message")
        .order_by("due_at", "subject_id"),
    )
    found: dict[int, list[WaitingCheck]] = {}
    seen: set[UUID] = set()
    for subject_id, person_id, due_at, message in rows:
        if subject_id is None or subject_id in seen:  # the filter excludes None; for mypy
            continue
        seen.add(subject_id)
        found.setdefault(person_id, []).append(WaitingCheck(subject_id, person_id, due_at, message))
    return found

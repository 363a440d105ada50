"""Reads of coverage and monitoring exceptions, scoped to the user; reads naming persons served
are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pillars.core import policy
from pillars.core.entry import get_for
from pillars.people.models import Staff, Unit
from pillars.people.selectors import record_list_read
from pillars.rounds.models import Coverage, MonitoringException
from pillars.rounds.services.coverage import Lapse, coverage_lapses, free_for_rounds


def get_coverage_for(user: Any, public_id: Any, action: str = "rounds.cover") -> Coverage:
    rows = Coverage.objects.select_related("order__person", "order__level", "staff")
    return get_for(rows, user, public_id, action)


def get_exception_for(
    user: Any, public_id: Any, action: str = "rounds.pause"
) -> MonitoringException:
    rows = MonitoringException.objects.select_related("order__person", "order__level")
    return get_for(rows, user, public_id, action)


@dataclass(frozen=True)
class UnitCoverage:
    """Who is with whom on a unit now, the lapses, and who is free for rounds."""

    rows: list[Coverage]
    lapses: list[Lapse]
    free: list[Staff]


def coverage_on(user: Any, unit: Unit, now: datetime) -> UnitCoverage:
    """The unit's coverage for a user who may see it (the caller checked the unit); one
    audited read naming the persons shown."""
    rows = list(
        policy.restrict(Coverage.objects.all(), user, "rounds.view")
        .filter(
            ended_at__isnull=True,
            order__episode__placements__unit=unit,
            order__episode__placements__ended_at__isnull=True,
        )
        .select_related("order__person", "order__level", "staff")
        .order_by("order__person__legal_family_name", "started_at", "pk")
    )
    lapses = [lapse for lapse in coverage_lapses(now, unit) if policy.is_visible(user, lapse.order)]
    persons = {row.order.person.pk: row.order.person for row in rows}
    persons.update({lapse.order.person.pk: lapse.order.person for lapse in lapses})
    record_list_read(user, list(persons.values()), what=f"1:1 coverage on {unit.code}")
    return UnitCoverage(rows, lapses, free_for_rounds(unit, now))

"""Reads of set-aside checks: a unit's list for its lead and one for resolving, scoped by the
policy layer (the unit's staff) and audited as reads of the persons they are about."""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.entry import get_for
from pillars.people.models import Unit
from pillars.people.selectors import record_list_read
from pillars.rounds.models import SetAsideCheck

ACTION = "rounds.resolve_set_aside"
RECENT = 20


def _rows(user: Any) -> Any:
    return policy.restrict(
        SetAsideCheck.objects.select_related(
            "order__person", "order__level", "submitted_by", "resolved_by", "check_record"
        ),
        user,
        ACTION,
    )


def set_aside_on(user: Any, unit: Unit) -> tuple[list[SetAsideCheck], list[SetAsideCheck]]:
    """The unit's open set-aside checks (oldest first) and the last ones resolved."""
    policy.require(user, ACTION, unit)
    rows = _rows(user).filter(unit=unit)
    still_open = list(rows.filter(resolved_at__isnull=True).order_by("submitted_at", "pk"))
    resolved = list(rows.filter(resolved_at__isnull=False).order_by("-resolved_at")[:RECENT])
    persons = [r.order.person for r in [*still_open, *resolved]]
    if persons:
        record_list_read(user, persons, what=f"set-aside checks on {unit.code}")
    return still_open, resolved


def open_count_on(user: Any, unit: Unit) -> int:
    if not policy.can(user, ACTION):
        return 0
    return _rows(user).filter(unit=unit, resolved_at__isnull=True).count()


def get_set_aside_for(user: Any, public_id: Any) -> SetAsideCheck:
    """One set-aside check: 404 out of scope, 403 when the user may not resolve it."""
    rows = SetAsideCheck.objects.select_related(
        "order__person", "order__level", "submitted_by", "unit"
    )
    return get_for(rows, user, public_id, ACTION)

"""How the workforce services audit their writes about staff: a staff member's record kept for
administration (credentials, CE hours, trainings, supervised hours, verification letters), or the
work of running the service (supervision sessions, drift, caseloads, the ladder, exit interviews,
recognition), and the reads of figures and lists made for it. Wellbeing's are in their own
category (services and selectors of wellbeing)."""

from __future__ import annotations

from typing import Any

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose


def audit_administration(actor: Any, action: str, target: Any, detail: dict[str, Any]) -> None:
    """Audit a write to a staff member's record kept for administration."""
    audit.record(
        actor=actor, action=action, target=target, purpose=Purpose.ADMINISTRATION, detail=detail
    )


def audit_operations(
    actor: Any,
    action: str,
    target: Any,
    detail: dict[str, Any],
    *,
    actor_label: str = "",
    category: str = Category.GENERAL,
) -> None:
    """Audit a write made in running the service (``actor_label`` names a sweep that writes)."""
    audit.record(
        actor=actor,
        actor_label=actor_label,
        action=action,
        target=target,
        category=category,
        purpose=Purpose.OPERATIONS,
        detail=detail,
    )


def audit_operations_read(
    actor: Any,
    object_type: str,
    object_id: str,
    detail: dict[str, Any],
    *,
    category: str = Category.GENERAL,
) -> None:
    """Audit a read of a list or of figures (no one record) made for running the service:
    ``object_type`` names the records read, ``object_id`` the list or figure."""
    audit.record(
        actor=actor,
        action=Action.VIEW,
        object_type=object_type,
        object_id=object_id,
        category=category,
        purpose=Purpose.OPERATIONS,
        detail=detail,
    )

"""How the workforce services audit their writes about staff: a staff member's record kept for
administration (credentials, CE hours, trainings, supervised hours, verification letters), or the
work of running the service (supervision sessions, drift, caseloads, the ladder, exit interviews,
recognition). Wellbeing keeps its own category (services.wellbeing)."""

from __future__ import annotations

from typing import Any

from pillars.audit import log as audit
from pillars.audit.choices import Purpose


def audit_administration(actor: Any, action: str, target: Any, detail: dict[str, Any]) -> None:
    """Audit a write to a staff member's record kept for administration."""
    audit.record(
        actor=actor, action=action, target=target, purpose=Purpose.ADMINISTRATION, detail=detail
    )


def audit_operations(
    actor: Any, action: str, target: Any, detail: dict[str, Any], *, actor_label: str = ""
) -> None:
    """Audit a write made in running the service (``actor_label`` names a sweep that writes)."""
    audit.record(
        actor=actor,
        actor_label=actor_label,
        action=action,
        target=target,
        purpose=Purpose.OPERATIONS,
        detail=detail,
    )

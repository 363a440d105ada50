"""Reads of referrals, scoped by the policy layer; reads about a person are audited. The
outcome counts hide small groups (core.suppression)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import policy
from pillars.core.suppression import suppressed
from pillars.people.models import PersonServed
from pillars.recovery.models.referrals import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Referral,
    ReferralOutcomeReason,
    ReferralStatus,
)
from pillars.recovery.selectors.person_reads import get_person_record_for

# The closed statuses in the order of their choices (the report's columns).
CLOSED_ORDER = [s for s in ReferralStatus.values if s in CLOSED_STATUSES]
_RELATED = ("person", "service__organization", "referred_by", "outcome_reason", "goal")


def visible_to(user: Any) -> QuerySet[Referral]:
    """The referrals the user may read (callers audit the people they show)."""
    return policy.restrict(Referral.objects.all(), user, "recovery.view_referrals").select_related(
        *_RELATED
    )


def open_referrals(user: Any) -> QuerySet[Referral]:
    return visible_to(user).filter(status__in=OPEN_STATUSES).order_by("due_on", "created_at")


def referrals_of(person: PersonServed, user: Any) -> QuerySet[Referral]:
    """The person's referrals the user may read (the caller checked the person's scope)."""
    return (
        policy.readable(Referral.objects.filter(person=person), user)
        .select_related(*_RELATED)
        .order_by("-created_at", "-pk")
    )


def get_referral_for(
    user: Any, public_id: Any, action: str = "recovery.view_referrals", *, what: str
) -> Referral:
    """One referral, 404 when out of scope, 403 when not allowed; the read is audited."""
    referrals = Referral.objects.select_related(*_RELATED, "made_in_unit", "consent")
    return get_person_record_for(referrals, user, public_id, action, what=what)


def outcome_reasons() -> list[ReferralOutcomeReason]:
    return list(ReferralOutcomeReason.objects.filter(is_active=True))


@dataclass
class OutcomeRow:
    """Closed referrals of one service or one peer, by how they ended; hidden when small."""

    label: str
    total: int
    # None: a cell hidden inside a shown row (small, or its complement: the row total is shown).
    cells: list[int | None]
    hidden: bool


def _rows(closed: list[Referral], key: Any) -> list[OutcomeRow]:
    groups: dict[str, list[Referral]] = {}
    for referral in closed:
        groups.setdefault(key(referral), []).append(referral)
    sizes = {label: len(items) for label, items in groups.items()}
    hide = suppressed(sizes, "screen", total_shown=True)
    rows = []
    for label, items in sorted(groups.items()):
        counts = {s: sum(1 for r in items if r.status == s) for s in CLOSED_ORDER}
        small = suppressed(counts, "screen", total_shown=True)
        # An empty cell holds no one and covers no one: shown as 0.
        cells = [None if s in small and n else n for s, n in counts.items()]
        rows.append(OutcomeRow(label, len(items), cells, label in hide))
    return rows


def outcomes(user: Any) -> dict[str, Any]:
    """Closed referrals counted per service and per peer, small groups hidden (screen rule).
    Counts only: no person served is named, so the read is audited as one report view."""
    policy.require(user, "recovery.view_referral_outcomes")
    closed = list(visible_to(user).filter(status__in=CLOSED_STATUSES))
    audit.record(
        actor=user,
        action=Action.VIEW,
        object_type="recovery.referral_outcomes",
        purpose=Purpose.OPERATIONS,
        detail={"what": "referral outcomes", "referrals": len(closed)},
    )
    statuses = [ReferralStatus(s) for s in CLOSED_ORDER]
    return {
        "statuses": statuses,
        "by_service": _rows(closed, lambda r: r.recipient_name),
        "by_peer": _rows(closed, lambda r: r.referred_by.display_name),
        "total": len(closed),
    }

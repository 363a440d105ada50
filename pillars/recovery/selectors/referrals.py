"""Reads of referrals, scoped by the policy layer; reads about a person are audited. The
outcome counts hide small groups (core.suppression)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import policy
from pillars.core.suppression import SMALL, suppressed_across, threshold
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
    # None: a cell hidden inside a shown row (small, or one a small group could be found from).
    cells: list[int | None]
    hidden: bool


# How the report cuts the closed referrals: by the service, and by the peer who referred.
CUTS: dict[str, Any] = {
    "by_service": lambda r: r.recipient_name,
    "by_peer": lambda r: r.referred_by.display_name,
}


def _hidden(closed: list[Referral]) -> dict[tuple[str, ...], str]:
    """Every figure of the report to hide, across its two cuts (core.suppression): a row
    (a service or a peer) or a cell (a row's referrals of one status) under the screen's
    threshold, and as many others as it takes that no small one is the total and the rows
    and cells shown added and taken away (a peer's row minus the services shown of that peer
    gave a small service back). Each figure is counted over its referrals' (service, peer,
    status), which every figure of both cuts is a sum of."""
    cells: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    sizes: dict[tuple[str, ...], int] = {}
    for referral in closed:
        atom = (*(key(referral) for key in CUTS.values()), referral.status)
        for cut, key in CUTS.items():
            for figure in ((cut, key(referral)), (cut, key(referral), referral.status)):
                cells.setdefault(figure, set()).add(atom)
                sizes[figure] = sizes.get(figure, 0) + 1
    minimum = threshold("screen")
    small = {figure: SMALL for figure, n in sizes.items() if n < minimum}
    return suppressed_across(cells, sizes, small)


def _rows(closed: list[Referral], cut: str, hidden: dict[tuple[str, ...], str]) -> list[OutcomeRow]:
    groups: dict[str, list[Referral]] = {}
    for referral in closed:
        groups.setdefault(CUTS[cut](referral), []).append(referral)
    rows = []
    for label, items in sorted(groups.items()):
        counts = {s: sum(1 for r in items if r.status == s) for s in CLOSED_ORDER}
        # An empty cell holds no one and covers no one: shown as 0.
        cells = [None if (cut, label, s) in hidden and n else n for s, n in counts.items()]
        rows.append(OutcomeRow(label, len(items), cells, (cut, label) in hidden))
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
    hidden = _hidden(closed)
    return {
        "statuses": statuses,
        **{cut: _rows(closed, cut, hidden) for cut in CUTS},
        "total": len(closed),
    }

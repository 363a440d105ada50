"""Caseloads against their limits: per peer (the recovery app's ``CaseloadLimit``, default
15) and per technician or other kind (``CaseloadKindLimit``), for the staff a user may see
this way (their supervisees; the director: everyone), and the handover notes left for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from pillars.core import clock, policy
from pillars.people.choices import CaseloadKind
from pillars.people.models import CaseloadAssignment, Staff
from pillars.people.selectors import active_caseload_q
from pillars.people.tenancy import in_organization
from pillars.recovery.selectors.matching import caseload_limit_for, caseload_limits_for
from pillars.workforce.models.caseloads import CaseloadKindLimit, Handover
from pillars.workforce.services.staff_audit import audit_operations_read

# The kind of caseload each role carries by default (a row for the role even when empty).
ROLE_KIND = {"peer": CaseloadKind.PEER, "bht": CaseloadKind.PRIMARY_TECH}


@dataclass(frozen=True)
class CaseloadRow:
    staff: Staff
    kind: str
    kind_label: str
    count: int
    limit: int | None

    @property
    def room(self) -> int | None:
        return None if self.limit is None else self.limit - self.count

    @property
    def status(self) -> str:
        if self.limit is None:
            return "no_limit"
        if self.count > self.limit:
            return "over"
        if self.count == self.limit:
            return "full"
        return "room"

    @property
    def status_label(self) -> str:
        return {
            "no_limit": "No limit set",
            "over": "Over the limit",
            "full": "At the limit",
            "room": "Has room",
        }[self.status]


def limit_for(
    staff: Staff,
    kind: str,
    kind_limits: dict[str, int] | None = None,
    peer_limits: dict[int, int] | None = None,
) -> int | None:
    if kind == CaseloadKind.PEER:
        if peer_limits is not None and staff.pk in peer_limits:
            return peer_limits[staff.pk]
        return caseload_limit_for(staff)
    if kind_limits is None:
        kind_limits = dict(CaseloadKindLimit.objects.values_list("kind", "max_persons"))
    return kind_limits.get(kind)


def balance_staff(user: Any, today: date) -> QuerySet[Staff]:
    """The employed staff whose caseloads the user balances (checked by the caller)."""
    actor = policy.actor_for(user)
    qs = (
        in_organization(Staff.objects.all(), user)
        .filter(Q(exited_on__isnull=True) | Q(exited_on__gt=today))
        .filter(roles__code__in=["peer", "bht", "nurse", "clinician", "supervisor"])
    )
    if not actor.is_org_wide:
        qs = qs.filter(pk__in=actor.supervisee_staff_ids)
    return qs.distinct().prefetch_related("roles", "programs").order_by("display_name")


def caseload_rows(staff: list[Staff], today: date, *, user: Any = None) -> list[CaseloadRow]:
    """Each staff member's caseloads today against their limits. A page passes its ``user``:
    the counts are then of the assignments the user may read (``policy.readable``), so an
    assignment another program made (42 CFR Part 2) is no more told by a count than by a row.
    Without a user every assignment counts (the limit checks of ``services.caseloads``)."""
    counts: dict[tuple[int, str], int] = {}
    assignments = policy.readable(
        CaseloadAssignment.objects.filter(active_caseload_q(today), staff__in=staff), user
    )
    for staff_id, kind, n in (
        assignments.values("staff_id", "kind")
        .annotate(n=Count("id"))
        .values_list("staff_id", "kind", "n")
    ):
        counts[(staff_id, kind)] = n
    kind_limits = dict(CaseloadKindLimit.objects.values_list("kind", "max_persons"))
    labels = dict(CaseloadKind.choices)
    kinds_of: dict[int, set[str]] = {}
    for member in staff:
        kinds = {k for (sid, k) in counts if sid == member.pk}
        kinds |= {ROLE_KIND[r.code] for r in member.roles.all() if r.code in ROLE_KIND}
        kinds_of[member.pk] = kinds
    peer_limits = caseload_limits_for([m for m in staff if CaseloadKind.PEER in kinds_of[m.pk]])
    rows = []
    for member in staff:
        kinds = kinds_of[member.pk]
        for kind in sorted(kinds):
            rows.append(
                CaseloadRow(
                    member,
                    kind,
                    labels.get(kind, kind),
                    counts.get((member.pk, kind), 0),
                    limit_for(member, kind, kind_limits, peer_limits),
                )
            )
    return rows


def open_assignments(
    staff: Staff, today: date, *, user: Any = None
) -> QuerySet[CaseloadAssignment]:
    """A staff member's assignments open today, with their persons. A page passes its
    ``user``: only the assignments the user may read (an assignment another program made stays
    with its team, 42 CFR Part 2); without one, all of them."""
    return policy.readable(
        CaseloadAssignment.objects.filter(active_caseload_q(today), staff=staff)
        .select_related("person")
        .order_by("kind", "person__legal_family_name", "pk"),
        user,
    )


def handovers_for(user: Any) -> QuerySet[Handover]:
    """The handovers the user may read, each with the assignments it made that the user may
    read (an assignment another program made stays with its team, 42 CFR Part 2)."""
    assignments = policy.readable(
        CaseloadAssignment.objects.select_related("person", "staff"), user
    )
    return (
        policy.restrict(Handover.objects.all(), user, "workforce.view_own_caseload")
        .select_related("from_staff", "made_by")
        .prefetch_related(Prefetch("assignments", queryset=assignments))
        .order_by("-made_at")
    )


def audit_balance_read(user: Any, staff: list[Staff], *, what: str) -> None:
    audit_operations_read(
        user,
        "people.staff",
        "list",
        {"what": what, "staff": [str(s.public_id) for s in staff[:200]]},
    )


def balance_for(user: Any, *, what: str) -> list[CaseloadRow]:
    """Today's caseloads against their limits for the staff the user balances (the balance page
    and the API); refused without ``workforce.view_caseload_balance``, and the read is audited."""
    policy.require(user, "workforce.view_caseload_balance")
    today = clock.organization_today()
    staff = list(balance_staff(user, today))
    rows = caseload_rows(staff, today, user=user)
    audit_balance_read(user, staff, what=what)
    return rows

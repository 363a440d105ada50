"""Caseload balance (issue 15): the limits beside peers' (which are the recovery app's
``CaseloadLimit``, reused, never copied), and the handover note left when a caseload moves."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.people.models import CaseloadAssignment, Staff
from pillars.people.tenancy import OrganizationOwned, TenantLink

__all__ = ["CaseloadKindLimit", "Handover", "HandoverReason"]


class CaseloadKindLimit(PublicModel):
    """The most persons served one staff member may carry in a kind of caseload other than
    peer support (a primary technician's, a case manager's). Peer caseloads are limited by the
    recovery app's ``CaseloadLimit`` (default 15) and may not be limited here."""

    kind = models.CharField(max_length=20, unique=True)
    max_persons = models.PositiveIntegerField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_persons__gte=1) & ~Q(kind="peer"), name="kind_limit_not_peer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.max_persons}"


class HandoverReason(models.TextChoices):
    LEAVING = "leaving", "Leaving the organization"
    LEAVE = "leave", "Going on leave"
    REBALANCE = "rebalance", "Balancing caseloads"


class Handover(OrganizationOwned, PublicModel):
    """One bulk reassignment: whose caseload moved, why, the note for the receivers, and the
    new assignments it made (each receiver reads the note beside their new persons)."""

    organization_from = ("from_staff",)

    from_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=HandoverReason.choices)
    note = models.TextField()
    made_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()
    effective_on = models.DateField()
    assignments = models.ManyToManyField(
        CaseloadAssignment, related_name="+", through="HandoverAssignment"
    )
    receivers = models.ManyToManyField(
        Staff, related_name="handovers_received", through="HandoverReceiver"
    )

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"Handover from {self.from_staff} on {self.effective_on}"


class HandoverAssignment(
    TenantLink, ends=("handover", "caseloadassignment"), db_table="workforce_handover_assignments"
):
    """An assignment a handover made."""

    # A part of the assignment: it carries the assignment's 42 CFR Part 2 label.
    PART2_VIA = "caseloadassignment"

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="+")
    caseloadassignment = models.ForeignKey(
        CaseloadAssignment, on_delete=models.CASCADE, related_name="+"
    )


class HandoverReceiver(
    TenantLink, ends=("handover", "staff"), db_table="workforce_handover_receivers"
):
    """A staff member a handover gave persons to."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")

"""Who watches whom: shift assignments, 1:1 and 2:1 coverage, and monitoring exceptions."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import open_stretch_constraints
from pillars.core.models import PublicModel
from pillars.people.models import PersonServed, Room, Staff, Unit
from pillars.people.tenancy import OrganizationOwned
from pillars.rounds.choices import AssignmentKind, ExceptionKind
from pillars.rounds.models.orders import ObservationOrder


class ShiftAssignment(OrganizationOwned, PublicModel):
    """A staff member's part of a shift on a unit: shift lead, or rounding on one person or
    one room, from ``starts_at`` to ``ends_at``. Reassigning mid-shift ends the row early
    (``ended_at``) and starts another, so who had whom at any moment stays answerable."""

    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=AssignmentKind.choices)
    person = models.ForeignKey(
        PersonServed, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["unit", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=AssignmentKind.LEAD, person__isnull=True, room__isnull=True)
                    | Q(kind=AssignmentKind.PERSON, person__isnull=False, room__isnull=True)
                    | Q(kind=AssignmentKind.ROOM, person__isnull=True, room__isnull=False)
                ),
                name="assignment_names_what_it_covers",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="assignment_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_kind_display()} on {self.unit}"

    def is_active_at(self, now: datetime) -> bool:
        end = min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at
        return self.starts_at <= now < end


class Coverage(OrganizationOwned, PublicModel, part_of="order"):
    """One staff member's stretch with a person on 1:1 or 2:1 observation. A relief handoff
    ends the outgoing stretch and starts the incoming one (``handed_from``), signed by both."""

    order = models.ForeignKey(ObservationOrder, on_delete=models.PROTECT, related_name="coverage")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    handed_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="handed_to"
    )
    outgoing_signed_at = models.DateTimeField(null=True, blank=True)
    incoming_signed_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["staff", "started_at"])]
        constraints = open_stretch_constraints(
            "staff",
            one_open_name="one_open_coverage_each",
            ends_after_name="coverage_ends_after_start",
        )

    def __str__(self) -> str:
        return f"{self.staff} with {self.order.person}"


class MonitoringException(OrganizationOwned, PublicModel, part_of="order"):
    """A stretch in which a person cannot be observed (off the unit with whom and where,
    refused, in a session, on pass). It pauses the order's clock; ending it resumes the clock
    with a check due at once."""

    order = models.ForeignKey(ObservationOrder, on_delete=models.PROTECT, related_name="exceptions")
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    reason = models.CharField(max_length=300)
    with_whom = models.CharField(max_length=150, blank=True)
    where = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = open_stretch_constraints(
            "order",
            one_open_name="one_open_exception_each",
            ends_after_name="exception_ends_after_start",
        )

    def __str__(self) -> str:
        return f"{self.order.person}: {self.get_kind_display()}"

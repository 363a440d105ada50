"""Role drift (issue 15 "Role drift and caseload balance"): the time a peer spends on work
outside the peer role, logged simply (``TimeLogEntry``), and the thresholds that put a drift
item on the next supervision agenda (``DriftThreshold``). The activity mix and the scope
guard's flags are read from the recovery app's encounters, where they are kept."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.people.models import Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = ["DriftMetric", "DriftThreshold", "NonPeerTask", "TimeLogEntry"]


class NonPeerTask(models.TextChoices):
    TRANSPORT = "transport", "Transport"
    CLINICAL_PAPERWORK = "clinical_paperwork", "Clinical paperwork"
    FLOOR_COVERAGE = "floor_coverage", "Covering floor shifts"
    OTHER = "other", "Other non-peer work"


class TimeLogEntry(OrganizationOwned, PublicModel):
    """Minutes one staff member spent on a non-peer task on one day, in their own words."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    worked_on = models.DateField()
    task = models.CharField(max_length=20, choices=NonPeerTask.choices)
    minutes = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField()
    client_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-worked_on", "-id"]
        indexes = [models.Index(fields=["staff", "worked_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=24 * 60), name="time_log_minutes"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_task_display()} {self.minutes} min on {self.worked_on}"


class DriftMetric(models.TextChoices):
    NON_PEER_SHARE = "non_peer_share", "Non-peer time, percent of logged time in a month"
    FLAGS_PER_10_NOTES = "flags_per_10_notes", "Scope-guard flags per 10 notes in a month"


class DriftThreshold(PublicModel):
    """A line a peer's month must not cross; crossing it puts a drift item on the agenda of
    the peer's next supervision session. ``min_notes`` keeps a month with very few notes from
    tripping the per-note rate."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=160)
    metric = models.CharField(max_length=24, choices=DriftMetric.choices)
    limit = models.DecimalField(max_digits=6, decimal_places=2)
    min_notes = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    def crossed(self, value: Decimal | None, notes: int) -> bool:
        if value is None or notes < self.min_notes:
            return False
        return value > self.limit

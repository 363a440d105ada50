"""Workforce models: retention. Hires and exits are people's (``Staff.hired_on``,
``Staff.exited_on`` and ``Staff.exit_reason``, written by ``people.services.exit_staff``); this
area adds what turnover reports need on top of them:

- ``ExitReasonKind`` (data): whether each exit reason is a voluntary or an involuntary
  separation, or an internal transfer (which turnover leaves out);
- ``ExitInterview``: what the person said on leaving, and the reason as the interview found it
  (it may correct the reason's kind, for example to an internal transfer).
"""

from __future__ import annotations

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = ["ExitInterview", "ExitReasonKind", "SeparationKind"]


class SeparationKind(models.TextChoices):
    VOLUNTARY = "voluntary", "Voluntary"
    INVOLUNTARY = "involuntary", "Involuntary"
    TRANSFER = "transfer", "Internal transfer (not a separation)"


class ExitReasonKind(PublicModel):
    """An exit reason and the kind of separation it is. ``code`` matches a reason people
    records (``people.choices.ExitReason``) or one an exit interview names."""

    code = models.SlugField(max_length=32, unique=True)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=SeparationKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"


class ExitInterview(OrganizationOwned, PublicModel):
    """One exit interview per staff member who left. ``reason`` (optional) overrides the kind
    of separation the exit reason alone would give."""

    organization_from = ("staff",)

    staff = models.OneToOneField(Staff, on_delete=models.PROTECT, related_name="exit_interview")
    reason = models.ForeignKey(
        ExitReasonKind, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField()
    would_return = models.BooleanField(null=True, blank=True)
    what_helped = models.TextField(blank=True)
    what_would_change = models.TextField(blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "pk"]

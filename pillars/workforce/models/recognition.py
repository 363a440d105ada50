"""Workforce models: recognition. A thank-you from one staff member to another (a peer's, or a
leader's when the giver supervises or leads); shown to the person it is for and to its giver;
the organization sees counts only."""

from __future__ import annotations

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = ["Recognition"]


class Recognition(OrganizationOwned, PublicModel):
    """One recognition. ``is_from_leader`` is fixed when it is given (the giver's roles then)."""

    organization_from = ("given_to",)

    given_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    given_to = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="recognitions")
    message = models.CharField(max_length=500)
    given_at = models.DateTimeField(db_index=True)
    is_from_leader = models.BooleanField(default=False)
    client_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-given_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(given_by=models.F("given_to")), name="recognition_not_self"
            )
        ]

"""One bulk export job: what was asked, by whom, where it stands, and the files it wrote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = ["ExportJob"]


class ExportJob(OrganizationOwned, PublicModel):
    """A FHIR ``$export`` request and its run. Its public id is in the status and file URLs.

    ``output`` and ``errors`` list the files written (``{"type", "name", "count", "part2"}``);
    the files live under ``storage.job_dir(job)`` until ``expires_at``, when the sweep deletes
    the job and its files. A cancelled job keeps its row (the status URL answers 404 for it)
    until the sweep removes it too."""

    organization_from = ("requested_by",)

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Level(models.TextChoices):
        SYSTEM = "system", "Everything the requester may see"
        PATIENT = "patient", "All persons served the requester may see"
        GROUP = "group", "The persons served of one unit or program"

    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices)
    group_kind = models.CharField(max_length=10, blank=True)  # "unit" or "program"
    group_id = models.UUIDField(null=True, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    types = models.JSONField(default=list, blank=True)  # empty: every type the level exports
    request_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    consent_ids = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"FHIR export {self.public_id} ({self.status})"

    def is_expired_at(self, now: datetime) -> bool:
        return now >= self.expires_at

    def files(self) -> dict[str, dict[str, Any]]:
        """Every file of the job by its name (outputs and error files)."""
        return {f["name"]: f for f in [*self.output, *self.errors]}

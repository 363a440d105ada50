"""The floor knows: rules naming a floor task and the credentials and courses it needs, with
what happens when one has lapsed (block or warn), and the warnings given."""

from __future__ import annotations

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.hooks import FloorTask
from pillars.people.models import Role, Staff
from pillars.people.tenancy import OrganizationOwned
from pillars.workforce.models.credentials import CredentialType
from pillars.workforce.models.trainings import Course

__all__ = ["Effect", "FloorRule", "FloorWarning", "MissingEffect"]


class Effect(models.TextChoices):
    BLOCK = "block", "Block"
    WARN = "warn", "Warn"


class MissingEffect(models.TextChoices):
    BLOCK = "block", "Block"
    WARN = "warn", "Warn"
    IGNORE = "ignore", "Do not check"


class FloorRule(PublicModel):
    """A floor task and what it needs. ``credential_types`` are matched by code (any version
    of the type counts); every listed credential and course is needed. ``effect`` applies when
    one has lapsed, ``missing_effect`` when the staff member has never had it on record.
    ``roles`` narrows the rule to staff with one of those roles (none: everyone)."""

    name = models.CharField(max_length=150)
    task = models.CharField(max_length=32, choices=FloorTask.choices)
    credential_types = models.ManyToManyField(CredentialType, related_name="+", blank=True)
    courses = models.ManyToManyField(Course, related_name="+", blank=True)
    roles = models.ManyToManyField(Role, related_name="+", blank=True)
    effect = models.CharField(max_length=8, choices=Effect.choices, default=Effect.BLOCK)
    missing_effect = models.CharField(
        max_length=8, choices=MissingEffect.choices, default=MissingEffect.WARN
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["task", "name"]

    def __str__(self) -> str:
        return self.name


class FloorWarning(OrganizationOwned, PublicModel):
    """A warning the floor gate gave and let through: who, for which task, why, and on which
    record (by kind and public id, so no foreign key into every app)."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="floor_warnings")
    task = models.CharField(max_length=32, choices=FloorTask.choices)
    reason = models.CharField(max_length=300)
    subject_kind = models.CharField(max_length=40, blank=True)
    subject_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["staff", "created_at"])]

    def __str__(self) -> str:
        return self.reason

"""The fields and behaviour every signed, versioned plan shares (``core.plan_versions``): its
number, state and words, who drafted it, and the two signatures. Each plan's model adds its
person link, review date (with its own words), its constraints and how its sections read."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import unique_in_organization


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class PlanSignature(models.TextChoices):
    """How the person signed: typing their name on the tablet, or on a paper copy that the staff
    member saw them sign (attested)."""

    TABLET = "tablet", "Typed their name on the tablet"
    PAPER = "paper", "Signed a paper copy (attested by staff)"


class PlanVersionBase(models.Model):
    """One version of a person's plan. ``content`` maps each section code to its entries."""

    # "Safety plan", for the version's name ("Safety plan v2 (Signed)").
    PLAN_NAME: ClassVar[str]

    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    content = models.JSONField(default=dict)
    drafted_by = models.ForeignKey("people.Staff", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # The person's signature and how it was given.
    person_signature = models.CharField(
        max_length=12, choices=PlanSignature.choices, blank=True, default=""
    )
    person_signed_name = models.CharField(max_length=150, blank=True, default="")
    person_signed_at = models.DateTimeField(null=True, blank=True)
    # The staff member who wrote the plan with the person and signs it (and, for a paper
    # signature, attests that they saw the person sign).
    signed_by = models.ForeignKey(
        "people.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.PLAN_NAME} v{self.number} ({PlanStatus(self.status).label})"

    @property
    def is_signed(self) -> bool:
        return self.status == PlanStatus.SIGNED

    def is_review_overdue(self, today: date) -> bool:
        return self.is_signed and self.review_on < today  # type: ignore[attr-defined]


def plan_version_constraints(plan: str) -> list[models.BaseConstraint]:
    """The constraints every plan's versions keep, named after the plan ("safety_plan"): one
    number per person, at most one open draft per person (everyone edits the same next
    version), and a signed version carries both signatures."""
    return [
        unique_in_organization("person", "number", name=f"{plan}_version_unique"),
        unique_in_organization("person", condition=Q(status="draft"), name=f"one_{plan}_draft"),
        models.CheckConstraint(
            condition=Q(status="draft")
            | (
                Q(signed_at__isnull=False, person_signed_at__isnull=False) & ~Q(person_signature="")
            ),
            name=f"signed_{plan}_has_both_signatures",
        ),
    ]

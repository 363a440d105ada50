"""Individualized safety plans (DESIGN.md "incidents"), written with the person served.

A plan is a chain of versions per person. Staff draft a version with the person; it becomes the
person's plan when the person served and the staff member both sign it. A signed version is
never changed (DESIGN.md rule 2): updating the plan means drafting and signing the next version,
and every earlier version stays readable. The current plan is derived, never stored: the signed
version with the highest number.

The section wording is Pillars' own (the Stanley-Brown plan may not be embedded without
permission, DESIGN.md "Licensing").
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from pillars.core import prepared
from pillars.core.models import PublicModel
from pillars.core.plan_models import PlanStatus, PlanVersionBase, plan_version_constraints
from pillars.people.models import Part2Labelled, PersonServed
from pillars.people.tenancy import OrganizationOwned, TenantQuerySet

__all__ = ["PersonSignature", "PlanSection", "SafetyPlanStatus", "SafetyPlanVersion"]


class PlanSection(models.TextChoices):
    """The plan's sections, in the order the person fills them in and reads them."""

    WARNING_SIGNS = "warning_signs", "Warning signs that a hard time is starting"
    ON_MY_OWN = "on_my_own", "Things I can do on my own"
    PEOPLE_PLACES = "people_places", "People and places that help me"
    ASK_FOR_HELP = "ask_for_help", "People I can ask for help"
    PROFESSIONALS = "professionals", "Professionals and crisis lines"
    SAFER_SURROUNDINGS = "safer_surroundings", "Making my environment safer"
    REASONS = "reasons", "My reasons for living"


# Sections whose entries are contacts (a name and a phone number); the others are lines of text.
CONTACT_SECTIONS = frozenset({PlanSection.ASK_FOR_HELP, PlanSection.PROFESSIONALS})

# The national line every plan starts with (988, call or text, in the United States).
CRISIS_LINE = {"name": "988 Suicide & Crisis Lifeline (call or text)", "phone": "988"}


SafetyPlanStatus = PlanStatus


class PersonSignature(models.TextChoices):
    """How the person served signed: typing their name on the tablet, or on a paper copy that
    the staff member saw them sign (attested)."""

    TABLET = "tablet", "Typed their name on the tablet"
    PAPER = "paper", "Signed a paper copy (attested by staff)"


@cache
def _no_later_signed() -> Any:
    """The condition "no later signed version of the same person's plan". It holds no value of
    a request, and a query copies an expression before resolving it, so it is built once per
    process (the board reads current plans on every refresh)."""
    later = SafetyPlanVersion.objects.filter(
        person_id=OuterRef("person_id"),
        status=SafetyPlanStatus.SIGNED,
        number__gt=OuterRef("number"),
    )
    return ~Exists(later)


class VersionQuerySet(TenantQuerySet["SafetyPlanVersion"]):
    def signed(self) -> VersionQuerySet:
        return self.filter(status=SafetyPlanStatus.SIGNED)

    def current(self) -> VersionQuerySet:
        """Each person's current plan: a signed version with no later signed version (the
        condition resolved once per process: ``prepared.filtered``)."""
        return prepared.filtered(
            self.signed(), lambda: Q(_no_later_signed()), key="no later signed safety plan"
        )


class SafetyPlanVersion(OrganizationOwned, Part2Labelled, PlanVersionBase, PublicModel):
    """One version of a person's safety plan. ``content`` maps each section code to its list of
    entries: ``{"text": ...}`` or, in contact sections, ``{"name": ..., "phone": ...}``."""

    organization_from = ("person",)

    PART2_KIND = "safety_plan"
    PLAN_NAME = "Safety plan"

    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="safety_plan_versions"
    )
    review_on = models.DateField(help_text="When the person and staff look at the plan again.")

    objects = VersionQuerySet.as_manager()  # type: ignore[misc]  # a TenantQuerySet

    class Meta:
        ordering = ["person_id", "-number"]
        constraints = plan_version_constraints("safety_plan")
        indexes = [models.Index(fields=["status", "review_on"], name="safety_plan_review_idx")]

    def sections(self) -> list[dict[str, Any]]:
        """Every section in order, with its label and entries, for pages and the printed copy."""
        content = self.content or {}
        return [
            {
                "code": code,
                "label": label,
                "is_contacts": code in CONTACT_SECTIONS,
                "entries": list(content.get(code, [])),
            }
            for code, label in PlanSection.choices
        ]

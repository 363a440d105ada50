"""Wellness plans and the recovery goals a person chooses.

``Goal`` is the anchor other areas point at: an encounter names the goal it serves (programs that
bill peer services need each one tied to the person's plan), a referral may too.
"""

from __future__ import annotations

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import Part2Labelled, PersonServed, Staff

__all__ = ["Goal", "GoalStatus", "LifeDomain"]


class LifeDomain(models.TextChoices):
    """The life areas a person's recovery goals are grouped by."""

    HOUSING = "housing", "Housing"
    WORK = "work", "Work and education"
    RELATIONSHIPS = "relationships", "Family and relationships"
    HEALTH = "health", "Physical health"
    RECOVERY = "recovery", "Recovery and wellness"
    COMMUNITY = "community", "Community and belonging"
    MONEY = "money", "Money and benefits"
    LEGAL = "legal", "Legal"
    SPIRITUALITY = "spirituality", "Meaning and spirituality"
    OTHER = "other", "Something else"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Working on it"
    ACHIEVED = "achieved", "Achieved"
    SET_ASIDE = "set_aside", "Set aside by the person"


class Goal(Part2Labelled, PublicModel):
    """A recovery goal the person chose, in their own words."""

    PART2_KIND = "recovery"

    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="recovery_goals"
    )
    domain = models.CharField(max_length=20, choices=LifeDomain.choices)
    statement = models.TextField(help_text="The goal in the person's own words.")
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    target_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["person_id", "created_at", "id"]
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.statement[:60]}"

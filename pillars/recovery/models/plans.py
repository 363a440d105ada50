"""Wellness plans and the recovery goals a person chooses.

``Goal`` is the anchor other areas point at: an encounter names the goal it serves (programs that
bill peer services need each one tied to the person's plan), a referral may too.

A wellness plan is written in the person's own words, in seven parts, and is versioned like the
incidents safety plan (``incidents.models.safety``): a draft is the next version while it is being
written; it becomes the person's plan when the person and the peer specialist both sign it; a
signed version never changes (DESIGN.md rule 2) and the next change is a new draft started from
it. The current plan is derived (the signed version with the highest number), never stored.
The name is "wellness plan": "WRAP" is a trademark (DESIGN.md "Licensing"); the part headings
are Pillars' own wording.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.core.plan_models import PlanStatus, PlanVersionBase, plan_version_constraints
from pillars.people.models import Part2Labelled, PersonServed, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "WELLNESS_PARTS",
    "Goal",
    "GoalProgress",
    "GoalStatus",
    "GoalStep",
    "LifeDomain",
    "WellnessPersonSignature",
    "WellnessPlanStatus",
    "WellnessPlanVersion",
    "WellnessSection",
]


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


class Goal(OrganizationOwned, Part2Labelled, PublicModel):
    """A recovery goal the person chose, in their own words."""

    organization_from = ("person",)

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
    # When the status last changed (achieved or set aside); None while never changed.
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The form's or device's key: a goal sent twice is set once (DESIGN.md rule 7).
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["person_id", "created_at", "id"]
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.statement[:60]}"

    def steps_done(self) -> tuple[int, int]:
        """(steps done, steps in all), from prefetched steps when there are any."""
        steps = list(self.steps.all())
        return sum(1 for s in steps if s.is_done), len(steps)

    def percent_done(self) -> int | None:
        done, total = self.steps_done()
        return round(100 * done / total) if total else None


class GoalStep(OrganizationOwned, PublicModel, part_of="goal"):
    """One step toward a goal, in the person's words: done or not yet, with a target date.
    A step is working state, not a signed record: ticking it off (or un-ticking it) is
    audited, and the progress notes keep the history of how far the person had come."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="steps")
    text = models.CharField(max_length=300)
    target_on = models.DateField(null=True, blank=True)
    is_done = models.BooleanField(default=False)
    done_on = models.DateField(null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # The step form's key: a step sent twice is added once (DESIGN.md rule 7).
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["goal_id", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text[:60]


# A simple attainment scale the person chooses with each progress note: how close the goal
# feels today. Pillars' own five steps (not a published instrument's wording).
ATTAINMENT = {
    1: "Just starting",
    2: "Some steps taken",
    3: "About halfway",
    4: "Nearly there",
    5: "Achieved",
}


class GoalProgress(OrganizationOwned, Part2Labelled, PublicModel):
    """A dated progress note on a goal, in the person's words, with where they place themselves
    on the attainment scale and the share of steps done at that moment (kept, so the chart of
    attainment over time does not change when a step is ticked later). Never edited.

    ``by_person`` says the person wrote the note themselves (on a person-facing page or on the
    tablet); ``recorded_by`` is the staff member whose session recorded it, None when the person's
    own access did."""

    organization_from = ("goal",)

    PART2_KIND = "recovery"
    PART2_PERSON = "goal__person"

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="progress_notes")
    noted_on = models.DateField()
    note = models.TextField(help_text="In the person's own words.")
    attainment = models.PositiveSmallIntegerField(null=True, blank=True)
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    by_person = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField()
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["goal_id", "noted_on", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attainment__isnull=True) | Q(attainment__gte=1, attainment__lte=5),
                name="goal_progress_attainment_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"Progress on {self.noted_on}"

    @property
    def attainment_label(self) -> str:
        return ATTAINMENT.get(self.attainment or 0, "")

    @property
    def percent_done(self) -> int | None:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else None


class WellnessSection(models.TextChoices):
    """The wellness plan's sections in reading order. The daily maintenance part has three."""

    TOOLBOX = "toolbox", "My wellness toolbox"
    WHEN_WELL = "when_well", "What I am like when I am well"
    EVERY_DAY = "every_day", "What I do every day to stay well"
    MIGHT_DO = "might_do", "What I might do on some days"
    TRIGGERS = "triggers", "Triggers and how I respond"
    EARLY_WARNING = "early_warning", "Early warning signs"
    BREAKING_DOWN = "breaking_down", "When things are breaking down"
    CRISIS = "crisis", "My crisis plan"
    AFTER_CRISIS = "after_crisis", "After a crisis"


# The seven parts and the sections in each, for pages and the printed copy.
WELLNESS_PARTS: list[tuple[str, list[WellnessSection]]] = [
    ("Wellness toolbox", [WellnessSection.TOOLBOX]),
    (
        "Daily maintenance",
        [WellnessSection.WHEN_WELL, WellnessSection.EVERY_DAY, WellnessSection.MIGHT_DO],
    ),
    ("Triggers", [WellnessSection.TRIGGERS]),
    ("Early warning signs", [WellnessSection.EARLY_WARNING]),
    ("When things are breaking down", [WellnessSection.BREAKING_DOWN]),
    ("Crisis plan", [WellnessSection.CRISIS]),
    ("After a crisis", [WellnessSection.AFTER_CRISIS]),
]


WellnessPlanStatus = PlanStatus


class WellnessPersonSignature(models.TextChoices):
    """How the person signed: typing their name on the tablet, or on a paper copy the peer
    saw them sign (attested)."""

    TABLET = "tablet", "Typed their name on the tablet"
    PAPER = "paper", "Signed a paper copy (attested by staff)"


class WellnessPlanVersion(OrganizationOwned, Part2Labelled, PlanVersionBase, PublicModel):
    """One version of a person's wellness plan. ``content`` maps each section code to a list of
    ``{"text": ...}`` entries, in the person's words. ``based_on`` is the signed version a draft
    was started from (None for the first)."""

    organization_from = ("person",)

    PART2_KIND = "recovery"
    PLAN_NAME = "Wellness plan"

    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="wellness_plan_versions"
    )
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_on = models.DateField(help_text="When the person and peer look at the plan again.")

    class Meta:
        ordering = ["person_id", "-number"]
        constraints = plan_version_constraints("wellness_plan")

    def parts(self) -> list[dict[str, Any]]:
        """The seven parts in order, each with its sections and their entries."""
        content = self.content or {}
        return [
            {
                "title": title,
                "sections": [
                    {
                        "code": s.value,
                        "label": s.label,
                        "entries": list(content.get(s.value, [])),
                    }
                    for s in sections
                ],
            }
            for title, sections in WELLNESS_PARTS
        ]

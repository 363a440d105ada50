"""Models of the behavior area: behavior plans (versioned), their target behaviors, the phases
of a person's plan, behavior contracts, and ABC (antecedent, behavior, consequence) records.

A plan is never edited: each change makes the plan's next version and retires the old one, which
stays readable with the targets it had. A plan can also end (a reason and an end date): its last
version is then no longer current, nothing is recorded against it, and a plan written later is
its next version. Records point at the target of the version they were made
under; the target's ``key`` stays the same across versions, so a chart follows one target
behavior over every version of the plan.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import filled_unless, unique_in_organization
from pillars.core.models import ObservedEntry, PublicModel
from pillars.people.models import Addendum, Part2Labelled, PersonServed, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "BehaviorContract",
    "BehaviorPlan",
    "BehaviorRecord",
    "BehaviorRecordAddendum",
    "ContractStatus",
    "Measure",
    "PlanPhase",
    "PlanStatus",
    "TargetBehavior",
]


class Measure(models.TextChoices):
    FREQUENCY = "frequency", "Frequency (how many times)"
    DURATION = "duration", "Duration (how long)"
    INTENSITY = "intensity", "Intensity (1-5)"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class ContractStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting signatures"
    SIGNED = "signed", "Signed"
    REPLACED = "replaced", "Replaced"
    ENDED = "ended", "Ended with the plan"


class BehaviorPlan(OrganizationOwned, Part2Labelled, PublicModel):
    """One version of a person's behavior plan. The current version is the one in force; older
    versions keep what they said (``replaces`` chains them, newest first). An ended version is
    no longer current and names who ended it, when (``ended_on``, the unit's local date) and
    why."""

    organization_from = ("person",)

    PART2_KIND = "behavior"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    effective_on = models.DateField()
    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    change_reason = models.CharField(max_length=500, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    summary = models.TextField(blank=True)
    replacement_behaviors = models.TextField(
        blank=True, help_text="What the person is supported to do instead."
    )
    antecedent_strategies = models.TextField(
        blank=True, help_text="What staff do before a behavior to make it less likely."
    )
    reinforcement_schedule = models.TextField(blank=True)
    reinforcement_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    # The plan's pick lists for a fast ABC entry (free text is allowed as well).
    antecedents = models.JSONField(default=list, blank=True)
    consequences = models.JSONField(default=list, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["person", "-version"]
        constraints = [
            unique_in_organization("person", "version", name="behavior_plan_version"),
            unique_in_organization(
                "person", condition=Q(is_current=True), name="one_current_behavior_plan"
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(ended_on__isnull=True))
                | (
                    Q(status="ended", is_current=False)
                    & Q(ended_on__isnull=False, ended_at__isnull=False, ended_by__isnull=False)
                    & ~Q(end_reason="")
                ),
                name="ended_behavior_plan_says_when_who_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Behavior plan v{self.version} for {self.person}"

    @property
    def is_ended(self) -> bool:
        return self.status == PlanStatus.ENDED


class TargetBehavior(OrganizationOwned, PublicModel, part_of="plan"):
    """A behavior the plan targets, defined so that any two staff would count it the same way
    (the operational definition)."""

    plan = models.ForeignKey(BehaviorPlan, on_delete=models.PROTECT, related_name="targets")
    key = models.SlugField(max_length=60, help_text="The same target across plan versions.")
    name = models.CharField(max_length=120)
    definition = models.TextField()
    measure = models.CharField(max_length=10, choices=Measure.choices)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "sort_order", "name"]
        constraints = [
            unique_in_organization("plan", "key", name="target_key_per_plan"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanPhase(OrganizationOwned, Part2Labelled, PublicModel):
    """A phase of a person's behavior plan (baseline, intervention, ...). Each phase change is a
    new row dated by the day it starts; a phase lasts until the next one starts."""

    organization_from = ("person",)

    PART2_KIND = "behavior"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    started_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    set_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["person", "started_on", "recorded_at"]
        constraints = [
            unique_in_organization("person", "started_on", name="one_phase_change_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} from {self.started_on}"


class BehaviorContract(OrganizationOwned, Part2Labelled, PublicModel):
    """An agreement between the person served and staff: terms, rewards and a review date.
    Once both have signed it is never edited; a new contract replaces it."""

    organization_from = ("person",)

    PART2_KIND = "behavior"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(BehaviorPlan, on_delete=models.PROTECT, related_name="contracts")
    terms = models.TextField()
    rewards = models.TextField()
    review_on = models.DateField()
    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ContractStatus.choices, default=ContractStatus.AWAITING
    )
    # The person served signs on the staff member's device; the name they signed with and the
    # staff member who witnessed it are kept.
    person_signed_name = models.CharField(max_length=200, blank=True)
    person_signed_at = models.DateTimeField(null=True, blank=True)
    person_witnessed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_signed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_signed_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        ordering = ["person", "-written_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(person_signed_at__isnull=False) & Q(staff_signed_at__isnull=False)),
                name="signed_contract_has_both_signatures",
            ),
        ]

    def __str__(self) -> str:
        return f"Behavior contract for {self.person}"

    @property
    def is_signed(self) -> bool:
        return self.person_signed_at is not None and self.staff_signed_at is not None

    @staticmethod
    def review_has_come(review_on: date, today: date) -> bool:
        """A review is due from its date on (``today`` in the contract's unit's calendar)."""
        return today >= review_on

    def review_due_on(self, today: date) -> bool:
        return self.status == ContractStatus.SIGNED and self.review_has_come(self.review_on, today)


class BehaviorRecord(ObservedEntry, OrganizationOwned, Part2Labelled, PublicModel):
    """One ABC entry: what came before (antecedent), what the person did (behavior), what
    followed (consequence), with a count, a duration and an intensity. ``observed_at`` comes
    from the device, ``recorded_at`` from the server. Never edited; corrections are addenda."""

    organization_from = ("person",)

    PART2_KIND = "behavior"
    PART2_MOMENT = "observed_at"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(TargetBehavior, on_delete=models.PROTECT, related_name="records")
    observed_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    antecedent = models.CharField(max_length=300)
    behavior = models.CharField(max_length=500, blank=True)
    consequence = models.CharField(max_length=300)
    count = models.PositiveIntegerField(default=1)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    intensity = models.PositiveSmallIntegerField(null=True, blank=True)
    setting = models.CharField(max_length=120, blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField(unique=True)
    is_late_entry = models.BooleanField(default=False)
    late_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["person", "observed_at"])]
        constraints = [
            filled_unless(
                "late_reason", Q(is_late_entry=False), name="behavior_late_entry_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(intensity__isnull=True) | Q(intensity__gte=1, intensity__lte=5),
                name="behavior_intensity_1_to_5",
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="behavior_count_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.target} at {self.observed_at:%Y-%m-%d %H:%M}"


class BehaviorRecordAddendum(Addendum, part_of="record"):
    """A correction to an ABC record: the record is never edited (DESIGN.md rule 2)."""

    record = models.ForeignKey(BehaviorRecord, on_delete=models.PROTECT, related_name="addenda")

    def __str__(self) -> str:
        return f"Addendum to {self.record}"

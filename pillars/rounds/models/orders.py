"""Observation levels (versioned data), orders and checks.

An order's clock is derived, never stored as a status: ``next_due_at()`` and ``status_at(now)``
are pure methods of the last check (or the order's start), the level's interval and its grace.
The stored ``due_at`` column mirrors ``next_due_at()`` so that sweeps find due rows by index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import filled_unless, open_stretch_constraints
from pillars.core.models import ObservedEntry, PublicModel
from pillars.core.versioning import VersionedRule, versioned_constraints
from pillars.people.models import (
    Addendum,
    Episode,
    Part2Labelled,
    PersonServed,
    Staff,
    TrustedDevice,
    Unit,
)
from pillars.people.tenancy import OrganizationOwned
from pillars.rounds.choices import Activity, CheckStatus, Location, Proof, SafetyStatus


class ObservationLevel(VersionedRule, PublicModel):
    """One version of an observation level. A change makes a new version and retires the old
    one, so orders (and their checks) keep the rules they were made under.

    Defaults (DESIGN.md facts): q15 is the standard; high risk q5; residential q30/q60; a check
    is on time within 1.5 x the interval (22.5 min for q15); 1:1 and 2:1 are continuous
    observation with documentation every 15 minutes.
    """

    name = models.CharField(max_length=100)
    interval_minutes = models.PositiveIntegerField(
        help_text="How often a check is due (documentation cadence for continuous levels)."
    )
    grace_factor = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        help_text="A check is late, not missed, until this many intervals have passed.",
    )
    due_window_minutes = models.PositiveIntegerField(
        default=2, help_text="Shown as due this many minutes before the due time."
    )
    staff_ratio = models.PositiveSmallIntegerField(
        default=0, help_text="Staff assigned to this person alone: 0, 1 (1:1) or 2 (2:1)."
    )
    is_line_of_sight = models.BooleanField(default=False)
    # Proof of presence: checks at this level are recorded by scanning the room or bed code
    # (a tap alone needs a reason, such as a damaged code; see services.orders.validate_check).
    requires_presence_proof = models.BooleanField(
        default=False, help_text="Checks need the room or bed code scanned (proof of presence)."
    )
    sort_order = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sort_order", "code", "-version"]
        constraints = [
            *versioned_constraints(
                version_name="level_version_unique", current_name="one_current_level_version"
            ),
            models.CheckConstraint(
                condition=Q(grace_factor__gte=1), name="level_grace_at_least_one_interval"
            ),
            models.CheckConstraint(condition=Q(interval_minutes__gte=1), name="level_interval"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)

    @property
    def missed_after(self) -> timedelta:
        """How long after the last check a missing one counts as missed (1.5 x q15 = 22.5 min)."""
        return timedelta(seconds=float(self.grace_factor) * self.interval_minutes * 60)


class ObservationOrder(OrganizationOwned, Part2Labelled, PublicModel):
    """An order that a person be observed at a level, with precautions, from a moment until
    ended. Changing the level ends this order and starts the next (``replaces``), so the
    person's history of levels is the chain of orders."""

    organization_from = ("person",)

    PART2_KIND = "rounds"
    PART2_MOMENT = "started_at"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(ObservationLevel, on_delete=models.PROTECT, related_name="orders")
    precautions = models.JSONField(default=list, blank=True)
    instructions = models.TextField(blank=True)
    reason = models.TextField()
    ordered_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    last_observed_at = models.DateTimeField(null=True, blank=True)
    # How many checks the order holds, kept by the check services in the same UPDATE that moves
    # the clock, so the history page and API never count a growing table.
    check_count = models.PositiveIntegerField(default=0)
    # Set while a monitoring exception (off unit, refused, ...) pauses the clock; on resume the
    # next check is due at once (``resumed_at``), since nobody has seen the person meanwhile.
    paused_at = models.DateTimeField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    # Mirrors next_due_at() for the sweep workers' index; null once ended or while paused.
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Escalation steps already alerted for the current due time (reset by each new check).
    escalation_step = models.PositiveSmallIntegerField(default=0)
    # The unit whose chain those steps were alerted on: after a transfer the new unit's chain
    # starts again from its first step (its staff have heard nothing), each step once.
    escalation_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A step whose alerts could not be written is retried, never dropped (core.sweeps): the
    # sweep leaves the step unclaimed and skips the order until this moment (back-off).
    escalation_retry_at = models.DateTimeField(null=True, blank=True)
    escalation_failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        constraints = open_stretch_constraints(
            "person", one_open_name="one_open_order_each", ends_after_name="order_ends_after_start"
        )

    def __str__(self) -> str:
        return f"{self.person} at {self.level}"

    def next_due_at(self) -> datetime:
        """The first check is due when the order starts; each later one an interval after the
        last observation. Intervals are real elapsed time, so midnight and daylight-saving
        changes in the unit's zone move nothing."""
        if self.resumed_at is not None and (
            self.last_observed_at is None or self.last_observed_at < self.resumed_at
        ):
            # Back from a monitoring exception: nobody has seen the person meanwhile, so a
            # check is due the moment the clock resumes.
            return self.resumed_at
        if self.last_observed_at is None:
            return self.started_at
        return self.last_observed_at + self.level.interval

    def clock_due_at(self) -> datetime | None:
        """The value the stored ``due_at`` column mirrors: none once ended or while paused."""
        if self.ended_at is not None or self.paused_at is not None:
            return None
        return self.next_due_at()

    def is_paused_at(self, now: datetime) -> bool:
        return self.paused_at is not None and now >= self.paused_at

    def missed_at(self) -> datetime:
        """When the awaited check counts as missed: the grace runs from the last observation
        (1.5 x q15 = 22.5 min), i.e. half an interval past due with the default grace."""
        return self.next_due_at() + self.level.missed_after - self.level.interval

    def status_at(self, now: datetime) -> str:
        """upcoming, due (inside the due window, up to and including the due time), late (past
        due, up to and including the end of the grace), missed (after it), or ended."""
        if self.ended_at is not None and now >= self.ended_at:
            return CheckStatus.ENDED
        if self.is_paused_at(now):
            return CheckStatus.PAUSED
        due = self.next_due_at()
        if now > self.missed_at():
            return CheckStatus.MISSED
        if now > due:
            return CheckStatus.LATE
        if now >= due - timedelta(minutes=self.level.due_window_minutes):
            return CheckStatus.DUE
        return CheckStatus.UPCOMING


class Check(ObservedEntry, OrganizationOwned, Part2Labelled, PublicModel):
    """One observation of one person: what the staff member saw, when they saw it (from the
    device) and when the server received it. Never edited; a replayed ``client_id`` returns
    the first check."""

    organization_from = ("order",)

    PART2_PERSON = "order__person"
    PART2_KIND = "rounds"
    PART2_MOMENT = "observed_at"

    order = models.ForeignKey(ObservationOrder, on_delete=models.PROTECT, related_name="checks")
    observed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    location = models.CharField(max_length=20, choices=Location.choices)
    activity = models.CharField(max_length=20, choices=Activity.choices)
    safety_status = models.CharField(max_length=12, choices=SafetyStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    device = models.ForeignKey(
        TrustedDevice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.UUIDField(unique=True)
    is_late_entry = models.BooleanField(default=False)
    late_reason = models.CharField(max_length=300, blank=True)
    proof = models.CharField(max_length=8, choices=Proof.choices, default=Proof.TAP)
    # Why the code was not scanned at a level that wants proof of presence (code damaged,
    # person not in their room): the check is kept, and the reason is shown with it.
    no_code_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["order", "observed_at"])]
        constraints = [
            filled_unless("late_reason", Q(is_late_entry=False), name="late_entry_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.order.person} at {self.observed_at:%H:%M}"


class CheckAddendum(Addendum, part_of="check_record"):
    """A correction to a check: the check itself is never edited (DESIGN.md rule 2); the
    addendum names its author and reason and both stay readable."""

    check_record = models.ForeignKey(Check, on_delete=models.PROTECT, related_name="addenda")

    def __str__(self) -> str:
        return f"Addendum to {self.check_record}"


class SetAsideCheck(OrganizationOwned, PublicModel):
    """A check queued on a tablet that the server would not take (a field the schema refuses,
    an order ended meanwhile, ...): the tablet sends it here instead of dropping it, and the
    unit's lead on duty is alerted to resolve it, by recording the check or by closing it with
    a note. ``payload`` holds the queued fields as sent (no person served's name is ever in a
    queued check)."""

    organization_from = ("unit",)
    PART2_VIA = "order"

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(ObservationOrder, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    observed_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    problem = models.CharField(max_length=500)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)
    check_record = models.ForeignKey(
        Check, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["submitted_at", "pk"]
        indexes = [models.Index(fields=["unit", "resolved_at"])]

    def __str__(self) -> str:
        return f"Set-aside check {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

"""Restraint and seclusion: rule profiles (versioned data), episodes, orders and renewals, the
1-hour face-to-face, monitoring checks, release, guardian notice, debrief and addenda.

An episode's clocks are derived, never stored as a status: ``order_expires_at()``,
``face_to_face_due_at()``, ``monitoring_due_at()`` and ``violations_at(now)`` are pure methods
of the rows already read (orders, checks, face-to-face), so tests pin any moment. The stored
``sweep_due_at`` column mirrors the next deadline so that the sweep finds due rows by index.

Defaults (DESIGN.md facts; CMS hospital rule 42 CFR 482.13(e)(8) and (g), PRTF rule 42 CFR
483.358): an order for violent or self-destructive behavior lasts at most 4 hours for adults
(18 and over), 2 hours for ages 9 to 17 and 1 hour under 9; it may be renewed in those
increments up to 24 hours, after which the physician or practitioner must see the person again;
a face-to-face evaluation is due within 1 hour of the start; the person is monitored at least
every 15 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import ends_after, one_open, unique_in_organization
from pillars.core.models import PublicModel
from pillars.core.versioning import VersionedRule, versioned_constraints
from pillars.people.models import Addendum, Part2Labelled, PersonServed, Staff, Unit
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "EpisodeKind",
    "FaceToFace",
    "MonitoringCheck",
    "RestraintAddendum",
    "RestraintEpisode",
    "RestraintOrder",
    "RestraintStaff",
    "RuleProfile",
    "UnitRuleProfile",
    "Violation",
    "ViolationKind",
]


class EpisodeKind(models.TextChoices):
    PHYSICAL_HOLD = "physical_hold", "Physical hold"
    MECHANICAL = "mechanical", "Mechanical restraint"
    SECLUSION = "seclusion", "Seclusion"
    DRUG = "drug", "Drug used as a restraint"


# HBIPS-2 counts physical restraint (holds and mechanical restraint); HBIPS-3 counts seclusion.
PHYSICAL_KINDS = (EpisodeKind.PHYSICAL_HOLD, EpisodeKind.MECHANICAL)


# An entry (the start and its order, a renewal, the face-to-face, a monitoring check, the
# release) entered this long after the moment it claims is a late entry (DESIGN.md rule 1: it
# needs a reason and is shown as late; back-filled records are what reviewers find afterwards).
# The same span as a late observation check (rounds.services.orders.LATE_ENTRY_AFTER).
LATE_ENTRY_AFTER = timedelta(minutes=10)

# How long an episode may run before its first order. CMS (42 CFR 482.13(e)(5) and its
# interpretive guidance) lets staff start in an emergency and the order follow at once; no rule
# profile field names the gap, so it is the federal rule's one clock for the first hour: the
# 1-hour face-to-face window (DESIGN.md facts).
ORDER_WITHIN = timedelta(hours=1)


class ViolationKind(models.TextChoices):
    NO_ORDER = "no_order", "No order"
    EXPIRED_ORDER = "expired_order", "Order expired"
    LATE_FACE_TO_FACE = "late_face_to_face", "Face-to-face late"
    MISSED_MONITORING = "missed_monitoring", "Monitoring missed"
    OVER_STATE_TOTAL = "over_state_total", "Over the state limit"


class RuleProfile(VersionedRule, PublicModel):
    """One version of a rule profile. A change makes a new version and retires the old one, so
    episodes keep the rules they started under. ``None`` in a state limit means the profile has
    none."""

    name = models.CharField(max_length=120)
    citation = models.CharField(max_length=200, blank=True)
    adult_age = models.PositiveSmallIntegerField(default=18)
    child_age = models.PositiveSmallIntegerField(default=9)
    adult_limit_minutes = models.PositiveIntegerField(default=240)
    child_limit_minutes = models.PositiveIntegerField(default=120)
    young_child_limit_minutes = models.PositiveIntegerField(default=60)
    renewal_cap_minutes = models.PositiveIntegerField(
        default=24 * 60,
        help_text="Orders and renewals cover at most this long before the "
        "physician or practitioner must see the person again.",
    )
    face_to_face_minutes = models.PositiveIntegerField(default=60)
    monitoring_minutes = models.PositiveIntegerField(default=15)
    hold_max_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="A physical hold lasts at most this long (state rule)."
    )
    mechanical_adult_total_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Mechanical restraint of an adult totals at most this long (state rule).",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            *versioned_constraints(
                version_name="rule_profile_version", current_name="one_current_rule_profile"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def limit_for(self, age: int, kind: str) -> timedelta:
        """The longest a single order (or renewal) may run for a person of this age."""
        if age >= self.adult_age:
            minutes = self.adult_limit_minutes
        elif age >= self.child_age:
            minutes = self.child_limit_minutes
        else:
            minutes = self.young_child_limit_minutes
        if kind == EpisodeKind.PHYSICAL_HOLD and self.hold_max_minutes is not None:
            minutes = min(minutes, self.hold_max_minutes)
        return timedelta(minutes=minutes)


class UnitRuleProfile(OrganizationOwned, PublicModel):
    """The rule profile a unit chose (by code: a unit follows the profile's current version).
    A new choice retires the old row; the history is kept. Units with no row follow the federal
    hospital rule."""

    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    profile_code = models.SlugField(max_length=32)
    chosen_at = models.DateTimeField()
    chosen_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-chosen_at"]
        constraints = [
            unique_in_organization(
                "unit", condition=Q(is_current=True), name="one_rule_profile_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.profile_code}"


@dataclass(frozen=True)
class Violation:
    """A rule broken during an episode, dated at the moment it was broken."""

    kind: str
    at: datetime
    text: str

    @property
    def label(self) -> str:
        return ViolationKind(self.kind).label


class RestraintEpisode(OrganizationOwned, Part2Labelled, PublicModel):
    """One restraint or seclusion episode of one person on one unit, from start to release."""

    organization_from = ("unit",)

    PART2_KIND = "restraint"
    PART2_MOMENT = "started_at"

    def label_unit(self) -> Unit | None:
        return self.unit

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(RuleProfile, on_delete=models.PROTECT, related_name="episodes")
    kind = models.CharField(max_length=16, choices=EpisodeKind.choices)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    late_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the start was entered late."
    )
    reason = models.TextField(help_text="The behavior that made it necessary.")
    alternatives_tried = models.TextField(blank=True)
    release_criteria = models.TextField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_reason = models.TextField(blank=True)
    # When the release was entered (None before it; rows released before this column existed
    # carry their release moment).
    release_recorded_at = models.DateTimeField(null=True, blank=True)
    release_late_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the release was entered late."
    )
    guardian_notified_at = models.DateTimeField(null=True, blank=True)
    guardian_notified_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardian_note = models.CharField(max_length=300, blank=True)
    debriefed_at = models.DateTimeField(null=True, blank=True)
    debriefed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    debrief_with_person = models.BooleanField(default=False)
    debrief_notes = models.TextField(blank=True)
    staff_involved = models.ManyToManyField(
        Staff,
        through="RestraintStaff",
        through_fields=("episode", "staff"),
        related_name="+",
        blank=True,
    )
    # Mirrors next_deadline_after(): the sweep's index. Null once released with nothing due.
    sweep_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Passes in a row that raised on this episode; the retry waits longer each time (core.sweeps).
    sweep_failures = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["unit", "started_at"])]
        constraints = [
            one_open("person", end="released_at", name="one_active_restraint_each"),
            ends_after("released_at", "started_at", name="restraint_release_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.person} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    @property
    def is_late_entry(self) -> bool:
        """The start was entered more than LATE_ENTRY_AFTER after it happened: ``late_reason``
        says why (DESIGN.md rule 1)."""
        return self.recorded_at - self.started_at > LATE_ENTRY_AFTER

    @property
    def release_is_late_entry(self) -> bool:
        """The release was entered more than LATE_ENTRY_AFTER after it happened:
        ``release_late_reason`` says why."""
        if self.released_at is None or self.release_recorded_at is None:
            return False
        return self.release_recorded_at - self.released_at > LATE_ENTRY_AFTER

    # Related rows, ordered; a caller that prefetched them pays no query here.
    def _orders(self) -> list[RestraintOrder]:
        return sorted(self.orders.all(), key=lambda o: (o.ordered_at, o.pk or 0))

    def _checks(self) -> list[MonitoringCheck]:
        return sorted(self.checks.all(), key=lambda c: c.observed_at)

    def _face_to_face(self) -> FaceToFace | None:
        found = list(self.face_to_faces.all())
        return min(found, key=lambda f: f.seen_at) if found else None

    def involved(self) -> list[RestraintStaff]:
        """The staff named in the episode, in the order they were named."""
        return sorted(self.staff_roles.all(), key=lambda r: (r.added_at, r.pk or 0))

    def ended_at(self, now: datetime) -> datetime:
        return self.released_at if self.released_at is not None else now

    def order_expires_at(self) -> datetime | None:
        """When the latest order (or renewal) runs out; None before any order."""
        orders = self._orders()
        return orders[-1].expires_at if orders else None

    def face_to_face_due_at(self) -> datetime:
        return self.started_at + timedelta(minutes=self.profile.face_to_face_minutes)

    def face_to_face_done_at(self) -> datetime | None:
        seen = self._face_to_face()
        return seen.seen_at if seen is not None else None

    def monitoring_due_at(self) -> datetime | None:
        """The next monitoring check: an interval after the last one (or the start). None once
        released."""
        if self.released_at is not None:
            return None
        checks = self._checks()
        return self.monitoring_due_after(checks[-1].observed_at if checks else None)

    def monitoring_due_after(self, last_checked: datetime | None) -> datetime:
        """The next monitoring check of an active episode whose last one was at
        ``last_checked`` (None: none yet, so counted from the start)."""
        return (last_checked or self.started_at) + timedelta(
            minutes=self.profile.monitoring_minutes
        )

    def state_total_limit_at(self) -> datetime | None:
        """When a state's total limit for this kind of episode runs out (a physical hold at any
        age, mechanical restraint of an adult), None when the profile has none. A hold's limit
        is its whole length: renewing the order does not extend it (DESIGN.md facts: one state
        allows personal restraint for at most 15 minutes)."""
        if self.kind == EpisodeKind.PHYSICAL_HOLD:
            hold = self.profile.hold_max_minutes
            return None if hold is None else self.started_at + timedelta(minutes=hold)
        if self.kind != EpisodeKind.MECHANICAL:
            return None
        total = self.profile.mechanical_adult_total_minutes
        if total is None:
            return None
        orders = self._orders()
        age = orders[0].age_years if orders else None
        if age is not None and age < self.profile.adult_age:
            return None
        return self.started_at + timedelta(minutes=total)

    def violations_at(self, now: datetime) -> list[Violation]:
        """Every rule broken by ``now`` (or by release): no order within ORDER_WITHIN of the
        start, gaps in the order, a late or missing face-to-face, monitoring gaps longer than
        the interval, a state limit exceeded (a hold's length, an adult's mechanical total)."""
        end = self.ended_at(now)
        found: list[Violation] = []
        orders = self._orders()
        # Time without any order: more than ORDER_WITHIN from the start to the first order
        # (or to the end, when none came).
        allowed = self.started_at + ORDER_WITHIN
        unordered_until = min(orders[0].ordered_at, end) if orders else end
        if unordered_until > allowed:
            found.append(
                Violation(
                    ViolationKind.NO_ORDER,
                    allowed,
                    f"No order for {_minutes(unordered_until - self.started_at)} minutes "
                    "after the start."
                    if orders
                    else "No order.",
                )
            )
        if orders:
            covered = orders[0].expires_at
            for renewal in orders[1:]:
                if renewal.ordered_at > covered:
                    found.append(
                        Violation(
                            ViolationKind.EXPIRED_ORDER,
                            covered,
                            f"Order expired; renewed {renewal.ordered_at - covered} later.",
                        )
                    )
                covered = max(covered, renewal.expires_at)
            if end > covered:
                found.append(Violation(ViolationKind.EXPIRED_ORDER, covered, "Order expired."))
        due = self.face_to_face_due_at()
        done = self.face_to_face_done_at()
        if (done is None and now > due) or (done is not None and done > due):
            found.append(
                Violation(
                    ViolationKind.LATE_FACE_TO_FACE,
                    due,
                    "No face-to-face evaluation." if done is None else "Face-to-face late.",
                )
            )
        interval = timedelta(minutes=self.profile.monitoring_minutes)
        previous = self.started_at
        for moment in [c.observed_at for c in self._checks() if c.observed_at <= end] + [end]:
            if moment - previous > interval:
                found.append(
                    Violation(
                        ViolationKind.MISSED_MONITORING,
                        previous + interval,
                        f"No monitoring for {_minutes(moment - previous)} minutes.",
                    )
                )
            previous = moment
        limit = self.state_total_limit_at()
        if limit is not None and end > limit:
            found.append(
                Violation(ViolationKind.OVER_STATE_TOTAL, limit, "Over the state total limit.")
            )
        return sorted(found, key=lambda v: v.at)

    def deadlines(self) -> list[datetime]:
        """Every moment at which a rule can next be broken (for the sweep's index)."""
        moments: list[datetime] = []
        # The first order's deadline: while none has come, and when the first came too late
        # (already past then: the sweep's first pass alerts it).
        orders = self._orders()
        if not orders or orders[0].ordered_at > self.started_at + ORDER_WITHIN:
            moments.append(self.started_at + ORDER_WITHIN)
        if self.released_at is None:
            expires = self.order_expires_at()
            if expires is not None:
                moments.append(expires)
            due = self.monitoring_due_at()
            if due is not None:
                moments.append(due)
            limit = self.state_total_limit_at()
            if limit is not None:
                moments.append(limit)
        if self.face_to_face_done_at() is None:
            moments.append(self.face_to_face_due_at())
        return moments

    def next_deadline_after(self, moment: datetime) -> datetime | None:
        later = [d for d in self.deadlines() if d > moment]
        return min(later) if later else None

    def first_deadline(self) -> datetime | None:
        """The stored ``sweep_due_at`` after a write: the earliest deadline not yet swept."""
        moments = self.deadlines()
        return min(moments) if moments else None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


class RestraintOrder(OrganizationOwned, PublicModel, part_of="episode"):
    """The order for an episode, or a renewal: who ordered it and when, and its limit computed
    from the person's age on the day of the order in the unit's zone. Never edited."""

    episode = models.ForeignKey(RestraintEpisode, on_delete=models.PROTECT, related_name="orders")
    ordered_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    age_years = models.PositiveSmallIntegerField()
    ordered_on = models.DateField(help_text="The day of the order in the unit's zone.")
    limit_minutes = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    is_renewal = models.BooleanField(default=False)
    # The physician or practitioner saw the person for this order: the 24-hour window restarts.
    seen_in_person = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    late_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the order was entered late."
    )

    class Meta:
        ordering = ["ordered_at"]

    def __str__(self) -> str:
        return f"Order until {self.expires_at:%H:%M}"

    @property
    def is_late_entry(self) -> bool:
        """Entered more than LATE_ENTRY_AFTER after it was given: ``late_reason`` says why."""
        return self.recorded_at - self.ordered_at > LATE_ENTRY_AFTER


@dataclass(frozen=True)
class OrderTerms:
    age: int
    ordered_on: date
    limit: timedelta
    expires_at: datetime


class FaceToFace(OrganizationOwned, PublicModel, part_of="episode"):
    """The face-to-face evaluation (within an hour of the start): the person's immediate
    situation, their reaction, their medical and behavioral condition, whether to continue."""

    episode = models.ForeignKey(
        RestraintEpisode, on_delete=models.PROTECT, related_name="face_to_faces"
    )
    seen_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    seen_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    findings = models.TextField()
    continue_episode = models.BooleanField(default=True)
    late_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the evaluation was entered late."
    )

    class Meta:
        ordering = ["seen_at"]

    def __str__(self) -> str:
        return f"Face-to-face at {self.seen_at:%H:%M}"

    @property
    def is_late_entry(self) -> bool:
        """Entered more than LATE_ENTRY_AFTER after the person was seen: ``late_reason`` says
        why."""
        return self.recorded_at - self.seen_at > LATE_ENTRY_AFTER


class MonitoringCheck(OrganizationOwned, PublicModel, part_of="episode"):
    """A monitoring check during the episode. Mechanical restraint adds circulation, skin,
    range of motion, hydration and toileting. Never edited; corrections are addenda. One
    entered more than LATE_ENTRY_AFTER after it was made is a late entry: its note says why."""

    episode = models.ForeignKey(RestraintEpisode, on_delete=models.PROTECT, related_name="checks")
    observed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    condition = models.CharField(max_length=300, help_text="Physical and psychological state.")
    circulation_ok = models.BooleanField(null=True, blank=True)
    skin_ok = models.BooleanField(null=True, blank=True)
    range_of_motion = models.BooleanField(null=True, blank=True)
    hydration_offered = models.BooleanField(null=True, blank=True)
    toileting_offered = models.BooleanField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["observed_at"]
        indexes = [models.Index(fields=["episode", "observed_at"])]

    def __str__(self) -> str:
        return f"Check at {self.observed_at:%H:%M}"

    @property
    def is_late_entry(self) -> bool:
        return self.recorded_at - self.observed_at > LATE_ENTRY_AFTER


class RestraintStaff(OrganizationOwned, PublicModel, part_of="episode"):
    """A staff member who took part in an episode (applied the hold or the restraint, or
    carried out the seclusion): named at the start or added while the episode runs. Each one
    has one restraint row in the exposure ledger. Never removed; a mistake is an addendum."""

    episode = models.ForeignKey(
        RestraintEpisode, on_delete=models.PROTECT, related_name="staff_roles"
    )
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [unique_in_organization("episode", "staff", name="restraint_staff_once")]

    def __str__(self) -> str:
        return f"{self.staff} in {self.episode}"


class RestraintAddendum(Addendum, part_of="episode"):
    """A correction to an episode or one of its entries: nothing signed is edited; the addendum
    names its author, its reason and the entry it corrects."""

    episode = models.ForeignKey(RestraintEpisode, on_delete=models.PROTECT, related_name="addenda")
    entry = models.CharField(max_length=80, blank=True, help_text="The corrected entry.")

    def __str__(self) -> str:
        return f"Addendum to {self.episode}"

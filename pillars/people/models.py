"""Sites, units and beds; staff and their roles; persons served, episodes and caseloads."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q

from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.core.model_constraints import (
    ends_after,
    filled_unless,
    one_open,
    unique_in_organization,
)
from pillars.core.models import PublicModel
from pillars.core.roles import RoleCode
from pillars.people.choices import (
    CaseloadKind,
    Disposition,
    ExitReason,
    ReviewFinding,
    UnitKind,
)
from pillars.people.tenancy import OrganizationOwned, TenantLink, TenantQuerySet


class Organization(PublicModel):
    """The operator: a hospital, a crisis network or a recovery community organization."""

    name = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class Site(PublicModel):
    """A building or campus."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="site_name_unique_in_org")
        ]

    def __str__(self) -> str:
        return self.name


class Unit(OrganizationOwned, PublicModel):
    """A unit or program location; schedules on it are reasoned in its own time zone."""

    organization_from = ("site",)

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32)
    kind = models.CharField(max_length=20, choices=UnitKind.choices)
    time_zone = models.CharField(max_length=64)
    bed_count = models.PositiveIntegerField(default=0)
    # Records made here are substance-use disorder records under 42 CFR Part 2.
    is_substance_use_program = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [unique_in_organization("code", name="unit_code_unique_in_org")]

    def __str__(self) -> str:
        return self.name


class Program(PublicModel):
    """A service line that spans units (for example peer recovery services)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="programs"
    )
    name = models.CharField(max_length=200)
    units = models.ManyToManyField(Unit, related_name="programs", blank=True, through="ProgramUnit")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(OrganizationOwned, PublicModel):
    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [unique_in_organization("unit", "name", name="room_unique_in_unit")]

    def __str__(self) -> str:
        return self.name


class Bed(OrganizationOwned, PublicModel):
    organization_from = ("room",)

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="beds")
    label = models.CharField(max_length=20)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["room__name", "label"]
        constraints = [unique_in_organization("room", "label", name="bed_unique_in_room")]

    def __str__(self) -> str:
        return f"{self.room.name}-{self.label}"


class Role(models.Model):
    """A role as data: label and the rights that come with it, changeable by an administrator."""

    code = models.CharField(max_length=20, choices=RoleCode.choices, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    requires_two_factor = models.BooleanField(default=False)
    may_break_glass = models.BooleanField(default=False)
    is_org_wide = models.BooleanField(
        default=False, help_text="Sees every unit of the organization."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Staff(OrganizationOwned, PublicModel):
    """A staff member's working profile: roles, units, supervisor, employment, languages."""

    # A root: given its organization when made (see people.tenancy).

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff"
    )
    display_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=100, blank=True)
    # Null, not blank, when there is none: only badges given are unique in the organization.
    badge_number = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    pin_hash = models.CharField(max_length=200, blank=True)
    roles = models.ManyToManyField(Role, related_name="staff", blank=True, through="StaffRole")
    home_units = models.ManyToManyField(
        Unit, related_name="staff", blank=True, through="StaffHomeUnit"
    )
    programs = models.ManyToManyField(
        Program, related_name="staff", blank=True, through="StaffProgram"
    )
    supervisor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees"
    )
    hired_on = models.DateField()
    exited_on = models.DateField(null=True, blank=True)
    exit_reason = models.CharField(max_length=32, choices=ExitReason.choices, blank=True)
    languages = models.JSONField(default=list, blank=True)
    lived_experience = models.JSONField(default=list, blank=True)
    shares_lived_experience = models.BooleanField(default=False)

    class Meta:
        ordering = ["display_name"]
        verbose_name_plural = "staff"
        constraints = [
            unique_in_organization("badge_number", name="staff_badge_unique_in_org"),
            filled_unless("exit_reason", Q(exited_on__isnull=True), name="staff_exit_has_reason"),
            ends_after("exited_on", "hired_on", name="staff_exit_after_hire", or_same=True),
        ]

    def __str__(self) -> str:
        return self.display_name

    def is_employed_on(self, day: date) -> bool:
        return self.hired_on <= day and (self.exited_on is None or day < self.exited_on)

    def visible_lived_experience(self) -> list[str]:
        """Lived-experience attributes, only when the staff member has chosen to share them."""
        return list(self.lived_experience) if self.shares_lived_experience else []

    def role_codes(self) -> list[str]:
        return sorted(role.code for role in self.roles.all())


class PersonServed(OrganizationOwned, PublicModel):
    """A person served (patient, resident, participant)."""

    # A root: given its organization when made (see people.tenancy).

    record_number = models.CharField(max_length=32)
    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["legal_family_name", "legal_given_name"]
        verbose_name_plural = "persons served"
        indexes = [models.Index(fields=["legal_family_name", "legal_given_name"])]
        constraints = [unique_in_organization("record_number", name="person_record_unique_in_org")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        given = self.preferred_name or self.legal_given_name
        return f"{given} {self.legal_family_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_given_name} {self.legal_family_name}"

    @property
    def initials(self) -> str:
        """ "A. R.": how a page's title names the person. A title outlives the page, in the
        browser's history and in the list of tabs on a shared workstation; the full name stays
        in the page itself."""
        given = self.preferred_name or self.legal_given_name
        return " ".join(
            f"{part.strip()[0]}." for part in (given, self.legal_family_name) if part.strip()
        )

    def age_on(self, day: date) -> int:
        """Age in whole years on a date (a birthday counts from the day itself)."""
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years


class EpisodeQuerySet(TenantQuerySet["Episode"]):
    def open(self) -> EpisodeQuerySet:
        return self.filter(discharged_at__isnull=True)


class Episode(OrganizationOwned, PublicModel):
    """One episode of care, from admission to discharge."""

    organization_from = ("person",)

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="episodes")
    admitted_at = models.DateTimeField()
    admitted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    recorded_at = models.DateTimeField()

    objects = EpisodeQuerySet.as_manager()  # type: ignore[misc]  # a TenantQuerySet

    class Meta:
        ordering = ["-admitted_at"]
        constraints = [
            one_open("person", end="discharged_at", name="one_open_episode_per_person"),
            ends_after("discharged_at", "admitted_at", name="episode_discharge_after_admit"),
        ]

    def __str__(self) -> str:
        return f"{self.person} from {self.admitted_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None


class PlacementQuerySet(TenantQuerySet["Placement"]):
    def at(self, moment: datetime) -> PlacementQuerySet:
        """Placements in force at a moment: the exact census."""
        return self.filter(started_at__lte=moment).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=moment)
        )

    def current(self) -> PlacementQuerySet:
        return self.filter(ended_at__isnull=True)


class Placement(OrganizationOwned, PublicModel):
    """Where a person was during part of an episode: a unit and (optionally) a bed.

    Admission opens the first placement, a transfer closes one and opens the next at the same
    moment, discharge closes the last; so the census at any moment is exact.
    """

    organization_from = ("unit",)

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="placements")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="placements")
    bed = models.ForeignKey(
        Bed, null=True, blank=True, on_delete=models.PROTECT, related_name="placements"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    objects = PlacementQuerySet.as_manager()  # type: ignore[misc]  # a TenantQuerySet

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["unit", "started_at", "ended_at"])]
        constraints = [
            one_open("episode", name="one_open_placement_per_episode"),
            one_open("bed", name="one_person_per_bed"),
            ends_after("ended_at", "started_at", name="placement_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.episode.person} on {self.unit}"


class Part2Labelled(models.Model):
    """A clinical record that keeps the program it was made in (42 CFR Part 2, DESIGN.md
    rule 6). ``made_in_unit`` and ``is_part2`` are stamped once, when the record is first
    saved (``people.labels.stamp``), from where the person served was placed at the record's
    moment; a later transfer never changes them. The policy layer reads the label
    (``people.labels``): a Part 2 record stays with the program's team unless a consent or an
    emergency-access grant opens it.

    Subclasses name the path to their person served (``PART2_PERSON``), the kind of
    information they hold (``PART2_KIND``, the consent's "amount and kind"), the field that says
    when the record happened (``PART2_MOMENT``; none means now), and may override
    ``label_unit`` (a record that names its own unit, such as an incident)."""

    PART2_PERSON = "person"
    PART2_KIND = ""
    PART2_MOMENT = ""

    made_in_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    is_part2 = models.BooleanField(default=False, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if self._state.adding and self.made_in_unit_id is None:
            from pillars.people.labels import stamp

            stamp(self)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def label_moment(self) -> datetime | None:
        """When the record happened (the field ``PART2_MOMENT`` names); None means now."""
        moment: datetime | None = getattr(self, self.PART2_MOMENT) if self.PART2_MOMENT else None
        return moment

    def label_unit(self) -> Unit | None:
        """The unit the record names itself, when it has one; otherwise the person's placement
        at ``label_moment`` decides."""
        return None

    def label_person_id(self) -> int | None:
        obj: object = self
        for part in self.PART2_PERSON.split("__"):
            if part == "person":
                return getattr(obj, "person_id", None)
            obj = getattr(obj, part)
        return None


class CaseloadAssignment(OrganizationOwned, Part2Labelled, PublicModel):
    """A staff member's responsibility for a person served, for a span of dates.

    Labelled like a clinical record (``Part2Labelled``): an assignment made while the person is
    in a substance-use program (a peer's recovery caseload there) tells that they are in
    treatment, so it stays with the program's team after a transfer; the consent kind that
    opens it is the recovery records'. Limits count every assignment; displays read them
    through the policy layer."""

    organization_from = ("person",)

    PART2_KIND = "recovery"

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="caseload")
    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="caseload")
    kind = models.CharField(max_length=20, choices=CaseloadKind.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            one_open(
                ["staff", "person", "kind"], end="ended_on", name="one_open_assignment_per_kind"
            ),
            ends_after("ended_on", "started_on", name="assignment_end_after_start", or_same=True),
        ]

    def __str__(self) -> str:
        return f"{self.staff} - {self.person} ({self.kind})"

    def is_active_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)

    def label_moment(self) -> datetime | None:
        """The start the label is stamped from (``start_moment``)."""
        if self.started_on is None:
            return None
        return self.start_moment(self.started_on, clock.now())

    @staticmethod
    def start_moment(started_on: date, now: datetime) -> datetime:
        """The moment an assignment starting on a day is labelled at: now for one starting
        today or later (where the person is as it is made), else the last moment of its first
        day in the organization's zone (a start entered late: the day's last placement, so an
        admission that morning counts). The migration that labelled older rows used the same."""
        zone = ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)
        return min(datetime.combine(started_on, time.max, tzinfo=zone), now)


class EmergencyAccess(OrganizationOwned, PublicModel):
    """A time-boxed "break the glass" grant to one person's record, reviewed by privacy."""

    organization_from = ("person",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="emergency_access")
    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    finding = models.CharField(max_length=20, choices=ReviewFinding.choices, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["staff", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.staff} -> {self.person} at {self.started_at:%Y-%m-%d %H:%M}"

    def is_active_at(self, moment: datetime) -> bool:
        return self.started_at <= moment < self.expires_at


class TrustedDevice(OrganizationOwned, PublicModel):
    """A shared unit tablet, registered by a shift lead after a full sign-in on it.

    On a trusted device, staff who have fully signed in there before may switch in with badge
    number and PIN; the device cookie holds a secret whose hash is stored here.
    """

    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    registered_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class DeviceEnrollment(OrganizationOwned, models.Model):
    """A staff member's last full sign-in on a trusted device; quick switch needs a recent one."""

    organization_from = ("device",)

    device = models.ForeignKey(TrustedDevice, on_delete=models.CASCADE, related_name="enrollments")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    full_sign_in_at = models.DateTimeField()

    class Meta:
        constraints = [
            unique_in_organization("device", "staff", name="one_enrollment_per_device_staff")
        ]

    def __str__(self) -> str:
        return f"{self.staff} on {self.device}"


class PendingImport(OrganizationOwned, PublicModel):
    """A CSV file that passed its dry run and waits for the administrator's confirmation.

    The confirmation imports exactly these checked bytes (``sha256``), once, by the person who
    checked them, before ``expires_at``; the worker deletes what was never confirmed (it may
    hold persons' names and birth dates)."""

    # A root: given its organization when made (see people.tenancy).

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20)
    source = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    rows = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} import {self.source or self.sha256[:12]}"

    def is_open_at(self, moment: datetime) -> bool:
        return moment < self.expires_at


class Addendum(OrganizationOwned, PublicModel):
    """A correction added to a record that is never edited (DESIGN.md rule 2): who wrote it,
    when, why and what it says. Both stay readable, in the order they were written. The
    concrete model adds its foreign key to the record it corrects (``related_name="addenda"``),
    ``organization_from`` naming it, and, for a part of a labelled record, ``PART2_VIA``."""

    MAX_REASON = 300

    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    reason = models.CharField(max_length=MAX_REASON)
    text = models.TextField()

    class Meta:
        abstract = True
        ordering = ["written_at", "pk"]

    @classmethod
    def cleaned(cls, reason: Any, text: Any, *, about: str, max_text: int) -> tuple[str, str]:
        """The reason and the correction, trimmed; otherwise every problem at once (a
        ``ValidationError`` by field). ``about`` names what is corrected ("the check")."""
        reason, text = str(reason or "").strip(), str(text or "").strip()
        errors: dict[str, list[str]] = {}
        if not reason:
            errors["reason"] = [f"Say why {about} needs a correction."]
        elif len(reason) > cls.MAX_REASON:
            errors["reason"] = [f"A reason is at most {cls.MAX_REASON} characters."]
        if not text:
            errors["text"] = ["Write the correction."]
        elif len(text) > max_text:
            errors["text"] = [f"A correction is at most {max_text} characters."]
        if errors:
            raise ValidationError(errors)
        return reason, text


# Consents live in their own module; imported here so Django finds their models.
# Alerts too (people.alerts writes them for every app).
from pillars.people.alert_models import Alert as Alert  # noqa: E402
from pillars.people.consent_models import Consent as Consent  # noqa: E402
from pillars.people.consent_models import ConsentRecipient as ConsentRecipient  # noqa: E402


class ProgramUnit(TenantLink, ends=("program", "unit"), db_table="people_program_units"):
    """A unit a program runs on."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")


class StaffRole(TenantLink, ends=("staff", "role"), db_table="people_staff_roles"):
    """A role a staff member holds."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="+")


class StaffHomeUnit(TenantLink, ends=("staff", "unit"), db_table="people_staff_home_units"):
    """A unit a staff member works on."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")


class StaffProgram(TenantLink, ends=("staff", "program"), db_table="people_staff_programs"):
    """A program a staff member works in."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")

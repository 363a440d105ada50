"""Peer encounters (DESIGN.md "recovery"): the peer support specialist's daily record.

An encounter is written and signed in one step by the peer with the person served; from then on
it is never changed (DESIGN.md rule 2): an addendum corrects it, a void (with a reason) withdraws
it. The rules around it are data an administrator edits: the peer-role activity taxonomy, the
scope-guard word list (clinical language a peer is offered peer-language alternatives for), and
each program's billing rule (service code, unit length, the minutes the first unit needs) and
video service link.

A group session is written once (shared fields) and makes one encounter per attendee, each with
its own short note and attendance, so each record is seen only by those who may see that person.
"""

from __future__ import annotations

import re

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import unique_in_organization
from pillars.core.models import PublicModel
from pillars.people.models import Addendum, Part2Labelled, PersonServed, Program, Staff, Unit
from pillars.people.tenancy import OrganizationOwned
from pillars.recovery.models.plans import Goal

__all__ = [
    "Encounter",
    "EncounterActivity",
    "EncounterAddendum",
    "EncounterFlag",
    "EncounterStatus",
    "GroupSession",
    "GuardCategory",
    "Modality",
    "PeerActivity",
    "PeerServiceRule",
    "ScopeGuardTerm",
    "Setting",
    "VirtualSession",
    "VirtualStatus",
]


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    TEXT = "text", "Text or chat"


class Setting(models.TextChoices):
    """Where the encounter happened."""

    UNIT = "unit", "On the unit"
    COMMUNITY = "community", "In the community"
    HOME = "home", "At the person's home"
    VIRTUAL = "virtual", "Virtual"


class EncounterStatus(models.TextChoices):
    SIGNED = "signed", "Signed"
    VOID = "void", "Voided"


class GuardCategory(models.TextChoices):
    """Kinds of language outside a peer's role (role drift), each with its peer alternative."""

    CLINICAL_LABEL = "clinical_label", "Clinical label"
    DIAGNOSIS = "diagnosis", "Diagnosis or label for a person"
    MEDICATION = "medication", "Medication advice"
    DEFICIT = "deficit", "Deficit or compliance language"
    RISK = "risk", "Risk scoring"


class PeerActivity(models.Model):
    """One term of the peer-role activity taxonomy (shipped by data migration, edited in the
    admin). A term in use is never deleted (the link is PROTECT); an administrator retires it
    with ``is_active`` and it stays readable on every encounter that used it."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "label"]
        verbose_name_plural = "peer activities"

    def __str__(self) -> str:
        return self.label


class ScopeGuardTerm(models.Model):
    """A word or phrase Pillars marks while a peer writes, with a peer-language suggestion.
    ``pattern`` (a regular expression, case-insensitive) is optional: without it the term
    itself is matched as whole words. Flags never block a note; they are kept with it."""

    term = models.CharField(max_length=100)
    pattern = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=20, choices=GuardCategory.choices)
    suggestion = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "term"]

    def __str__(self) -> str:
        return self.term

    def regex(self) -> re.Pattern[str]:
        if self.pattern:
            return re.compile(self.pattern, re.IGNORECASE)
        words = r"\s+".join(re.escape(w) for w in self.term.split())
        return re.compile(rf"(?<![\w-]){words}(?![\w-])", re.IGNORECASE)


class PeerServiceRule(OrganizationOwned, models.Model):
    """How one program bills peer services, and the video service its virtual sessions use.

    Units follow the common "8-minute rule" (CMS timed codes): with 15-minute units the first
    unit needs at least 8 minutes, and each further unit starts at 15 minutes more (8-22 minutes
    is one unit, 23-37 two, 38-52 three). Both numbers are fields, since payers differ."""

    organization_from = ("program",)

    program = models.OneToOneField(Program, on_delete=models.PROTECT, related_name="peer_rule")
    bills_peer_services = models.BooleanField(default=False)
    service_code = models.CharField(
        max_length=20, blank=True, help_text="For example H0038 (peer support, per 15 minutes)."
    )
    unit_minutes = models.PositiveSmallIntegerField(default=15)
    first_unit_minimum_minutes = models.PositiveSmallIntegerField(default=8)
    video_url_template = models.CharField(
        max_length=300,
        blank=True,
        help_text="The program's video service; {session} is replaced by the session's id, "
        "for example https://video.example.org/room/{session}",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_minutes__gte=1)
                & Q(first_unit_minimum_minutes__gte=1)
                & Q(first_unit_minimum_minutes__lte=models.F("unit_minutes")),
                name="peer_rule_units_sane",
            )
        ]

    def __str__(self) -> str:
        return f"Peer services rule for {self.program}"

    def units_for(self, minutes: int) -> int:
        """Billable units for this many minutes (no units below the first unit's minimum)."""
        if minutes < self.first_unit_minimum_minutes:
            return 0
        return (minutes + self.unit_minutes - self.first_unit_minimum_minutes) // self.unit_minutes

    def join_url(self, session_id: str) -> str:
        return self.video_url_template.replace("{session}", session_id)


class GroupSession(OrganizationOwned, PublicModel):
    """A mutual-support group as one sitting: the shared facts; each attendee's record is an
    ``Encounter`` of their own that points here. Holds no one's personal information."""

    organization_from = ("facilitated_by",)

    topic = models.CharField(max_length=200)
    facilitated_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()
    # The form's key: a group sent twice is recorded once, with one encounter per attendee.
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    def __str__(self) -> str:
        return f"Group: {self.topic}"


class VirtualStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Held and recorded"
    CANCELLED = "cancelled", "Cancelled"


class VirtualSession(OrganizationOwned, Part2Labelled, PublicModel):
    """A video session scheduled with a person served. The join link comes from the program's
    video service (``PeerServiceRule.video_url_template``); Pillars records and shows the link,
    it runs no video of its own and sends no message."""

    organization_from = ("person",)

    PART2_KIND = "recovery"
    PART2_MOMENT = "created_at"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    peer = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    scheduled_at = models.DateTimeField()
    minutes_planned = models.PositiveIntegerField()
    join_url = models.CharField(max_length=400, blank=True)
    link_sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=VirtualStatus.choices, default=VirtualStatus.SCHEDULED
    )
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # The scheduling form's key: a session sent twice is scheduled once (DESIGN.md rule 7).
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [models.Index(fields=["peer", "scheduled_at"])]

    def __str__(self) -> str:
        return f"Video session {self.scheduled_at:%Y-%m-%d %H:%M}"


class Encounter(OrganizationOwned, Part2Labelled, PublicModel):
    """One peer encounter with one person served, signed by the peer with their credential.

    The narrative is strengths-based in four parts; there are no diagnosis, assessment or
    medication fields. Scope-guard flags found at signing are kept (``EncounterFlag``)."""

    organization_from = ("person",)

    PART2_KIND = "recovery"
    PART2_MOMENT = "started_at"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        GroupSession,
        on_delete=models.PROTECT,
        related_name="encounters",
        null=True,
        blank=True,
    )
    attended = models.BooleanField(default=True)
    virtual_session = models.OneToOneField(
        VirtualSession,
        on_delete=models.PROTECT,
        related_name="encounter",
        null=True,
        blank=True,
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    modality = models.CharField(max_length=12, choices=Modality.choices)
    setting = models.CharField(max_length=12, choices=Setting.choices)
    started_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    # Filled from the program's rule at signing; null where the program does not bill.
    billing_units = models.PositiveSmallIntegerField(null=True, blank=True)
    service_code = models.CharField(max_length=20, blank=True)
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    activities = models.ManyToManyField(PeerActivity, through="EncounterActivity", blank=True)
    what_was_done = models.TextField()
    purpose = models.TextField(blank=True)
    person_response = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    written_with_person = models.BooleanField(default=False)
    status = models.CharField(
        max_length=8, choices=EncounterStatus.choices, default=EncounterStatus.SIGNED
    )
    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    # The signer's credential as shown at signing ("CPS", "Certified Peer Specialist").
    signer_credential = models.CharField(max_length=100)
    recorded_at = models.DateTimeField()
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["person", "started_at"]),
            models.Index(fields=["written_by", "started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="signed") | (Q(voided_at__isnull=False) & ~Q(void_reason="")),
                name="voided_encounter_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Peer encounter {self.started_at:%Y-%m-%d}"

    @property
    def is_void(self) -> bool:
        return self.status == EncounterStatus.VOID

    NARRATIVE_FIELDS = ("what_was_done", "purpose", "person_response", "next_steps")


class EncounterActivity(OrganizationOwned, models.Model, part_of="encounter"):
    """An activity of the taxonomy done in an encounter; the term is protected from deletion."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(PeerActivity, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [unique_in_organization("encounter", "activity", name="encounter_activity")]

    def __str__(self) -> str:
        return f"{self.activity_id} in {self.encounter_id}"


class EncounterFlag(OrganizationOwned, models.Model, part_of="encounter"):
    """A scope-guard mark found in a signed encounter, kept for supervision and role-drift
    analytics (the words as the list had them at signing)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="flags")
    field = models.CharField(max_length=40)
    term = models.CharField(max_length=100)
    matched = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=GuardCategory.choices)
    suggestion = models.CharField(max_length=300)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.term} ({self.field})"


class EncounterAddendum(Addendum, part_of="encounter"):
    """A correction or addition to a signed encounter: the original stays as it was signed."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="addenda")
    signer_credential = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"Addendum {self.written_at:%Y-%m-%d}"

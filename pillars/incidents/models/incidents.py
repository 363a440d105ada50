"""Incident reports: what happened, to whom, what was tried, injuries, notifications due, the
review workflow, addenda and debriefs (the staff exposure ledger lives in workforce.wellbeing).

Rules kept as data (admins may extend or change them):
- ``DeescalationStep``: the taxonomy of steps tried before or during an incident.
- ``NotificationRule``: who must be told and by when. The defaults (migration
  0001_incidents's data step) are Pillars' own choices, documented there: guardian within 24 h
  of every incident, physician within 1 h when anyone was injured, state agency within 24 h for
  serious incidents (a suicide attempt, a sexual safety incident, a serious injury, a death).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import unique_in_organization
from pillars.core.models import PublicModel
from pillars.people.models import Addendum, Part2Labelled, PersonServed, Staff, Unit
from pillars.people.tenancy import OrganizationOwned, TenantLink

__all__ = [
    "Debrief",
    "DeescalationStep",
    "Incident",
    "IncidentAddendum",
    "IncidentPerson",
    "IncidentStaff",
    "Injury",
    "Notification",
    "NotificationRule",
    "ReviewNote",
]


class IncidentType(models.TextChoices):
    AGGRESSION_STAFF = "aggression_staff", "Aggression toward staff"
    AGGRESSION_PEER = "aggression_peer", "Aggression toward peers"
    SELF_HARM = "self_harm", "Self-harm"
    SUICIDE_ATTEMPT = "suicide_attempt", "Suicide attempt"
    ELOPEMENT = "elopement", "Elopement or attempt"
    FALL = "fall", "Fall"
    CONTRABAND = "contraband", "Contraband"
    MEDICATION_REFUSAL = "medication_refusal", "Medication refusal"
    SEXUAL_SAFETY = "sexual_safety", "Sexual safety"
    PROPERTY_DAMAGE = "property_damage", "Property damage"
    OTHER = "other", "Other"


class IncidentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under supervisor review"
    CLOSED = "closed", "Closed"


class PersonRole(models.TextChoices):
    INVOLVED = "involved", "Involved"
    INJURED = "injured", "Injured"


class StaffRole(models.TextChoices):
    INVOLVED = "involved", "Involved"
    WITNESS = "witness", "Witness"


class Severity(models.TextChoices):
    MINOR = "minor", "Minor (first aid or none)"
    MODERATE = "moderate", "Moderate (medical attention)"
    SERIOUS = "serious", "Serious (emergency care or hospital)"


class Recipient(models.TextChoices):
    GUARDIAN = "guardian", "Guardian"
    PHYSICIAN = "physician", "Physician"
    STATE_AGENCY = "state_agency", "State agency"


class RuleCondition(models.TextChoices):
    ALWAYS = "always", "Every incident"
    INJURY = "injury", "Anyone injured"
    SERIOUS = "serious", "Serious incidents"


class DebriefKind(models.TextChoices):
    PERSON_SERVED = "person_served", "With the person served"
    STAFF = "staff", "With staff"


class ExposureKind(models.TextChoices):
    """What an incident or a restraint exposes a staff member to: the words incidents send
    to the exposure ledger (workforce.wellbeing keeps it; see pillars.incidents.exposure)."""

    RESTRAINT = "restraint", "Restraint"
    ASSAULT = "assault", "Assault"
    ASSAULT_WITNESSED = "assault_witnessed", "Assault witnessed"
    INJURY = "injury", "Injury"
    DEATH_WITNESSED = "death_witnessed", "Death witnessed"
    SELF_HARM_WITNESSED = "self_harm_witnessed", "Serious self-harm witnessed"


# Types that are serious whatever the injuries (the state-agency rule's default trigger).
SERIOUS_TYPES = frozenset({IncidentType.SUICIDE_ATTEMPT, IncidentType.SEXUAL_SAFETY})


class DeescalationStep(PublicModel):
    """One step of the de-escalation taxonomy (data; an administrator may add steps)."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "label"]

    def __str__(self) -> str:
        return self.label


class NotificationRule(PublicModel):
    """Who must be told of an incident, when it applies, and within how long of its occurrence."""

    recipient = models.CharField(max_length=20, choices=Recipient.choices)
    condition = models.CharField(max_length=20, choices=RuleCondition.choices)
    within_minutes = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["recipient", "within_minutes"]

    def __str__(self) -> str:
        return f"{self.get_recipient_display()} within {self.within_minutes} min"

    def applies_to(self, *, has_injury: bool, is_serious: bool) -> bool:
        if self.condition == RuleCondition.INJURY:
            return has_injury
        if self.condition == RuleCondition.SERIOUS:
            return is_serious
        return True


class Incident(OrganizationOwned, Part2Labelled, PublicModel):
    """One incident report. The reporter edits it only as a draft; once submitted it is a
    record: corrections are addenda, and it moves on to supervisor review and closure."""

    organization_from = ("unit",)

    PART2_PERSON = "persons__person"
    PART2_KIND = "incidents"
    PART2_MOMENT = "occurred_at"

    def label_unit(self) -> Unit | None:
        return self.unit

    type = models.CharField(max_length=30, choices=IncidentType.choices)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="incidents")
    location = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    reported_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="incidents_reported"
    )
    narrative = models.TextField()
    deescalation_steps = models.ManyToManyField(
        DeescalationStep, blank=True, through="IncidentDeescalationStep"
    )
    deescalation_other = models.CharField(max_length=300, blank=True)
    witnesses_text = models.CharField(max_length=300, blank=True)
    is_death = models.BooleanField(default=False)
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_started_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents_reviewed"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents_closed"
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["unit", "status", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.occurred_at:%Y-%m-%d})"

    @property
    def is_draft(self) -> bool:
        return self.status == IncidentStatus.DRAFT

    def is_serious(self, *, has_serious_injury: bool) -> bool:
        return self.is_death or self.type in SERIOUS_TYPES or has_serious_injury


class IncidentPerson(OrganizationOwned, models.Model, part_of="incident"):
    """A person served involved in an incident, and whether they were injured."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="persons")
    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="incident_roles"
    )
    role = models.CharField(max_length=20, choices=PersonRole.choices, default=PersonRole.INVOLVED)

    class Meta:
        constraints = [unique_in_organization("incident", "person", name="incident_person_once")]

    def __str__(self) -> str:
        return f"{self.person} ({self.role})"


class IncidentStaff(OrganizationOwned, models.Model, part_of="incident"):
    """A staff member involved in or witnessing an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="staff")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="incident_roles")
    role = models.CharField(max_length=20, choices=StaffRole.choices)

    class Meta:
        constraints = [unique_in_organization("incident", "staff", name="incident_staff_once")]

    def __str__(self) -> str:
        return f"{self.staff} ({self.role})"


class Injury(OrganizationOwned, PublicModel, part_of="incident"):
    """An injury to a person served or to a staff member (exactly one of the two)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="injuries")
    person = models.ForeignKey(PersonServed, null=True, blank=True, on_delete=models.PROTECT)
    staff = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    description = models.CharField(max_length=300)
    treatment = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(staff__isnull=True))
                | (Q(person__isnull=True) & Q(staff__isnull=False)),
                name="injury_to_one_person_or_staff",
            )
        ]

    @property
    def whom(self) -> str:
        return str(self.person.display_name if self.person else self.staff)


# A sent time entered this long after the moment it claims is a late entry, shown as such
# (DESIGN.md rule 1; the span of a late observation check, rounds.services.orders).
LATE_ENTRY_AFTER = timedelta(minutes=10)


class Notification(OrganizationOwned, PublicModel, part_of="incident"):
    """A notification an incident makes due, its deadline (from a rule), and who sent it. A
    sent time entered later than it claims (``is_late_entry``) stays visible as a late entry,
    even when the time it claims was on time."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notifications")
    rule = models.ForeignKey(NotificationRule, on_delete=models.PROTECT)
    recipient = models.CharField(max_length=20, choices=Recipient.choices)
    due_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # Set once by ``pillars worker`` when it alerts that the deadline passed unsent (its claim).
    alerted_at = models.DateTimeField(null=True, blank=True)
    # A sweep pass that raised on this notification waits until then to try again, longer after
    # each failure (core.sweeps): a failure is retried, never dropped.
    sweep_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    sweep_failures = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [unique_in_organization("incident", "recipient", name="notification_once")]

    def is_late_at(self, now: datetime) -> bool:
        """Late when sent after its deadline, or not sent and the deadline has passed."""
        if self.sent_at is not None:
            return self.sent_at > self.due_at
        return now > self.due_at

    @property
    def is_late_entry(self) -> bool:
        if self.sent_at is None or self.recorded_at is None:
            return False
        return self.recorded_at - self.sent_at > LATE_ENTRY_AFTER

    def status_at(self, now: datetime) -> str:
        if self.sent_at is not None:
            return "sent late" if self.sent_at > self.due_at else "sent"
        return "overdue" if now > self.due_at else "due"

    @staticmethod
    def deadline(occurred_at: datetime, rule: NotificationRule) -> datetime:
        return occurred_at + timedelta(minutes=rule.within_minutes)


class ReviewNote(OrganizationOwned, PublicModel, part_of="incident"):
    """A supervisor's note while reviewing an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="review_notes")
    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT)
    written_at = models.DateTimeField()
    text = models.TextField()

    class Meta:
        ordering = ["written_at", "pk"]


class IncidentAddendum(Addendum, part_of="incident"):
    """A correction to a submitted incident; the report itself never changes."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="addenda")


class Debrief(OrganizationOwned, PublicModel, part_of="incident"):
    """A post-incident debrief with the person served or with staff: who, when, what was
    learned."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="debriefs")
    kind = models.CharField(max_length=20, choices=DebriefKind.choices)
    held_at = models.DateTimeField()
    participants = models.CharField(max_length=300)
    learned = models.TextField()
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["held_at", "pk"]


class IncidentDeescalationStep(
    TenantLink,
    ends=("incident", "deescalationstep"),
    db_table="incidents_incident_deescalation_steps",
):
    """A de-escalation technique tried before an incident."""

    PART2_VIA = "incident"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    deescalationstep = models.ForeignKey(
        DeescalationStep, on_delete=models.CASCADE, related_name="+"
    )

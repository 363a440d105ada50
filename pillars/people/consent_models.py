"""Consents to disclose substance-use disorder records (42 CFR 2.31, as amended in 2024;
compliance from 16 February 2026).

A consent names every element the rule requires: the patient; the Part 2 program(s) whose
records it covers (who may disclose); how much and what kind of information, described
explicitly; the recipients (named individuals or entities, a role or unit of the organization,
or, as the rule allows for a treatment, payment and health care operations consent, "my
treating providers"); the purpose (a single consent may cover treatment, payment and health care
operations); an expiry date or an expiry event; the signature of the person or their
representative and the date; and the statements the form must carry (the right to revoke in
writing and how, that treatment may not be conditioned on signing, and that a recipient under a
TPO consent may redisclose as HIPAA permits). Revocation is in writing, recorded with who took it
and when, and takes effect at once for every later disclosure.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import filled_unless
from pillars.core.models import PublicModel
from pillars.core.roles import RoleCode
from pillars.people.models import PersonServed, Staff, Unit
from pillars.people.tenancy import OrganizationOwned, TenantLink


class InformationKind(models.TextChoices):
    """The kinds of Part 2 information a consent may cover (``Part2Labelled.PART2_KIND``)."""

    ROUNDS = "rounds", "Observation orders and checks"
    INCIDENTS = "incidents", "Incident reports"
    BEHAVIOR = "behavior", "Behavior plans, contracts and ABC data"
    SAFETY_PLAN = "safety_plan", "Safety plans"
    RESTRAINT = "restraint", "Restraint and seclusion episodes"
    RECOVERY = (
        "recovery",
        "Peer recovery records (encounters, plans, goals, assessments, referrals)",
    )


class ConsentPurpose(models.TextChoices):
    TPO = "tpo", "Treatment, payment and health care operations (one consent for all three)"
    TREATMENT = "treatment", "Treatment"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "operations", "Health care operations"
    PATIENT_REQUEST = "patient_request", "At the request of the person"
    OTHER = "other", "Another purpose (described)"


class RecipientKind(models.TextChoices):
    STAFF = "staff", "A named staff member"
    ROLE = "role", "Everyone in a role"
    UNIT = "unit", "The team of a unit or program"
    TREATING_PROVIDERS = "treating", "My treating providers"
    ENTITY = "entity", "A named person or organization outside Pillars"


class SignedBy(models.TextChoices):
    PERSON = "person", "The person served"
    REPRESENTATIVE = "representative", "Their authorized representative"


class RevocationForm(models.TextChoices):
    LETTER = "letter", "Signed letter"
    FORM = "form", "Signed revocation form"
    SECURE_MESSAGE = "secure_message", "Written secure message"


class ConsentState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


# The statements every consent form carries (42 CFR 2.31(a)); printed on the form and on the
# consent page, and stored with each consent as the wording it was signed under.
REVOCATION_STATEMENT = (
    "You may revoke this consent at any time, in writing, by giving or sending a signed "
    "revocation to the privacy officer. A revocation takes effect for every disclosure after it "
    "is received; it does not undo a disclosure already made in reliance on this consent."
)
CONDITIONING_STATEMENT = (
    "Your treatment, payment, enrollment or eligibility for benefits will not depend on whether "
    "you sign this consent."
)
REDISCLOSURE_STATEMENT = (
    "When this consent is for treatment, payment and health care operations, a recipient that is "
    "a HIPAA covered entity or business associate may use and disclose your records again as "
    "HIPAA permits, and they may then no longer be protected by 42 CFR Part 2."
)
STATEMENTS_VERSION = "2024-02"


class Consent(OrganizationOwned, PublicModel):
    """One signed consent of a person served to disclose their Part 2 records."""

    organization_from = ("person",)

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="consents")
    # Who may disclose: the Part 2 program(s) whose records the consent covers.
    programs = models.ManyToManyField(Unit, related_name="+", through="ConsentProgram")
    # How much and what kind: the kinds of record, and an explicit description.
    information_kinds = models.JSONField(default=list)
    information_description = models.TextField()
    purposes = models.JSONField(default=list)
    purpose_description = models.CharField(max_length=300, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=300, blank=True)
    expiry_event_on = models.DateField(null=True, blank=True)
    signed_by = models.CharField(max_length=20, choices=SignedBy.choices)
    signer_name = models.CharField(max_length=150)
    representative_authority = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField()
    statements_version = models.CharField(max_length=20, default=STATEMENTS_VERSION)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_received_as = models.CharField(
        max_length=20, choices=RevocationForm.choices, blank=True
    )
    revocation_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["person_id", "-signed_on", "-pk"]
        constraints = [
            filled_unless("expiry_event", Q(expires_on__isnull=False), name="consent_has_expiry"),
        ]

    def __str__(self) -> str:
        return f"Consent of {self.person} signed {self.signed_on}"

    def state_on(self, now: datetime, today: date) -> str:
        """Revoked from the moment the revocation was recorded; expired after its expiry date
        (the person's local ``today``) or once the expiry event was recorded."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return ConsentState.REVOKED
        if self.expires_on is not None and today > self.expires_on:
            return ConsentState.EXPIRED
        if self.expiry_event_on is not None and today >= self.expiry_event_on:
            return ConsentState.EXPIRED
        return ConsentState.ACTIVE

    def kind_labels(self) -> list[str]:
        return [str(InformationKind(k).label) for k in self.information_kinds]

    def purpose_labels(self) -> list[str]:
        return [str(ConsentPurpose(p).label) for p in self.purposes]

    @property
    def is_tpo(self) -> bool:
        return ConsentPurpose.TPO in self.purposes


class ConsentRecipient(OrganizationOwned, models.Model):
    """One recipient named by a consent."""

    organization_from = ("consent",)

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="recipients")
    kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=20, choices=RoleCode.choices, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == RecipientKind.STAFF and self.staff is not None:
            return str(self.staff.display_name)
        if self.kind == RecipientKind.ROLE:
            return f"Every {RoleCode(self.role).label.lower()}"
        if self.kind == RecipientKind.UNIT and self.unit is not None:
            return f"The team of {self.unit.name}"
        if self.kind == RecipientKind.TREATING_PROVIDERS:
            return "My treating providers"
        return self.name


class ConsentProgram(TenantLink, ends=("consent", "unit"), db_table="people_consent_programs"):
    """A Part 2 program whose records a consent covers."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")

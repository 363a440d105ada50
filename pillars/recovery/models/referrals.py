"""Closed-loop referrals (DESIGN.md "recovery": connect a person to a community service).

A ``Referral`` goes from a person's record to a service of the resource directory, or is
"logged": made outside Pillars to an organization named in words, and closed by the peer. Its
status follows the FHIR R4 Task statuses the Gravity Project's SDOH referral uses; every change
is one ``ReferralEvent`` row (who, when, from, to, note). Why a referral ended (declined,
no-show...) is data: ``ReferralOutcomeReason`` rows shipped by data migration.
"""

from __future__ import annotations

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.consent_models import Consent
from pillars.people.models import Part2Labelled, PersonServed, Staff
from pillars.people.tenancy import OrganizationOwned
from pillars.recovery.models.directory import HsdsService
from pillars.recovery.models.plans import Goal

__all__ = [
    "AWAITING_RESPONSE",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Referral",
    "ReferralEvent",
    "ReferralOutcomeReason",
    "ReferralStatus",
]


class ReferralStatus(models.TextChoices):
    """FHIR R4 Task.status, as the Gravity Project SDOH referral Task uses it."""

    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Sent (requested)"
    RECEIVED = "received", "Received by the service"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Not accepted"
    CANCELLED = "cancelled", "Cancelled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    FAILED = "failed", "Did not happen"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


S = ReferralStatus
CLOSED_STATUSES = frozenset({S.REJECTED, S.CANCELLED, S.FAILED, S.COMPLETED, S.ENTERED_IN_ERROR})
OPEN_STATUSES = frozenset(set(S) - CLOSED_STATUSES)
# Sent and not yet answered by the service: the response due date applies.
AWAITING_RESPONSE = frozenset({S.REQUESTED, S.RECEIVED})
_ENDINGS = {S.CANCELLED, S.FAILED, S.ENTERED_IN_ERROR}
# The FHIR Task state machine (hl7.org/fhir/R4/task.html#statemachine), narrowed to the moves
# a referral makes; a closed referral moves again only by reopening (with a note).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.REQUESTED, S.CANCELLED, S.ENTERED_IN_ERROR}),
    S.REQUESTED: frozenset({S.RECEIVED, S.ACCEPTED, S.REJECTED, S.IN_PROGRESS, *_ENDINGS}),
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.IN_PROGRESS, *_ENDINGS}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, *_ENDINGS}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.COMPLETED, *_ENDINGS}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.COMPLETED, *_ENDINGS}),
    **{closed: frozenset() for closed in CLOSED_STATUSES},
}


class ReferralOutcomeReason(models.Model):
    """Why a referral ended as it did (declined, no-show, service full...): reference data."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class Referral(OrganizationOwned, Part2Labelled, PublicModel):
    """One referral of a person served to a service (or a logged outside organization)."""

    organization_from = ("person",)

    PART2_KIND = "recovery"
    PART2_MOMENT = "created_at"

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(
        HsdsService, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    # A logged referral: made outside Pillars, to an organization named in words.
    is_logged = models.BooleanField(default=False)
    outside_organization = models.CharField(max_length=300, blank=True)
    outside_contact = models.CharField(max_length=300, blank=True)
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    reason = models.TextField(help_text="What the person hopes the service helps with.")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    outcome_reason = models.ForeignKey(
        ReferralOutcomeReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referred_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="referrals_made")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True, help_text="Response due from the service.")
    follow_up_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The consent the packet left under, when it carried Part 2 information.
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The overdue sweep: the due date already alerted for, and the failure back-off.
    alerted_due_on = models.DateField(null=True, blank=True)
    sweep_retry_at = models.DateTimeField(null=True, blank=True)
    sweep_failures = models.PositiveIntegerField(default=0)
    # The follow-up reminder: the date already reminded of, and its own failure back-off.
    reminded_follow_up_on = models.DateField(null=True, blank=True)
    follow_up_retry_at = models.DateTimeField(null=True, blank=True)
    follow_up_failures = models.PositiveIntegerField(default=0)
    # The form's or device's key: a referral sent twice is made (and its packet sent) once.
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="recovery_referral_due"),
            models.Index(fields=["person", "created_at"], name="recovery_referral_person"),
            models.Index(fields=["status", "follow_up_on"], name="recovery_referral_follow"),
        ]

    def __str__(self) -> str:
        return f"Referral to {self.recipient_name}"

    @property
    def recipient_name(self) -> str:
        if self.service is not None:
            return f"{self.service.name} ({self.service.organization.name})"
        return self.outside_organization

    @property
    def organization_name(self) -> str:
        if self.service is not None:
            return str(self.service.organization.name)
        return self.outside_organization

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralEvent(OrganizationOwned, models.Model, part_of="referral"):
    """One change of a referral's status: who acted, when, from what, to what, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    outcome_reason = models.ForeignKey(
        ReferralOutcomeReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"

"""The alert: something a staff member must see and acknowledge, in their inbox.

Any app raises alerts (through ``people.alerts``, the one writer): the recipient is a staff
member, the unit and the person served are optional, and the record the alert is about is named
by a kind label and its public id (``subject_kind``, ``subject_id``), never by a foreign key into
the app that raised it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import one_open
from pillars.core.models import PublicModel
from pillars.people.choices import AlertKind
from pillars.people.tenancy import OrganizationOwned


class Alert(OrganizationOwned, PublicModel):
    """One alert to one staff member. ``due_at`` is the moment the alert was due (for an
    escalation, the check's due time plus the step's delay), not the moment a worker got round
    to writing it. ``dedupe_key`` names the thing alerted about: a recipient has at most one
    open (unresolved) alert with a given key, so a second writer's insert is skipped and nobody
    is alerted twice for the same thing while it stands."""

    organization_from = ("recipient",)

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    recipient = models.ForeignKey("people.Staff", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "people.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "people.PersonServed", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The record the alert is about, by a kind label ("rounds.check", "recovery.referral") and
    # its public id, so a page can link it and a write can close it without a foreign key into
    # every app that raises alerts.
    subject_kind = models.CharField(max_length=40, blank=True)
    subject_id = models.UUIDField(null=True, blank=True)
    # Which step of a chain raised the alert (an escalation chain's position), when one did.
    step_position = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Set in the same transaction as the write that removed the alert's cause (the check that
    # put the order back on time, ...); the alert stays in the inbox history with the reason.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_reason = models.CharField(max_length=200, blank=True)
    # Indexed for the prefix reads that close a record's alerts ("rs:<episode>:...").
    dedupe_key = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["-due_at", "pk"]
        constraints = [
            one_open(
                ["recipient", "dedupe_key"], end="resolved_at", name="alert_open_dedupe_unique"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "acknowledged_at"]),
            # The emergency sweep finds unacknowledged alerts of one kind by age.
            models.Index(fields=["kind", "created_at"], name="people_alert_kind_created"),
            # Closing the alerts about one record.
            models.Index(fields=["subject_kind", "subject_id"], name="people_alert_subject"),
            # The board's unsafe checks still waiting for a lead (checks_not_safe_waiting): only
            # these rows, not every alert the unit has ever had.
            models.Index(
                fields=["unit", "subject_id"],
                condition=Q(kind=AlertKind.CHECK_NOT_SAFE),
                name="people_alert_unsafe_check",
            ),
        ]

    def __str__(self) -> str:
        return self.message

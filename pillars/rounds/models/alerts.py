"""Escalation steps (per-unit data) and the alerts that land in staff members' inboxes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.people.models import PersonServed, Staff, Unit
from pillars.rounds.choices import AlertKind, Recipient
from pillars.rounds.models.orders import ObservationOrder


class EscalationStep(PublicModel):
    """One step of the chain that runs when a check is due and not done. Rows with no unit are
    the default chain; a unit with rows of its own uses those instead. Defaults (DESIGN.md): the
    assigned staff member at due, the shift lead at +5 minutes, the unit manager at +15, the
    director at +30."""

    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="escalation_steps"
    )
    position = models.PositiveSmallIntegerField()
    after_minutes = models.PositiveIntegerField(help_text="Minutes after the check was due.")
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["unit_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "position"],
                condition=Q(is_active=True),
                name="escalation_step_position_unique",
            ),
            models.UniqueConstraint(
                fields=["position"],
                condition=Q(unit__isnull=True, is_active=True),
                name="default_escalation_step_position_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"+{self.after_minutes} min: {self.get_recipient_display()}"


class Alert(PublicModel):
    """Something a staff member must see and acknowledge. ``due_at`` is the moment the alert
    was due (for an escalation, the check's due time plus the step's delay), not the moment a
    worker got round to writing it; ``dedupe_key`` makes a second writer's insert fail, so
    nobody is alerted twice for the same thing."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    recipient = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        PersonServed, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        ObservationOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    step = models.ForeignKey(
        EscalationStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The record the alert is about, by public id and a kind label (for example "rounds.check"
    # for a check that was not safe), so the board can show it and the incident form can be
    # started from it without a foreign key into every app that raises alerts.
    subject_kind = models.CharField(max_length=40, blank=True)
    subject_id = models.UUIDField(null=True, blank=True)
    message = models.CharField(max_length=300)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Set in the same transaction as the write that removed the alert's cause (the check that
    # put the order back on time, ...); the alert stays in the inbox history with the reason.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_reason = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["-due_at", "pk"]
        indexes = [
            models.Index(fields=["recipient", "acknowledged_at"]),
            # The emergency sweep finds unacknowledged alerts of one kind by age.
            models.Index(fields=["kind", "created_at"], name="rounds_alert_kind_created"),
            # The board's unsafe checks still waiting for a lead (checks_not_safe_waiting): only
            # these rows, not every escalation alert the unit has ever had.
            models.Index(
                fields=["unit", "subject_id"],
                condition=Q(kind=AlertKind.CHECK_NOT_SAFE),
                name="alert_unsafe_check_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.message

"""Escalation steps: per-unit data naming who is alerted when a check is due and not done (the
alerts themselves are people.Alert)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.people.models import Unit
from pillars.people.tenancy import reference_link
from pillars.rounds.choices import Recipient


class EscalationStep(PublicModel):
    """One step of the chain that runs when a check is due and not done. Rows with no unit are
    the default chain; a unit with rows of its own uses those instead. Defaults (DESIGN.md): the
    assigned staff member at due, the shift lead at +5 minutes, the unit manager at +15, the
    director at +30."""

    unit = reference_link(Unit, related_name="escalation_steps")
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

"""The signed shift handoff: compiled from the shift's own data, noted, signed by both sides."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import filled_unless
from pillars.core.models import PublicModel
from pillars.people.models import PersonServed, Staff, Unit
from pillars.people.tenancy import OrganizationOwned


class Handoff(OrganizationOwned, PublicModel):
    """One shift's handoff on a unit. ``snapshot`` is compiled from the shift's data (levels and
    precautions, late and missed checks, late entries, exceptions, 1:1 coverage, open
    escalations, open findings) when the handoff is made, and may be compiled again until the
    outgoing staff member signs; from then on it is frozen, so both signatures cover exactly
    what was shown. After both have signed, notes can only be added as addenda with a reason."""

    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    snapshot = models.JSONField(default=dict)
    compiled_at = models.DateTimeField()
    compiled_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    outgoing_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outgoing_signed_at = models.DateTimeField(null=True, blank=True)
    incoming_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    incoming_signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["unit", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="handoff_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(outgoing_signed_at__isnull=True) | Q(outgoing_staff__isnull=False),
                name="handoff_outgoing_signature_names_signer",
            ),
            models.CheckConstraint(
                condition=Q(incoming_signed_at__isnull=True)
                | Q(incoming_staff__isnull=False, outgoing_signed_at__isnull=False),
                name="handoff_incoming_signs_after_outgoing",
            ),
            models.CheckConstraint(
                condition=Q(incoming_staff__isnull=True)
                | ~Q(incoming_staff=models.F("outgoing_staff")),
                name="handoff_two_different_signers",
            ),
        ]

    def __str__(self) -> str:
        return f"Handoff {self.unit} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_signed(self) -> bool:
        """Both sides have signed: the handoff is closed to edits (addenda only)."""
        return self.outgoing_signed_at is not None and self.incoming_signed_at is not None

    @property
    def is_frozen(self) -> bool:
        return self.outgoing_signed_at is not None


class HandoffNote(OrganizationOwned, PublicModel):
    """A free note on a handoff: about one person served, or general (no person). A note added
    after both signatures is an addendum and carries its reason."""

    organization_from = ("handoff",)

    handoff = models.ForeignKey(Handoff, on_delete=models.PROTECT, related_name="notes")
    person = models.ForeignKey(
        PersonServed, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    is_addendum = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["written_at", "pk"]
        constraints = [
            filled_unless("reason", Q(is_addendum=False), name="handoff_addendum_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Note on {self.handoff}"

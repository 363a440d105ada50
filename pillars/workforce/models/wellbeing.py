"""Workforce models: wellbeing, private by design.

The staff exposure ledger (moved here from incidents, which still writes to it through the
``record_exposure`` service by the hook in ``pillars.incidents.exposure``), the rules that turn
a serious exposure into a private check-in invitation (data), the check-in instruments (data:
items, answer scale, subscales, credit and licence), a staff member's check-ins, and the
self-care resources and employee assistance contact of each organization.

Privacy (DESIGN.md rule 5): exposure rows, invitations and check-ins are their staff member's
alone. Nobody else may learn that one exists, through any page or API route; supervisors and
leaders get counts and means of groups large enough to stay anonymous, through the aggregate
selectors and the shared suppression helper, never rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import unique_in_organization
from pillars.core.models import PublicModel
from pillars.incidents.models.incidents import ExposureKind
from pillars.people.models import Organization, Staff, Unit
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "CheckIn",
    "CheckInInstrument",
    "CheckInItem",
    "CheckInRule",
    "EmployeeAssistance",
    "ExposureEvent",
    "Invitation",
    "InvitationStatus",
    "SelfCareResource",
]


class ExposureEvent(OrganizationOwned, PublicModel):
    """One entry in a staff member's exposure ledger: a restraint taken part in, an assault
    received or witnessed, an injury, a death or serious self-harm witnessed. Written only by
    ``services.wellbeing.record_exposure`` (incidents call it through their hook); one row per
    staff member, kind and source, so a replay is harmless. Only the staff member sees their
    own rows."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="exposures")
    kind = models.CharField(max_length=20, choices=ExposureKind.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    source_type = models.CharField(max_length=60)
    source_id = models.UUIDField()
    # The unit the exposure counts in, as it was when recorded (like a check-in's): a unit's
    # figures never change when somebody leaves or moves, so the difference between two days'
    # figures cannot give back one staff member's whole ledger.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "pk"]
        constraints = [
            unique_in_organization(
                "staff", "kind", "source_type", "source_id", name="exposure_once"
            )
        ]


class CheckInInstrument(PublicModel):
    """A short check-in questionnaire (data). ``scale`` lists the answers as
    ``[{"value": 100, "label": "Always"}, ...]``; a subscale's score is the mean of its items'
    values (a reversed item counts ``scale_max + scale_min - value``). Only instruments free to
    use are shipped; ``credit`` names the source and its terms, shown under the form."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=150)
    version = models.PositiveSmallIntegerField(default=1)
    introduction = models.TextField(blank=True, default="")
    credit = models.TextField(help_text="The source and the terms it may be used on.")
    scale = models.JSONField(default=list)
    subscales = models.JSONField(
        default=dict, blank=True, help_text='Subscale code to its name, e.g. {"work": "Work"}.'
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def scale_values(self) -> list[int]:
        return [int(choice["value"]) for choice in self.scale]

    def score(self, answers: dict[int, int], items: list[CheckInItem]) -> dict[str, float]:
        """Mean item value per subscale (0-100 for the shipped instrument), two decimals."""
        values = self.scale_values()
        low, high = min(values), max(values)
        by_scale: dict[str, list[int]] = {}
        for item in items:
            value = answers[item.number]
            by_scale.setdefault(item.subscale, []).append(
                low + high - value if item.is_reversed else value
            )
        return {code: round(sum(v) / len(v), 2) for code, v in by_scale.items()}


class CheckInItem(models.Model):
    """One question of an instrument; ``subscale`` is a key of the instrument's subscales."""

    instrument = models.ForeignKey(
        CheckInInstrument, on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    subscale = models.CharField(max_length=40)
    is_reversed = models.BooleanField(default=False)

    class Meta:
        ordering = ["instrument", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="checkin_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class CheckInRule(PublicModel):
    """Which exposures invite a check-in (data, versioned by ``version``: a changed rule is a new
    row, the old one deactivated). ``remind_after_days``: reminders are sent this many days
    apart, at most ``max_reminders`` of them, until the staff member answers or declines."""

    exposure_kind = models.CharField(max_length=20, choices=ExposureKind.choices)
    instrument = models.ForeignKey(CheckInInstrument, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(default=1)
    remind_after_days = models.PositiveSmallIntegerField(default=3)
    max_reminders = models.PositiveSmallIntegerField(default=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["exposure_kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["exposure_kind"],
                condition=Q(is_active=True),
                name="checkin_rule_one_active_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_exposure_kind_display()} -> {self.instrument} (v{self.version})"


class InvitationStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ANSWERED = "answered", "Answered"
    DECLINED = "declined", "Declined"


class Invitation(OrganizationOwned, PublicModel):
    """A private invitation to check in after a serious event. ``next_reminder_at`` is the
    indexed deadline the reminder sweep scans; it is cleared when the staff member answers or
    declines, or when the rule's reminders are spent, so reminders stop."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    exposure = models.OneToOneField(
        ExposureEvent, on_delete=models.PROTECT, related_name="invitation"
    )
    rule = models.ForeignKey(CheckInRule, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(CheckInInstrument, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.OPEN
    )
    invited_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sweep_failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-invited_at", "pk"]

    def next_reminder_after(self, now: datetime) -> datetime | None:
        """When the next reminder is due after one sent at ``now``; None once they are spent."""
        if self.status != InvitationStatus.OPEN or self.reminders_sent >= self.rule.max_reminders:
            return None
        return now + timedelta(days=max(self.rule.remind_after_days, 1))


class CheckIn(OrganizationOwned, PublicModel):
    """A staff member's answers to a check-in instrument and the subscale scores the server
    computed from them. Theirs alone; never edited."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(CheckInInstrument, on_delete=models.PROTECT, related_name="+")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="check_in"
    )
    answered_at = models.DateTimeField(db_index=True)
    answers = models.JSONField()
    scores = models.JSONField()
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    # The groups the check-in counts in, as they were when it was answered: a closed quarter's
    # aggregates never change afterwards, so asking again later cannot single anyone out by
    # the difference when somebody moves unit or supervisor.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supervisor = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-answered_at", "pk"]


class SelfCareResource(PublicModel):
    """A self-care resource offered with every invitation (data, per organization)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=150)
    description = models.CharField(max_length=400, blank=True)
    url = models.URLField(blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "title"]

    def __str__(self) -> str:
        return self.title


class EmployeeAssistance(PublicModel):
    """The employee assistance program's contact for an organization (data)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="employee_assistance"
    )
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=40)
    url = models.URLField(blank=True)
    hours = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=400, blank=True)

    def __str__(self) -> str:
        return self.name

"""Credential types (rules as data, versioned) and each staff member's credentials, with their
evidence, verification, waivers and continuing-education hours.

State credentials expire either N months or years after issue or on a fixed calendar date (for
example 1 September of odd years), with CE minimums by category per renewal period (DESIGN.md
"Facts and defaults"): the type carries the rule, the credential derives its expiry and state
from it as pure methods of the day asked about.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.core.versioning import VersionedRule, versioned_constraints
from pillars.people.models import Role, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "CeCategory",
    "CeRecord",
    "Credential",
    "CredentialKind",
    "CredentialState",
    "CredentialType",
    "ExpiryRule",
    "YearParity",
    "add_months",
]


class CredentialKind(models.TextChoices):
    STATE_TECHNICIAN = "state_technician", "State technician certification"
    STATE_PEER = "state_peer", "State peer certification"
    NATIONAL_PEER = "national_peer", "National peer certification (NCPS)"
    CPR_BLS = "cpr_bls", "CPR / basic life support"
    CRISIS_INTERVENTION = "crisis_intervention", "Nonviolent crisis intervention"
    SUICIDE_PREVENTION = "suicide_prevention", "Suicide prevention gatekeeper (QPR)"
    OTHER = "other", "Other"


class ExpiryRule(models.TextChoices):
    AFTER_ISSUE = "after_issue", "A number of months after issue"
    FIXED_DATE = "fixed_date", "A fixed calendar date"
    NEVER = "never", "Does not expire"


class YearParity(models.TextChoices):
    ANY = "any", "Every year"
    ODD = "odd", "Odd years"
    EVEN = "even", "Even years"


class CredentialState(models.TextChoices):
    PENDING = "pending", "Pending verification"
    VERIFIED = "verified", "Verified"
    EXPIRED = "expired", "Expired"
    WAIVED = "waived", "Waived"


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; a day past the end of the target month becomes its last day
    (29 February plus 12 months is 28 February in a common year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class CeCategory(models.Model):
    """A continuing-education category a credential type may set a minimum for (peer/recovery,
    ethics, ...): data, so a state's own categories can be added."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CE category"
        verbose_name_plural = "CE categories"

    def __str__(self) -> str:
        return self.name


class CredentialType(VersionedRule, PublicModel):
    """One kind of credential and its rules. A change of meaning (expiry rule, CE minimums)
    makes the next version (core.versioning); credentials keep the version they were issued
    under. Retired, never deleted: ``is_active`` off hides it from new credentials."""

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=24, choices=CredentialKind.choices)
    issuer = models.CharField(max_length=150, blank=True)
    expiry_rule = models.CharField(max_length=12, choices=ExpiryRule.choices)
    valid_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For 'months after issue': how many (24 for 2 years)."
    )
    fixed_month = models.PositiveSmallIntegerField(null=True, blank=True)
    fixed_day = models.PositiveSmallIntegerField(null=True, blank=True)
    fixed_year_parity = models.CharField(
        max_length=4, choices=YearParity.choices, default=YearParity.ANY
    )
    ce_total_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    # {"peer_recovery": "24", "ethics": "3"}: hours per CE category code within the total.
    ce_minimums = models.JSONField(default=dict, blank=True)
    reminder_days = models.JSONField(
        default=list, blank=True, help_text="Days before expiry to remind, e.g. [90, 60, 30, 7]."
    )
    required_for = models.ManyToManyField(
        Role, related_name="required_credential_types", blank=True
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "version"]
        constraints = [
            *versioned_constraints(
                version_name="credential_type_version_unique",
                current_name="credential_type_current_unique",
            ),
            models.CheckConstraint(
                condition=Q(expiry_rule="after_issue", valid_months__gte=1)
                | Q(
                    expiry_rule="fixed_date",
                    fixed_month__gte=1,
                    fixed_month__lte=12,
                    fixed_day__gte=1,
                    fixed_day__lte=31,
                )
                | Q(expiry_rule="never"),
                name="credential_type_rule_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The expiry rule complete and a date that exists (February 29 allowed: in other
        years it falls on the 28th); the CE minimums within the total."""
        errors: dict[str, str] = {}
        if self.expiry_rule == ExpiryRule.AFTER_ISSUE and not self.valid_months:
            errors["valid_months"] = "Say how many months after issue it expires."
        if self.expiry_rule == ExpiryRule.FIXED_DATE:
            month, day = self.fixed_month, self.fixed_day
            if not month or not 1 <= month <= 12:
                errors["fixed_month"] = "A fixed date needs a month from 1 to 12."
            else:
                longest = 29 if month == 2 else calendar.monthrange(2001, month)[1]
                if not day or not 1 <= day <= longest:
                    errors["fixed_day"] = f"A day from 1 to {longest} for that month."
        minimums = sum((Decimal(str(h)) for h in (self.ce_minimums or {}).values()), Decimal(0))
        if self.ce_total_hours is not None and minimums > Decimal(str(self.ce_total_hours)):
            errors["ce_total_hours"] = "The hours per category add up to more than the total."
        if errors:
            raise ValidationError(errors)

    def _fixed_on(self, year: int) -> date:
        month = int(self.fixed_month or 1)
        return date(year, month, min(int(self.fixed_day or 1), calendar.monthrange(year, month)[1]))

    def _year_fits(self, year: int) -> bool:
        if self.fixed_year_parity == YearParity.ODD:
            return year % 2 == 1
        if self.fixed_year_parity == YearParity.EVEN:
            return year % 2 == 0
        return True

    def expires_on_for(self, issued_on: date) -> date | None:
        """The expiry date a credential issued on ``issued_on`` gets from this rule. A fixed
        date is the first such date after issue in a year of the right parity (a credential
        issued on the renewal date itself runs to the next one)."""
        if self.expiry_rule == ExpiryRule.AFTER_ISSUE:
            return add_months(issued_on, int(self.valid_months or 0))
        if self.expiry_rule == ExpiryRule.FIXED_DATE:
            year = issued_on.year
            while True:
                if self._year_fits(year) and self._fixed_on(year) > issued_on:
                    return self._fixed_on(year)
                year += 1
        return None

    def expiry_text(self) -> str:
        """The expiry rule in words: "24 months after issue", "On 9/1 of odd years"."""
        if self.expiry_rule == ExpiryRule.AFTER_ISSUE:
            return f"{self.valid_months} months after issue"
        if self.expiry_rule == ExpiryRule.FIXED_DATE:
            day = f"{calendar.month_name[int(self.fixed_month or 1)]} {self.fixed_day}"
            years = {YearParity.ODD: " of odd years", YearParity.EVEN: " of even years"}
            return f"On {day}{years.get(YearParity(self.fixed_year_parity), ' every year')}"
        return "Does not expire"

    def ce_required(self) -> dict[str, Decimal]:
        return {str(k): Decimal(str(v)) for k, v in (self.ce_minimums or {}).items()}

    def reminder_thresholds(self) -> list[int]:
        """The reminder days, largest first, only whole positive numbers."""
        return reminder_thresholds(self.reminder_days)


def reminder_thresholds(reminder_days: Any) -> list[int]:
    """Reminder days as data (a list such as [90, 60, 30, 7]), largest first, only whole
    positive numbers."""
    days = {int(d) for d in (reminder_days or []) if str(d).isdigit() and int(d) > 0}
    return sorted(days, reverse=True)


def next_reminder(
    expires_on: date | None, thresholds: list[int], reminded: int | None
) -> date | None:
    """The day the next reminder falls due, after the one for ``reminded`` days (None: none
    sent yet); None when no threshold is left or nothing expires."""
    if expires_on is None:
        return None
    for days in thresholds:
        if reminded is None or days < reminded:
            return date.fromordinal(expires_on.toordinal() - days)
    return None


def evidence_path(record: models.Model, filename: str) -> str:
    """Evidence lives under MEDIA_ROOT/workforce/, named by public ids only (never the uploaded
    name), and is served through an audited view."""
    return f"workforce/evidence/{record.public_id}/{filename.rsplit('/', 1)[-1]}"  # type: ignore[attr-defined]


class Credential(OrganizationOwned, PublicModel):
    """One credential a staff member holds (one issue of it: a renewal is a new row). The
    state on a day is derived, never stored: waived while a waiver runs, expired after
    ``expires_on``, verified once an administrator checked it, pending verification before."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="credentials")
    credential_type = models.ForeignKey(
        CredentialType, on_delete=models.PROTECT, related_name="credentials"
    )
    number = models.CharField(max_length=60, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, db_index=True)
    evidence = models.FileField(upload_to=evidence_path, max_length=200, blank=True)
    evidence_content_type = models.CharField(max_length=20, blank=True)
    evidence_size = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(max_length=200, blank=True)
    waived_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waiver_reason = models.CharField(max_length=300, blank=True)
    waived_until = models.DateField(null=True, blank=True)
    # Reminders: the next day a reminder falls due and the threshold it was last sent for, so a
    # worker claims a row by compare-and-set on ``next_reminder_on`` (core.sweeps).
    next_reminder_on = models.DateField(null=True, blank=True, db_index=True)
    reminded_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["staff_id", "credential_type__name", "-issued_on"]
        indexes = [models.Index(fields=["staff", "credential_type"])]

    def __str__(self) -> str:
        return f"{self.credential_type} ({self.staff})"

    def is_waived_on(self, day: date) -> bool:
        return self.waived_at is not None and (
            self.waived_until is None or self.waived_until >= day
        )

    def is_current_on(self, day: date) -> bool:
        """In force on ``day``: issued, and not past its expiry (a running waiver counts)."""
        if self.is_waived_on(day):
            return True
        return self.issued_on <= day and (self.expires_on is None or self.expires_on >= day)

    def state_on(self, day: date) -> str:
        if self.is_waived_on(day):
            return CredentialState.WAIVED
        if self.expires_on is not None and self.expires_on < day:
            return CredentialState.EXPIRED
        if self.verified_at is not None:
            return CredentialState.VERIFIED
        return CredentialState.PENDING

    def state_label_on(self, day: date) -> str:
        return CredentialState(self.state_on(day)).label

    def days_left_on(self, day: date) -> int | None:
        return None if self.expires_on is None else (self.expires_on - day).days

    def next_reminder_after(self, reminded: int | None) -> date | None:
        """The day the next reminder falls due, after the one for ``reminded`` days (None: none
        sent yet); None when no threshold is left or the credential does not expire."""
        return next_reminder(self.expires_on, self.credential_type.reminder_thresholds(), reminded)

    def reminder_label(self) -> str:
        return self.credential_type.name

    def reminder_thresholds(self) -> list[int]:
        return self.credential_type.reminder_thresholds()


class CeRecord(OrganizationOwned, PublicModel):
    """Continuing-education hours a staff member earned: counted toward the minimums of each
    credential whose renewal period holds ``completed_on``."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="ce_records")
    category = models.ForeignKey(CeCategory, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    evidence = models.FileField(upload_to=evidence_path, max_length=200, blank=True)
    evidence_content_type = models.CharField(max_length=20, blank=True)
    evidence_size = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["staff_id", "-completed_on"]
        verbose_name = "CE record"

    def __str__(self) -> str:
        return f"{self.title} ({self.hours} h)"

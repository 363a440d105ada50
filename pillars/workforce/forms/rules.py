"""Forms for revising workforce rules kept as versioned data (supervision cadence rules and
credential types). They parse and say what changed; the services write the next version."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from pillars.core.roles import RoleCode
from pillars.workforce.models.credentials import CeCategory, CredentialType
from pillars.workforce.models.supervision import CadenceRule
from pillars.workforce.services.credentials import MEANING_FIELDS
from pillars.workforce.services.supervision import CADENCE_MEANING


class RevisionForm(forms.ModelForm):
    """A form over a copy of the current version: ``changes()`` is what the next version
    changes, field by field (an unchanged form gives none, and the service says so)."""

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class CadenceRuleForm(RevisionForm):
    role = forms.ChoiceField(
        label="Role",
        required=False,
        choices=[("", "Any role"), *RoleCode.choices],
        help_text="The rule applies to this role only; blank: to any role.",
    )

    class Meta:
        model = CadenceRule
        fields = list(CADENCE_MEANING)
        labels = {
            "name": "Name",
            "certification_status": "Certification status",
            "period_days": "Window (days)",
            "min_sessions": "Signed sessions at least, per window",
            "min_face_to_face_minutes": "Face-to-face minutes at least, per window",
            "due_soon_days": "Say 'due soon' this many days before the window closes",
            "source": "Source (the rule's authority)",
            "is_active": "In force",
        }

    # The window and "due soon" are checked by CadenceRule.clean (for every path that writes a
    # rule), which the form's validation runs.


class CredentialTypeForm(RevisionForm):
    """The expiry rule, continuing-education minimums (one field per CE category) and reminder
    days of a credential type."""

    reminder_days = forms.CharField(
        label="Reminder days before expiry",
        required=False,
        help_text="Whole days, separated by commas, for example 90, 60, 30, 7.",
    )

    class Meta:
        model = CredentialType
        # CE minimums are one field per category (below), not the stored mapping.
        fields = [
            f for f in (*MEANING_FIELDS, "name", "issuer", "reminder_days") if f != "ce_minimums"
        ]
        labels = {
            "expiry_rule": "Expires",
            "valid_months": "Months after issue",
            "fixed_month": "Fixed date: month (1-12)",
            "fixed_day": "Fixed date: day",
            "fixed_year_parity": "Fixed date: in which years",
            "ce_total_hours": "Continuing education: total hours per period",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Kept now: validating the form writes the posted values onto the instance.
        current = {code: hours for code, hours in self.instance.ce_required().items() if hours}
        self.before = {"ce_minimums": current, "reminder_days": self.instance.reminder_thresholds()}
        self.categories = list(CeCategory.objects.order_by("name"))
        for category in self.categories:
            self.fields[f"ce_{category.code}"] = forms.DecimalField(
                label=f"Of which at least, hours of {category.name}",
                required=False,
                min_value=Decimal(0),
                max_digits=6,
                decimal_places=2,
                initial=current.get(category.code),
            )
        self.initial["reminder_days"] = ", ".join(str(d) for d in self.before["reminder_days"])

    def clean_reminder_days(self) -> list[int]:
        text = self.cleaned_data.get("reminder_days") or ""
        days = []
        for part in (p.strip() for p in text.replace(";", ",").split(",")):
            if not part:
                continue
            if not part.isdigit() or not 0 < int(part) <= 730:
                raise forms.ValidationError(f"'{part}' is not a number of days between 1 and 730.")
            days.append(int(part))
        return sorted(set(days), reverse=True)

    def clean(self) -> dict[str, Any]:
        """The CE minimums from their fields, onto the instance: ``CredentialType.clean`` (run
        next, by the form's validation) checks them with the expiry rule."""
        data = super().clean() or {}
        minimums = {
            c.code: data[f"ce_{c.code}"] for c in self.categories if data.get(f"ce_{c.code}")
        }
        data["ce_minimums"] = minimums
        self.instance.ce_minimums = {c: format(h, "f") for c, h in minimums.items()}
        return data

    def changes(self) -> dict[str, Any]:
        found = {n: v for n, v in super().changes().items() if not n.startswith("ce_")}
        if found.get("reminder_days") == self.before["reminder_days"]:
            del found["reminder_days"]
        minimums = self.cleaned_data["ce_minimums"]
        if minimums != self.before["ce_minimums"]:
            found["ce_minimums"] = {c: format(h.normalize(), "f") for c, h in minimums.items()}
        return found

"""The incidents app's reference data in the admin (administrators only, every save audited,
nothing deleted): the de-escalation taxonomy and the notification rules. A changed rule sets the
deadlines of incidents submitted afterwards; deadlines already computed stay as they were."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from pillars.incidents.models import DeescalationStep, NotificationRule
from pillars.people.admin import ReferenceAdmin

# A deadline longer than 30 days is not a deadline any regulation sets; a typo, more likely.
MAX_WITHIN_MINUTES = 30 * 24 * 60


class NotificationRuleForm(forms.ModelForm):
    class Meta:
        model = NotificationRule
        fields = ["recipient", "condition", "within_minutes", "description", "is_active"]
        help_texts = {
            "within_minutes": "How long after the incident it is due, in minutes (24 h = 1440).",
        }

    def clean_within_minutes(self) -> int:
        minutes = self.cleaned_data["within_minutes"]
        if not 1 <= minutes <= MAX_WITHIN_MINUTES:
            raise forms.ValidationError(
                f"A deadline is between 1 minute and {MAX_WITHIN_MINUTES} minutes (30 days)."
            )
        return int(minutes)


@admin.register(NotificationRule)
class NotificationRuleAdmin(ReferenceAdmin):
    form = NotificationRuleForm
    list_display = ["recipient", "condition", "within_minutes", "is_active", "description"]
    list_filter = ["recipient", "condition", "is_active"]


class DeescalationStepForm(forms.ModelForm):
    class Meta:
        model = DeescalationStep
        fields = ["code", "label", "sort_order", "is_active"]

    def clean_label(self) -> str:
        label = " ".join(str(self.cleaned_data["label"]).split())
        if not label:
            raise forms.ValidationError("A step needs a label staff will recognise.")
        return label


@admin.register(DeescalationStep)
class DeescalationStepAdmin(ReferenceAdmin):
    form = DeescalationStepForm
    list_display = ["label", "code", "sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]
    fixed_once_saved = ("code",)  # incidents name their steps (deactivate one instead)

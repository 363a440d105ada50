"""Workforce forms: retention."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField
from pillars.workforce.models.retention import ExitReasonKind


class ExitInterviewForm(forms.Form):
    held_on = DayField(label="Held on", widget=DateInput())
    reason = forms.ChoiceField(label="Reason, as the interview found it", required=False)
    would_return = forms.NullBooleanField(label="Would they come back?", required=False)
    what_helped = forms.CharField(
        label="What helped them stay", required=False, max_length=2000, widget=forms.Textarea
    )
    what_would_change = forms.CharField(
        label="What would have kept them", required=False, max_length=2000, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        assert isinstance(reason, forms.ChoiceField)
        reason.choices = [("", "As recorded at exit")] + [
            (k.code, str(k)) for k in ExitReasonKind.objects.filter(is_active=True)
        ]


class ByForm(forms.Form):
    by = forms.ChoiceField(choices=[("role", "Role"), ("unit", "Unit")], required=False)

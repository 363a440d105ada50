"""Forms for checks a tablet set aside: they parse shape; the services decide every rule."""

from __future__ import annotations

from django import forms

from pillars.core.formtools import LocalDateTimeField
from pillars.rounds.choices import Activity, Location, SafetyStatus


class RecordForm(forms.Form):
    observed_at = LocalDateTimeField(label="Seen at")
    location = forms.ChoiceField(label="Where", choices=[("", "Choose where"), *Location.choices])
    activity = forms.ChoiceField(label="Doing", choices=[("", "Choose what"), *Activity.choices])
    safety_status = forms.ChoiceField(label="Status", choices=SafetyStatus.choices)
    note = forms.CharField(label="Note", required=False, max_length=400)
    late_reason = forms.CharField(
        label="Reason for the late entry",
        required=False,
        max_length=300,
        help_text="Needed when the check is entered long after it was seen.",
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Why it is closed without recording it", max_length=500, widget=forms.Textarea
    )

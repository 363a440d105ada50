"""The form of a check recorded by scanning the room's code: it parses shape; the service
decides every rule."""

from __future__ import annotations

from django import forms

from pillars.rounds import presence
from pillars.rounds.choices import Activity, Location, SafetyStatus


class TypedCodeForm(forms.Form):
    """A room or bed code typed on the scanner's page, read as ``presence.normalise`` reads it
    (spaces, dashes and case aside)."""

    code = forms.CharField(strip=True)

    def clean_code(self) -> str:
        typed = self.cleaned_data["code"]
        code = presence.normalise(typed)
        if len(code) != presence.LENGTH:
            raise forms.ValidationError(
                f"“{typed[:40]}” is not a room code: a code has ten letters and digits, "
                "for example ABCDE-FGHIJ."
            )
        return code


class ScanCheckForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    location = forms.ChoiceField(choices=Location.choices, initial=Location.BEDROOM)
    activity = forms.ChoiceField(choices=Activity.choices)
    safety_status = forms.ChoiceField(
        choices=SafetyStatus.choices, initial=SafetyStatus.SAFE, widget=forms.RadioSelect
    )
    note = forms.CharField(max_length=500, required=False)

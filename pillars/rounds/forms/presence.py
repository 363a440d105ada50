"""The form of a check recorded by scanning the room's code: it parses shape; the service
decides every rule."""

from __future__ import annotations

from django import forms

from pillars.rounds.choices import Activity, Location, SafetyStatus


class ScanCheckForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    location = forms.ChoiceField(choices=Location.choices, initial=Location.BEDROOM)
    activity = forms.ChoiceField(choices=Activity.choices)
    safety_status = forms.ChoiceField(
        choices=SafetyStatus.choices, initial=SafetyStatus.SAFE, widget=forms.RadioSelect
    )
    note = forms.CharField(max_length=500, required=False)

"""The form of a check posted from the board (a tap, or a page without JavaScript): it parses
shape; the service decides every rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dateparse import parse_datetime

from pillars.core import clock


class CheckForm(forms.Form):
    """The shape of a posted check; the service decides every rule (late entry, choices)."""

    client_id = forms.UUIDField(required=False)
    observed_at = forms.CharField(required=False, max_length=64)
    location = forms.CharField(required=False, max_length=20)
    activity = forms.CharField(required=False, max_length=20)
    safety_status = forms.CharField(required=False, max_length=12)
    note = forms.CharField(required=False, max_length=500)
    late_reason = forms.CharField(required=False, max_length=300)

    def clean_observed_at(self) -> Any:
        text = self.cleaned_data["observed_at"].strip()
        if not text:
            # A page without JavaScript has no device clock: the server's moment stands in.
            return clock.now()
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError("Send the moment as an ISO 8601 date and time.")
        return moment

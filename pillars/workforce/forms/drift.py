"""The time-log form: a day, a kind of non-peer task, minutes."""

from __future__ import annotations

from django import forms

from pillars.core.formtools import DateInput, DayField
from pillars.workforce.models.drift import NonPeerTask


class TimeLogForm(forms.Form):
    worked_on = DayField(label="Day", widget=DateInput())
    task = forms.ChoiceField(label="Task", choices=NonPeerTask.choices)
    minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=24 * 60)
    note = forms.CharField(label="Note", required=False, max_length=200)

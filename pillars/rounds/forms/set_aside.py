"""Forms for checks a tablet set aside: they parse shape; the services decide every rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from pillars.core import clock
from pillars.core.formtools import LOCAL_INPUT, LocalDateTimeField
from pillars.rounds.choices import Activity, Location, SafetyStatus


class QueuedMomentField(LocalDateTimeField):
    """The moment a set-aside check was seen, typed in the unit's local time. The local time
    the tablet queued (to the minute, as the form shows it) stands for the queued moment
    itself: on the night the clocks go back 01:30 names two moments, and a form refuses it
    as ambiguous, so without this the check could be recorded only at a wrong time."""

    queued: datetime | None = None

    def to_python(self, value: Any) -> Any:
        if self.queued is not None and isinstance(value, str):
            shown = clock.local(self.queued, timezone.get_current_timezone())
            if value.strip() in (shown.strftime(LOCAL_INPUT), shown.strftime("%Y-%m-%dT%H:%M:%S")):
                return self.queued
        return super().to_python(value)


class RecordForm(forms.Form):
    observed_at = QueuedMomentField(label="Seen at")
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

    def __init__(self, *args: Any, queued: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["observed_at"].queued = queued  # type: ignore[attr-defined]


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Why it is closed without recording it", max_length=500, widget=forms.Textarea
    )

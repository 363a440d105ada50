"""Forms for trainings: they parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField
from pillars.workforce.forms.credentials import evidence_field
from pillars.workforce.models.trainings import Course


class CompletionForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=Course.objects.none(), label="Course", to_field_name="code"
    )
    completed_on = DayField(label="Completed on", widget=DateInput())
    evidence = evidence_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(is_active=True)  # type: ignore[attr-defined]

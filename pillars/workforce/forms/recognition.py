"""Workforce forms: recognition."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from pillars.core.formtools import TextAreaField
from pillars.people.models import Staff


class RecognitionForm(forms.Form):
    to = forms.ModelChoiceField(
        label="Colleague", queryset=Staff.objects.none(), to_field_name="public_id"
    )
    message = TextAreaField(label="What are you thanking them for?", max_length=500)

    def __init__(self, *args: Any, colleagues: QuerySet[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = colleagues

"""Forms for shift handoffs: they parse shape; the services decide every rule."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import LocalDateTimeField
from pillars.rounds.services import handoffs as services


class HandoffForm(forms.Form):
    starts_at = LocalDateTimeField(label="Shift starts")
    ends_at = LocalDateTimeField(label="Shift ends")


class NoteForm(forms.Form):
    person = forms.ChoiceField(label="About", required=False)
    text = forms.CharField(label="Note", widget=forms.Textarea, max_length=services.NOTE_MAX)
    reason = forms.CharField(
        label="Reason for the addendum",
        required=False,
        max_length=300,
        help_text="Needed once both sides have signed.",
    )

    def __init__(self, *args: Any, persons: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "The whole unit")] + [(p["person"], p["name"]) for p in persons]


class SignForm(forms.Form):
    side = forms.ChoiceField(choices=[("outgoing", "Outgoing"), ("incoming", "Incoming")])
    pin = forms.CharField(
        label="Your badge PIN",
        required=False,
        max_length=8,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

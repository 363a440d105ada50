"""The assessment form: built from the instrument's items (data), one set of radio buttons per
item with the scale's words. The server scores; the form only collects the answers."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField, TextAreaField
from pillars.recovery.forms import replay_key
from pillars.recovery.models.capital import Instrument


class AssessmentForm(forms.Form):
    client_id = replay_key()
    administered_on = DayField(label="Date answered", widget=DateInput())
    is_self_administered = forms.BooleanField(
        label="The person answered on their own", required=False
    )
    note = TextAreaField(label="Note (optional)", required=False, max_length=1000)

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        choices = [
            (str(v), f"{v}: {instrument.label_for(v)}")
            for v in range(instrument.scale_min, instrument.scale_max + 1)
        ]
        for item in instrument.items.all():
            self.fields[f"item_{item.number}"] = forms.ChoiceField(
                label=f"{item.number}. {item.text}",
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
            )
        if not instrument.is_self_administrable:
            del self.fields["is_self_administered"]

    def item_fields(self) -> list[Any]:
        return [self[f"item_{i.number}"] for i in self.instrument.items.all()]

    def other_fields(self) -> list[Any]:
        return [
            self[n] for n in ("administered_on", "is_self_administered", "note") if n in self.fields
        ]

    def answers(self) -> dict[str, Any]:
        """The answers by item number; unanswered items are left for the service to name."""
        return {
            str(i.number): self.cleaned_data.get(f"item_{i.number}") or None
            for i in self.instrument.items.all()
        }

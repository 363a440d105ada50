"""Workforce forms: wellbeing. The check-in form is built from the instrument's items (data),
one set of radio buttons per item with the scale's words; the server scores."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.workforce.models.wellbeing import CheckInInstrument


class CheckInForm(forms.Form):
    def __init__(self, *args: Any, instrument: CheckInInstrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.items = list(instrument.items.all())
        choices = [(str(c["value"]), str(c["label"])) for c in instrument.scale]
        for item in self.items:
            self.fields[f"q{item.number}"] = forms.ChoiceField(
                label=f"{item.number}. {item.text}",
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
            )

    def item_fields(self) -> list[Any]:
        return [self[f"q{i.number}"] for i in self.items]

    def answers(self) -> dict[str, Any]:
        """The answers by item number; unanswered items are left for the service to name."""
        return {str(i.number): self.cleaned_data.get(f"q{i.number}") or None for i in self.items}


class AggregateForm(forms.Form):
    """The only choices an aggregate offers: a level and a completed quarter."""

    level = forms.ChoiceField(
        choices=[("team", "My team"), ("unit", "Units"), ("organization", "Organization")],
        required=False,
    )
    quarter = forms.CharField(required=False, max_length=7)

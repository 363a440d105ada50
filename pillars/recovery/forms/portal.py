"""Forms on the person's own page and for issuing access. Labels speak to the person ("you")
on their pages; the server checks and scores everything."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import TextAreaField
from pillars.recovery.forms import replay_key
from pillars.recovery.forms.capital import AssessmentForm
from pillars.recovery.models.plans import ATTAINMENT
from pillars.recovery.services.plans import MAX_NOTE


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your peer specialist",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


class OwnProgressForm(forms.Form):
    client_id = replay_key()
    note = TextAreaField(label="How is it going? In your own words", max_length=MAX_NOTE)
    attainment = forms.TypedChoiceField(
        label="How close does the goal feel?",
        choices=[("", "I'd rather not say")] + [(k, f"{k}: {v}") for k, v in ATTAINMENT.items()],
        coerce=int,
        empty_value=None,
        required=False,
    )


class OwnBarcForm(AssessmentForm):
    """The BARC-10 answered by the person on their own page: today's date, self-administered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("administered_on", "is_self_administered"):
            self.fields.pop(name, None)

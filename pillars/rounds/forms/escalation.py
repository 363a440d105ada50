"""Forms for a unit's escalation chain: they parse shape; the service decides every rule."""

from __future__ import annotations

from django import forms

from pillars.rounds.choices import Recipient


class StepForm(forms.Form):
    """One row of the chain; shape only (the service decides the rules). A blank row is
    skipped."""

    position = forms.IntegerField(required=False, min_value=1, max_value=99)
    after_minutes = forms.IntegerField(
        required=False, min_value=0, max_value=24 * 60, label="Minutes after due"
    )
    recipient = forms.ChoiceField(
        required=False, choices=[("", "(no step)"), *Recipient.choices], label="Who is alerted"
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) not in (None, "") for name in self.fields)


class ChainForm(forms.Form):
    """The page's own form: whether to go back to the default chain."""

    use_default = forms.BooleanField(required=False, label="Use the default chain instead")

"""Forms of supervision: recording a session, an addendum, supervised work hours, a letter,
a supervisee's profile. They parse; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from pillars.core.formtools import (
    DateInput,
    DayField,
    LocalDateTimeField,
    TextAreaField,
    addendum_form,
    split_list,
    ticks,
)
from pillars.workforce.models.supervision import CertificationStatus, SupervisionKind
from pillars.workforce.services.supervision import MAX_MINUTES, MAX_TEXT


class SessionForm(forms.Form):
    supervisees = forms.MultipleChoiceField(
        label="Supervisees (one: individual; several: group)",
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(
        label="Kind of supervision", choices=SupervisionKind.choices, widget=forms.RadioSelect
    )
    is_face_to_face = forms.BooleanField(label="Face to face", required=False, initial=True)
    started_at = LocalDateTimeField(label="Started at")
    minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=MAX_MINUTES)
    topics = forms.CharField(
        label="Topics", required=False, max_length=1000, help_text="Separate topics by commas."
    )
    notes = TextAreaField(label="Notes", required=False, max_length=MAX_TEXT, rows=5)
    close_items = ticks("Action items done (close them)")
    action_items = TextAreaField(
        label="New action items",
        required=False,
        max_length=3000,
        rows=3,
        help_text="One per line; each goes to every supervisee in the session.",
    )
    sign = forms.BooleanField(label="Sign now as the supervisor", required=False, initial=True)

    def __init__(
        self, *args: Any, supervisees: list[Any], open_items: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisees"].choices = [(str(s.public_id), str(s)) for s in supervisees]  # type: ignore[attr-defined]
        self.fields["close_items"].choices = [  # type: ignore[attr-defined]
            (str(i.public_id), f"{i.supervisee}: {i.text}") for i in open_items
        ]
        if not open_items:
            del self.fields["close_items"]

    def clean_topics(self) -> list[str]:
        return split_list(self.cleaned_data.get("topics") or "")

    def clean_action_items(self) -> list[str]:
        text = self.cleaned_data.get("action_items") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


SessionAddendumForm = addendum_form(MAX_TEXT)


class WorkHoursForm(forms.Form):
    period_start = DayField(label="From", widget=DateInput())
    period_end = DayField(label="To", widget=DateInput())
    hours = forms.DecimalField(
        label="Supervised hours", min_value=Decimal("0.5"), max_digits=6, decimal_places=1
    )
    note = forms.CharField(label="Note", required=False, max_length=300)


class LetterForm(forms.Form):
    rule = forms.ChoiceField(label="For the certification")
    period_start = DayField(label="From", widget=DateInput())
    period_end = DayField(label="To", widget=DateInput())
    credential = forms.CharField(label="Sign with your credential", max_length=100)

    def __init__(self, *args: Any, rules: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(str(r.public_id), str(r)) for r in rules]  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    status = forms.ChoiceField(label="Certification status", choices=CertificationStatus.choices)
    cadence_rule = forms.ChoiceField(label="Cadence rule", required=False)
    target = forms.ChoiceField(label="Hours count toward", required=False)

    def __init__(self, *args: Any, rules: list[Any], targets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cadence_rule"].choices = [("", "The rule for the role and status")] + [  # type: ignore[attr-defined]
            (str(r.public_id), str(r)) for r in rules
        ]
        self.fields["target"].choices = [("", "No target")] + [  # type: ignore[attr-defined]
            (str(r.public_id), str(r)) for r in targets
        ]

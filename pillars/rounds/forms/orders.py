"""Forms for ordering levels, ending them, correcting checks and keeping the levels.

They parse and check shape only; the services decide every rule (current version, reason
required, grace between 1 and 3 intervals, ...)."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import LocalDateTimeField, addendum_form, text_box, ticks
from pillars.rounds.choices import Precaution
from pillars.rounds.models import ObservationLevel


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ObservationLevel) -> str:
        return f"{obj.name} ({obj.code})"


class OrderForm(forms.Form):
    level = LevelChoiceField(
        label="Level",
        queryset=ObservationLevel.objects.none(),
        to_field_name="public_id",
        empty_label="Choose a level",
    )
    precautions = ticks("Precautions", Precaution.choices)
    reason = text_box(
        "Reason",
        rows=3,
        max_length=1000,
        help_text="Why this level now. It is kept in the person's level history.",
    )
    instructions = text_box("Special instructions", rows=3, required=False, max_length=2000)
    started_at = LocalDateTimeField(label="Starts at", required=False)

    def __init__(self, *args: Any, levels: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = levels  # type: ignore[attr-defined]
        self.fields[
            "started_at"
        ].help_text = f"In the unit's time ({zone_name}). Leave as it is to start now."


class EndOrderForm(forms.Form):
    reason = text_box("Why observation ends", rows=2, max_length=1000)


AddendumForm = addendum_form(
    2000, reason_help="For example: wrong location chosen, entered for the wrong person."
)


STAFF_RATIOS = [(0, "None (intermittent checks)"), (1, "1:1"), (2, "2:1")]


class LevelForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    interval_minutes = forms.IntegerField(
        label="Check every (minutes)",
        help_text="For continuous levels (1:1, 2:1, line of sight): how often it is documented.",
    )
    grace_factor = forms.DecimalField(
        label="Grace (intervals)",
        max_digits=4,
        decimal_places=2,
        help_text="A check is late, not missed, until this many intervals after the last one. "
        "1.5 is the common rule (22.5 minutes for every 15 minutes).",
    )
    due_window_minutes = forms.IntegerField(
        label="Shown as due (minutes before)",
    )
    staff_ratio = forms.TypedChoiceField(
        label="Staff with this person alone", choices=STAFF_RATIOS, coerce=int
    )
    is_line_of_sight = forms.BooleanField(label="Always in sight", required=False)
    requires_presence_proof = forms.BooleanField(
        label="Scan the room code for each check",
        required=False,
        help_text="Proof of presence: the check is recorded by scanning the room or bed code.",
    )
    sort_order = forms.IntegerField(label="Place in lists", help_text="Lower comes first.")


class NewLevelForm(LevelForm):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="Short and permanent, for example q10. Lowercase letters, digits, hyphens.",
    )
    field_order = ["code", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sort_order"].required = False
        self.fields["sort_order"].help_text = "Lower comes first. Leave empty to add it last."

"""Forms for wellness plans and goals. Each section is typed one entry per line, so the page
needs no script; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField, TextAreaField, plan_sign_form
from pillars.recovery.forms import replay_key
from pillars.recovery.models.plans import (
    ATTAINMENT,
    WELLNESS_PARTS,
    LifeDomain,
    WellnessPersonSignature,
    WellnessSection,
)
from pillars.recovery.services.plans import MAX_ENTRIES, MAX_NOTE, MAX_STATEMENT, MAX_TEXT

HINTS = {
    WellnessSection.TOOLBOX: "Things that help you stay well or feel better. One per line.",
    WellnessSection.WHEN_WELL: "Words that describe you when you feel well. One per line.",
    WellnessSection.EVERY_DAY: "What you do each day to keep well. One per line.",
    WellnessSection.MIGHT_DO: "Things that help on some days, when you have time. One per line.",
    WellnessSection.TRIGGERS: "Things that can upset you, and what you will do. One per line, "
    "for example: loud arguments: go for a walk and call my sister.",
    WellnessSection.EARLY_WARNING: "Small signs that you are not feeling as well. One per line.",
    WellnessSection.BREAKING_DOWN: "Signs that things are getting much harder, and what helps "
    "then. One per line.",
    WellnessSection.CRISIS: "What others can do, who you want involved, and what you do not "
    "want, if you cannot act for yourself. One per line.",
    WellnessSection.AFTER_CRISIS: "What helps you recover after a crisis. One per line.",
}


class WellnessPlanForm(forms.Form):
    """One text area per section, grouped into the plan's seven parts on the page."""

    review_on = DayField(label="Look at the plan again together on", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in WellnessSection.choices:
            self.fields[code] = TextAreaField(
                label=label,
                required=False,
                max_length=MAX_ENTRIES * (MAX_TEXT + 1) - 1,
                help_text=f"{HINTS[WellnessSection(code)]} Up to {MAX_ENTRIES} lines.",
            )

    @staticmethod
    def initial_from(content: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
        return {
            code: "\n".join(e.get("text", "") for e in content.get(code, []))
            for code in WellnessSection.values
        }

    def content(self) -> dict[str, list[dict[str, str]]]:
        return {
            code: [{"text": line} for line in self.cleaned_data[code].splitlines()]
            for code in WellnessSection.values
        }

    def parts(self) -> list[dict[str, Any]]:
        return [
            {"title": title, "fields": [self[s.value] for s in sections]}
            for title, sections in WELLNESS_PARTS
        ]


WellnessSignForm = plan_sign_form(WellnessPersonSignature.choices, staff_as="their peer specialist")


class GoalForm(forms.Form):
    client_id = replay_key()
    domain = forms.ChoiceField(label="Part of life", choices=LifeDomain.choices)
    statement = TextAreaField(label="The goal, in the person's own words", max_length=MAX_STATEMENT)
    target_on = DayField(label="Target date", required=False, widget=DateInput())
    steps = TextAreaField(
        label="First steps",
        required=False,
        max_length=20 * 301,
        help_text="One step per line; dates can be added to each step later.",
    )

    def step_list(self) -> list[dict[str, Any]]:
        return [{"text": line} for line in self.cleaned_data["steps"].splitlines()]


class StepForm(forms.Form):
    client_id = replay_key()
    text = forms.CharField(label="New step", max_length=300)
    target_on = DayField(label="Target date for the step", required=False, widget=DateInput())


class ProgressForm(forms.Form):
    client_id = replay_key()
    note = TextAreaField(label="How it is going, in the person's words", max_length=MAX_NOTE)
    attainment = forms.TypedChoiceField(
        label="How close does the goal feel?",
        choices=[("", "Not said")] + [(k, f"{k}: {v}") for k, v in ATTAINMENT.items()],
        coerce=int,
        empty_value=None,
        required=False,
    )
    noted_on = DayField(label="Date", required=False, widget=DateInput())
    by_person = forms.BooleanField(label="The person wrote this themselves", required=False)


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=[
            ("active", "Working on it"),
            ("achieved", "Achieved"),
            ("set_aside", "Set aside by the person"),
        ],
    )

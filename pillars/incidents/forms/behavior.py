"""Forms of the behavior area. They parse and check shape only; the services decide every rule
(targets defined, reason for a change, late entries, measures)."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField, LocalDateTimeField, addendum_form, text_box
from pillars.incidents.models import BehaviorPlan, Measure, TargetBehavior

TARGET_SLOTS = 4
OTHER = "__other__"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class PlanForm(forms.Form):
    effective_on = DayField(label="Takes effect on", widget=DateInput())
    summary = text_box("Summary", rows=3, required=False, max_length=5000)
    replacement_behaviors = text_box(
        "Replacement behaviors",
        rows=3,
        required=False,
        max_length=5000,
        help_text="What the person is supported to do instead.",
    )
    antecedent_strategies = text_box(
        "Antecedent strategies",
        rows=3,
        required=False,
        max_length=5000,
        help_text="What staff do beforehand to make the behavior less likely.",
    )
    reinforcement_schedule = text_box(
        "Positive reinforcement", rows=2, required=False, max_length=5000
    )
    reinforcement_interval_minutes = forms.IntegerField(
        label="Reinforcement interval (minutes)", required=False, min_value=1
    )
    antecedents = text_box(
        "Antecedents to pick from",
        rows=4,
        required=False,
        help_text="One per line. Staff pick from these when they record behavior.",
    )
    consequences = text_box(
        "Consequences to pick from", rows=4, required=False, help_text="One per line."
    )
    change_reason = forms.CharField(
        label="Why the plan changes",
        required=False,
        max_length=500,
        help_text="Needed when changing a plan; kept with the new version.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, TARGET_SLOTS + 1):
            self.fields[f"target_{n}_name"] = forms.CharField(
                label=f"Target behavior {n}", required=False, max_length=120
            )
            self.fields[f"target_{n}_definition"] = text_box(
                f"Operational definition {n}",
                rows=2,
                required=False,
                max_length=2000,
                help_text="Observable and countable, so that any two staff count it alike.",
            )
            self.fields[f"target_{n}_measure"] = forms.ChoiceField(
                label=f"Measured by {n}",
                required=False,
                choices=[("", "Choose"), *Measure.choices],
            )

    def targets(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        found = []
        for n in range(1, TARGET_SLOTS + 1):
            name = data.get(f"target_{n}_name", "")
            definition = data.get(f"target_{n}_definition", "")
            measure = data.get(f"target_{n}_measure", "")
            if name or definition or measure:
                found.append({"name": name, "definition": definition, "measure": measure})
        return found

    def lists(self) -> tuple[list[str], list[str]]:
        return _lines(self.cleaned_data["antecedents"]), _lines(self.cleaned_data["consequences"])

    @staticmethod
    def initial_from(plan: BehaviorPlan) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "summary": plan.summary,
            "replacement_behaviors": plan.replacement_behaviors,
            "antecedent_strategies": plan.antecedent_strategies,
            "reinforcement_schedule": plan.reinforcement_schedule,
            "reinforcement_interval_minutes": plan.reinforcement_interval_minutes,
            "antecedents": "\n".join(plan.antecedents),
            "consequences": "\n".join(plan.consequences),
        }
        for n, target in enumerate(plan.targets.all()[:TARGET_SLOTS], start=1):
            initial[f"target_{n}_name"] = target.name
            initial[f"target_{n}_definition"] = target.definition
            initial[f"target_{n}_measure"] = target.measure
        return initial


class PhaseForm(forms.Form):
    name = forms.CharField(
        label="Phase", max_length=80, help_text="For example: baseline, intervention, fading."
    )
    started_on = DayField(label="Starts on", widget=DateInput())
    note = forms.CharField(label="Note", required=False, max_length=500)


class ContractForm(forms.Form):
    terms = text_box("Terms", rows=4, max_length=5000)
    rewards = text_box("Rewards", rows=3, max_length=5000)
    review_on = DayField(label="Review on", widget=DateInput())


class SignForm(forms.Form):
    signer = forms.ChoiceField(
        label="Who signs",
        choices=[("person", "The person served (in my presence)"), ("staff", "Me, for staff")],
        widget=forms.RadioSelect,
    )
    signed_name = forms.CharField(
        label="Name the person served signs with",
        required=False,
        max_length=200,
        help_text="Only when the person served signs.",
    )


class RecordForm(forms.Form):
    """The fast ABC form: picks from the plan's lists, or free text under "Other"."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    target = forms.ChoiceField(
        label="Behavior",
        widget=forms.RadioSelect,
        # A target not offered belongs to an older version of the plan (the form was shown
        # before the plan changed).
        error_messages={"invalid_choice": "The plan has changed since this form was opened."},
    )
    antecedent = forms.ChoiceField(label="Antecedent (just before)", widget=forms.RadioSelect)
    antecedent_other = forms.CharField(label="Other antecedent", required=False, max_length=300)
    consequence = forms.ChoiceField(label="Consequence (right after)", widget=forms.RadioSelect)
    consequence_other = forms.CharField(label="Other consequence", required=False, max_length=300)
    count = forms.IntegerField(label="Count", min_value=1, max_value=500, initial=1)
    duration_seconds = forms.IntegerField(
        label="Duration (seconds)", required=False, min_value=0, max_value=86400
    )
    intensity = forms.TypedChoiceField(
        label="Intensity",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
        help_text="1 mild to 5 severe.",
    )
    behavior = forms.CharField(
        label="What happened", required=False, max_length=500, help_text="Optional, in plain words."
    )
    setting = forms.CharField(label="Where", required=False, max_length=120)
    observed_at = LocalDateTimeField(label="When")
    late_reason = forms.CharField(
        label="Why entered late",
        required=False,
        max_length=300,
        help_text="Needed when entered more than 10 minutes after the behavior.",
    )

    def __init__(self, *args: Any, plan: BehaviorPlan, targets: list[TargetBehavior], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["target"].choices = [(str(t.public_id), t.name) for t in targets]  # type: ignore[attr-defined]
        self.fields["antecedent"].choices = [  # type: ignore[attr-defined]
            *[(a, a) for a in plan.antecedents],
            (OTHER, "Other (write it below)"),
        ]
        self.fields["consequence"].choices = [  # type: ignore[attr-defined]
            *[(c, c) for c in plan.consequences],
            (OTHER, "Other (write it below)"),
        ]

    def picked(self, name: str) -> str:
        value = self.cleaned_data[name]
        return self.cleaned_data[f"{name}_other"] if value == OTHER else value


AddendumForm = addendum_form(2000)


class EndPlanForm(forms.Form):
    """Ending a plan: the date, the reason and a confirmation (the end cannot be undone; a new
    plan is written instead)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    ended_on = DayField(label="Ends on", widget=DateInput())
    reason = text_box(
        "Why the plan ends",
        rows=3,
        max_length=500,
        help_text="Kept with the plan and shown in its history.",
    )
    confirm = forms.BooleanField(
        label="I confirm: recording behavior against this plan stops, and its open contracts "
        "end with it.",
        error_messages={"required": "Confirm that the plan ends."},
    )

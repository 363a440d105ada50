"""Forms for peer encounters: one person, a group (shared fields and a row per attendee), an
addendum, a void, and scheduling a video session. The services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import LocalDateTimeField, TextAreaField, addendum_form, ticks
from pillars.people.models import PersonServed
from pillars.recovery.forms import replay_key
from pillars.recovery.models.encounters import Modality, PeerActivity, Setting
from pillars.recovery.models.plans import Goal
from pillars.recovery.services.encounters import MAX_MINUTES, MAX_NOTE, MAX_TEXT

# The narrative fields post to the scope-guard check as the peer types (debounced; htmx).
CHECK_ATTRS = {
    "hx-trigger": "keyup changed delay:600ms",
    "hx-target": "#scope-guard",
    "hx-swap": "innerHTML",
    "hx-include": "[data-narrative]",
    "data-narrative": "",
}

PER_PERSON = ("attend_", "note_", "goal_")
ATTEND_CHOICES = [("", "Not invited"), ("present", "Came"), ("absent", "Did not come")]


def _narrative(label: str, help_text: str, check_url: str, required: bool = False) -> Any:
    return TextAreaField(
        label=label,
        required=required,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3, "hx-post": check_url, **CHECK_ATTRS}),
    )


class _Shared(forms.Form):
    client_id = replay_key()
    modality = forms.ChoiceField(label="How you met", choices=Modality.choices)
    setting = forms.ChoiceField(label="Where", choices=Setting.choices)
    started_at = LocalDateTimeField(label="Started at")
    minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=MAX_MINUTES)
    activities = ticks("Activities", [])
    credential = forms.CharField(
        label="Sign with credential",
        max_length=100,
        required=False,
        help_text="As it should show beside your name, for example CPS. Your job title is used "
        "when this is blank.",
    )

    def __init__(
        self, *args: Any, activities: list[PeerActivity], check_url: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["activities"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(a.code, a.label) for a in activities]
        self.check_url = check_url

    def note_data(self) -> dict[str, Any]:
        """The facts every encounter note carries, for the service that records it."""
        return {name: self.cleaned_data[name] for name in NOTE_FIELDS}


# What one encounter and a group session record alike (the narratives are added per form).
NOTE_FIELDS = (
    "modality",
    "setting",
    "started_at",
    "minutes",
    "what_was_done",
    "purpose",
    "activities",
    "credential",
)


class EncounterForm(_Shared):
    """One encounter with one person served."""

    goal = forms.ChoiceField(label="The goal it serves", required=False, choices=[])
    written_with_person = forms.BooleanField(
        label="Written with the person present", required=False
    )

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        goal = self.fields["goal"]
        assert isinstance(goal, forms.ChoiceField)
        goal.choices = [("", "No goal chosen")] + [(str(g.public_id), str(g)) for g in goals]
        self._goals = {str(g.public_id): g for g in goals}
        url = self.check_url
        self.fields["what_was_done"] = _narrative(
            "What was done", "What you did together, in plain words.", url, required=True
        )
        self.fields["purpose"] = _narrative(
            "Its purpose", "Why: the person's goal or wish it served.", url
        )
        self.fields["person_response"] = _narrative(
            "The person's response", "What the person said or chose, their strengths.", url
        )
        self.fields["next_steps"] = _narrative("Next steps", "What happens next, and who.", url)

    def chosen_goal(self) -> Goal | None:
        return self._goals.get(self.cleaned_data.get("goal") or "")


class GroupForm(_Shared):
    """A group session: the shared fields, then attendance and a short note per person."""

    topic = forms.CharField(label="Topic", max_length=200)

    def __init__(
        self,
        *args: Any,
        candidates: list[PersonServed],
        goals: dict[int, list[Goal]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        url = self.check_url
        self.fields["what_was_done"] = _narrative(
            "What the group did", "Shared by every attendee's record.", url, required=True
        )
        self.fields["purpose"] = _narrative("Its purpose", "Why the group met.", url)
        self.candidates = candidates
        self._goals = {p.pk: {str(g.public_id): g for g in goals.get(p.pk, [])} for p in candidates}
        for n, person in enumerate(candidates):
            self.fields[f"attend_{n}"] = forms.ChoiceField(
                label=f"{person.display_name}: attendance",
                choices=ATTEND_CHOICES,
                required=False,
            )
            self.fields[f"note_{n}"] = TextAreaField(
                label=f"{person.display_name}: short note",
                required=False,
                max_length=MAX_NOTE,
                rows=2,
            )
            self.fields[f"goal_{n}"] = forms.ChoiceField(
                label=f"{person.display_name}: goal it served",
                required=False,
                choices=[("", "No goal chosen")]
                + [(str(g.public_id), str(g)) for g in goals.get(person.pk, [])],
            )

    def shared_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if not name.startswith(PER_PERSON)]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "person": p,
                "attend": self[f"attend_{n}"],
                "note": self[f"note_{n}"],
                "goal": self[f"goal_{n}"],
                "has_goals": bool(self._goals[p.pk]),
            }
            for n, p in enumerate(self.candidates)
        ]

    def attendees(self) -> list[tuple[PersonServed, bool, str, Goal | None]]:
        data = self.cleaned_data
        chosen = []
        for n, person in enumerate(self.candidates):
            attend = data.get(f"attend_{n}") or ""
            if not attend:
                continue
            goal = self._goals[person.pk].get(data.get(f"goal_{n}") or "")
            chosen.append((person, attend == "present", data.get(f"note_{n}") or "", goal))
        return chosen


AddendumForm = addendum_form(
    MAX_TEXT, reason_label="Reason for the addendum", text_label="Addendum"
)


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding",
        max_length=300,
        help_text="For example: written for the wrong person. The record stays readable.",
    )


class ScheduleForm(forms.Form):
    client_id = replay_key()
    scheduled_at = LocalDateTimeField(label="When")
    minutes_planned = forms.IntegerField(
        label="Minutes planned", min_value=5, max_value=MAX_MINUTES, initial=30
    )

"""Forms of referrals: a referral to a directory service, a logged outside referral, a status
update and reopening. The services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DayField, text_box
from pillars.recovery.forms import replay_key
from pillars.recovery.models.referrals import ReferralOutcomeReason, ReferralStatus


def _goal_choices(goals: list[Any]) -> list[tuple[str, str]]:
    return [("", "No goal linked"), *((str(g.public_id), g.statement[:80]) for g in goals)]


class ReferForm(forms.Form):
    """What the peer writes when sending a referral to a directory service."""

    client_id = replay_key()
    reason = text_box("What the person hopes this service helps with", rows=3, max_length=2000)
    goal = forms.ChoiceField(label="Recovery goal it supports", required=False)
    follow_up_on = DayField(
        label="Follow up on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    confirm = forms.BooleanField(
        label="The person agrees to this referral and I have read what will be sent",
        required=True,
    )

    def __init__(self, *args: Any, goals: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goals = {str(g.public_id): g for g in goals or []}
        self.fields["goal"].choices = _goal_choices(list(goals or []))  # type: ignore[attr-defined]

    def chosen_goal(self) -> Any:
        return self.goals.get(self.cleaned_data.get("goal") or "")


class LogForm(forms.Form):
    """A referral made outside Pillars, to an organization named in words."""

    client_id = replay_key()
    organization = forms.CharField(label="Organization", max_length=300)
    contact = forms.CharField(label="Contact (name or phone)", max_length=300, required=False)
    reason = text_box("What the person hopes this organization helps with", rows=3, max_length=2000)
    follow_up_on = DayField(
        label="Follow up on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class StatusForm(forms.Form):
    """A move along the referral's statuses, with a note and, when it ended, why."""

    status = forms.ChoiceField(label="New status", choices=ReferralStatus.choices)
    outcome_reason = forms.ChoiceField(label="Why (when it ended)", required=False)
    note = text_box("Note", rows=2, max_length=1000, required=False)
    follow_up_on = DayField(
        label="Follow up on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["status"].choices = [  # type: ignore[attr-defined]
                (v, label) for v, label in ReferralStatus.choices if v in allowed
            ]
        self.fields["outcome_reason"].choices = [  # type: ignore[attr-defined]
            ("", "Not given"),
            *((r.code, r.label) for r in ReferralOutcomeReason.objects.filter(is_active=True)),
        ]

    def outcome(self) -> ReferralOutcomeReason | None:
        code = self.cleaned_data.get("outcome_reason") or ""
        return ReferralOutcomeReason.objects.filter(code=code).first() if code else None


class ReopenForm(forms.Form):
    note = text_box("Why reopen it", rows=2, max_length=1000)


class SearchForm(forms.Form):
    words = forms.CharField(label="Search the directory", max_length=100, required=False)

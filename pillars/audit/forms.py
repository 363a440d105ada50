"""The audit report's filter form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms

from pillars.audit import selectors
from pillars.audit.choices import Action, Category, Outcome
from pillars.core import clock
from pillars.core.formtools import DayField


def _any(label: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class ReportFilterForm(forms.Form):
    """Period, person served, staff member, category, action and outcome; all optional."""

    date_from = DayField(
        required=False,
        label="From (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = DayField(
        required=False,
        label="To (date, included)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    person = forms.CharField(
        required=False,
        max_length=64,
        label="Person served",
        help_text="Record number or id.",
    )
    staff = forms.CharField(
        required=False,
        max_length=150,
        label="Staff member",
        help_text="Sign-in name.",
    )
    category = forms.ChoiceField(
        required=False, choices=_any("Any category", Category.choices), label="Category"
    )
    action = forms.ChoiceField(
        required=False, choices=_any("Any action", Action.choices), label="Action"
    )
    outcome = forms.ChoiceField(
        required=False, choices=_any("Any outcome", Outcome.choices), label="Outcome"
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_person(self) -> str:
        term = str(self.cleaned_data.get("person") or "").strip()
        if term:
            found = selectors.resolve_person(term, self.user)
            if found is None:
                raise forms.ValidationError(
                    "No person served has that record number. Check it, or paste their id."
                )
            self.person_id = found
        return term

    def clean_staff(self) -> str:
        return str(self.cleaned_data.get("staff") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def default_period(self, days: int) -> None:
        """With no dates given, the last ``days`` days (today included, in the report's zone):
        an export never becomes the whole log by accident. Call after ``is_valid()``."""
        data = self.cleaned_data
        if data.get("date_from") or data.get("date_to"):
            return
        today = clock.today_in(selectors.report_zone())
        data["date_from"], data["date_to"] = today - timedelta(days=days - 1), today

    def filters(self) -> selectors.ReportFilters:
        """The validated filters; call only after ``is_valid()``."""
        data = self.cleaned_data
        return selectors.ReportFilters.from_dates(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            person_id=getattr(self, "person_id", None),
            staff=data.get("staff") or "",
            category=data.get("category") or "",
            action=data.get("action") or "",
            outcome=data.get("outcome") or "",
        )

    def as_detail(self) -> dict[str, str]:
        """The filters as typed, for the audit event that records this read or export."""
        return {
            name: str(value) for name, value in self.cleaned_data.items() if value not in (None, "")
        }

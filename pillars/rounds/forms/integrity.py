"""The filter of the check-integrity report."""

from __future__ import annotations

from datetime import date

from django import forms

from pillars.core.formtools import DateInput, DayField
from pillars.people.models import Staff
from pillars.rounds.selectors import integrity as selectors

SHIFT_CHOICES = [
    (selectors.DAY, "Day (07:00 to 19:00)"),
    (selectors.NIGHT, "Night (19:00 to 07:00)"),
    ("range", "Whole days from the date to the end date"),
]


class IntegrityFilterForm(forms.Form):
    day = DayField(label="Date", required=False, widget=DateInput())
    shift = forms.ChoiceField(label="Shift", choices=SHIFT_CHOICES, required=False)
    until = DayField(
        label="End date",
        required=False,
        widget=DateInput(),
        help_text="Only for whole days; at most 31 days.",
    )
    staff = forms.ChoiceField(label="Staff member", required=False)

    def __init__(self, *args: object, staff: list[Staff], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.staff_by_id = {str(s.public_id): s for s in staff}
        field = self.fields["staff"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Everyone")] + [(str(s.public_id), s.display_name) for s in staff]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        day, until = data.get("day"), data.get("until")
        if data.get("shift") == "range":
            if day is None:
                self.add_error("day", "Choose the first day.")
            elif until is not None and isinstance(day, date) and isinstance(until, date):
                if until < day:
                    self.add_error("until", "The end date is before the first day.")
                elif (until - day).days >= selectors.MAX_RANGE_DAYS:
                    self.add_error("until", f"At most {selectors.MAX_RANGE_DAYS} days at once.")
        return data

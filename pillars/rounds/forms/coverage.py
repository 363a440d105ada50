"""Forms for shift assignments, monitoring exceptions and 1:1 coverage: they parse shape; the
services decide every rule."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField
from pillars.people.models import Placement, Staff
from pillars.rounds.choices import ExceptionKind
from pillars.rounds.models import ObservationLevel


def _staff_field(choices: list[Staff], label: str, required: bool = True) -> forms.Field:
    return forms.ModelChoiceField(
        queryset=Staff.objects.filter(pk__in=[s.pk for s in choices]).order_by("display_name"),
        to_field_name="public_id",
        label=label,
        required=required,
        empty_label="Not assigned" if not required else "Choose",
    )


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ShiftForm(forms.Form):
    """A row per person served on the unit with a staff select, plus the lead and the times."""

    day = DayField(label="Shift starts on", widget=DateInput())
    starts = forms.TimeField(label="Starts at (unit time)", widget=TIME)
    ends = forms.TimeField(
        label="Ends at (unit time)",
        widget=TIME,
        help_text="An end at or before the start is the next morning (19:00 to 07:00).",
    )

    def __init__(
        self, data: Any, *, placements: list[Placement], staff: list[Staff], leads: list[Staff]
    ) -> None:
        super().__init__(data)
        self.fields["lead"] = _staff_field(leads, "Shift lead", required=False)
        self.rows = []
        for placement in placements:
            person = placement.episode.person
            name = f"person_{person.public_id}"
            self.fields[name] = _staff_field(staff, person.display_name, required=False)
            self.rows.append((person, placement, name))

    def person_fields(self) -> list[Any]:
        return [(person, placement, self[name]) for person, placement, name in self.rows]


class ReassignForm(forms.Form):
    def __init__(self, data: Any, *, staff: list[Staff]) -> None:
        super().__init__(data)
        self.fields["to_staff"] = _staff_field(staff, "Hand over to")


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(label="Why the person cannot be observed", choices=ExceptionKind)
    reason = forms.CharField(label="Reason", max_length=300)
    with_whom = forms.CharField(
        label="With whom", max_length=150, required=False, help_text="Needed when off the unit."
    )
    where = forms.CharField(
        label="Where", max_length=150, required=False, help_text="Needed when off the unit."
    )


class EndExceptionForm(forms.Form):
    note = forms.CharField(label="Note", max_length=300, required=False)


class StartCoverageForm(forms.Form):
    def __init__(self, data: Any, *, staff: list[Staff]) -> None:
        super().__init__(data)
        self.fields["staff"] = _staff_field(staff, "Staff member with the person")


class RelieveForm(forms.Form):
    pin = forms.CharField(
        label="Incoming staff member's PIN",
        max_length=20,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def __init__(self, data: Any, *, staff: list[Staff]) -> None:
        super().__init__(data)
        self.fields["incoming_staff"] = _staff_field(staff, "Incoming staff member")
        self.order_fields(["incoming_staff", "pin"])


class EndCoverageForm(forms.Form):
    reason = forms.CharField(label="Why this stretch ends", max_length=200)

    def __init__(
        self, data: Any, *, staff: list[Staff], levels: list[ObservationLevel] | None
    ) -> None:
        super().__init__(data)
        successor = _staff_field(staff, "Who takes over", required=False)
        assert isinstance(successor, forms.ModelChoiceField)
        successor.empty_label = "Nobody: the level changes" if levels else "Choose"
        self.fields["successor"] = successor
        if levels is not None:
            self.fields["level"] = forms.ModelChoiceField(
                queryset=ObservationLevel.objects.filter(pk__in=[lv.pk for lv in levels]),
                to_field_name="public_id",
                label="Or change the observation level to",
                required=False,
                empty_label="Keep the level",
                help_text="A level that needs fewer staff; the order changes with this reason.",
            )

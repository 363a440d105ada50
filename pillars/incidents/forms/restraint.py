"""Forms of the restraint area. They parse and check shape only; the services decide every
rule (limits, the 24-hour window, mechanical items, times)."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import LocalDateTimeField, record_ticks, text_box
from pillars.incidents.models import EpisodeKind
from pillars.people.models import Staff

YES_NO = [("", "Choose"), ("yes", "Yes"), ("no", "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        required=False,
        coerce=lambda v: v == "yes",
        empty_value=None,
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return obj.display_name


class StaffMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return obj.display_name


def _staff_field(required: bool) -> forms.ModelMultipleChoiceField:
    return record_ticks(
        "Staff who took part",
        Staff.objects.none(),
        field=StaffMultipleField,
        to_field_name="public_id",
        required=required,
        help_text="Who applied the hold or the restraint, or carried out the seclusion.",
    )


def _ordered_by_field() -> StaffChoiceField:
    """Who gave the order: one of the clinicians the form is given; empty means the user, when
    the user is a clinician entering their own order (the service refuses anyone else)."""
    return StaffChoiceField(
        label="Ordered by",
        queryset=Staff.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Me (a clinician entering my own order)",
        help_text="A nurse entering an order names the clinician who gave it.",
    )


def _when(label: str, zone_name: str) -> LocalDateTimeField:
    return LocalDateTimeField(
        label=label,
        required=False,
        help_text=f"In the unit's time ({zone_name}). Leave empty for now.",
    )


def _late_reason(what: str) -> forms.CharField:
    """Why an entry is made late (DESIGN.md rule 1; the service decides when it is needed)."""
    return forms.CharField(
        label="Why entered late",
        required=False,
        max_length=300,
        help_text=f"Needed when entered more than 10 minutes after {what}.",
    )


class StartForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=EpisodeKind.choices, widget=forms.RadioSelect)
    reason = text_box("Behavior that made it necessary", rows=3, max_length=2000)
    alternatives_tried = text_box(
        "Less restrictive steps tried", rows=2, required=False, max_length=2000
    )
    release_criteria = text_box(
        "Release criteria",
        rows=2,
        max_length=2000,
        help_text="What the person needs to show to be released.",
    )
    ordered_by = _ordered_by_field()
    staff = _staff_field(required=False)

    def __init__(
        self, *args: Any, zone_name: str, orderers: Any, staff: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ordered_by"].queryset = orderers  # type: ignore[attr-defined]
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["started_at"] = _when("Started at", zone_name)
        self.fields["ordered_at"] = _when("Order given at", zone_name)
        self.fields["late_reason"] = _late_reason("the start or the order")


class StaffForm(forms.Form):
    staff = _staff_field(required=True)

    def __init__(self, *args: Any, zone_name: str, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]


class MonitorForm(forms.Form):
    condition = forms.CharField(label="Physical and psychological state", max_length=300)
    circulation_ok = _yes_no("Circulation in the restrained limbs is good")
    skin_ok = _yes_no("Skin at the restraints is intact")
    range_of_motion = _yes_no("Range of motion done")
    hydration_offered = _yes_no("Fluids offered")
    toileting_offered = _yes_no("Toileting offered")
    note = forms.CharField(label="Note", required=False, max_length=500)

    def __init__(self, *args: Any, zone_name: str, mechanical: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not mechanical:
            for name in (
                "circulation_ok",
                "skin_ok",
                "range_of_motion",
                "hydration_offered",
                "toileting_offered",
            ):
                del self.fields[name]
        self.fields["observed_at"] = _when("Observed at", zone_name)


class FaceToFaceForm(forms.Form):
    findings = text_box(
        "Findings",
        rows=3,
        max_length=2000,
        help_text="The immediate situation, the person's reaction, their medical and behavioral "
        "condition, and whether to continue or end.",
    )
    continue_episode = forms.BooleanField(label="Continue the episode", required=False)

    def __init__(self, *args: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seen_at"] = _when("Seen at", zone_name)
        self.fields["late_reason"] = _late_reason("the person was seen")


class RenewForm(forms.Form):
    ordered_by = _ordered_by_field()
    seen_in_person = forms.BooleanField(
        label="The physician or practitioner saw the person for this order", required=False
    )
    note = forms.CharField(label="Note", required=False, max_length=300)

    def __init__(self, *args: Any, zone_name: str, orderers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ordered_by"].queryset = orderers  # type: ignore[attr-defined]
        self.fields["ordered_at"] = _when("Renewed at", zone_name)
        self.fields["late_reason"] = _late_reason("the renewal")


class ReleaseForm(forms.Form):
    reason = text_box("Why released", rows=2, max_length=2000)

    def __init__(self, *args: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["released_at"] = _when("Released at", zone_name)
        self.fields["late_reason"] = _late_reason("the release")


class GuardianForm(forms.Form):
    note = forms.CharField(label="Who was told, and how", max_length=300)

    def __init__(self, *args: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notified_at"] = _when("Told at", zone_name)


class DebriefForm(forms.Form):
    notes = text_box("What the debrief found", rows=3, max_length=2000)
    with_person = forms.BooleanField(label="The person served took part", required=False)

    def __init__(self, *args: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class AddendumForm(forms.Form):
    entry = forms.CharField(
        label="Entry corrected",
        required=False,
        max_length=80,
        help_text="For example: the check at 14:15.",
    )
    reason = forms.CharField(label="Why", max_length=300)
    text = text_box("Correction", rows=2, max_length=2000)

    def __init__(self, *args: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class ReportForm(forms.Form):
    month = forms.CharField(
        label="Month", widget=forms.DateInput(attrs={"type": "month"}), required=False
    )


class ChooseProfileForm(forms.Form):
    code = forms.ChoiceField(label="Rule profile")

    def __init__(self, *args: Any, profiles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [  # type: ignore[attr-defined]
            (p.code, f"{p.name} (v{p.version})") for p in profiles
        ]


def _minutes_field(label: str, required: bool = True, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, help_text=help_text)


class ProfileForm(forms.Form):
    """A profile's limits; saving makes its next version (the service checks every bound)."""

    name = forms.CharField(label="Name", max_length=120)
    citation = forms.CharField(label="Citation", max_length=200, required=False)
    adult_age = forms.IntegerField(label="Adult from age")
    child_age = forms.IntegerField(label="Child from age (younger: young child)")
    adult_limit_minutes = _minutes_field("Order limit, adults (minutes)")
    child_limit_minutes = _minutes_field("Order limit, children (minutes)")
    young_child_limit_minutes = _minutes_field("Order limit, young children (minutes)")
    renewal_cap_minutes = _minutes_field(
        "Orders and renewals cover at most (minutes)",
        help_text="After this the physician or practitioner must see the person again.",
    )
    face_to_face_minutes = _minutes_field("Face-to-face within (minutes)")
    monitoring_minutes = _minutes_field("Monitoring at least every (minutes)")
    hold_max_minutes = _minutes_field(
        "A physical hold lasts at most (minutes)", required=False, help_text="Empty: no limit."
    )
    mechanical_adult_total_minutes = _minutes_field(
        "Mechanical restraint of an adult totals at most (minutes)",
        required=False,
        help_text="Empty: no limit.",
    )

"""Forms for the people pages: they parse and check shape; the services decide the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from pillars.core import clock
from pillars.core.formtools import (  # noqa: F401  (re-exported for the people pages)
    LOCAL_INPUT,
    DateInput,
    DayField,
    LocalDateTimeField,
    TextAreaField,
    WordsField,
    apply_errors,
    record_ticks,
    split_list,
    text_box,
)
from pillars.core.roles import RoleCode
from pillars.people.choices import (
    CaseloadKind,
    Disposition,
    ExitReason,
    ReviewFinding,
    UnitKind,
)
from pillars.people.importing import KINDS, MAX_MB, FileRefused, check_upload
from pillars.people.models import Bed, Program, Staff, Unit


def placement_choices(units: Iterable[Unit], beds: Iterable[Bed]) -> list[Any]:
    """Grouped choices "unit" and "unit:bed" so the bed always belongs to the chosen unit."""
    by_unit: dict[int, list[Bed]] = {}
    for bed in beds:
        by_unit.setdefault(bed.room.unit_id, []).append(bed)
    choices: list[Any] = [("", "Choose a unit (and bed) or a program")]
    for unit in units:
        # A community program enrols participants; it has no beds to choose.
        if unit.kind == UnitKind.COMMUNITY:
            choices.append((unit.name, [(str(unit.public_id), f"{unit.name}: enrol (no bed)")]))
            continue
        options = [(str(unit.public_id), f"{unit.name}: no bed yet")]
        options += [
            (f"{unit.public_id}:{bed.public_id}", f"{unit.name}: bed {bed}")
            for bed in by_unit.get(unit.pk, [])
        ]
        choices.append((unit.name, options))
    return choices


class PlacementField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Unit and bed")
        super().__init__(**kwargs)


def resolve_placement(
    value: str, units: Iterable[Unit], beds: Iterable[Bed]
) -> tuple[Unit, Bed | None]:
    """The unit and bed a placement choice names (the choice was already validated)."""
    unit_id, _, bed_id = value.partition(":")
    unit = next(u for u in units if str(u.public_id) == unit_id)
    bed = next((b for b in beds if str(b.public_id) == bed_id), None) if bed_id else None
    return unit, bed


# --- Persons served ---------------------------------------------------------------------------


class PersonSearchForm(forms.Form):
    q = forms.CharField(label="Name or record number", required=False, max_length=100, strip=True)
    unit = forms.ModelChoiceField(
        label="Unit",
        queryset=Unit.objects.none(),
        required=False,
        to_field_name="public_id",
        empty_label="All my units",
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class PersonForm(forms.Form):
    record_number = forms.CharField(label="Record number", max_length=32)
    legal_given_name = forms.CharField(label="Legal first name", max_length=100)
    legal_family_name = forms.CharField(label="Legal last name", max_length=100)
    preferred_name = forms.CharField(
        label="Name they use",
        max_length=100,
        required=False,
        help_text="Leave empty when it is the legal first name.",
    )
    pronouns = forms.CharField(
        label="Pronouns", max_length=40, required=False, help_text="For example: she/her."
    )
    date_of_birth = DayField(label="Date of birth", widget=DateInput())


class _PlaceForm(forms.Form):
    """A form with a ``place`` (unit and bed) whose choices the view passes as ``choices``."""

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = choices  # type: ignore[attr-defined]


class AdmitForm(_PlaceForm):
    place = PlacementField()
    admitted_at = LocalDateTimeField(
        label="Admitted at (unit time)",
        required=False,
        help_text="Leave empty for now. Use the unit's local time.",
    )


class PersonCreateForm(AdmitForm, PersonForm):
    """The person's fields, then the admission that registering them makes (Django lists the
    fields of the last base first)."""

    place = PlacementField(help_text="Registering someone admits them to a unit now.")


class TransferForm(_PlaceForm):
    place = PlacementField(label="Move to unit and bed")
    moved_at = LocalDateTimeField(
        label="Moved at (unit time)",
        required=False,
        help_text="Leave empty for now. Use the current unit's local time.",
    )
    reason = forms.CharField(label="Reason", max_length=200, required=False)


class DischargeForm(forms.Form):
    disposition = forms.ChoiceField(
        label="Discharged to", choices=[("", "Choose"), *Disposition.choices]
    )
    discharged_at = LocalDateTimeField(
        label="Discharged at (unit time)",
        required=False,
        help_text="Leave empty for now. Use the unit's local time.",
    )


class CaseloadAssignForm(forms.Form):
    staff = forms.ModelChoiceField(
        label="Staff member",
        queryset=Staff.objects.none(),
        to_field_name="public_id",
        empty_label="Choose a staff member",
    )
    kind = forms.ChoiceField(label="Kind", choices=[("", "Choose"), *CaseloadKind.choices])
    started_on = DayField(
        label="From", required=False, widget=DateInput(), help_text="Leave empty for today."
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]


class CaseloadEndForm(forms.Form):
    ended_on = DayField(label="Ended on", required=False, widget=DateInput())


class CensusAtForm(forms.Form):
    at = LocalDateTimeField(label="Census at (unit time)", required=False)


# --- Staff ------------------------------------------------------------------------------------


def role_choices() -> list[tuple[str, str]]:
    return [(str(code), str(code.label)) for code in RoleCode]


class StaffSearchForm(forms.Form):
    STATUS = [("current", "Working here now"), ("left", "Left"), ("all", "Everyone")]
    q = forms.CharField(label="Name, title or badge", required=False, max_length=100)
    status = forms.ChoiceField(label="Show", choices=STATUS, required=False)


class StaffForm(forms.Form):
    """An administrator's form for a staff profile (not lived experience: that is the staff
    member's own to disclose)."""

    display_name = forms.CharField(label="Name shown to colleagues", max_length=150)
    job_title = forms.CharField(label="Job title", max_length=100, required=False)
    badge_number = forms.CharField(
        label="Badge number",
        max_length=20,
        required=False,
        help_text="Used with a PIN to switch in on a unit tablet.",
    )
    hired_on = DayField(label="Hired on", widget=DateInput())
    home_units = record_ticks(
        "Home units", Unit.objects.filter(is_active=True), to_field_name="public_id"
    )
    programs = record_ticks("Programs", Program.objects.all(), to_field_name="public_id")
    supervisor = forms.ModelChoiceField(
        label="Supervisor",
        queryset=Staff.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="No supervisor",
    )
    languages = WordsField(
        label="Languages",
        max_length=500,
        help_text="Separate with commas, for example: English, Spanish.",
    )

    def __init__(
        self, *args: Any, organization_id: int, exclude_pk: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        today = clock.organization_today()
        # The administrator's own organization: its units, programs and staff, no other's.
        mine = {"organization_id": organization_id}
        supervisors = Staff.objects.filter(**mine).exclude(exited_on__lte=today)
        if exclude_pk is not None:
            supervisors = supervisors.exclude(pk=exclude_pk)
        self.fields["supervisor"].queryset = supervisors.order_by("display_name")  # type: ignore[attr-defined]
        for name in ("home_units", "programs"):
            field = self.fields[name]
            field.queryset = field.queryset.filter(**mine)  # type: ignore[attr-defined]


class StaffCreateForm(StaffForm):
    username = forms.CharField(
        label="Sign-in name", max_length=150, help_text="Lower case, no spaces."
    )
    email = forms.EmailField(label="Email", required=False)
    roles = forms.MultipleChoiceField(
        label="Roles", choices=role_choices, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label="First password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="At least 12 characters. Leave empty to set it later.",
    )

    field_order = ["username", "display_name", "email", "roles", "password"]


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles", choices=role_choices, widget=forms.CheckboxSelectMultiple
    )


class StaffExitForm(forms.Form):
    exited_on = DayField(label="Last day", widget=DateInput())
    exit_reason = forms.ChoiceField(
        label="Reason for leaving", choices=[("", "Choose"), *ExitReason.choices]
    )


class OwnProfileForm(forms.Form):
    languages = WordsField(
        label="Languages you speak", max_length=500, help_text="Separate with commas."
    )
    lived_experience = WordsField(
        label="Your lived experience",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Separate with commas, for example: recovery from substance use, veteran.",
    )
    shares_lived_experience = forms.BooleanField(
        label="Let colleagues see my lived experience",
        required=False,
        help_text="Off by default. You can change this at any time.",
    )


class AccessReasonForm(forms.Form):
    """The reason an administrator gives for a change to someone's sign-in access."""

    reason = TextAreaField(
        label="Reason",
        max_length=500,
        rows=2,
        help_text="Kept in the audit log with this change. At most 500 characters.",
        error_messages={"required": "Give a reason: it is kept in the audit log with this change."},
    )


# --- Import -----------------------------------------------------------------------------------


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("", "Choose"), *((k, v.label) for k, v in KINDS.items())],
    )
    file = forms.FileField(
        label="CSV file",
        help_text=f"A .csv file in UTF-8, at most {MAX_MB} MB; the first row is the header.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload.name or "", upload.content_type or "", upload.size or 0)
        except FileRefused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class ImportConfirmForm(forms.Form):
    pending = forms.UUIDField(widget=forms.HiddenInput)


# --- Emergency access -------------------------------------------------------------------------


class EmergencyLookupForm(forms.Form):
    record_number = forms.CharField(
        label="Record number",
        max_length=32,
        help_text="The exact record number. Names cannot be searched here.",
    )


class EmergencyStartForm(forms.Form):
    MINUTES = [(15, "15 minutes"), (30, "30 minutes"), (60, "1 hour")]
    person = forms.UUIDField(widget=forms.HiddenInput)
    reason = text_box(
        "Why you need this record now",
        rows=3,
        min_length=10,
        max_length=1000,
        help_text="The privacy officer reviews every emergency access.",
    )
    minutes = forms.TypedChoiceField(label="For how long", choices=MINUTES, coerce=int, initial=60)


class ReviewForm(forms.Form):
    finding = forms.ChoiceField(label="Finding", choices=[("", "Choose"), *ReviewFinding.choices])
    note = text_box(
        "Note",
        rows=2,
        required=False,
        max_length=2000,
        help_text="Required when the access was not appropriate.",
    )

"""Forms for Part 2 consents: the signed consent and its written revocation."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField, TextAreaField, record_ticks, ticks
from pillars.core.roles import RoleCode
from pillars.people.consent_models import (
    ConsentPurpose,
    InformationKind,
    RecipientKind,
    RevocationForm,
    SignedBy,
)
from pillars.people.models import Staff, Unit


class ConsentForm(forms.Form):
    """Every element of 42 CFR 2.31(a). Presence is checked by the service, so a form with
    several gaps names them all at once."""

    programs = record_ticks("Part 2 program(s) whose records may be disclosed", Unit.objects.none())
    information_kinds = ticks("Kinds of information", InformationKind.choices)
    information_description = TextAreaField(
        required=False,
        max_length=2000,
        rows=3,
        label="How much and what kind of substance-use information, in plain words",
    )
    purposes = ticks("Purpose of the disclosure", ConsentPurpose.choices)
    purpose_description = forms.CharField(
        required=False, max_length=300, label="The other purpose, described"
    )
    recipient_staff = forms.ModelMultipleChoiceField(
        queryset=Staff.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Recipients: named staff members",
        help_text="Name at least one recipient here or below.",
    )
    recipient_roles = ticks("Recipients: everyone in a role", RoleCode.choices)
    recipient_units = record_ticks("Recipients: the team of a unit or program", Unit.objects.none())
    treating_providers = forms.BooleanField(
        required=False,
        label="Recipients: my treating providers",
        help_text="Allowed for a treatment (or treatment, payment and operations) consent.",
    )
    recipient_entities = TextAreaField(
        required=False,
        max_length=1000,
        rows=2,
        label="Recipients: named persons or organizations outside Pillars (one per line)",
    )
    expires_on = DayField(required=False, widget=DateInput(), label="Expires on")
    expiry_event = forms.CharField(
        required=False,
        max_length=300,
        label="Or: the event that ends it",
        help_text="For example: discharge from the program.",
    )
    signed_by = forms.ChoiceField(
        choices=[("", "Choose"), *SignedBy.choices], required=False, label="Signed by"
    )
    signer_name = forms.CharField(required=False, max_length=150, label="Name of the signer")
    representative_authority = forms.CharField(
        required=False,
        max_length=200,
        label="Representative's authority",
        help_text="Only when a representative signed: guardian, health care agent...",
    )
    signed_on = DayField(required=False, widget=DateInput(), label="Date signed")

    def __init__(self, *args: Any, staff: Any, programs: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programs"].queryset = programs  # type: ignore[attr-defined]
        self.fields["recipient_staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["recipient_units"].queryset = units  # type: ignore[attr-defined]

    def recipients(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        rows: list[dict[str, Any]] = [
            {"kind": RecipientKind.STAFF, "staff": s} for s in data["recipient_staff"]
        ]
        rows += [{"kind": RecipientKind.ROLE, "role": r} for r in data["recipient_roles"]]
        rows += [{"kind": RecipientKind.UNIT, "unit": u} for u in data["recipient_units"]]
        if data["treating_providers"]:
            rows.append({"kind": RecipientKind.TREATING_PROVIDERS})
        for line in (data["recipient_entities"] or "").splitlines():
            if line.strip():
                rows.append({"kind": RecipientKind.ENTITY, "name": line.strip()})
        return rows


# Where the service's error keys show on the form.
CONSENT_FIELDS = {"recipients": "recipient_staff"}


class RevokeForm(forms.Form):
    received_as = forms.ChoiceField(
        choices=[("", "Choose"), *RevocationForm.choices],
        required=False,
        label="How the written revocation was received",
    )
    note = forms.CharField(required=False, max_length=300, label="Note")


class ExpiryEventForm(forms.Form):
    occurred_on = DayField(
        required=False, widget=DateInput(), label="Date the expiry event happened"
    )

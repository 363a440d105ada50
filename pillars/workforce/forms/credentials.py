"""Forms for credentials and CE hours: they parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField
from pillars.workforce.models.credentials import CeCategory, CredentialType


def evidence_field() -> forms.FileField:
    """The optional evidence upload of a credential, CE hours or a training completion; the
    service checks the file itself (``clean_evidence``)."""
    return forms.FileField(
        label="Evidence (PDF, PNG or JPEG, at most 5 MB)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class CredentialForm(forms.Form):
    credential_type = forms.ModelChoiceField(
        queryset=CredentialType.objects.none(), label="Credential", to_field_name="code"
    )
    number = forms.CharField(label="Certificate or licence number", max_length=60, required=False)
    issued_on = DayField(label="Issued on", widget=DateInput())
    expires_on = DayField(
        label="Expires on",
        widget=DateInput(),
        required=False,
        help_text="Leave blank to work it out from the credential's rule.",
    )
    evidence = evidence_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["credential_type"].queryset = CredentialType.objects.filter(  # type: ignore[attr-defined]
            is_current=True, is_active=True
        ).order_by("name")


class CeForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=CeCategory.objects.none(), label="Category", to_field_name="code"
    )
    title = forms.CharField(label="Course or event", max_length=200)
    completed_on = DayField(label="Completed on", widget=DateInput())
    hours = forms.DecimalField(label="Hours", max_digits=5, decimal_places=2)
    evidence = evidence_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = CeCategory.objects.filter(is_active=True)  # type: ignore[attr-defined]


class VerifyForm(forms.Form):
    method = forms.CharField(
        label="How was it verified?",
        max_length=200,
        help_text="For example: primary source website, original seen.",
    )


class WaiveForm(forms.Form):
    reason = forms.CharField(label="Reason for the waiver", max_length=300)
    until = DayField(label="Waived until", widget=DateInput(), required=False)

"""Forms of the shared unit tablets: registering a tablet, switching in with badge and PIN,
and setting one's own PIN."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet


class TabletRegisterForm(forms.Form):
    """Which unit a shared tablet belongs to, and a name people will recognize."""

    unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        label="Unit",
        empty_label="Choose a unit",
        to_field_name="public_id",
        error_messages={"required": "Choose the unit this tablet stays on."},
    )
    name = forms.CharField(
        label="Tablet name",
        max_length=100,
        help_text="For example 'North nurses station'.",
        error_messages={"required": "Name the tablet so people can tell it apart."},
    )

    def __init__(self, *args: Any, units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class TabletSwitchForm(forms.Form):
    """Badge number and PIN, for switching user on a trusted unit tablet."""

    badge = forms.CharField(
        label="Badge number",
        max_length=20,
        error_messages={"required": "Enter your badge number."},
    )
    pin = forms.CharField(
        label="PIN",
        max_length=8,
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "Enter your PIN."},
    )

    def clean_badge(self) -> str:
        return str(self.cleaned_data["badge"]).strip()


class PinForm(forms.Form):
    """Set one's own PIN; the current password guards it, so an unlocked screen is not enough."""

    current_password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your current password."},
    )
    pin = forms.CharField(
        label="New PIN",
        max_length=8,
        strip=False,
        help_text="6 to 8 digits; not a run like 123456 and not one digit repeated.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
        error_messages={"required": "Enter a new PIN."},
    )
    pin_again = forms.CharField(
        label="New PIN again",
        max_length=8,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
        error_messages={"required": "Enter the new PIN a second time."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", "The two PINs are different. Enter the same PIN twice.")
        return data

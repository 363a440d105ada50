"""Forms of the sign-in pages: password, second step, tablet, PIN and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from pillars.core.tokens import DEFAULT_DAYS, SCOPES


class SignInForm(AuthenticationForm):
    """The standard form, with a plain-language message for a wrong password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That sign-in name and password do not match. Check them and try again.",
        "inactive": "This account is not active. Ask your administrator.",
    }


class TwoFactorForm(forms.Form):
    """The 6-digit code from an authenticator app (spaces allowed, as apps show them)."""

    code = forms.CharField(
        label="6-digit code",
        max_length=9,
        error_messages={"required": "Enter the 6-digit code your app shows now."},
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "").strip()
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("The code is 6 digits. Enter the code your app shows now.")
        return code


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


class TokenCreateForm(forms.Form):
    """Name, scopes and lifetime of a new personal access token."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, for example 'Census export script'.",
        error_messages={"required": "Name the token after what will use it."},
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=[
            ("read", "Read: look up information you can see"),
            ("write", "Write: record and change things you may change"),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        error_messages={"required": "Choose read, write, or both."},
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"1 to {settings.API_TOKEN_MAX_DAYS} days.",
        error_messages={
            "required": "Enter how many days the token lasts.",
            "invalid": "Enter a whole number of days.",
            "min_value": "A token lasts at least 1 day.",
            "max_value": f"A token lasts at most {settings.API_TOKEN_MAX_DAYS} days.",
        },
    )


__all__ = [
    "SCOPES",
    "PinForm",
    "SignInForm",
    "TabletRegisterForm",
    "TabletSwitchForm",
    "TokenCreateForm",
    "TwoFactorForm",
]

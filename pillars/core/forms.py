"""Forms of the sign-in pages: password, second step and API tokens (the tablet and PIN forms
are in ``people.tablet_forms``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

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
    "SignInForm",
    "TokenCreateForm",
    "TwoFactorForm",
]

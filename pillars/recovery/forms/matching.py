"""Forms of peer matching: a peer's own profile, a request with the person's preferences, the
person's choice, withdrawing a request. The services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import WordsField, text_box, ticks
from pillars.recovery.models.matching import (
    SHAREABLE,
    AgeBand,
    Availability,
    LivedExperienceArea,
    PeerGender,
    PeerProfile,
    RecoveryPathway,
)


def _one_of(label: str, choices: list[tuple[str, str]], blank: str) -> forms.ChoiceField:
    """An optional choice of one; ``blank`` names choosing none."""
    return forms.ChoiceField(label=label, choices=[("", blank), *choices], required=False)


class ProfileForm(forms.Form):
    """The peer's values with a "share" box beside each; nothing is shared unless ticked."""

    is_accepting = forms.BooleanField(
        label="I am open to being offered as a peer to persons served", required=False
    )
    lived_experience = ticks("Areas of lived experience", LivedExperienceArea.choices)
    recovery_pathway = _one_of("Recovery pathway", RecoveryPathway.choices, "Not given")
    languages = WordsField(label="Languages", max_length=500, help_text="Separate with commas.")
    gender = _one_of("Gender", PeerGender.choices, "Not given")
    age_band = _one_of("Age band", AgeBand.choices, "Not given")
    availability = ticks("Availability", Availability.choices)
    intro = text_box("A short introduction in my own words", rows=3, required=False, max_length=400)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SHAREABLE.items():
            self.fields[f"share_{name}"] = forms.BooleanField(
                label=f"Share: {label.lower()}", required=False
            )

    @staticmethod
    def initial_from(profile: PeerProfile | None) -> dict[str, Any]:
        if profile is None:
            return {"is_accepting": True}
        initial: dict[str, Any] = {"is_accepting": profile.is_accepting}
        for name in SHAREABLE:
            value = getattr(profile, name)
            initial[name] = ", ".join(value) if name == "languages" else value
            initial[f"share_{name}"] = getattr(profile, f"share_{name}")
        return initial

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SHAREABLE}

    def shares(self) -> list[str]:
        return [name for name in SHAREABLE if self.cleaned_data[f"share_{name}"]]

    def rows(self) -> list[tuple[Any, Any]]:
        """Each attribute's field beside its share box, for the template."""
        return [(self[name], self[f"share_{name}"]) for name in SHAREABLE]


class RequestForm(forms.Form):
    """What the person asks for in a peer, in their words; every answer is optional."""

    languages = WordsField(
        label="Languages the person would like to speak with their peer",
        max_length=300,
        help_text="Separate with commas.",
    )
    lived_experience = ticks(
        "Lived experience that matters to the person", LivedExperienceArea.choices
    )
    recovery_pathway = _one_of("Recovery pathway", RecoveryPathway.choices, "No preference")
    gender = _one_of("Gender of the peer", PeerGender.choices, "No preference")
    age_band = _one_of("Age band of the peer", AgeBand.choices, "No preference")
    availability = ticks("Times that suit the person", Availability.choices)
    note = text_box("Anything else the person said", rows=2, required=False, max_length=500)

    def preferences(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "languages": data["languages"],
            "lived_experience": data["lived_experience"],
            "recovery_pathway": data["recovery_pathway"],
            "gender": data["gender"],
            "age_band": data["age_band"],
            "availability": data["availability"],
        }


class ChooseForm(forms.Form):
    peer = forms.UUIDField(widget=forms.HiddenInput)
    chosen_by_person = forms.BooleanField(
        label="The person chose this peer themself, and I am recording it with them",
        required=True,
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why the request is withdrawn", max_length=300)

"""Forms of the resource directory: the search, the package upload and its confirmation, and
saving a resource for a person."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from pillars.core.formtools import text_box
from pillars.recovery.forms import replay_key
from pillars.recovery.selectors import directory as selectors
from pillars.recovery.services.directory import MAX_NOTE


class SearchForm(forms.Form):
    """What a staff member searches the directory by (every field optional)."""

    need = forms.ChoiceField(label="Need", required=False)
    words = forms.CharField(label="Words", required=False, max_length=200)
    language = forms.ChoiceField(label="Language spoken", required=False)
    address = forms.CharField(
        label="Distance from an address",
        required=False,
        max_length=300,
        help_text="A US street address with its ZIP code. Distance is measured from the centre "
        "of the ZIP code, or from a directory location when this is exactly its address.",
    )
    latitude = forms.FloatField(
        label="Latitude",
        required=False,
        min_value=-90,
        max_value=90,
        help_text="Or, with longitude, a point to measure distance from (decimal degrees).",
    )
    longitude = forms.FloatField(label="Longitude", required=False, min_value=-180, max_value=180)
    within_km = forms.FloatField(
        label="Within (km)", required=False, min_value=0.1, max_value=selectors.MAX_RADIUS_KM
    )
    age = forms.IntegerField(
        label="Age of the person",
        required=False,
        min_value=0,
        max_value=130,
        help_text="Shows services whose eligibility takes in this age.",
    )
    open_now = forms.BooleanField(label="Open now", required=False)
    free = forms.BooleanField(label="Free", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["need"]).choices = [("", "Any need")] + [
            (str(t.public_id), t.name) for t in selectors.terms()
        ]
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", "Any language"),
            *selectors.languages(),
        ]

    origin: selectors.Origin | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        point = data.get("latitude") is not None or data.get("longitude") is not None
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", "Give both latitude and longitude, or neither.")
        address = (data.get("address") or "").strip()
        if address and point:
            self.add_error("address", "Give an address or a point, not both.")
        elif address:
            try:
                self.origin = selectors.origin_of_address(address)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data

    def query(self) -> selectors.DirectoryQuery:
        d = self.cleaned_data
        origin = self.origin
        return selectors.DirectoryQuery(
            need=d.get("need") or "",
            words=d.get("words") or "",
            language=d.get("language") or "",
            latitude=origin.latitude if origin else d.get("latitude"),
            longitude=origin.longitude if origin else d.get("longitude"),
            origin=origin,
            within_km=d.get("within_km") or 25.0,
            open_now=bool(d.get("open_now")),
            free=bool(d.get("free")),
            age=d.get("age"),
        )


class PackageForm(forms.Form):
    """An HSDS package to check: a zip of its CSV files, or an HSDS JSON document."""

    package = forms.FileField(
        label="HSDS package",
        help_text="A zip archive of the package's CSV files (with or without datapackage.json), "
        "or an HSDS JSON document of services.",
    )


class ConfirmForm(forms.Form):
    pending = forms.UUIDField(widget=forms.HiddenInput)


class SaveForm(forms.Form):
    """Save a service for one person the peer works with."""

    client_id = replay_key()
    person = forms.ChoiceField(label="Person served")
    note = text_box("Note", rows=3, required=False, max_length=MAX_NOTE)

    def __init__(self, *args: Any, persons: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.persons = {str(p.public_id): p for p in persons}
        cast(forms.ChoiceField, self.fields["person"]).choices = [
            (key, f"{p.preferred_name or p.legal_given_name} {p.legal_family_name}")
            for key, p in self.persons.items()
        ]


class ConfidentialityForm(forms.Form):
    """Flag a service, or one place it is delivered at, as confidential (its address is then
    never stored or shown), or lower the flag; the reason is audited."""

    record = forms.ChoiceField(label="What changes")
    confidential = forms.TypedChoiceField(
        label="Confidentiality",
        choices=[
            ("yes", "Confidential: never store or show its address"),
            ("no", "Not confidential"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = text_box("Reason", rows=3, max_length=MAX_NOTE)

    def __init__(self, *args: Any, service: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = [sal.location for sal in service.service_at_locations.all()]
        self.records: dict[str, Any] = {"service": service} | {
            str(place.public_id): place for place in places
        }
        cast(forms.ChoiceField, self.fields["record"]).choices = [
            ("service", f"The whole service and every place of it ({service.name})")
        ] + [
            (
                str(place.public_id),
                f"Only the place {place}" + (" (confidential now)" if place.x_confidential else ""),
            )
            for place in places
        ]

"""Forms for environment-of-care inspections, work orders and checklists: they parse shape; the
services decide every rule."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import MomentField
from pillars.rounds.choices import (
    AreaKind,
    ItemCategory,
    ItemResult,
    WorkOrderStatus,
)
from pillars.rounds.models import InspectionTemplate, TemplateItem

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ChooseForm(forms.Form):
    """Step one: what is being inspected, and where."""

    template = forms.ChoiceField(label="Checklist")
    room = forms.ChoiceField(label="Room", required=False)
    area = forms.CharField(
        label="Or another area",
        required=False,
        max_length=120,
        help_text="For a bathroom, hallway, exit or the whole unit, say which.",
    )

    def __init__(self, *args: Any, templates: list[InspectionTemplate], rooms: Any, **kw: Any):
        super().__init__(*args, **kw)
        _choice(self, "template").choices = [("", "Choose a checklist")] + [
            (str(t.public_id), f"{t.name} ({t.get_area_kind_display()})") for t in templates
        ]
        _choice(self, "room").choices = [("", "No room: an area")] + [
            (str(r.public_id), f"Room {r.name}") for r in rooms
        ]


class InspectionForm(forms.Form):
    """Step two: one answer, note and photo field per item, named by the item's position (the
    service's errors use the same names)."""

    started_at = MomentField(widget=forms.HiddenInput, required=False)
    owner = forms.ChoiceField(
        label="Who owns any work orders this opens",
        required=False,
        help_text="Leave empty for the shift lead on duty.",
    )

    def __init__(self, *args: Any, items: list[TemplateItem], owners: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.items = items
        _choice(self, "owner").choices = [("", "The shift lead on duty")] + [
            (str(s.public_id), s.display_name) for s in owners
        ]
        for item in items:
            n = item.position
            self.fields[f"result_{n}"] = forms.ChoiceField(
                label=item.text,
                choices=ItemResult.choices,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{n}"] = forms.CharField(
                label="Note", required=False, max_length=1000, widget=forms.Textarea({"rows": 2})
            )
            self.fields[f"photo_{n}"] = forms.Field(
                label="Photos",
                required=False,
                widget=MultipleFileInput({"accept": PHOTO_ACCEPT, "capture": "environment"}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "item": item,
                "result": self[f"result_{item.position}"],
                "note": self[f"note_{item.position}"],
                "photo": self[f"photo_{item.position}"],
            }
            for item in self.items
        ]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status", choices=WorkOrderStatus.choices)
    note = forms.CharField(
        label="Note",
        max_length=1000,
        widget=forms.Textarea({"rows": 3}),
        help_text="What was done, or why the status changes.",
    )
    owner = forms.ChoiceField(label="Owner", required=False)

    def __init__(self, *args: Any, owners: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        _choice(self, "owner").choices = [("", "Keep the current owner")] + [
            (str(s.public_id), s.display_name) for s in owners
        ]


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    area_kind = forms.ChoiceField(label="Kind of place", choices=AreaKind.choices)
    description = forms.CharField(max_length=300, required=False)
    is_active = forms.BooleanField(label="Offered for new inspections", required=False)
    items = forms.CharField(
        label="Items, one per line",
        widget=forms.Textarea({"rows": 16}),
        help_text=(
            "Write each item as category | what to check. Categories: "
            + ", ".join(ItemCategory.values)
            + ". Saving makes a new version; inspections already done keep theirs."
        ),
    )

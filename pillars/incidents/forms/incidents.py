"""Forms of the incidents area: they parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import get_default_renderer
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from pillars.core.formtools import (
    LocalDateTimeField,
    TextAreaField,
    addendum_form,
    record_ticks,
    text_box,
)
from pillars.incidents.models import DeescalationStep
from pillars.incidents.models.incidents import DebriefKind, IncidentType, Severity
from pillars.people.models import PersonServed, Staff, Unit


class _PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in named groups. A list of checkboxes has no ``<optgroup>``, so each group is a
    fieldset whose legend a screen reader announces with every box in it."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        renderer = renderer or get_default_renderer()
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group, options, _ in widget["optgroups"]:
            # Django's own option template escapes every value it renders.
            rendered = [
                SafeString(renderer.render(o["template_name"], {"widget": o})) for o in options
            ]
            boxes = format_html_join("", "<div>{}</div>", ((box,) for box in rendered))
            if group:
                parts.append(
                    format_html(
                        '<fieldset class="choice-group"><legend>{}</legend>{}</fieldset>',
                        group,
                        boxes,
                    )
                )
            else:
                parts.append(boxes)
        return format_html(
            '<div id="{}">{}</div>',
            widget["attrs"].get("id", ""),
            format_html_join("", "{}", ((part,) for part in parts)),
        )


class IncidentForm(forms.Form):
    # Integer keys never leave the server: every choice is named by its public id.
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(), empty_label=None, to_field_name="public_id"
    )
    type = forms.ChoiceField(label="Type of incident", choices=IncidentType.choices)
    occurred_at = LocalDateTimeField(label="When it happened (unit time)")
    location = forms.CharField(label="Where", max_length=100)
    persons = record_ticks(
        "Persons served involved",
        PersonServed.objects.none(),
        field=_PersonChoice,
        to_field_name="public_id",
    )
    injured_persons = record_ticks(
        "Of those, injured",
        PersonServed.objects.none(),
        field=_PersonChoice,
        to_field_name="public_id",
    )
    staff_involved = record_ticks(
        "Staff involved", Staff.objects.none(), widget=GroupedCheckboxes, to_field_name="public_id"
    )
    witness_staff = record_ticks(
        "Staff who witnessed it",
        Staff.objects.none(),
        widget=GroupedCheckboxes,
        to_field_name="public_id",
    )
    witnesses_text = forms.CharField(
        label="Other witnesses (visitors, others)", max_length=300, required=False
    )
    steps = record_ticks(
        "De-escalation steps tried",
        DeescalationStep.objects.filter(is_active=True),
        to_field_name="code",
    )
    deescalation_other = forms.CharField(label="Other steps tried", max_length=300, required=False)
    narrative = TextAreaField(label="What happened", rows=6, max_length=10000)
    is_death = forms.BooleanField(label="A person died", required=False)

    def __init__(
        self,
        *args: Any,
        units: Any,
        persons: list[PersonServed],
        staff: list[tuple[str, list[Staff]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = units
        person_ids = [p.pk for p in persons]
        staff_ids = [s.pk for _, group in staff for s in group]
        for name in ("persons", "injured_persons"):
            field: Any = self.fields[name]
            field.queryset = PersonServed.objects.filter(pk__in=person_ids).order_by(
                "legal_family_name", "legal_given_name"
            )
        for name in ("staff_involved", "witness_staff"):
            field = self.fields[name]
            field.queryset = Staff.objects.filter(pk__in=staff_ids).order_by("display_name")
            # Grouped and ordered as given (on shift now first); the queryset still validates.
            field.widget.choices = [
                (label, [(str(s.public_id), s.display_name) for s in group])
                for label, group in staff
            ]


class InjuryForm(forms.Form):
    whom = forms.ChoiceField(label="Who was injured")
    severity = forms.ChoiceField(choices=Severity.choices)
    description = forms.CharField(max_length=300)
    treatment = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        whom: Any = self.fields["whom"]
        whom.choices = choices


class NoteForm(forms.Form):
    note = text_box("Review note", rows=3, max_length=4000)


AddendumForm = addendum_form(4000, reason_label="Why a correction")


class DebriefForm(forms.Form):
    kind = forms.ChoiceField(label="Debrief", choices=DebriefKind.choices)
    held_at = LocalDateTimeField(label="When (unit time)")
    participants = forms.CharField(label="Who took part", max_length=300)
    learned = text_box("What was learned", rows=4, max_length=4000)


class SentForm(forms.Form):
    sent_at = LocalDateTimeField(label="Sent at (unit time)", required=False)
    note = forms.CharField(label="How and to whom", max_length=300, required=False)

"""Form fields the browser does not remember (``core.formtools.FormRenderer``): what a nurse
types about a person served is not offered to the next user of a shared workstation. Every page
of the permission matrix is also checked for raw fields that would be remembered."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.urls import reverse

from pillars.people.forms import PersonSearchForm
from pillars.people.models import Unit
from pillars.people.tablet_forms import PinForm
from pillars.people.testing import World


def test_a_field_is_rendered_unremembered() -> None:
    html = str(PersonSearchForm(units=Unit.objects.none())["q"])
    assert 'autocomplete="off"' in html


def test_a_widget_that_names_its_own_autocomplete_keeps_it() -> None:
    form = PinForm()
    rendered = {name: str(form[name]) for name in form.fields}
    assert any('autocomplete="current-password"' in html for html in rendered.values())
    assert any('autocomplete="new-password"' in html for html in rendered.values())
    assert not any('autocomplete="off"' in html for html in rendered.values())


@pytest.mark.django_db
def test_a_person_form_page_renders_its_fields_unremembered(world: World, signed_in: Any) -> None:
    body = signed_in("nurse").get(reverse("people:person-create")).content.decode()
    for name in ("legal_given_name", "legal_family_name", "record_number"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
        assert tag is not None, name
        assert 'autocomplete="off"' in tag.group(0), tag.group(0)


def test_ticks_and_choices_carry_no_autocomplete() -> None:
    class Ticks(forms.Form):
        agree = forms.BooleanField()
        kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)

    form = Ticks()
    assert "autocomplete" not in str(form["agree"])
    assert "autocomplete" not in str(form["kind"])


def _form_classes() -> list[type[forms.BaseForm]]:
    """Every form class of Pillars' own form modules (``forms.py``, ``forms/``, ``*_forms.py``)."""
    import importlib
    import pkgutil

    import pillars

    for info in pkgutil.walk_packages(pillars.__path__, "pillars."):
        parts = info.name.split(".")
        if "tests" in parts or "migrations" in parts:
            continue
        if "forms" in parts or parts[-1].endswith("_forms"):
            importlib.import_module(info.name)
    found, stack = [], [forms.BaseForm]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("pillars.") and not sub.__module__.endswith(".admin"):
                found.append(sub)
    return found


def test_every_record_choice_names_records_by_public_id_or_code() -> None:
    """A choice of records posts the record's public id (or a code), never its integer key:
    integer keys never leave the server, and a tampered one (a number past the column's range)
    once reached the database and answered 500 on the consent form."""
    classes = _form_classes()
    assert len(classes) > 30
    by_key = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in classes
        for name, field in getattr(form, "base_fields", {}).items()
        if isinstance(field, forms.ModelChoiceField) and field.to_field_name is None
    ]
    assert by_key == []


def test_every_date_a_form_takes_is_held_to_the_calendar() -> None:
    """Every day and moment a form takes is a ``DayField`` or a ``MomentField``: a day at the
    calendar's edge (9999-12-31) once answered 500 on the shift assignment page, the integrity
    report and a video session's time, where a day was added to it or it was read in UTC."""
    from pillars.core.formtools import DayField, MomentField

    loose = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _form_classes()
        for name, field in getattr(form, "base_fields", {}).items()
        if (isinstance(field, forms.DateField) and not isinstance(field, DayField))
        or (isinstance(field, forms.DateTimeField) and not isinstance(field, MomentField))
    ]
    assert loose == []


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_a_day_or_a_moment_off_the_calendar_is_refused_by_name(value: str) -> None:
    from pillars.core.formtools import DayField, LocalDateTimeField

    class Dated(forms.Form):
        on = DayField()
        at = LocalDateTimeField()

    form = Dated({"on": value, "at": f"{value}T12:00"})
    assert not form.is_valid()
    for name in ("on", "at"):
        assert "between the years 1900 and 2200" in form.errors[name][0]
    assert Dated({"on": "2026-12-07", "at": "2026-12-07T12:00"}).is_valid()


@pytest.mark.django_db
def test_the_pages_that_once_failed_on_a_far_day_answer_with_the_form(
    world: World, signed_in: Any
) -> None:
    from pillars.recovery.models import VirtualSession
    from pillars.rounds.models import ShiftAssignment

    unit = {"public_id": world.unit_a.public_id}
    nurse = signed_in("nurse")
    report = nurse.get(reverse("rounds:integrity", kwargs=unit), {"day": "9999-12-31"})
    assert report.status_code == 200
    assert "between the years" in report.content.decode()
    assign = nurse.post(
        reverse("rounds:assign", kwargs=unit),
        {
            "day": "9999-12-31",
            "starts": "19:00",
            "ends": "07:00",
            "lead": str(world.staff["nurse"].public_id),
        },
    )
    assert assign.status_code == 200
    assert "between the years" in assign.content.decode()
    assert not ShiftAssignment.objects.exists()
    session = signed_in("peer").post(
        reverse("recovery:session-new", args=[world.person_a.public_id]),
        {"scheduled_at": "9999-12-31T23:59", "minutes_planned": "30"},
    )
    assert session.status_code == 200
    assert "between the years" in session.content.decode()
    assert not VirtualSession.objects.exists()

"""Form helpers every app's pages share: service errors back onto forms, one-service writes,
and the inputs for local dates and moments."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import tzinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from pillars.core import clock
from pillars.core.errors import Conflict

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def apply_errors(
    form: forms.Form, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError back on the form: on the field it names when the form has
    that field (``aliases`` maps service names to form names), otherwise on the whole form."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target: str | None = aliases.get(name, name)
            if target not in form.fields:
                target = None
            for error in errors:
                form.add_error(target, error.messages)
    else:
        form.add_error(None, exc.messages)


def split_list(text: str) -> list[str]:
    """Comma- or line-separated words, trimmed, without blanks or repeats (order kept)."""
    words = [w.strip() for w in text.replace("\n", ",").split(",")]
    return list(dict.fromkeys(w for w in words if w))


class WordsField(forms.CharField):
    """Words typed with commas (or lines) between them, read as a list (``split_list``); the
    typed text's length is checked first. Optional: nothing typed is an empty list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        return split_list(super().clean(value) or "")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _in_calendar(value: Any) -> None:
    """A typed day or moment in the years a record may name (``clock.storable_day``): one at
    the calendar's edge (9999-12-31) overflows once a day is added to it or it is read in UTC."""
    if value is not None:
        try:
            clock.storable_day(value)
        except ValueError as error:
            raise ValidationError(str(error), code="out_of_range") from None


class DayField(forms.DateField):
    """A calendar day typed in a form, in the years a record may name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        _in_calendar(value)


class TextAreaField(forms.CharField):
    """Multi-line text whose length is counted as the person typing it sees it: a browser sends
    each line break of a textarea as CR LF (two characters) while its own counter, and the
    person, count one, so text at the limit was refused as over it. Line breaks are made LF
    before any length is checked, and the textarea's maxlength matches."""

    def __init__(self, *args: Any, rows: int = 4, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)


def text_box(label: str, *, rows: int, **kwargs: Any) -> forms.CharField:
    """A text typed in a box of ``rows`` lines (a textarea), kept as the browser sends it;
    ``kwargs`` are the CharField's (``required``, ``max_length``, ``help_text``...)."""
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def addendum_form(
    max_text: int,
    *,
    reason_label: str = "Reason for the correction",
    reason_help: str = "",
    text_label: str = "Correction",
) -> type[forms.Form]:
    """The form of a correction (an addendum): its reason and its text, within the limits the
    service checks again (``people.models.Addendum.cleaned``)."""
    return type(
        "AddendumForm",
        (forms.Form,),
        {
            "reason": forms.CharField(label=reason_label, max_length=300, help_text=reason_help),
            "text": TextAreaField(label=text_label, max_length=max_text),
        },
    )


def plan_sign_form(signature_choices: Any, *, staff_as: str) -> type[forms.Form]:
    """The form of signing a plan's draft with the person (``core.plan_pages.sign_page``): how
    the person signed (one of ``signature_choices``), the name they typed, whether staff saw
    them sign on paper, and the staff member's own confirmation, signing as ``staff_as``."""
    return type(
        "SignForm",
        (forms.Form,),
        {
            "person_signature": forms.ChoiceField(
                label="How the person signed", choices=signature_choices, widget=forms.RadioSelect
            ),
            "typed_name": forms.CharField(
                label="Person's name, typed by them on the tablet", required=False, max_length=150
            ),
            "attested": forms.BooleanField(
                label="I saw the person sign the paper copy", required=False
            ),
            "staff_confirms": forms.BooleanField(
                label=f"I wrote this plan with the person and sign it as {staff_as}", required=True
            ),
        },
    )


def ticks(label: str, choices: Any = (), **kwargs: Any) -> forms.MultipleChoiceField:
    """An optional set of boxes to tick, one a choice."""
    return forms.MultipleChoiceField(
        label=label, choices=choices, widget=forms.CheckboxSelectMultiple, required=False, **kwargs
    )


def record_ticks(
    label: str,
    queryset: Any,
    *,
    field: type[forms.ModelMultipleChoiceField] = forms.ModelMultipleChoiceField,
    widget: Any = forms.CheckboxSelectMultiple,
    **kwargs: Any,
) -> forms.ModelMultipleChoiceField:
    """An optional set of boxes to tick, one a record of ``queryset`` (``field`` may name how a
    record is labelled), each named by its public id (integer keys never leave the server, and
    a tampered one cannot reach the database as a number out of its range)."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("to_field_name", "public_id")
    return field(label=label, queryset=queryset, widget=widget, **kwargs)


class MomentField(forms.DateTimeField):
    """A date and time posted by a form, in the years a record may name."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        _in_calendar(value)


class LocalDateTimeField(MomentField):
    """A moment typed in the unit's local time; views validate the form inside
    ``timezone.override(unit zone)`` so Django reads it in that zone (and refuses a time that
    does not exist or is ambiguous on a daylight-saving change day)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)


# --- One service write per form page --------------------------------------------------------


def refusal_text(exc: Exception) -> str:
    """What a service's refusal says: a conflict's message, or a ValidationError's messages."""
    if isinstance(exc, Conflict):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def form_failed(
    request: HttpRequest, template: str, context: dict[str, Any], exc: Exception
) -> HttpResponse:
    """Re-show a form after a service refused: its field errors, or a conflict as a message.

    Like every form in Pillars, the answer is 200: the errors are the page's content, htmx swaps
    only 2xx answers, and browsers log a 4xx page as an error."""
    if isinstance(exc, Conflict):
        messages.error(request, f"{exc.message} Nothing was saved.")
    return render(request, template, context)


def posted(request: HttpRequest) -> Any:
    """The form's data on a POST; None on a GET, so an unbound form shows its initial values."""
    return request.POST if request.method == "POST" else None


def form_write[T](
    request: HttpRequest,
    form: Any,
    template: str,
    context: dict[str, Any] | Callable[[], dict[str, Any]],
    write: Callable[[dict[str, Any]], T],
    done: Callable[[T], HttpResponse],
    *,
    field_map: dict[str, str] | None = None,
    zone: tzinfo | None = None,
) -> HttpResponse:
    """The shape every form page shares: a GET or an invalid POST shows the form; a valid POST
    calls one service with the cleaned data (``write``); a refusal re-shows the form with the
    service's errors; a success answers ``done(result)`` (a redirect, a page or
    an htmx fragment). With ``zone``, the form is read in the unit's zone (its local moments).
    ``context`` may be a function: the page's context is then built only when the form is
    shown, not on the way to a redirect."""
    if request.method == "POST":
        with timezone.override(zone) if zone is not None else nullcontext():
            valid = form.is_valid()
        if valid:
            try:
                result = write(form.cleaned_data)
            except (ValidationError, Conflict) as exc:
                if isinstance(exc, ValidationError):
                    apply_errors(form, exc, field_map or {})
                return form_failed(request, template, _built(context), exc)
            return done(result)
    return render(request, template, _built(context))


def _built(context: dict[str, Any] | Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return context() if callable(context) else context


def saved(request: HttpRequest, message: str, to: str) -> HttpResponse:
    """After a write: say so, and go where the user reads the result."""
    messages.success(request, message)
    return redirect(to)


def saved_to(
    request: HttpRequest,
    message: str | Callable[[Any], str],
    url_name: str,
    record: Any = None,
) -> Callable[[Any], HttpResponse]:
    """The ``done`` of a form page whose write makes or changes one record: say ``message``
    (or ``message(result)``) and open a record's page (``url_name``, taking its public id):
    ``record``'s when given (the session an addendum is added to), else the written one's."""

    def done(result: Any) -> HttpResponse:
        text = message(result) if callable(message) else message
        shown = result if record is None else record
        return saved(request, text, reverse(url_name, args=[shown.public_id]))

    return done


# Inputs that take no typed value (and where HTML does not allow ``autocomplete``).
_UNTYPED = frozenset({"checkbox", "radio", "file", "hidden"})


class UnrememberedBoundField(BoundField):
    """A form field whose typed values the browser does not keep (``autocomplete="off"``): on a
    shared workstation, a browser's suggestions for a field would show the next user the
    names, dates and notes typed before. A widget that names its own ``autocomplete`` (a
    one-time code, a new PIN) keeps it."""

    def build_widget_attrs(self, attrs: Any, widget: Any = None) -> dict[str, Any]:
        built = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        typed = getattr(widget, "input_type", "text") not in _UNTYPED
        if typed and "autocomplete" not in widget.attrs:
            built.setdefault("autocomplete", "off")
        return built


class FormRenderer(DjangoTemplates):
    """Pillars' form renderer (``FORM_RENDERER``): Django's, with unremembered fields."""

    bound_field_class = UnrememberedBoundField

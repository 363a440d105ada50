"""Form helpers every app's pages share: service errors back onto forms, one-service writes,
and the inputs for local dates and moments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A moment typed in the unit's local time; views validate the form inside
    ``timezone.override(unit zone)`` so Django reads it in that zone (and refuses a time that
    does not exist or is ambiguous on a daylight-saving change day)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)


# --- Where a person goes: one choice of unit and (optionally) a free bed ----------------------


def run_write(
    request: HttpRequest,
    form: Any,
    template: str,
    context: dict[str, Any],
    write: Callable[[], Any],
    field_map: dict[str, str] | None = None,
) -> tuple[Any, HttpResponse | None]:
    """Call one service for a valid form. A refusal (field errors or a conflict) comes back as
    the re-shown form, with the service's field errors on the form's fields."""
    try:
        return write(), None
    except (ValidationError, Conflict) as exc:
        if isinstance(exc, ValidationError):
            apply_errors(form, exc, field_map or {})
        return None, form_failed(request, template, context, exc)


def form_failed(
    request: HttpRequest, template: str, context: dict[str, Any], exc: Exception
) -> HttpResponse:
    """Re-show a form after a service refused: its field errors, or a conflict as a message.

    Like every form in Pillars, the answer is 200: the errors are the page's content, htmx swaps
    only 2xx answers, and browsers log a 4xx page as an error."""
    if isinstance(exc, Conflict):
        messages.error(request, f"{exc.message} Nothing was saved.")
    return render(request, template, context)

"""The two steps of an import page (staff and persons served from CSV, the resource directory
from an HSDS package): upload a file that is checked and held, nothing imported; then confirm,
and exactly the held bytes are imported at once. The apps' views call ``import_page`` with
their own forms, services and template."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pillars.core.formtools import posted


@dataclass(frozen=True)
class CheckedImport:
    """One kind of import. ``check(cleaned_data, actor)`` reads the upload and holds it
    (``hold=True``), raising ``refused`` (an exception with a ``message``) when the file as a
    whole cannot be read, which is shown on the form's ``upload_field``; ``commit(pending,
    actor)`` imports what was held, or answers None when it expired or was already confirmed.
    ``noun`` names what is uploaded ("file", "package"); ``url_name`` is the import page;
    ``context`` is what the template shows besides the forms and the report."""

    template: str
    url_name: str
    upload_form: type[forms.Form]
    confirm_form: type[forms.Form]
    upload_field: str
    noun: str
    refused: type[Exception]
    check: Callable[[dict[str, Any], Any], Any]
    commit: Callable[[Any, Any], Any]
    pending_minutes: int
    context: dict[str, Any] = field(default_factory=dict)


def import_page(request: HttpRequest, spec: CheckedImport) -> HttpResponse:
    """The upload and its report; a POST carrying ``pending`` is the confirmation."""
    if request.method == "POST" and "pending" in request.POST:
        return _confirm(request, spec)
    form = spec.upload_form(posted(request), request.FILES if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, **_shown(spec)}
    if request.method != "POST" or not form.is_valid():
        return render(request, spec.template, context)
    try:
        # The checked bytes wait as a pending import: the confirmation imports exactly them.
        report = spec.check(form.cleaned_data, request.user)
    except spec.refused as exc:
        form.add_error(spec.upload_field, getattr(exc, "message", str(exc)))
        return render(request, spec.template, context)
    context["report"] = report
    if report.pending is not None:
        context["confirm"] = spec.confirm_form(initial={"pending": report.pending.public_id})
        context["expires_at"] = report.pending.expires_at
        context["zone"] = settings.PILLARS_DEFAULT_TIME_ZONE
    return render(request, spec.template, context)


def _confirm(request: HttpRequest, spec: CheckedImport) -> HttpResponse:
    confirm = spec.confirm_form(request.POST)
    report = None
    if confirm.is_valid():
        report = spec.commit(confirm.cleaned_data["pending"], request.user)
    if report is None:
        messages.error(
            request,
            f"That import has expired or was already confirmed. Upload the {spec.noun} again "
            f"(a checked {spec.noun} waits {spec.pending_minutes} minutes).",
        )
        return redirect(spec.url_name)
    if report.committed:
        messages.success(request, report.summary())
        return redirect(spec.url_name)
    context = {"form": spec.upload_form(), **_shown(spec), "report": report}
    return render(request, spec.template, context)


def _shown(spec: CheckedImport) -> dict[str, Any]:
    """What the page (``core/import_page.html``) shows besides the forms and the report."""
    return {**spec.context, "import_url": reverse(spec.url_name), "import_what": spec.noun}

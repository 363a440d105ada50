"""The pages a signed, versioned plan shares (``core.plan_versions``): the person's plan with its
versions, writing the draft, one version, signing a draft with the person, and the printed copy.
The safety plan's and the wellness plan's views call these with their own selectors, services,
forms, templates and URL names, after their own scoped, audited reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pillars.core import clock
from pillars.core.formtools import form_write, posted, saved


def plan_page(
    request: HttpRequest,
    template: str,
    *,
    person: Any,
    versions: Sequence[Any],
    zone: Any,
    can_draft: bool,
) -> HttpResponse:
    """The person's plan: the current signed version, the draft, every version (newest
    first), whether the review is overdue in the person's time zone (``zone``)."""
    current = next((v for v in versions if v.is_signed), None)
    draft = next((v for v in versions if not v.is_signed), None)
    context = {
        "person": person,
        "current": current,
        "draft": draft,
        "versions": versions,
        "zone_name": str(zone),
        "overdue": current is not None and current.is_review_overdue(clock.today_in(zone)),
        "can_draft": can_draft,
    }
    return render(request, template, context)


def draft_page(
    request: HttpRequest,
    template: str,
    *,
    person: Any,
    zone: Any,
    draft: Any,
    current: Any,
    form_class: Any,
    starting_content: Callable[[Any], dict[str, Any]],
    review_days: int,
    save: Callable[..., Any],
    sign_url: str,
) -> HttpResponse:
    """Write the draft: the form starts from the draft, or from ``starting_content(current)``
    with a review ``review_days`` ahead; ``save(person, actor=..., content=..., review_on=...)``
    is the app's service; once saved, the draft's signing page (``sign_url``, a URL name)."""
    content = draft.content if draft else starting_content(current)
    review_on = draft.review_on if draft else clock.today_in(zone) + timedelta(days=review_days)
    initial = {**form_class.initial_from(content), "review_on": review_on}
    form = form_class(posted(request), initial=initial)
    return form_write(
        request,
        form,
        template,
        {"person": person, "form": form, "draft": draft, "current": current},
        lambda data: save(
            person, actor=request.user, content=form.content(), review_on=data["review_on"]
        ),
        lambda saved_draft: saved(
            request,
            f"Version {saved_draft.number} is saved as a draft. Read it together, then sign.",
            reverse(sign_url, args=[saved_draft.public_id]),
        ),
    )


def version_page(request: HttpRequest, template: str, version: Any, zone: Any) -> HttpResponse:
    """One version, its dates shown in the person's time zone."""
    return render(
        request,
        template,
        {"version": version, "person": version.person, "zone_name": str(zone)},
    )


def sign_page(
    request: HttpRequest,
    version: Any,
    *,
    form_class: type[forms.Form],
    template: str,
    version_url: str,
    plan_url: str,
    plan_name: str,
    not_ready: Callable[[Any], list[str]],
    sign: Callable[..., Any],
) -> HttpResponse:
    """Sign a draft (``sign(version, actor=..., person_signature=..., typed_name=...,
    attested=...)``, the app's service): the form, the reasons it is not ready yet, and on
    success the person's plan page (``plan_url``). A version already signed goes back to its
    page (``version_url``, a URL name taking its public id)."""
    person = version.person
    if version.is_signed:
        messages.info(request, f"Version {version.number} is already signed.")
        return redirect(version_url, public_id=version.public_id)
    form = form_class(posted(request))
    return form_write(
        request,
        form,
        template,
        {"version": version, "person": person, "form": form, "not_ready": not_ready(version)},
        lambda data: sign(
            version,
            actor=request.user,
            person_signature=data["person_signature"],
            typed_name=data["typed_name"],
            attested=data["attested"],
        ),
        lambda signed: saved(
            request,
            f"Version {signed.number} is signed and is now {person.display_name}'s {plan_name}.",
            plan_url,
        ),
    )


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A printed plan shown in the browser, never kept in a cache."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response

"""The pages a signed, versioned plan shares (``core.plan_versions``): signing a draft with the
person, and the printed copy. The safety plan's and the wellness plan's views call these with
their own selectors, services, forms, templates and URL names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from pillars.core.formtools import form_write, posted, saved


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

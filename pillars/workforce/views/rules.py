"""Workforce pages for the rules kept as versioned data: supervision cadence rules and
credential types, each with the versions before it, and the form that writes a rule's next
version (records made under a version keep it; core.versioning)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, reverse
from django.views.decorators.http import require_GET

from pillars.core import policy
from pillars.core.declare import audit_exempt
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET_POST, page
from pillars.core.routes import Routes
from pillars.workforce.forms.rules import CadenceRuleForm, CredentialTypeForm, RevisionForm
from pillars.workforce.models.credentials import CredentialType
from pillars.workforce.models.supervision import CadenceRule
from pillars.workforce.selectors import rules as selectors
from pillars.workforce.services.credentials import revise_credential_type
from pillars.workforce.services.supervision import revise_cadence_rule

route = Routes()

REVISE = "people.edit_unit"
_REVISE_PAGE = {
    CadenceRule: "workforce:cadence-revise",
    CredentialType: "workforce:credential-type-revise",
}


@route("rules/", name="rules")
@audit_exempt("lists workforce rules (reference data about no one)")
@login_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.view_floor_rules")
    context = {
        "cadence_rules": selectors.cadence_rules(),
        "credential_types": selectors.credential_types(),
        "can_revise": policy.can(request.user, REVISE),
    }
    return render(request, "workforce/rules/list.html", context)


def _revise(
    request: HttpRequest,
    model: type[Any],
    public_id: UUID,
    form_class: type[RevisionForm],
    revise: Callable[..., Any],
    kind: str,
) -> HttpResponse:
    """The form for a rule's next version. An earlier version's address leads to the current
    one: only the current version is revised."""
    policy.require(request.user, REVISE)
    found: Any = get_object_or_404(model, public_id=public_id)
    if not found.is_current:
        current = model._default_manager.get(code=found.code, is_current=True)
        return redirect(_REVISE_PAGE[model], public_id=current.public_id)
    # The form validates onto a copy: the version being revised stays as it was read.
    form = form_class(posted(request), instance=model._default_manager.get(pk=found.pk))
    back = reverse("workforce:rules")
    return form_write(
        request,
        form,
        "workforce/rules/revise.html",
        {"rule": found, "form": form, "back": back, "kind": kind},
        lambda data: revise(found, actor=request.user, **form.changes()),
        lambda new: saved(request, f"{new.name} is now version {new.version}.", back),
    )


@route("rules/cadence/<uuid:public_id>/revise/", name="cadence-revise")
@page("writes a cadence rule's next version; revise_cadence_rule audits it", GET_POST)
def cadence_revise(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _revise(
        request, CadenceRule, public_id, CadenceRuleForm, revise_cadence_rule, "supervision cadence"
    )


@route("rules/credential-types/<uuid:public_id>/revise/", name="credential-type-revise")
@page("writes a credential type's next version; revise_credential_type audits it", GET_POST)
def credential_type_revise(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _revise(
        request,
        CredentialType,
        public_id,
        CredentialTypeForm,
        revise_credential_type,
        "credential type",
    )


urlpatterns: list[URLPattern] = route.patterns

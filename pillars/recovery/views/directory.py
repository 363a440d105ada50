"""Pages of the resource directory: search, a service, saving a service for a person, and the
administrator's import (upload, preview the problems, confirm) and export.

A confidential location's address and coordinates are never stored (hsds.importer), so no
page can show them; the service page says to use the hotline instead.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, reverse
from django.views.decorators.http import require_GET

from pillars.core import policy
from pillars.core.declare import audit_exempt
from pillars.core.formtools import form_write, posted, saved
from pillars.core.import_pages import CheckedImport, import_page
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.recovery.forms.directory import (
    ConfidentialityForm,
    ConfirmForm,
    PackageForm,
    SaveForm,
    SearchForm,
)
from pillars.recovery.hsds.package import PackageRefused
from pillars.recovery.selectors import directory as selectors
from pillars.recovery.services import directory as services

route = Routes()


@route("directory/", name="directory-search")
@page("directory search: reference data, a SEARCH event naming no person", GET)
def search(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.search_directory")
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        results = selectors.search(request.user, form.query())
    context = {
        "form": form,
        "results": results,
        "origin": form.origin if results is not None else None,
        "can_manage": policy.can(request.user, "recovery.manage_directory"),
    }
    return render(request, "recovery/directory/search.html", context)


@route("directory/services/<uuid:public_id>/", name="directory-service")
@audit_exempt("a community service's public directory entry: reference data, no person's")
@login_required
@require_GET
def service_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    service = selectors.get_service_for(request.user, public_id)
    context = {
        "service": service,
        "needs": selectors.needs_of(service),
        "confidential": selectors.is_confidential(service),
        "can_save": policy.can(request.user, "recovery.save_resource"),
        "can_manage": policy.can(request.user, "recovery.manage_directory"),
    }
    return render(request, "recovery/directory/service_detail.html", context)


@route("directory/services/<uuid:public_id>/confidentiality/", name="directory-confidentiality")
@page("flags a service or place confidential, or lowers it (set_confidential audits)", GET_POST)
def confidentiality(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The one way a place stops being confidential, and the quick way to make one so (an
    import never lowers the flag): the installation's operator, with a reason."""
    policy.require(request.user, "recovery.manage_directory")
    service = selectors.get_service_for(request.user, public_id)
    form = ConfidentialityForm(posted(request), service=service)
    back = reverse("recovery:directory-service", args=[service.public_id])

    def change(data: dict[str, Any]) -> Any:
        return services.set_confidential(
            form.records[data["record"]],
            actor=request.user,
            confidential=data["confidential"],
            reason=data["reason"],
        )

    return form_write(
        request,
        form,
        "recovery/directory/confidentiality.html",
        {"service": service, "form": form, "cancel_url": back},
        change,
        lambda record: saved(
            request,
            f"“{record}” is {'' if record.x_confidential else 'no longer '}confidential.",
            back,
        ),
    )


@route("directory/services/<uuid:public_id>/save/", name="directory-save")
@page(
    "lists the peer's persons to choose from (record_list_read) and saves (service audits)",
    GET_POST,
)
def save(request: HttpRequest, public_id: UUID) -> HttpResponse:
    policy.require(request.user, "recovery.save_resource")
    service = selectors.get_service_for(request.user, public_id)
    persons = list(
        people_selectors.persons_visible_to(request.user, action="recovery.save_resource")[:200]
    )
    people_selectors.record_list_read(request.user, persons, what="directory save form")
    form = SaveForm(posted(request), persons=persons)
    return form_write(
        request,
        form,
        "recovery/directory/save.html",
        {"service": service, "form": form},
        lambda data: services.save_resource(
            form.persons[data["person"]],
            service,
            actor=request.user,
            note=data["note"],
            client_id=data["client_id"],
        ),
        lambda _: saved(
            request,
            f"Saved “{service.name}” for this person.",
            reverse("recovery:directory-service", args=[service.public_id]),
        ),
    )


_IMPORT = CheckedImport(
    template="recovery/directory/import.html",
    url_name="recovery:directory-import",
    upload_form=PackageForm,
    confirm_form=ConfirmForm,
    upload_field="package",
    noun="package",
    refused=PackageRefused,
    check=lambda data, actor: services.import_package(
        services.files_of_upload(data["package"].read(), data["package"].name or ""),
        actor=actor,
        source=data["package"].name or "",
        hold=True,
    ),
    commit=lambda pending, actor: services.commit_pending_import(pending, actor=actor),
    pending_minutes=services.PENDING_MINUTES,
)


@route("directory/import/", name="directory-import")
@page("imports an HSDS package (import_package writes the IMPORT event)", GET_POST)
def import_package(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.manage_directory")
    return import_page(request, _IMPORT)


@route("directory/hsds-package/", name="directory-export")
@page("exports the directory through core.exports (an EXPORT event)", GET)
def export_package(request: HttpRequest) -> HttpResponse:
    files = services.export_package(actor=request.user)
    response = HttpResponse(services.zip_files(files), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="hsds-directory.zip"'
    return response


urlpatterns: list[URLPattern] = route.patterns

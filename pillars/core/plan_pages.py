"""The pages a signed, versioned plan shares (``core.plan_versions``): the person's plan with its
versions, writing the draft, one version, signing a draft with the person, and the printed copy.
The safety plan's and the wellness plan's views call these with their own selectors, services,
forms, templates and URL names, after their own scoped, audited reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pillars.core import clock, policy
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET, GET_POST, page
from pillars.core.plan_versions import PlanVersions
from pillars.core.routes import Routes


def plan_page(
    request: HttpRequest,
    template: str,
    *,
    person: Any,
    versions: Sequence[Any],
    zone: Any,
    can_draft: bool,
    plan_name: str,
    urls: str,
    signatures: str,
) -> HttpResponse:
    """The person's plan: the current signed version, the draft, every version (newest
    first), whether the review is overdue in the person's time zone (``zone``). ``urls`` is the
    URL name the plan's pages share (see ``PlanViews``); ``signatures`` the template showing a
    version's signatures."""
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
        "plan_name": plan_name,
        "plan_pdf_url": f"{urls}-pdf",
        "plan_edit_url": f"{urls}-edit",
        "plan_version_url": f"{urls}-version",
        "plan_sign_url": f"{urls}-sign",
        "plan_signatures": signatures,
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
    plan_name: str,
    urls: str,
) -> HttpResponse:
    """Write the draft: the form starts from the draft, or from ``starting_content(current)``
    with a review ``review_days`` ahead; ``save(person, actor=..., content=..., review_on=...)``
    is the app's service; once saved, the draft's signing page. ``urls`` is the URL name the
    plan's pages share (see ``PlanViews``)."""
    content = draft.content if draft else starting_content(current)
    review_on = draft.review_on if draft else clock.today_in(zone) + timedelta(days=review_days)
    initial = {**form_class.initial_from(content), "review_on": review_on}
    form = form_class(posted(request), initial=initial)
    return form_write(
        request,
        form,
        template,
        {
            "person": person,
            "form": form,
            "draft": draft,
            "current": current,
            "plan_name": plan_name,
            "plan_url": urls,
        },
        lambda data: save(
            person, actor=request.user, content=form.content(), review_on=data["review_on"]
        ),
        lambda saved_draft: saved(
            request,
            f"Version {saved_draft.number} is saved as a draft. Read it together, then sign.",
            reverse(f"{urls}-sign", args=[saved_draft.public_id]),
        ),
    )


def version_page(
    request: HttpRequest, template: str, version: Any, zone: Any, *, plan_name: str, urls: str
) -> HttpResponse:
    """One version, its dates shown in the person's time zone; ``urls`` is the URL name the
    plan's pages share (see ``PlanViews``)."""
    context = {
        "version": version,
        "person": version.person,
        "zone_name": str(zone),
        "plan_name": plan_name,
        "plan_url": urls,
        "plan_pdf_url": f"{urls}-pdf",
    }
    return render(request, template, context)


def sign_page(
    request: HttpRequest,
    version: Any,
    *,
    form_class: type[forms.Form],
    template: str,
    urls: str,
    plan_url: str,
    plan_name: str,
    not_ready: Callable[[Any], list[str]],
    sign: Callable[..., Any],
) -> HttpResponse:
    """Sign a draft (``sign(version, actor=..., person_signature=..., typed_name=...,
    attested=...)``, the app's service): the form, the reasons it is not ready yet, and on
    success the person's plan page (``plan_url``). A version already signed goes back to its
    page. ``urls`` is the URL name the plan's pages share (see ``PlanViews``)."""
    person = version.person
    if version.is_signed:
        messages.info(request, f"Version {version.number} is already signed.")
        return redirect(f"{urls}-version", public_id=version.public_id)
    form = form_class(posted(request))
    context = {
        "version": version,
        "person": person,
        "form": form,
        "not_ready": not_ready(version),
        "plan_name": plan_name,
        "plan_edit_url": f"{urls}-edit",
        "plan_pdf_url": f"{urls}-pdf",
    }
    return form_write(
        request,
        form,
        template,
        context,
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
    """A printed copy (a plan, a consent, a report) shown in the browser, never kept in a cache."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class PlanViews:
    """The five pages of one kind of plan, made by ``views``: the person's plan, writing the
    draft, one version, signing it and the printed copy. ``urls`` is the URL name they share
    ("incidents:safety-plan", with "-edit", "-version", "-sign" and "-pdf"); ``templates`` the
    folder of plan.html, plan_form.html, version.html and sign.html; ``view_action`` the policy
    action to read the plan (``versions``, the plan's ``PlanVersions``, has the actions to
    draft and sign, and the person's zone). ``get_person`` and ``selectors`` read (scoped, audited);
    ``services`` holds ``starting_content`` and the writes ``save`` and
    ``sign``; ``export`` makes the printed copy. ``writable`` says whether the user may write
    in the person's record at all (not when they read it through emergency access); drafting
    also needs the draft action."""

    plan_name: str
    urls: str
    templates: str
    view_action: str
    versions: PlanVersions
    get_person: Callable[..., Any]
    selectors: Any
    services: Any
    save: Callable[..., Any]
    sign: Callable[..., Any]
    plan_form: Any
    sign_form: type[forms.Form]
    export: Callable[..., bytes]
    writable: Callable[[HttpRequest, Any], bool]
    review_days: int
    module: str

    def views(self, route: Routes) -> tuple[Callable[..., HttpResponse], ...]:
        """plan, plan_edit, version_detail, version_sign and version_pdf, in that order, each
        routed in ``route`` under its URL name: the person's plan at
        ``persons/<id>/safety-plan/`` (and ``edit/``), a version at ``safety-plans/<id>/``
        (and ``sign/``, ``print/``), for the URL name "incidents:safety-plan"."""
        name, view_action = self.plan_name, self.view_action
        draft_action, sign_action = self.versions.draft_action, self.versions.sign_action
        zone_of = self.versions.zone_of
        get_version = self.selectors.get_version_for

        def plan(request: HttpRequest, public_id: UUID) -> HttpResponse:
            person = self.get_person(request.user, public_id, view_action, what=name)
            return plan_page(
                request,
                f"{self.templates}/plan.html",
                person=person,
                versions=list(self.selectors.versions_of(person, request.user)),
                zone=zone_of(person),
                can_draft=self.writable(request, person)
                and policy.allows(request.user, draft_action, person),
                plan_name=name,
                urls=self.urls,
                signatures=f"{self.templates}/_signatures.html",
            )

        def plan_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
            person = self.get_person(request.user, public_id, draft_action, what=f"{name} draft")
            return draft_page(
                request,
                f"{self.templates}/plan_form.html",
                person=person,
                zone=zone_of(person),
                draft=self.selectors.draft_of(person, request.user),
                current=self.selectors.current_plan(person, request.user),
                form_class=self.plan_form,
                starting_content=self.services.starting_content,
                review_days=self.review_days,
                save=self.save,
                plan_name=name,
                urls=self.urls,
            )

        def version_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
            version = get_version(request.user, public_id, what=f"{name} version")
            return version_page(
                request,
                f"{self.templates}/version.html",
                version,
                zone_of(version.person),
                plan_name=name,
                urls=self.urls,
            )

        def version_sign(request: HttpRequest, public_id: UUID) -> HttpResponse:
            version = get_version(request.user, public_id, sign_action, what=f"{name} to sign")
            return sign_page(
                request,
                version,
                form_class=self.sign_form,
                template=f"{self.templates}/sign.html",
                urls=self.urls,
                plan_url=reverse(self.urls, args=[version.person.public_id]),
                plan_name=name,
                not_ready=self.versions.not_ready_to_sign,
                sign=self.sign,
            )

        def version_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
            version = get_version(request.user, public_id, what=f"{name} pdf")
            return pdf_response(
                self.export(request.user, version, channel="page"),
                f"{name.replace(' ', '-')}-v{version.number}.pdf",
            )

        made = (
            (plan, f"a person's {name} and its versions; get_person_for audits the read", GET),
            (
                plan_edit,
                f"writes the next version of a {name}; get_person_for and the service audit",
                GET_POST,
            ),
            (version_detail, f"one version of a {name}; get_version_for audits the read", GET),
            (
                version_sign,
                f"signs a {name} version; get_version_for and the service audit",
                GET_POST,
            ),
            (
                version_pdf,
                f"the printed copy of a {name}; get_version_for audits, exports.release logs",
                GET,
            ),
        )
        slug = self.urls.split(":")[1]
        paths = (
            (f"persons/<uuid:public_id>/{slug}/", slug),
            (f"persons/<uuid:public_id>/{slug}/edit/", f"{slug}-edit"),
            (f"{slug}s/<uuid:public_id>/", f"{slug}-version"),
            (f"{slug}s/<uuid:public_id>/sign/", f"{slug}-sign"),
            (f"{slug}s/<uuid:public_id>/print/", f"{slug}-pdf"),
        )
        return tuple(
            route(path, name=url_name)(self._page(view, what, methods))
            for (view, what, methods), (path, url_name) in zip(made, paths, strict=True)
        )

    def _page(
        self, view: Callable[..., HttpResponse], what: str, methods: Sequence[str]
    ) -> Callable[..., HttpResponse]:
        view.__module__ = self.module
        view.__qualname__ = view.__name__
        return page(what, methods)(view)

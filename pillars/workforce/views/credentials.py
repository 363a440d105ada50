"""Workforce pages for credentials: a staff member's credentials, CE hours and trainings (their
own, or as their supervisor or a leader), recording a credential or CE hours with evidence,
the administrators' verification queue, and the compliance overview with its CSV export.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, reverse

from pillars.audit.choices import Purpose
from pillars.core import clock, exports, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.core.formtools import form_write, posted, refusal_text, saved
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.roles import RoleCode
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff, Unit
from pillars.people.tenancy import in_organization
from pillars.workforce.forms.credentials import CeForm, CredentialForm, VerifyForm, WaiveForm
from pillars.workforce.models.credentials import CeRecord, Credential
from pillars.workforce.models.trainings import TrainingCompletion
from pillars.workforce.selectors import credentials as selectors
from pillars.workforce.selectors import gating as gating_selectors
from pillars.workforce.selectors import trainings as training_selectors
from pillars.workforce.services import credentials as services

route = Routes()


def _staff(request: HttpRequest, public_id: UUID) -> Staff:
    return people_selectors.get_staff_for(request.user, public_id, "workforce.view_credentials")


def _page(request: HttpRequest, staff: Staff) -> HttpResponse:
    today = clock.organization_today()
    rows = selectors.credentials_of(staff, request.user)
    records = selectors.ce_records_of(staff, request.user)
    held = selectors.current_by_type(rows, today)
    return render(
        request,
        "workforce/credentials/staff.html",
        {
            "member": staff,
            "is_self": staff.pk == policy.actor_for(request.user).staff_id,
            "today": today,
            "held": [(c, c.state_on(today), c.days_left_on(today)) for c in held],
            "history": [(c, c.state_on(today)) for c in rows],
            "summaries": [
                selectors.ce_summary(c, records, rows)
                for c in held
                if c.credential_type.ce_total_hours or c.credential_type.ce_minimums
            ],
            "ce_records": records,
            "trainings": training_selectors.trainings_of(staff, request.user, today),
            "warnings": gating_selectors.warnings_of(staff, request.user),
            "can_record": policy.allows(request.user, "workforce.record_credential", staff),
            "can_download": policy.allows(request.user, "workforce.download_evidence", staff),
            "can_complete": policy.allows(request.user, "workforce.record_completion", staff),
        },
    )


@route("credentials/mine/", name="my-credentials")
@page("one's own credentials; credentials_of audits the read", GET)
def my_credentials(request: HttpRequest) -> HttpResponse:
    actor = policy.require(request.user, "workforce.view_own_credentials")
    staff = Staff.objects.select_related("user").get(pk=actor.staff_pk)
    return _page(request, staff)


@route("staff/<uuid:public_id>/credentials/", name="staff-credentials")
@page("a staff member's credentials; get_staff_for and credentials_of audit the read", GET)
def staff_credentials(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _page(request, _staff(request, public_id))


def evidence_response(found: selectors.EvidenceFile) -> FileResponse:
    """Send an evidence file as a download under a name made from the record, with its checked
    type: never shown inline, never sniffed, never cached."""
    response = FileResponse(
        found.record.evidence.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _evidence(model: type[Any]) -> Any:
    @page("one evidence file; get_evidence_for checks the policy and audits the read", GET)
    def view(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
        return evidence_response(selectors.get_evidence_for(request.user, model, public_id))

    view.__name__ = f"{model._meta.model_name}_evidence"
    return view


credential_evidence = route("credentials/<uuid:public_id>/evidence/", name="credential-evidence")(
    _evidence(Credential)
)
ce_evidence = route("ce/<uuid:public_id>/evidence/", name="ce-evidence")(_evidence(CeRecord))
completion_evidence = route("completions/<uuid:public_id>/evidence/", name="completion-evidence")(
    _evidence(TrainingCompletion)
)


def _back(staff: Staff, request: HttpRequest) -> str:
    if staff.pk == policy.actor_for(request.user).staff_id:
        return reverse("workforce:my-credentials")
    return reverse("workforce:staff-credentials", args=[staff.public_id])


def evidence_form(
    what: str,
    action: str,
    form_class: Callable[..., forms.Form],
    template: str,
    record: Callable[..., Any],
    message: Callable[[Any], str],
) -> Callable[[HttpRequest, UUID], HttpResponse]:
    """The page recording something with its evidence file for one staff member (a credential,
    CE hours, a training completion), declared as audited by ``what``: the form with its
    upload; ``record``, the one service, takes the staff member and the form's fields (no file:
    ``evidence=None``); then the staff member's credentials page (their own, or the one the user
    manages)."""

    @page(what, GET_POST)
    def view(request: HttpRequest, public_id: UUID) -> HttpResponse:
        staff = people_selectors.get_staff_for(request.user, public_id, action)
        form = form_class(posted(request), request.FILES or None)
        return form_write(
            request,
            form,
            template,
            {"member": staff, "form": form, "back": _back(staff, request)},
            lambda data: record(
                staff, actor=request.user, **{**data, "evidence": data.get("evidence") or None}
            ),
            lambda made: saved(request, message(made), _back(staff, request)),
        )

    view.__name__ = f"{record.__name__}_page"
    return view


credential_new = route("staff/<uuid:public_id>/credentials/new/", name="credential-new")(
    evidence_form(
        "records a credential; record_credential audits the write",
        "workforce.record_credential",
        CredentialForm,
        "workforce/credentials/credential_form.html",
        services.record_credential,
        lambda c: (
            f"{c.credential_type.name} is recorded"
            + (f"; it expires on {c.expires_on:%d %b %Y}." if c.expires_on else ".")
        ),
    )
)
ce_new = route("staff/<uuid:public_id>/ce/new/", name="ce-new")(
    evidence_form(
        "records CE hours; record_ce audits the write",
        "workforce.record_ce",
        CeForm,
        "workforce/credentials/ce_form.html",
        services.record_ce,
        lambda r: f"{r.hours} CE hours are recorded.",
    )
)


@route("credentials/verify/", name="verification-queue")
@page("the credentials waiting for verification; verification_queue audits the read", GET)
def verification_queue(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.verify_credential")
    today = clock.organization_today()
    rows = selectors.verification_queue(request.user)
    return render(
        request,
        "workforce/credentials/queue.html",
        {
            "rows": [(c, c.state_on(today)) for c in rows],
            "verify_form": VerifyForm(),
            "waive_form": WaiveForm(),
        },
    )


def _decide(request: HttpRequest, public_id: UUID, form: VerifyForm | WaiveForm) -> HttpResponse:
    credential = selectors.get_credential_for(
        request.user, public_id, "workforce.verify_credential"
    )
    if form.is_valid():
        try:
            if isinstance(form, VerifyForm):
                services.verify_credential(
                    credential, actor=request.user, method=form.cleaned_data["method"]
                )
                message = f"{credential.credential_type.name} of {credential.staff} is verified."
            else:
                services.waive_credential(
                    credential,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    until=form.cleaned_data.get("until"),
                )
                message = f"{credential.credential_type.name} of {credential.staff} is waived."
        except (ValidationError, Conflict) as exc:
            text = refusal_text(exc)
            from django.contrib import messages

            messages.error(request, f"{text} Nothing was saved.")
            return redirect("workforce:verification-queue")
        return saved(request, message, reverse("workforce:verification-queue"))
    from django.contrib import messages

    problems = "; ".join(" ".join(str(m) for m in e) for e in form.errors.values())
    messages.error(request, f"{problems} Nothing was saved.")
    return redirect("workforce:verification-queue")


@route("credentials/<uuid:public_id>/verify/", name="credential-verify")
@page("verifies a credential; verify_credential audits the write", POST)
def credential_verify(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, VerifyForm(request.POST))


@route("credentials/<uuid:public_id>/waive/", name="credential-waive")
@page("waives a credential; waive_credential audits the write", POST)
def credential_waive(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, WaiveForm(request.POST))


def _filters(request: HttpRequest) -> tuple[str, str]:
    unit = str(request.GET.get("unit", ""))[:32]
    role = str(request.GET.get("role", ""))[:20]
    if role and role not in RoleCode.values:
        role = ""
    return unit, role


@route("compliance/", name="compliance")
@page("the compliance overview; compliance_for audits the read", GET)
def compliance(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.view_compliance")
    unit, role = _filters(request)
    lines = selectors.compliance_for(request.user, unit=unit, role=role)
    counts = {
        key: sum(1 for line in lines if line.status == key)
        for key in (selectors.COMPLIANT, selectors.EXPIRING, selectors.LAPSED)
    }
    return render(
        request,
        "workforce/credentials/compliance.html",
        {
            "lines": [line for line in lines if line.status != selectors.COMPLIANT],
            "total": len(lines),
            "counts": counts,
            "by_unit": selectors.groups_of(lines, "unit"),
            "by_role": selectors.groups_of(lines, "role"),
            "unit": unit,
            "role": role,
            "units": in_organization(Unit.objects.filter(is_active=True), request.user).order_by(
                "name"
            ),
            "roles": RoleCode.choices,
        },
    )


CSV_HEADER = ["staff", "units", "roles", "status", "lapsed", "expiring", "earliest end"]


@route("compliance.csv", name="compliance-csv")
@page("the compliance export; exports.release logs it", GET)
def compliance_csv(request: HttpRequest) -> HttpResponseBase:
    policy.require(request.user, "workforce.view_compliance")
    unit, role = _filters(request)
    lines = selectors.compliance_for(request.user, unit=unit, role=role)
    # The one door for exports: it logs what left and for whom.
    release = exports.release(
        request.user,
        what="workforce.compliance",
        fmt="csv",
        purpose=Purpose.ADMINISTRATION,
        detail={"unit": unit, "role": role, "rows": len(lines)},
    )
    return exports.csv_download(
        release,
        filename="credential-compliance",
        header=CSV_HEADER,
        rows=(
            [
                line.staff.display_name,
                " ".join(line.units),
                " ".join(line.roles),
                line.status_label,
                "; ".join(line.lapsed),
                "; ".join(line.expiring),
                line.earliest_end.isoformat() if line.earliest_end else "",
            ]
            for line in lines
        ),
    )


urlpatterns: list[URLPattern] = route.patterns

"""Pages for Part 2 consents (42 CFR 2.31): a person's consents, recording one, reading it,
its printable form, and its written revocation or expiry event. For the person's team and the
privacy officer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern

from pillars.audit.choices import Category, Purpose
from pillars.core import clock, exports, policy, prepared
from pillars.core.formtools import form_write, posted, saved_to
from pillars.core.pages import GET, GET_POST, page
from pillars.core.pdf import document, writer
from pillars.core.plan_pages import pdf_response
from pillars.core.routes import Routes
from pillars.people import consent_pdf, consents
from pillars.people import selectors as people_selectors
from pillars.people.consent_forms import CONSENT_FIELDS, ConsentForm, ExpiryEventForm, RevokeForm
from pillars.people.consent_models import Consent, ConsentProgram
from pillars.people.models import PersonServed, Placement, Staff, Unit
from pillars.people.sections import PRIVACY, PersonSection, register_section
from pillars.people.tenancy import in_organization

route = Routes()


def with_state(rows: list[Consent]) -> list[Consent]:
    now = clock.now()
    for consent in rows:
        consent.state = consent.state_on(now, consents.consent_today(consent))  # type: ignore[attr-defined]
    return rows


@route("persons/<uuid:public_id>/consents/", name="consent-list")
@page("a person's Part 2 consents; get_person_for audits the read", GET)
def consent_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "people.view_consents", what="consents"
    )
    rows = with_state(consents.consents_of(request.user, person))
    return render(
        request,
        "people/consent_list.html",
        {
            "person": person,
            "consents": rows,
            "can_record": policy.allows(request.user, "people.record_consent", person),
            "can_account": policy.allows(request.user, "people.view_disclosures", person),
            # The privacy officer reaches consents from the index, not from the person's page,
            # which their role does not open.
            "can_open_person": policy.allows(request.user, "people.view_person", person),
            "can_index": policy.allows(request.user, "people.view_disclosures"),
        },
    )


@route("consents/", name="consent-index")
@page("every Part 2 consent, newest first, for the privacy officer (an audited list read)", GET)
def consent_index(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.view_disclosures")
    state = request.GET.get("state", "")
    rows = with_state(consents.recent_consents(request.user))
    if state in {"active", "expired", "revoked"}:
        rows = [c for c in rows if c.state == state]  # type: ignore[attr-defined]
    people_selectors.record_list_read(
        request.user,
        list({c.person_id: c.person for c in rows}.values()),
        what="consents",
        purpose=Purpose.OVERSIGHT,
    )
    return render(
        request,
        "people/consent_index.html",
        {"consents": rows, "state": state, "limit": consents.INDEX_LIMIT},
    )


@route("persons/<uuid:public_id>/consents/new/", name="consent-create")
@page("records a signed Part 2 consent; get_person_for and record_consent audit", GET_POST)
def consent_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "people.record_consent", what="consent form"
    )
    form = ConsentForm(
        posted(request),
        staff=policy.restrict(
            Staff.objects.filter(exited_on__isnull=True), request.user, "people.view_staff"
        ).order_by("display_name"),
        programs=consents.part2_programs(request.user),
        units=in_organization(Unit.objects.filter(is_active=True), request.user).order_by("name"),
        # The person's local day (their unit's zone), not UTC's: in the evening UTC is already
        # on tomorrow, which record_consent refuses as a future signature date.
        initial={
            "signed_on": clock.local(clock.now(), people_selectors.person_zone(person)).date()
        },
    )

    def write(data: dict[str, Any]) -> Consent:
        return consents.record_consent(
            person,
            actor=request.user,
            programs=data["programs"],
            information_kinds=data["information_kinds"],
            information_description=data["information_description"],
            purposes=data["purposes"],
            purpose_description=data["purpose_description"],
            recipients=form.recipients(),
            expires_on=data["expires_on"],
            expiry_event=data["expiry_event"],
            signed_by=data["signed_by"],
            signer_name=data["signer_name"],
            representative_authority=data["representative_authority"],
            signed_on=data["signed_on"],
        )

    return form_write(
        request,
        form,
        "people/consent_form.html",
        {"person": person, "form": form},
        write,
        saved_to(request, "The consent is recorded.", "people:consent-detail"),
        field_map=CONSENT_FIELDS,
    )


@route("consents/<uuid:public_id>/", name="consent-detail")
@page("one Part 2 consent; get_consent_for audits the read", GET)
def consent_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    consent = consents.get_consent_for(request.user, public_id)
    with_state([consent])
    return render(
        request,
        "people/consent_detail.html",
        {
            "consent": consent,
            "person": consent.person,
            "lines": consent_pdf.consent_lines(consent),
            "statements": consent_statements(consent),
            "can_revoke": consent.revoked_at is None
            and policy.allows(request.user, "people.revoke_consent", consent),
        },
    )


def consent_statements(consent: Consent) -> list[str]:
    from pillars.people.consent_models import (
        CONDITIONING_STATEMENT,
        REDISCLOSURE_STATEMENT,
        REVOCATION_STATEMENT,
    )

    found = [REVOCATION_STATEMENT, CONDITIONING_STATEMENT]
    return [*found, REDISCLOSURE_STATEMENT] if consent.is_tpo else found


@route("consents/<uuid:public_id>/print/", name="consent-print")
@page("the printable consent form; get_consent_for audits the read", GET)
def consent_print(request: HttpRequest, public_id: UUID) -> HttpResponse:
    consent = consents.get_consent_for(request.user, public_id)
    # A consent names a person's substance-use treatment: its copy leaves by the export door.
    release = exports.release(
        request.user,
        what="people.consent",
        fmt="pdf",
        part2=True,
        person_id=consent.person.public_id,
        detail={"consent": str(consent.public_id)},
    )
    return pdf_response(consent_pdf.render(consent, release), f"consent-{consent.signed_on}.pdf")


def _ending(
    what: str, posted_key: str, write: Callable[..., Any], message: str
) -> Callable[[HttpRequest, UUID], HttpResponse]:
    """The page that ends a consent holds two forms: a written revocation ("form") and the
    event that ends it ("event"). Each of its views takes one of them (``posted_key``) to
    ``write``, with the consent and the form's fields; the other shows empty."""

    @page(what, GET_POST)
    def view(request: HttpRequest, public_id: UUID) -> HttpResponse:
        consent = consents.get_consent_for(request.user, public_id, "people.revoke_consent")
        both: dict[str, Any] = {"form": RevokeForm, "event": ExpiryEventForm}
        shown = {
            key: cls(posted(request) if key == posted_key else None) for key, cls in both.items()
        }
        return form_write(
            request,
            shown[posted_key],
            "people/consent_revoke.html",
            {"consent": consent, "person": consent.person, **shown},
            lambda data: write(consent, actor=request.user, **data),
            saved_to(request, message, "people:consent-detail"),
        )

    view.__name__ = f"{write.__name__}_page"
    return view


consent_revoke = route("consents/<uuid:public_id>/revoke/", name="consent-revoke")(
    _ending(
        "records a written revocation; get_consent_for and revoke_consent audit",
        "form",
        consents.revoke_consent,
        "The revocation is recorded; it applies to every disclosure from now on.",
    )
)
consent_expiry_event = route(
    "consents/<uuid:public_id>/expiry-event/", name="consent-expiry-event"
)(
    _ending(
        "records the expiry event of a consent; get_consent_for and the service audit",
        "event",
        consents.record_expiry_event,
        "The expiry event is recorded; the consent has ended.",
    )
)


def _accounting(request: HttpRequest, public_id: UUID, what: str) -> tuple[Any, list[Any]]:
    person = people_selectors.get_person_for(
        request.user, public_id, "people.view_disclosures", what=what
    )
    return person, consents.disclosures_of(request.user, person)


@route("persons/<uuid:public_id>/disclosures/", name="disclosure-accounting")
@page("a person's accounting of Part 2 disclosures; get_person_for audits the read", GET)
def disclosure_accounting(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person, rows = _accounting(request, public_id, "accounting of disclosures")
    return render(
        request,
        "people/disclosure_accounting.html",
        {"person": person, "rows": rows, "zone_name": str(people_selectors.person_zone(person))},
    )


@route("persons/<uuid:public_id>/disclosures/print/", name="disclosure-accounting-print")
@page("the printable accounting of disclosures; get_person_for and release audit", GET)
def disclosure_accounting_print(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person, rows = _accounting(request, public_id, "accounting of disclosures (print)")
    release = exports.release(
        request.user,
        what="people.disclosureaccounting",
        fmt="pdf",
        part2=True,
        person_id=person.public_id,
        purpose=Purpose.OVERSIGHT,
        detail={"rows": len(rows)},
    )
    zone = people_selectors.person_zone(person)
    pdf = document(f"Disclosures of substance-use records: {person.display_name}")
    line = writer(pdf)
    line(f"Accounting of disclosures: {person.display_name}", 16, "B", 1)
    line(
        f"Record {person.record_number}. Prepared {clock.local(clock.now(), zone):%Y-%m-%d} "
        "by the privacy officer. Each disclosure of records from a substance-use (42 CFR Part 2) "
        "program outside that program, under a consent or in a medical emergency.",
        10,
        gap=4,
    )
    if not rows:
        line("No disclosure is recorded.", 12)
    for row in rows:
        # As on the page: a consent disclosure whose consent is not shown is still a consent.
        basis = "Consent"
        if row.consent is not None:
            basis = f"Consent signed {row.consent.signed_on:%Y-%m-%d}"
        elif row.basis == "emergency":
            basis = "Medical emergency (42 CFR 2.51)"
        line(
            f"{clock.local(row.occurred_at, zone):%Y-%m-%d %H:%M}  {row.who}: {row.how}, "
            f"{row.kind}. {basis}.",
            11,
        )
    exports.pdf_notice(pdf, release)
    return pdf_response(bytes(pdf.output()), "accounting-of-disclosures.pdf")


urlpatterns: list[URLPattern] = route.patterns


def person_section(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    """On the person page of anyone ever placed in a Part 2 program or with a consent: the
    active consents and the way to record one (one query)."""
    if not policy.allows(request.user, "people.view_consents", person):
        return None
    # One plain read of the person's consents (a few rows) answers "any consent" and counts
    # those in force; the person page read every placement already, and its Part 2 units
    # answer "ever placed in a Part 2 program" without a second read of the placements.
    rows = yield prepared.read_later(
        "a person's consents, counted",
        "",
        lambda person_id: (
            Consent.objects.filter(person_id=person_id)
            .order_by()  # counted, not listed: the model's ordering is not needed
            # The dates on a consent are its first program's (consents.consent_today).
            .annotate(
                zone=Subquery(
                    ConsentProgram.objects.filter(consent_id=OuterRef("pk"))
                    .order_by("unit__name", "unit_id")
                    .values("unit__time_zone")[:1]
                )
            )
            .values_list("revoked_at", "expiry_event_on", "expires_on", "zone")
        ),
        person.pk,
    )
    part2_units = page.get("part2_unit_ids")
    if part2_units is None:
        part2_units = set(
            Placement.objects.filter(
                episode__person=person, unit__is_substance_use_program=True
            ).values_list("unit_id", flat=True)
        )
    if not (part2_units or rows):
        return None
    active = sum(
        1
        for revoked_at, event_on, expires_on, zone in rows
        if revoked_at is None
        and event_on is None
        and (expires_on is None or expires_on >= consents.today_in_first([zone] if zone else []))
    )
    writable = page.get("writable", True)
    return {
        "active": active,
        "can_record": writable and policy.allows(request.user, "people.record_consent", person),
        "can_account": policy.allows(request.user, "people.view_disclosures", person),
    }


def register() -> None:
    register_section(
        PersonSection(
            "consents",
            "people/_consent_section.html",
            person_section,
            order=90,
            category=Category.GENERAL,
            group=PRIVACY,
        )
    )

"""The consent part of the JSON API (42 CFR 2.31): a person's consents, recording one, reading
one, and its written revocation. Same rules as the pages: the person's team and the privacy
officer; every missing element is named at once; a revocation applies at once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import clock
from pillars.core.api_routes import record_read, write_route
from pillars.core.api_types import Day, Text
from pillars.core.entry import Out
from pillars.core.errors import ValidationError
from pillars.people import consents
from pillars.people import selectors as people_selectors
from pillars.people.consent_models import Consent, RecipientKind
from pillars.people.models import Staff, Unit
from pillars.people.records_api import person_records
from pillars.people.tenancy import in_organization

router = Router(tags=["consents"])


class RecipientIn(Schema):
    """One recipient: ``staff`` names a staff member, ``role`` a role code, ``unit`` a unit,
    ``entity`` a person or organization outside Pillars (``name``), ``treating`` "my treating
    providers"."""

    kind: str = Field(max_length=20)
    staff: UUID | None = None
    role: Text = Field("", max_length=20)
    unit: UUID | None = None
    name: Text = Field("", max_length=200)


class RecipientOut(Out):
    kind: str
    label: str


class ConsentIn(Schema):
    programs: list[UUID] = Field(default_factory=list, max_length=20)
    information_kinds: list[str] = Field(default_factory=list, max_length=10)
    information_description: Text = Field("", max_length=2000)
    purposes: list[str] = Field(default_factory=list, max_length=10)
    purpose_description: Text = Field("", max_length=300)
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=50)
    expires_on: Day | None = None
    expiry_event: Text = Field("", max_length=300)
    signed_by: str = Field("", max_length=20)
    signer_name: Text = Field("", max_length=150)
    representative_authority: Text = Field("", max_length=200)
    signed_on: Day | None = None
    client_id: UUID | None = None


class ConsentOut(Out):
    public_id: UUID
    person: UUID
    state: str
    programs: list[str]
    information_kinds: list[str]
    information_description: str
    purposes: list[str]
    purpose_description: str
    recipients: list[RecipientOut]
    expires_on: date | None
    expiry_event: str
    signed_by: str
    signer_name: str
    signed_on: date
    revoked_at: datetime | None

    @staticmethod
    def resolve_state(consent: Consent) -> str:
        return consent.state_on(clock.now(), consents.consent_today(consent))

    @staticmethod
    def resolve_programs(consent: Consent) -> list[str]:
        return [u.code for u in consent.programs.all()]


class RevokeIn(Schema):
    received_as: str = Field("", max_length=20)
    note: Text = Field("", max_length=300)
    client_id: UUID | None = None


def _recipients(rows: list[RecipientIn], user: Any) -> list[dict[str, Any]]:
    """Public ids to records of the user's organization; one that names nothing known there
    stays empty and is named by the service's error."""
    named = Staff.objects.filter(public_id__in=[r.staff for r in rows])
    staff = {s.public_id: s for s in in_organization(named, user)}
    places = Unit.objects.filter(public_id__in=[r.unit for r in rows])
    units = {u.public_id: u for u in in_organization(places, user)}
    return [
        {
            "kind": r.kind if r.kind in RecipientKind.values else "",
            "staff": staff.get(r.staff) if r.staff else None,
            "role": r.role,
            "unit": units.get(r.unit) if r.unit else None,
            "name": r.name,
        }
        for r in rows
    ]


person_records(
    router,
    "/persons/{public_id}/consents",
    ConsentOut,
    lambda person, user: consents.consents_of(user, person),
    name="list_consents",
    action="people.view_consents",
    what="api consents",
    summary="A person's Part 2 consents, newest first",
    audit="lists a person's consents (audited by get_person_for)",
)


@write_route(
    router.post,
    "/persons/{public_id}/consents",
    201,
    ConsentOut,
    summary="Record a signed Part 2 consent (every 42 CFR 2.31 element)",
    audit="records a consent (audited by get_person_for and record_consent)",
)
def create_consent(request: HttpRequest, public_id: UUID, payload: ConsentIn) -> Status[ConsentOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "people.record_consent", what="api consent"
    )
    programs = list(
        in_organization(Unit.objects.filter(public_id__in=payload.programs), request.user)
    )
    if len(programs) != len(set(payload.programs)):
        raise ValidationError({"programs": ["There is no such program."]})
    consent = consents.record_consent(
        person,
        actor=request.user,
        programs=programs,
        recipients=_recipients(payload.recipients, request.user),
        **payload.model_dump(exclude={"programs", "recipients", "client_id"}),
    )
    return Status(201, ConsentOut.of(consents.get_consent_for(request.user, consent.public_id)))


record_read(
    router,
    "/consents/{public_id}",
    ConsentOut,
    consents.get_consent_for,
    name="get_consent",
    summary="One Part 2 consent",
    audit="reads a consent (audited by get_consent_for)",
)


@write_route(
    router.post,
    "/consents/{public_id}/revoke",
    200,
    ConsentOut,
    summary="Record a written revocation (applies to every later disclosure)",
    audit="revokes a consent (audited by get_consent_for and revoke_consent)",
)
def revoke(request: HttpRequest, public_id: UUID, payload: RevokeIn) -> Status[ConsentOut]:
    consent = consents.get_consent_for(request.user, public_id, "people.revoke_consent")
    consents.revoke_consent(
        consent, actor=request.user, received_as=payload.received_as, note=payload.note
    )
    return Status(200, ConsentOut.of(consents.get_consent_for(request.user, public_id)))

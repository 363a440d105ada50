"""Credentials in the JSON API: one's own and a staff member's credentials, recording one
(evidence as base64, type and size checked by the service; replay-safe by ``client_id``), an
administrator's verification and waiver, CE hours, and the compliance summary for leaders."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import clock, policy
from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Day, Text
from pillars.core.declare import audited
from pillars.core.entry import Out, named_in
from pillars.core.errors import invalid
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff
from pillars.workforce.models.credentials import Credential
from pillars.workforce.selectors import credentials as selectors
from pillars.workforce.services import credentials as services

router = Router(tags=["workforce"])

# 5 MB of evidence is at most this many base64 characters.
MAX_EVIDENCE_CHARS = (services.MAX_EVIDENCE_BYTES + 2) // 3 * 4


def evidence_field() -> Any:
    """The body field of an optional evidence file, base64-encoded (read it with
    ``evidence_of``); every write that takes evidence declares it alike."""
    return Field(
        None,
        max_length=MAX_EVIDENCE_CHARS,
        description="A PDF, PNG or JPEG of at most 5 MB, base64-encoded.",
    )


class CredentialOut(Out):
    public_id: UUID
    staff: UUID
    type_code: str
    type_name: str
    type_version: int
    number: str
    issued_on: date
    expires_on: date | None
    state: str
    evidence_content_type: str
    verified_at: datetime | None
    verification_method: str
    waived_until: date | None
    waiver_reason: str

    paths = {
        "type_code": "credential_type.code",
        "type_name": "credential_type.name",
        "type_version": "credential_type.version",
    }

    @staticmethod
    def resolve_state(c: Credential, context: dict[str, Any]) -> str:
        return c.state_on(context["today"])


class CredentialIn(Schema):
    type_code: Text = Field(..., max_length=32, description="The credential type's code.")
    issued_on: Day
    expires_on: Day | None = Field(
        None, description="Leave out to work it out from the type's expiry rule."
    )
    number: Text = Field("", max_length=60)
    evidence_base64: Text | None = evidence_field()
    client_id: UUID | None = Field(
        None, description="A UUID the device makes: sending it again returns the first record."
    )


# Evidence and course dates before this are typing mistakes, not records.
EARLIEST = date(1950, 1, 1)


def evidence_of(value: str | None, field: str = "evidence_base64") -> io.BytesIO | None:
    """Base64 evidence from a request body (the service checks its type and size)."""
    if not value:
        return None
    try:
        return io.BytesIO(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise invalid(field, "The evidence is not valid base64.") from None


def not_before_1950(value: date, field: str) -> date:
    if value < EARLIEST:
        raise invalid(field, "Give a date from 1950 on.")
    return value


class WaiveIn(Schema):
    reason: Text = Field(
        ..., min_length=1, max_length=300, description="e.g. renewal in the mail; grace period"
    )
    until: Day | None = Field(None, description="The last day the waiver runs; none: open.")


class CeIn(Schema):
    category_code: Text = Field(..., max_length=32, description="The CE category's code.")
    title: Text = Field(..., min_length=1, max_length=200, description="The course or event.")
    completed_on: Day
    hours: Decimal = Field(..., gt=0, le=200, max_digits=6, decimal_places=2)
    evidence_base64: Text | None = evidence_field()


class CeOut(Out):
    public_id: UUID
    staff: UUID
    category_code: str
    title: str
    completed_on: date
    hours: Decimal
    evidence_content_type: str

    paths = {"category_code": "category.code"}


class VerifyIn(Schema):
    method: Text = Field(
        ..., min_length=1, max_length=200, description="e.g. primary source website"
    )


class ComplianceStaffOut(Out):
    staff: UUID
    display_name: str
    units: list[str]
    roles: list[str]
    status: str
    lapsed: list[str]
    expiring: list[str]

    paths = {"staff": "staff.public_id", "display_name": "staff.display_name"}


class ComplianceOut(Schema):
    on: date
    total: int
    compliant: int
    expiring: int
    lapsed: int
    staff: list[ComplianceStaffOut]


def _administer(
    request: HttpRequest, public_id: UUID, step: Callable[..., Credential], **fields: Any
) -> Status[CredentialOut]:
    """An administrator's step on a credential (verify it, waive it): the credential found for
    the administrator, the step taken with the fields, the credential answered as it now is."""
    credential = selectors.get_credential_for(
        request.user, public_id, "workforce.verify_credential"
    )
    done = step(credential, actor=request.user, **fields)
    return Status(200, CredentialOut.of(done, today=clock.organization_today()))


def _list(staff: Staff, request: HttpRequest) -> list[CredentialOut]:
    today = clock.organization_today()
    return [CredentialOut.of(c, today=today) for c in selectors.credentials_of(staff, request.user)]


@router.get(
    "/workforce/credentials/mine",
    response={200: list[CredentialOut], **READ_ERRORS},
    summary="The signed-in staff member's credentials",
)
@audited("one's own credentials (audited by credentials_of)")
def my_credentials(request: HttpRequest) -> Status[list[CredentialOut]]:
    actor = policy.require(request.user, "workforce.view_own_credentials")
    return Status(200, _list(Staff.objects.get(pk=actor.staff_pk), request))


@router.get(
    "/workforce/staff/{public_id}/credentials",
    response={200: list[CredentialOut], **READ_ERRORS},
    summary="A staff member's credentials (self, their supervisor, leaders)",
)
@audited("a staff member's credentials (audited by credentials_of)")
def staff_credentials(request: HttpRequest, public_id: UUID) -> Status[list[CredentialOut]]:
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.view_credentials")
    return Status(200, _list(staff, request))


@router.post(
    "/workforce/staff/{public_id}/credentials",
    response={201: CredentialOut, **WRITE_ERRORS},
    summary="Record a credential with its evidence; the expiry comes from the type's rule",
)
@audited_write("records a credential (audited by record_credential)")
def credential_create(
    request: HttpRequest, public_id: UUID, payload: CredentialIn
) -> Status[CredentialOut]:
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.record_credential")
    kind = selectors.get_credential_type(payload.type_code)
    evidence = evidence_of(payload.evidence_base64)
    credential = services.record_credential(
        staff,
        actor=request.user,
        credential_type=kind,
        evidence=evidence,
        **payload.model_dump(exclude={"type_code", "evidence_base64", "client_id"}),
    )
    return Status(201, CredentialOut.of(credential, today=clock.organization_today()))


@router.post(
    "/workforce/credentials/{public_id}/verify",
    response={200: CredentialOut, **WRITE_ERRORS},
    summary="An administrator verifies a credential: who, when and how",
)
@audited_write("verifies a credential (audited by verify_credential)")
def credential_verify(
    request: HttpRequest, public_id: UUID, payload: VerifyIn
) -> Status[CredentialOut]:
    return _administer(request, public_id, services.verify_credential, method=payload.method)


@router.post(
    "/workforce/credentials/{public_id}/waive",
    response={200: CredentialOut, **WRITE_ERRORS},
    summary="An administrator waives a credential until a day (or open), with the reason",
)
@audited_write("waives a credential (audited by waive_credential)")
def credential_waive(
    request: HttpRequest, public_id: UUID, payload: WaiveIn
) -> Status[CredentialOut]:
    return _administer(
        request, public_id, services.waive_credential, reason=payload.reason, until=payload.until
    )


@router.post(
    "/workforce/staff/{public_id}/ce",
    response={201: CeOut, **WRITE_ERRORS},
    summary="Record continuing-education hours with their evidence (one's own, or an "
    "administrator)",
)
@audited_write("records CE hours (audited by record_ce)")
def ce_create(request: HttpRequest, public_id: UUID, payload: CeIn) -> Status[CeOut]:
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.record_ce")
    category = named_in(
        selectors.ce_categories(),
        "category_code",
        payload.category_code,
        "No such CE category.",
        key="code",
    )
    record = services.record_ce(
        staff,
        actor=request.user,
        category=category,
        title=payload.title,
        completed_on=not_before_1950(payload.completed_on, "completed_on"),
        hours=payload.hours,
        evidence=evidence_of(payload.evidence_base64),
    )
    return Status(201, CeOut.of(record))


@router.get(
    "/workforce/compliance",
    response={200: ComplianceOut, **READ_ERRORS},
    summary="Credential compliance today: compliant, expiring within 90 days, lapsed",
)
@audited("the compliance summary (audited by compliance_for)")
def compliance(request: HttpRequest, unit: str = "", role: str = "") -> Status[ComplianceOut]:
    lines = selectors.compliance_for(request.user, unit=unit[:32], role=role[:20])
    return Status(
        200,
        ComplianceOut(
            on=clock.organization_today(),
            total=len(lines),
            compliant=sum(1 for x in lines if x.status == selectors.COMPLIANT),
            expiring=sum(1 for x in lines if x.status == selectors.EXPIRING),
            lapsed=sum(1 for x in lines if x.status == selectors.LAPSED),
            staff=[ComplianceStaffOut.of(x) for x in lines],
        ),
    )

"""Credentials in the JSON API: one's own and a staff member's credentials, recording one
(evidence as base64, type and size checked by the service; replay-safe by ``client_id``), an
administrator's verification, and the compliance summary for leaders."""

from __future__ import annotations

import base64
import binascii
import io
from datetime import date, datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import clock, policy
from pillars.core.api_errors import error_responses
from pillars.core.api_types import Text
from pillars.core.declare import audited
from pillars.core.errors import invalid
from pillars.core.idempotency import idempotent
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff
from pillars.workforce.models.credentials import Credential
from pillars.workforce.selectors import credentials as selectors
from pillars.workforce.services import credentials as services

router = Router(tags=["workforce"])

READ_ERRORS = error_responses(401, 403, 404)
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422)
# 5 MB of evidence is at most this many base64 characters.
MAX_EVIDENCE_CHARS = (services.MAX_EVIDENCE_BYTES + 2) // 3 * 4


class CredentialOut(Schema):
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

    @classmethod
    def of(cls, c: Credential, today: date) -> CredentialOut:
        return cls(
            public_id=c.public_id,
            staff=c.staff.public_id,
            type_code=c.credential_type.code,
            type_name=c.credential_type.name,
            type_version=c.credential_type.version,
            number=c.number,
            issued_on=c.issued_on,
            expires_on=c.expires_on,
            state=c.state_on(today),
            evidence_content_type=c.evidence_content_type,
            verified_at=c.verified_at,
            verification_method=c.verification_method,
            waived_until=c.waived_until,
            waiver_reason=c.waiver_reason,
        )


class CredentialIn(Schema):
    type_code: Text = Field(..., max_length=32, description="The credential type's code.")
    issued_on: date
    expires_on: date | None = Field(
        None, description="Leave out to work it out from the type's expiry rule."
    )
    number: Text = Field("", max_length=60)
    evidence_base64: Text | None = Field(
        None,
        max_length=MAX_EVIDENCE_CHARS,
        description="A PDF, PNG or JPEG of at most 5 MB, base64-encoded.",
    )
    client_id: UUID | None = Field(
        None, description="A UUID the device makes: sending it again returns the first record."
    )


class VerifyIn(Schema):
    method: Text = Field(
        ..., min_length=1, max_length=200, description="e.g. primary source website"
    )


class ComplianceStaffOut(Schema):
    staff: UUID
    display_name: str
    units: list[str]
    roles: list[str]
    status: str
    lapsed: list[str]
    expiring: list[str]


class ComplianceOut(Schema):
    on: date
    total: int
    compliant: int
    expiring: int
    lapsed: int
    staff: list[ComplianceStaffOut]


def _list(staff: Staff, request: HttpRequest) -> list[CredentialOut]:
    today = clock.now().date()
    return [CredentialOut.of(c, today) for c in selectors.credentials_of(staff, request.user)]


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
@audited("records a credential (audited by record_credential)")
@idempotent
def credential_create(
    request: HttpRequest, public_id: UUID, payload: CredentialIn
) -> Status[CredentialOut]:
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.record_credential")
    kind = selectors.get_credential_type(payload.type_code)
    evidence = None
    if payload.evidence_base64:
        try:
            evidence = io.BytesIO(base64.b64decode(payload.evidence_base64, validate=True))
        except (binascii.Error, ValueError):
            raise invalid("evidence_base64", "The evidence is not valid base64.") from None
    credential = services.record_credential(
        staff,
        actor=request.user,
        credential_type=kind,
        issued_on=payload.issued_on,
        expires_on=payload.expires_on,
        number=payload.number,
        evidence=evidence,
    )
    return Status(201, CredentialOut.of(credential, clock.now().date()))


@router.post(
    "/workforce/credentials/{public_id}/verify",
    response={200: CredentialOut, **WRITE_ERRORS},
    summary="An administrator verifies a credential: who, when and how",
)
@audited("verifies a credential (audited by verify_credential)")
@idempotent
def credential_verify(
    request: HttpRequest, public_id: UUID, payload: VerifyIn
) -> Status[CredentialOut]:
    credential = selectors.get_credential_for(
        request.user, public_id, "workforce.verify_credential"
    )
    done = services.verify_credential(credential, actor=request.user, method=payload.method)
    return Status(200, CredentialOut.of(done, clock.now().date()))


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
            on=clock.now().date(),
            total=len(lines),
            compliant=sum(1 for x in lines if x.status == selectors.COMPLIANT),
            expiring=sum(1 for x in lines if x.status == selectors.EXPIRING),
            lapsed=sum(1 for x in lines if x.status == selectors.LAPSED),
            staff=[
                ComplianceStaffOut(
                    staff=x.staff.public_id,
                    display_name=x.staff.display_name,
                    units=x.units,
                    roles=x.roles,
                    status=x.status,
                    lapsed=x.lapsed,
                    expiring=x.expiring,
                )
                for x in lines
            ],
        ),
    )

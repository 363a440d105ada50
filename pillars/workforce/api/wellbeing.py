"""Workforce in the JSON API: wellbeing.

One's own exposure counts, invitations and check-ins (``/me/...``: the caller's, nobody
else's, ever), answering or declining, the check-in instruments, and the suppressed aggregates
for supervisors and the director. A write is replay-safe (``Idempotency-Key`` or ``client_id``); the
answer to recording a check-in names it and nothing more, so the stored first answer of the
idempotency store keeps no copy of the answers or scores outside the owner's rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS, error_responses
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Text
from pillars.core.declare import audit_exempt, audited
from pillars.core.entry import Out
from pillars.workforce.models.wellbeing import CheckInInstrument
from pillars.workforce.selectors import wellbeing as selectors
from pillars.workforce.services import wellbeing as services

router = Router(tags=["workforce"])


class ExposureOut(Schema):
    restraint: int
    assault: int
    assault_witnessed: int
    injury: int
    death_witnessed: int
    self_harm_witnessed: int


class ScaleChoiceOut(Schema):
    value: int
    label: str


class ItemOut(Out):
    number: int
    text: str
    subscale: str
    is_reversed: bool


class CheckInInstrumentOut(Out):
    code: str
    name: str
    version: int
    introduction: str
    credit: str
    scale: list[ScaleChoiceOut]
    subscales: dict[str, str]
    items: list[ItemOut]

    @staticmethod
    def resolve_scale(i: CheckInInstrument) -> list[ScaleChoiceOut]:
        return [ScaleChoiceOut(value=int(c["value"]), label=str(c["label"])) for c in i.scale]

    @staticmethod
    def resolve_subscales(i: CheckInInstrument) -> dict[str, str]:
        return {str(k): str(v) for k, v in (i.subscales or {}).items()}


class InvitationOut(Out):
    public_id: UUID
    instrument: str
    status: str
    invited_at: datetime
    closed_at: datetime | None

    paths = {"instrument": "instrument.code"}


class CheckInOut(Out):
    public_id: UUID
    instrument: str
    answered_at: datetime
    answers: dict[str, int]
    scores: dict[str, float]
    invitation: UUID | None

    paths = {"instrument": "instrument.code"}


class CheckInRecordedOut(Schema):
    public_id: UUID
    instrument: str
    answered_at: datetime


class CheckInIn(Schema):
    instrument: Text = Field(..., max_length=40, description="The instrument's code.")
    answers: dict[Text, int] = Field(
        ..., description="The answer to each item, by item number.", max_length=100
    )
    invitation: UUID | None = Field(None, description="The invitation this check-in answers.")
    client_id: UUID | None = Field(
        None, description="A UUID the device makes: sending it again returns the first record."
    )


class GroupOut(Schema):
    label: str
    shown: bool
    hidden_because: str = Field(..., description="'small', 'complement' or '' when shown.")
    staff_answering: int | None
    check_ins: int | None
    means: dict[str, float] | None


class AggregateOut(Schema):
    level: str
    quarter: str
    minimum_group: int
    definitions: str
    groups: list[GroupOut]
    total: GroupOut


def _group(g: selectors.Group) -> GroupOut:
    shown = g.means is not None
    return GroupOut(
        label=g.label,
        shown=shown,
        hidden_because=g.hidden,
        staff_answering=g.respondents if shown else None,
        check_ins=g.check_ins if shown else None,
        means=g.means if shown else None,
    )


@router.get(
    "/me/exposure",
    response={200: ExposureOut, **error_responses(401, 403)},
    summary="The caller's own exposure counts (nobody else's, ever)",
)
@audited("one's own exposure counts (audited by my_exposure_counts)")
def my_exposure(request: HttpRequest) -> Status[ExposureOut]:
    return Status(200, ExposureOut(**selectors.my_exposure_counts(request.user)))


@router.get(
    "/workforce/check-in-instruments",
    response={200: list[CheckInInstrumentOut], **READ_ERRORS},
    summary="The check-in instruments offered, with their items, scale and credit",
)
@audit_exempt("reference data about no one")
def instrument_list(request: HttpRequest) -> Status[list[CheckInInstrumentOut]]:
    policy.require(request.user, "workforce.view_own_wellbeing")
    return Status(200, [CheckInInstrumentOut.of(i) for i in selectors.instruments()])


@router.get(
    "/me/invitations",
    response={200: list[InvitationOut], **READ_ERRORS},
    summary="The caller's own check-in invitations",
)
@audited("one's own invitations (a wellbeing read of one's own rows)")
def my_invitations(request: HttpRequest) -> Status[list[InvitationOut]]:
    policy.require(request.user, "workforce.view_own_wellbeing")
    return Status(200, [InvitationOut.of(i) for i in selectors.my_invitations(request.user)])


@router.post(
    "/me/invitations/{public_id}/decline",
    response={200: InvitationOut, **WRITE_ERRORS},
    summary="Decline one's own invitation: it closes and reminders stop",
)
@audited_write("declines one's own invitation (decline_invitation audits)")
def decline(request: HttpRequest, public_id: UUID) -> Status[InvitationOut]:
    invitation = selectors.get_invitation_for(request.user, public_id, "workforce.check_in")
    return Status(
        200, InvitationOut.of(services.decline_invitation(invitation, actor=request.user))
    )


@router.get(
    "/me/check-ins",
    response={200: list[CheckInOut], **READ_ERRORS},
    summary="The caller's own check-ins, newest first (nobody else's, ever)",
)
@audited("one's own check-ins (audited by my_check_ins)")
def my_check_ins(request: HttpRequest) -> Status[list[CheckInOut]]:
    rows = selectors.my_check_ins(request.user)
    return Status(200, [CheckInOut.of(c) for c in rows])


@router.post(
    "/me/check-ins",
    response={201: CheckInRecordedOut, **WRITE_ERRORS},
    summary="Record one's own check-in; the server scores it (read it back with GET)",
)
@audited_write("records one's own check-in (answer_check_in audits)")
def check_in_create(request: HttpRequest, payload: CheckInIn) -> Status[CheckInRecordedOut]:
    policy.require(request.user, "workforce.check_in")
    instrument = selectors.get_instrument(payload.instrument)
    invitation = (
        selectors.get_invitation_for(request.user, payload.invitation, "workforce.check_in")
        if payload.invitation is not None
        else None
    )
    check_in = services.answer_check_in(
        actor=request.user,
        instrument=instrument,
        answers=dict(payload.answers),
        invitation=invitation,
        client_id=payload.client_id,
    )
    return Status(
        201,
        CheckInRecordedOut(
            public_id=check_in.public_id,
            instrument=instrument.code,
            answered_at=check_in.answered_at,
        ),
    )


@router.get(
    "/workforce/wellbeing/aggregate",
    response={200: AggregateOut, **READ_ERRORS},
    summary="Mean check-in scores of groups of five or more, for one completed quarter",
)
@audited("check-in aggregates (audited by check_in_aggregates)")
def aggregate(
    request: HttpRequest,
    level: Literal["team", "unit", "organization"] = "team",
    quarter: str | None = None,
) -> Status[AggregateOut]:
    release = selectors.check_in_aggregates(request.user, level=level, quarter=quarter)
    return Status(
        200,
        AggregateOut(
            level=release.level,
            quarter=release.quarter.key,
            minimum_group=release.minimum,
            definitions=(
                "Mean subscale scores (0-100, higher is more burnout) of the check-ins answered in "
                "the quarter, by the team and unit each was answered in. Groups with fewer staff "
                "answering than minimum_group are hidden, and one more when a total would give a "
                "hidden group back."
            ),
            groups=[_group(g) for g in release.groups],
            total=_group(release.total),
        ),
    )

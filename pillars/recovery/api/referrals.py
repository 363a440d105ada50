"""Referrals in the JSON API: list (by person, by status), refer to a directory service or log
an outside referral (idempotent by ``client_id``), one referral with its history, and a status
update. Sending releases the packet through the export door like the page does."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import WRITE_ERRORS, error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import audited_write, record_read
from pillars.core.api_types import Day, Text
from pillars.core.declare import audited
from pillars.core.entry import Out, named_in, optional_named_in
from pillars.core.pagination import PageParams, paginate
from pillars.people import selectors as people_selectors
from pillars.recovery.models.directory import HsdsService
from pillars.recovery.models.plans import Goal
from pillars.recovery.models.referrals import (
    Referral,
    ReferralEvent,
    ReferralOutcomeReason,
    ReferralStatus,
)
from pillars.recovery.selectors import referrals as selectors
from pillars.recovery.services import referrals as services

router = Router(tags=["recovery"])


def _outcome_code(row: Referral | ReferralEvent) -> str:
    return row.outcome_reason.code if row.outcome_reason else ""


class ReferralEventOut(Out):
    at: datetime
    actor: str
    from_status: str
    to_status: str
    note: str
    outcome_reason: str

    @staticmethod
    def resolve_actor(e: ReferralEvent) -> str:
        return e.actor.display_name if e.actor else ""

    resolve_outcome_reason = staticmethod(_outcome_code)


class ReferralOut(Out):
    public_id: UUID
    person: UUID
    service: UUID | None
    recipient: str
    is_logged: bool
    status: ReferralStatus
    outcome_reason: str
    reason: str
    referred_by: str
    created_at: datetime
    due_on: date | None
    follow_up_on: date | None
    history: list[ReferralEventOut]

    paths = {"recipient": "recipient_name", "referred_by": "referred_by.display_name"}

    resolve_outcome_reason = staticmethod(_outcome_code)

    @staticmethod
    def resolve_history(r: Referral, context: dict[str, Any]) -> list[ReferralEvent]:
        if not context.get("with_history", True):
            return []
        return list(r.events.select_related("actor", "outcome_reason"))


class ReferralPage(PageOut):
    items: list[ReferralOut]
    next_cursor: str | None


class ReferralFilter(Schema):
    person: UUID | None = None
    status: ReferralStatus | None = None


class ReferralIn(Schema):
    person: UUID
    service: UUID | None = Field(None, description="A directory service; or give organization.")
    organization: Text = Field(
        "", max_length=300, description="A referral made outside Pillars (logged), by name."
    )
    contact: Text = Field("", max_length=300)
    reason: Text = Field(max_length=2000)
    goal: UUID | None = None
    follow_up_on: Day | None = None
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class ReferralStatusIn(Schema):
    status: ReferralStatus
    note: Text = Field("", max_length=1000)
    outcome_reason: Text = Field("", max_length=40, description="An outcome reason's code.")
    follow_up_on: Day | None = None
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


@router.get(
    "/referrals",
    response={200: ReferralPage, **error_responses(401, 403, 422)},
    summary="Referrals the caller may see, oldest first (filter by person or status)",
)
@audited("a list of referrals (one audited read per page)")
def list_referrals(
    request: HttpRequest, page: Query[PageParams], filters: Query[ReferralFilter]
) -> ReferralPage:
    policy.require(request.user, "recovery.view_referrals")
    qs = selectors.visible_to(request.user)
    if filters.person is not None:
        qs = qs.filter(person__public_id=filters.person)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    # Keyset pages run in ascending order only (core.pagination): "-created_at" named no
    # attribute to carry in the cursor, so every list longer than one page answered 500.
    result = paginate(qs, page, order=("created_at",))
    people_selectors.record_list_read(
        request.user, [r.person for r in result.items], what="api referrals"
    )
    return ReferralPage.of(result, with_history=False)


@router.post(
    "/referrals",
    response={201: ReferralOut, **WRITE_ERRORS},
    summary="Refer a person to a directory service (sends the packet) or log an outside one",
)
@audited_write("refers a person (get_person_for, refer or log_outside audit)")
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status[ReferralOut]:
    person = people_selectors.get_person_for(
        request.user, payload.person, "recovery.make_referral", what="api refer"
    )
    goals = policy.readable(Goal.objects.filter(person=person), request.user)
    goal = optional_named_in(goals, "goal", payload.goal, "Choose one of the person's own goals.")
    common: dict[str, Any] = {
        "actor": request.user,
        "reason": payload.reason,
        "goal": goal,
        "follow_up_on": payload.follow_up_on,
    }
    if payload.service is not None:
        directory = HsdsService.objects.select_related("organization")
        service = named_in(
            directory, "service", payload.service, "No such service in the directory."
        )
        made = services.refer(person, service=service, **common)
    else:
        made = services.log_outside(
            person, organization=payload.organization, contact=payload.contact, **common
        )
    return Status(201, ReferralOut.of(made))


record_read(
    router,
    "/referrals/{public_id}",
    ReferralOut,
    partial(selectors.get_referral_for, what="api referral"),
    name="get_referral",
    summary="One referral with who changed its status, when, and why",
    audit="one referral (get_referral_for audits)",
)


@router.post(
    "/referrals/{public_id}/status",
    response={200: ReferralOut, **WRITE_ERRORS},
    summary="Move a referral to another status (FHIR Task statuses), with a note",
)
@audited_write("changes a referral's status (get_referral_for and update_status audit)")
def set_status(
    request: HttpRequest, public_id: UUID, payload: ReferralStatusIn
) -> Status[ReferralOut]:
    referral = selectors.get_referral_for(
        request.user, public_id, "recovery.make_referral", what="api referral to update"
    )
    outcome = None
    if payload.outcome_reason:
        outcome = named_in(
            ReferralOutcomeReason,
            "outcome_reason",
            payload.outcome_reason,
            "Unknown outcome reason.",
            key="code",
        )
    done = services.update_status(
        referral,
        actor=request.user,
        status=payload.status,
        note=payload.note,
        outcome_reason=outcome,
        follow_up_on=payload.follow_up_on,
    )
    return Status(200, ReferralOut.of(done))

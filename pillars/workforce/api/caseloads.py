"""Caseload balance in the JSON API: each caseload the caller balances against its limit."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema

from pillars.core.api_errors import error_responses
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.workforce.selectors import caseloads as selectors

router = Router(tags=["workforce"])


class CaseloadOut(Out):
    staff: UUID
    name: str
    kind: str
    count: int
    limit: int | None
    room: int | None
    status: str

    paths = {"name": "staff.display_name"}


class CaseloadSummary(Schema):
    items: list[CaseloadOut]
    over_limit: int


@router.get(
    "/workforce/caseloads",
    response={200: CaseloadSummary, **error_responses(401, 403, 422)},
    summary="Caseloads against their limits (one's supervisees; the director: everyone)",
)
@audited("caseloads against limits (one audited read)")
def caseload_summary(request: HttpRequest) -> CaseloadSummary:
    rows = selectors.balance_for(request.user, what="api caseload summary")
    return CaseloadSummary(
        items=[CaseloadOut.of(r) for r in rows],
        over_limit=sum(1 for r in rows if r.status == "over"),
    )

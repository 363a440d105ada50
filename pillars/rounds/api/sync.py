"""Syncing a tablet's queued checks in one request when the network returns.

``POST /checks/batch`` takes up to 1,000 checks, each with its device-made ``client_id``; each
succeeds or fails on its own and the answer lists every item (created, replayed or refused with
its errors by field). The request as a whole is idempotent by ``Idempotency-Key``; each check is
idempotent by its own client id, so a batch resent without the key is harmless too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema

from pillars.core import clock
from pillars.core.api_errors import error_responses
from pillars.core.api_routes import audited_write
from pillars.core.entry import Out
from pillars.rounds import services
from pillars.rounds.api.orders import CheckIn
from pillars.rounds.services.sync import MAX_BATCH, CheckItem

router = Router(tags=["rounds"])


class _OnOrder(Schema):
    order: UUID = Field(description="The observation order's public id.")


# One queued check: the order it is on, then the fields of a single check (pydantic lists the
# fields of the last base first).
class CheckBatchItemIn(CheckIn, _OnOrder):
    pass


class CheckBatchIn(Schema):
    checks: list[CheckBatchItemIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class CheckBatchItemOut(Out):
    client_id: str
    status: Literal["created", "replayed", "refused"]
    check: UUID | None = None
    errors: dict[str, list[str]] = Field(default_factory=dict)


class CheckBatchOut(Schema):
    results: list[CheckBatchItemOut]
    created: int
    replayed: int
    refused: int
    synced_at: datetime


@router.post(
    "/checks/batch",
    response={200: CheckBatchOut, **error_responses(401, 403, 409, 422)},
    summary="Sync up to 1,000 queued checks; each item succeeds or fails on its own",
)
@audited_write("records checks (record_checks audits each one and each refused item)")
def sync_checks(request: HttpRequest, payload: CheckBatchIn) -> CheckBatchOut:
    return answer_batch(payload, actor=request.user)


def answer_batch(payload: CheckBatchIn, *, actor: Any) -> CheckBatchOut:
    """Records a batch and says what became of each item: the API and the board's session sync
    (rounds.views.board.check_batch) share it, so both keep the same per-item idempotency."""
    items = [CheckItem(**check.model_dump()) for check in payload.checks]
    results = services.record_checks(items, actor=actor)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "replayed")}
    return CheckBatchOut(
        results=[CheckBatchItemOut.of(r) for r in results],
        created=counts["created"],
        replayed=counts["replayed"],
        refused=len(results) - counts["created"] - counts["replayed"],
        synced_at=clock.now(),
    )

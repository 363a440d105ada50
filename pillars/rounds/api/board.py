"""The unit board in the JSON API: the same rows, read the same way (scoped, one audited list
read), for a tablet app or a hallway display."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Status

from pillars.core.api_errors import error_responses
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.people import selectors as people_selectors
from pillars.rounds.selectors import board as board_selectors
from pillars.rounds.selectors.board import BoardRow

router = Router(tags=["rounds"])


class BoardRowOut(Out):
    order: UUID
    person: UUID
    name: str
    room: str
    bed: str
    level: str
    level_name: str
    precautions: list[str]
    last_observed_at: datetime | None
    last_location: str
    last_activity: str
    last_is_late_entry: bool = Field(
        description="The last check was entered more than 10 minutes after it was seen."
    )
    last_recorded_at: datetime | None = Field(description="When the last check was entered.")
    due_at: datetime | None
    seconds_to_due: int | None
    status: str
    status_label: str
    with_now: list[str]
    is_mine: bool
    ligature_warning: str

    @staticmethod
    def resolve_level(row: BoardRow) -> str:
        return row.order.level.code

    @staticmethod
    def resolve_level_name(row: BoardRow) -> str:
        return row.order.level.name

    @staticmethod
    def resolve_precautions(row: BoardRow) -> list[str]:
        return list(row.order.precautions)

    @staticmethod
    def resolve_ligature_warning(row: BoardRow) -> str:
        return row.ligature


@router.get(
    "/units/{public_id}/board",
    response={200: list[BoardRowOut], **error_responses(401, 403, 404)},
    summary="A unit's board: everyone on observation, most urgent first",
)
@audited("the unit board (one audited list read naming the persons shown)")
def unit_board(
    request: HttpRequest, public_id: UUID, mine: bool = False
) -> Status[list[BoardRowOut]]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    rows = board_selectors.board_rows(request.user, unit, mine=mine, what="api board")
    return Status(200, [BoardRowOut.of(row) for row in rows])

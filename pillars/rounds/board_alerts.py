"""The board flag of a check that was not safe: it stays on the person's row, with an icon and
text (never colour alone), until a lead acknowledges the alert (issue 11 item 1)."""

from __future__ import annotations

from django.http import HttpRequest

from pillars.core import policy
from pillars.people.models import Unit
from pillars.rounds.board_extras import BoardExtension, RowExtra, register, shared
from pillars.rounds.selectors.escalation import WaitingCheck, checks_not_safe_waiting


def rows(request: HttpRequest, unit: Unit, person_ids: list[int]) -> dict[int, list[RowExtra]]:
    # The board has checked the unit's scope; anyone who may see the board sees the flag.
    if not policy.can(getattr(request, "user", None), "rounds.view"):
        return {}
    return {
        person_id: [
            RowExtra(
                label=f"Not yet acknowledged by a lead. {waiting.message}",
                kind="flag",
                tone="danger",
                icon="!",
                at=waiting.observed_at,
            )
            for waiting in checks
        ]
        for person_id, checks in waiting_checks(request, unit, person_ids).items()
    }


def waiting_checks(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> dict[int, list[WaitingCheck]]:
    """The unsafe checks still waiting for a lead, read once per board for every extension
    that shows them (this flag, the incident report link)."""
    return shared(
        request,
        ("checks-not-safe", unit.pk, tuple(person_ids)),
        lambda: checks_not_safe_waiting(unit, person_ids),
    )


def install() -> None:
    register(BoardExtension(key="rounds-checks-not-safe", rows=rows, order=5))

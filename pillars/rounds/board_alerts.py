"""The board flag of a check that was not safe: it stays on the person's row, with an icon and
text (never colour alone), until a lead acknowledges the alert (issue 11 item 1)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from pillars.core import policy, prepared
from pillars.people.models import Unit
from pillars.rounds.board_extras import BoardExtension, RowExtra, register, shared, shared_so_far
from pillars.rounds.selectors.escalation import WaitingCheck, checks_not_safe_waiting


def rows(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> prepared.Steps[dict[int, list[RowExtra]]]:
    # The board has checked the unit's scope; anyone who may see the board sees the flag.
    if not policy.can(getattr(request, "user", None), "rounds.view"):
        return {}
    waiting = yield from waiting_checks(request, unit, person_ids)
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
        for person_id, checks in waiting.items()
    }


def waiting_checks(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> prepared.Steps[dict[int, list[WaitingCheck]]]:
    """The unsafe checks still waiting for a lead, read once per board for every extension
    that shows them (this flag, the incident report link): extensions asking in the same step
    ask the same read, which ``prepared.together`` runs once; one asking later reads what the
    first found."""
    key = ("checks-not-safe", unit.pk, tuple(person_ids))
    known = shared_so_far(request, key)
    if known is not None:
        return cast(dict[int, list[WaitingCheck]], known)
    found = yield from checks_not_safe_waiting.steps(unit, person_ids)
    return shared(request, key, lambda: found)


def install() -> None:
    register(BoardExtension(key="rounds-checks-not-safe", rows=rows, order=5))

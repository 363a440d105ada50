"""Corrections to checks (DESIGN.md rule 2): a check is never edited; an addendum names its
author and reason, and the check and every addendum stay readable."""

from __future__ import annotations

from typing import Any

from pillars.audit.choices import Action
from pillars.core import policy
from pillars.people.addendum_writes import adding
from pillars.people.selectors import record_person_event
from pillars.rounds.models import Check, CheckAddendum

MAX_TEXT = 2000


def add_addendum(check: Check, *, actor: Any, reason: str, text: str) -> CheckAddendum:
    """Add a correction to a check. Whoever may record checks on the order may correct one;
    the author is the acting staff member and the time is the server's."""
    acting = policy.require(actor, "rounds.record_check", check.order)
    reason, text = CheckAddendum.cleaned(reason, text, about="the check", max_text=MAX_TEXT)
    person = check.order.person
    with adding(
        CheckAddendum, reason, text, check_record=check, written_by_id=acting.staff_pk
    ) as addendum:
        record_person_event(
            person,
            actor=actor,
            action=Action.CREATE,
            target=addendum,
            detail={"check": str(check.public_id), "reason": reason},
        )
    return addendum

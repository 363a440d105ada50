"""Bulk caseload reassignment (issue 15): when someone leaves or goes on leave, their caseload
moves to others in one service, all or nothing, each receiver's limit checked, with a
handover note each receiver reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.core.writes import atomic_or_conflict
from pillars.people.models import CaseloadAssignment, Staff
from pillars.people.selectors import active_caseload_q, record_person_event
from pillars.people.services import CASELOAD_ROLES
from pillars.workforce.models.caseloads import Handover, HandoverReason
from pillars.workforce.selectors.caseloads import limit_for
from pillars.workforce.services.staff_audit import audit_operations

MAX_NOTE = 5_000


def _receiver_problem(actor: Any, receiver: Staff, day: date) -> str:
    acting = policy.actor_for(actor)
    if not (
        acting.is_org_wide
        or receiver.pk in acting.supervisee_staff_ids
        or receiver.pk == acting.staff_id
    ):
        return f"{receiver} is not among the staff whose caseloads you balance."
    if receiver.exited_on is not None and receiver.exited_on <= day:
        return f"{receiver} no longer works here."
    if not receiver.roles.filter(code__in=CASELOAD_ROLES).exists():
        return f"{receiver} does not have a role that carries a caseload."
    return ""


def reassign_caseload(
    from_staff: Staff,
    *,
    actor: Any,
    moves: Sequence[tuple[CaseloadAssignment, Staff]],
    reason: str,
    note: str,
    effective_on: date | None = None,
) -> Handover:
    """Move some or all of ``from_staff``'s open assignments to receivers, with one handover
    note. Everything is checked first (each assignment open and theirs, each receiver in the
    actor's reach, employed, carrying that kind of caseload, within their limit counting every
    person this move gives them); then all moves are written in one transaction or none."""
    policy.require(actor, "workforce.reassign_caseload", from_staff)
    day = effective_on or clock.organization_today()
    note = note.strip()
    errors: dict[str, list[str]] = {}
    if reason not in HandoverReason.values:
        errors["reason"] = ["Choose why the caseload moves."]
    if not note:
        errors["note"] = ["Write a handover note for the receivers."]
    elif len(note) > MAX_NOTE:
        errors["note"] = [f"The note is limited to {MAX_NOTE} characters."]
    if not moves:
        errors["moves"] = ["Choose a receiver for at least one person."]
    problems: list[str] = []
    seen: set[int] = set()
    for assignment, receiver in moves:
        if assignment.pk in seen:
            problems.append(f"{assignment.person} is listed twice.")
        seen.add(assignment.pk)
        if assignment.staff_id != from_staff.pk or not assignment.is_active_on(day):
            problems.append(f"{assignment.person} is not on {from_staff}'s caseload.")
        if receiver.pk == from_staff.pk:
            problems.append(f"{assignment.person}: choose someone other than {from_staff}.")
            continue
        if found := _receiver_problem(actor, receiver, day):
            problems.append(found)
        elif CaseloadAssignment.objects.filter(
            active_caseload_q(day), staff=receiver, person=assignment.person, kind=assignment.kind
        ).exists():
            problems.append(f"{assignment.person} is already on {receiver}'s caseload.")
    incoming = Counter((r.pk, a.kind) for a, r in moves if r.pk != from_staff.pk)
    receivers = {r.pk: r for _, r in moves}
    for (pk, kind), n in incoming.items():
        receiver = receivers[pk]
        limit = limit_for(receiver, kind)
        if limit is None:
            continue
        carrying = CaseloadAssignment.objects.filter(
            active_caseload_q(day), staff=receiver, kind=kind
        ).count()
        if carrying + n > limit:
            problems.append(
                f"{receiver} carries {carrying} of {limit}; {n} more would be over the limit."
            )
    if problems:
        errors["moves"] = list(dict.fromkeys(problems))
    if errors:
        raise ValidationError(errors)
    made_by = Staff.objects.get(pk=policy.actor_for(actor).staff_pk)
    ended = day - timedelta(days=1)
    with atomic_or_conflict("A caseload changed a moment ago; reload and try again."):
        locked = {
            a.pk: a
            for a in CaseloadAssignment.objects.select_for_update()
            .filter(pk__in=[a.pk for a, _ in moves])
            .select_related("person")
        }
        # The receivers' rows are locked too, so two moves at once cannot both fill the
        # last place on one caseload; their counts are taken again under the lock.
        list(Staff.objects.select_for_update().filter(pk__in=list(receivers)))
        for (pk, kind), n in incoming.items():
            limit = limit_for(receivers[pk], kind)
            carrying = CaseloadAssignment.objects.filter(
                active_caseload_q(day), staff_id=pk, kind=kind
            ).count()
            if limit is not None and carrying + n > limit:
                raise Conflict(f"{receivers[pk]}'s caseload filled a moment ago.")
        handover = Handover.objects.create(
            from_staff=from_staff,
            reason=reason,
            note=note,
            made_by=made_by,
            made_at=clock.now(),
            effective_on=day,
        )
        new_rows = []
        for assignment, receiver in moves:
            old = locked[assignment.pk]
            if old.ended_on is not None and old.ended_on < day:
                raise Conflict(f"{old.person}'s assignment ended a moment ago.")
            old.ended_on = max(old.started_on, ended)
            old.save(update_fields=["ended_on"])
            # The same responsibility, moved: it keeps the label of the program it was made
            # in (42 CFR Part 2) wherever the person is placed now.
            new = CaseloadAssignment.objects.create(
                staff=receiver,
                person=old.person,
                kind=old.kind,
                started_on=day,
                made_in_unit_id=old.made_in_unit_id,
                is_part2=old.is_part2,
            )
            new_rows.append(new)
            for row, change in (
                (old, audit.changes({"ended_on": None}, {"ended_on": old.ended_on})),
                (
                    new,
                    audit.changes(
                        None,
                        {
                            "staff": str(receiver.public_id),
                            "kind": new.kind,
                            "started_on": day.isoformat(),
                        },
                    ),
                ),
            ):
                record_person_event(
                    old.person,
                    actor=actor,
                    action=Action.UPDATE if row is old else Action.CREATE,
                    target=row,
                    purpose=Purpose.OPERATIONS,
                    detail={**change, "handover": str(handover.public_id)},
                )
        handover.assignments.set(new_rows)
        handover.receivers.set(list(receivers.values()))
        audit_operations(
            actor,
            Action.CREATE,
            handover,
            {
                "from_staff": str(from_staff.public_id),
                "reason": reason,
                "moved": len(new_rows),
                "receivers": sorted(str(r.public_id) for r in receivers.values()),
            },
        )
    for staff in (from_staff, *receivers.values()):
        policy.forget(staff.user)
    policy.forget(actor)
    return handover

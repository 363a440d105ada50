"""Every write to the shift handoff: compile, note, sign (outgoing, then incoming with PIN).

A handoff is a clinical record (DESIGN.md rule 2): once both sides have signed it is never
edited; a later note is an addendum that names its author and reason. The compiled snapshot is
frozen from the outgoing signature on, so both signatures cover exactly what was shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.people.models import PersonServed, Staff, Unit
from pillars.people.services import confirm_pin
from pillars.rounds.models import Handoff, HandoffNote
from pillars.rounds.selectors.handoffs import compile_snapshot

# A handoff covers one shift; a double shift (24 h) is the longest anyone hands over.
MAX_SPAN = timedelta(hours=24)
NOTE_MAX = 4000


def _audit(
    actor: Any,
    action: str,
    target: Handoff | HandoffNote,
    unit: Unit,
    detail: dict[str, Any],
    *,
    person_id: UUID | None = None,
) -> None:
    """Audit a write to one of the unit's handoffs, in the unit's data category."""
    audit.record(
        actor,
        action,
        target,
        person_id=person_id,
        category=Category.SUBSTANCE_USE if unit.is_substance_use_program else Category.GENERAL,
        purpose=Purpose.TREATMENT,
        detail=detail,
    )


def compile_handoff(unit: Unit, *, actor: Any, start: datetime, end: datetime) -> Handoff:
    """Compile a draft handoff for a unit's shift from the shift's own data."""
    acting = policy.require(actor, "rounds.handoff", unit)
    now = clock.now()
    if start.tzinfo is None or end.tzinfo is None:
        raise invalid("starts_at", "The times must include a time zone.")
    if end <= start:
        raise invalid("ends_at", "The shift ends after it starts.")
    if end - start > MAX_SPAN:
        raise invalid("ends_at", "A handoff covers at most 24 hours.")
    if start > now:
        raise invalid("starts_at", "The shift has not started yet.")
    with transaction.atomic():
        snapshot = compile_snapshot(unit, start, end, now)
        handoff = Handoff.objects.create(
            unit=unit,
            starts_at=start,
            ends_at=end,
            snapshot=snapshot,
            compiled_at=now,
            compiled_by_id=acting.staff_pk,
            created_at=now,
        )
        _audit(
            actor,
            Action.CREATE,
            handoff,
            unit,
            {
                "unit": unit.code,
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
                "person_ids": [p["person"] for p in snapshot["persons"]],
            },
        )
    return handoff


def recompile_handoff(handoff: Handoff, *, actor: Any) -> Handoff:
    """Compile a draft again with the data as it stands now (before anyone has signed)."""
    policy.require(actor, "rounds.handoff", handoff)
    with transaction.atomic():
        locked = Handoff.objects.select_for_update().select_related("unit").get(pk=handoff.pk)
        if locked.is_frozen:
            raise Conflict("This handoff has been signed; its content is frozen.")
        now = clock.now()
        locked.snapshot = compile_snapshot(locked.unit, locked.starts_at, locked.ends_at, now)
        locked.compiled_at = now
        locked.save(update_fields=["snapshot", "compiled_at"])
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.unit,
            {"event": "recompiled", "compiled_at": now.isoformat()},
        )
    return locked


def add_note(
    handoff: Handoff,
    *,
    actor: Any,
    text: str,
    person: PersonServed | None = None,
    reason: str = "",
) -> HandoffNote:
    """A free note, about one person in the handoff or general. After both signatures the note
    is an addendum and needs a reason."""
    acting = policy.require(actor, "rounds.handoff", handoff)
    handoff = Handoff.objects.select_related("unit").get(pk=handoff.pk)  # the signatures now
    text = text.strip()
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Write the note."]
    elif len(text) > NOTE_MAX:
        errors["text"] = [f"A note is at most {NOTE_MAX} characters."]
    listed = {p["person"] for p in handoff.snapshot.get("persons", [])}
    if person is not None and str(person.public_id) not in listed:
        errors["person"] = ["That person served is not in this handoff."]
    if handoff.is_signed and not reason:
        errors["reason"] = [
            "Both sides have signed: a note now is an addendum. Say why it is added."
        ]
    if len(reason) > 300:
        errors["reason"] = ["A reason is at most 300 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Handoff.objects.select_for_update().select_related("unit").get(pk=handoff.pk)
        if locked.is_signed and not reason:
            raise Conflict("Both sides signed a moment ago: add the note as an addendum.")
        note = HandoffNote.objects.create(
            handoff=locked,
            person=person,
            text=text,
            written_by_id=acting.staff_pk,
            written_at=clock.now(),
            is_addendum=locked.is_signed,
            reason=reason if locked.is_signed else "",
        )
        _audit(
            actor,
            Action.CREATE,
            note,
            locked.unit,
            {
                "handoff": str(locked.public_id),
                "addendum": note.is_addendum,
                "reason": note.reason,
            },
            person_id=person.public_id if person else None,
        )
    return note


def sign_outgoing(handoff: Handoff, *, actor: Any) -> Handoff:
    """The outgoing staff member signs; the compiled content is frozen from now on."""
    acting = policy.require(actor, "rounds.handoff", handoff)
    return _sign(handoff, "outgoing", actor=actor, staff_pk=acting.staff_pk)


def _sign(handoff: Handoff, side: str, *, actor: Any, staff_pk: int) -> Handoff:
    """Sign one side (``outgoing`` or ``incoming``) under a lock on the handoff, refused when
    that side is already signed, and audit it in the same transaction."""
    with transaction.atomic():
        locked = Handoff.objects.select_for_update().select_related("unit").get(pk=handoff.pk)
        if getattr(locked, f"{side}_signed_at") is not None:
            raise Conflict(f"The {side} side of this handoff is already signed.")
        now = clock.now()
        setattr(locked, f"{side}_staff_id", staff_pk)
        setattr(locked, f"{side}_signed_at", now)
        locked.save(update_fields=[f"{side}_staff", f"{side}_signed_at"])
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.unit,
            {"event": f"signed_{side}", "signed_at": now.isoformat()},
        )
    return locked


def sign_incoming(handoff: Handoff, *, actor: Any, pin: str) -> Handoff:
    """The incoming staff member signs after the outgoing one, confirming with their own badge
    PIN (the same check as switching in on a shared unit tablet). Nobody signs both sides."""
    acting = policy.require(actor, "rounds.handoff", handoff)
    handoff = Handoff.objects.select_related("unit").get(pk=handoff.pk)  # the signatures now
    if handoff.outgoing_signed_at is None:
        raise invalid(None, "The outgoing staff member signs first.")
    if handoff.incoming_signed_at is not None:
        raise Conflict("The incoming side of this handoff is already signed.")
    if handoff.outgoing_staff_id == acting.staff_pk:
        raise invalid(None, "You signed as outgoing; the incoming staff member signs here.")
    staff = Staff.objects.get(pk=acting.staff_pk)
    confirm_pin(staff, pin or "", actor=actor, target=handoff, event="sign_incoming")
    return _sign(handoff, "incoming", actor=actor, staff_pk=acting.staff_pk)

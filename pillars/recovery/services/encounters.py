"""Every write to peer encounters: recording and signing one (for a person or a group),
addenda, voiding, and video sessions (scheduling, recording the link as sent).

An encounter is signed when it is recorded, with the peer's credential as shown at signing; it
never changes afterwards (DESIGN.md rule 2). The scope guard marks clinical language and offers
peer wording; its flags never block a note and are kept with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.active_codes import active_by_code
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.writes import replayed
from pillars.people import hooks
from pillars.people.models import PersonServed, Placement, Program, Staff
from pillars.recovery.models.encounters import (
    Encounter,
    EncounterActivity,
    EncounterAddendum,
    EncounterFlag,
    EncounterStatus,
    GroupSession,
    Modality,
    PeerActivity,
    PeerServiceRule,
    ScopeGuardTerm,
    Setting,
    VirtualSession,
    VirtualStatus,
)
from pillars.recovery.models.plans import Goal
from pillars.recovery.services.person_audit import audit_person_write
from pillars.recovery.services.replays import written_once

NARRATIVE = {
    "what_was_done": "What was done",
    "purpose": "Its purpose",
    "person_response": "The person's response",
    "next_steps": "Next steps",
}
MAX_MINUTES = 8 * 60
MAX_TEXT = 4000
MAX_NOTE = 1000
# Line breaks and tabs belong in a note; other control characters do not (a device's stray
# bytes), and PostgreSQL refuses NUL in text.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A device clock a little ahead of the server's is not a future encounter.
CLOCK_SKEW = timedelta(minutes=5)
# Encounters are written the same day as a rule; a month back is the most a late note reaches.
LATEST_BACKDATE = timedelta(days=31)


@dataclass(frozen=True)
class Flag:
    """One scope-guard mark: where, which term of the list, the words matched, the suggestion."""

    field: str
    term: str
    matched: str
    category: str
    category_label: str
    suggestion: str


def check_language(
    texts: dict[str, str], terms: Iterable[ScopeGuardTerm] | None = None
) -> list[Flag]:
    """The scope-guard marks in these texts (field -> text), in field order, one per term and
    field. Pure over the list of terms (the active list when none is given)."""
    if terms is None:
        terms = ScopeGuardTerm.objects.filter(is_active=True)
    terms = list(terms)
    flags: list[Flag] = []
    for field, text in texts.items():
        if not text:
            continue
        for term in terms:
            match = term.regex().search(text)
            if match is not None:
                flags.append(
                    Flag(
                        field=field,
                        term=term.term,
                        matched=match.group(0)[:200],
                        category=term.category,
                        category_label=term.get_category_display(),
                        suggestion=term.suggestion,
                    )
                )
    return flags


def program_for(person: PersonServed, staff: Staff | None = None) -> Program | None:
    """The program an encounter is written in: one that holds the person's current unit,
    preferring the peer's own programs."""
    unit_ids = Placement.objects.current().filter(episode__person=person).values("unit_id")
    programs = Program.objects.filter(units__in=unit_ids).distinct().order_by("pk")
    if staff is not None:
        mine = programs.filter(staff=staff).first()
        if mine is not None:
            return mine
    return programs.first()


def rule_for(program: Program | None) -> PeerServiceRule | None:
    if program is None:
        return None
    return PeerServiceRule.objects.filter(program=program).first()


def _current_unit_id(person: PersonServed) -> int | None:
    placement = Placement.objects.current().filter(episode__person=person).first()
    return placement.unit_id if placement else None


def _clean(text: Any) -> str:
    return str(text or "").replace("\r\n", "\n").strip()


def _credential(staff: Staff, credential: str) -> str:
    shown = " ".join(str(credential or "").split()) or staff.job_title.strip()
    if not shown:
        raise invalid("credential", "Give the credential you sign with (for example CPS).")
    if len(shown) > 100:
        raise invalid("credential", "A credential is at most 100 characters.")
    return shown


def _activities(codes: Sequence[str]) -> list[PeerActivity]:
    return active_by_code(
        PeerActivity, codes, field="activities", unknown="Unknown or retired activities: {codes}."
    )


def _check_common(
    errors: dict[str, list[str]], *, modality: str, setting: str, started_at: Any, minutes: Any
) -> None:
    if modality not in Modality.values:
        errors["modality"] = ["Choose how you met: in person, phone, video or text."]
    if setting not in Setting.values:
        errors["setting"] = ["Choose where the encounter happened."]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES:
        errors["minutes"] = [f"Minutes are a whole number from 1 to {MAX_MINUTES}."]
    if not isinstance(started_at, datetime) or started_at.tzinfo is None:
        errors["started_at"] = ["Give when the encounter started."]
    else:
        now = clock.now()
        if started_at > now + CLOCK_SKEW:
            errors["started_at"] = ["An encounter cannot start in the future."]
        elif started_at < now - LATEST_BACKDATE:
            errors["started_at"] = ["An encounter more than a month old cannot be written now."]


def _flags_for(encounter: Encounter) -> list[EncounterFlag]:
    texts = {f: getattr(encounter, f) for f in NARRATIVE}
    return [
        EncounterFlag(
            encounter=encounter,
            field=f.field,
            term=f.term,
            matched=f.matched,
            category=f.category,
            suggestion=f.suggestion,
        )
        for f in check_language(texts)
    ]


def _billing(rule: PeerServiceRule | None, minutes: int, attended: bool) -> tuple[int | None, str]:
    if rule is None or not rule.bills_peer_services:
        return None, ""
    return (rule.units_for(minutes) if attended else 0), rule.service_code


def _floor(staff: Staff) -> str | None:
    """Why the staff member may not sign a billable peer service (workforce floor rules)."""
    return hooks.floor_gate(staff, hooks.FloorTask.BILLABLE_PEER_SERVICE)


def _write_encounter(
    *,
    actor: Any,
    staff_id: int,
    person: PersonServed,
    fields: dict[str, Any],
    activities: list[PeerActivity],
    detail: dict[str, Any],
) -> Encounter:
    """Save one signed encounter with its activities and flags, and its audit event (inside the
    caller's transaction)."""
    encounter = Encounter(person=person, written_by_id=staff_id, **fields)
    encounter.save()
    EncounterActivity.objects.bulk_create(
        [EncounterActivity(encounter=encounter, activity=a) for a in activities]
    )
    flags = _flags_for(encounter)
    EncounterFlag.objects.bulk_create(flags)
    audit_person_write(
        actor,
        Action.CREATE,
        encounter,
        person,
        **detail,
        modality=encounter.modality,
        setting=encounter.setting,
        minutes=encounter.minutes,
        billing_units=encounter.billing_units,
        service_code=encounter.service_code,
        activities=[a.code for a in activities],
        flags=[f"{f.category}:{f.term}" for f in flags],
        credential=encounter.signer_credential,
    )
    return encounter


def _activities_and_credential(
    staff: Staff, activities: Sequence[str], credential: str, errors: dict[str, list[str]]
) -> tuple[list[PeerActivity], str]:
    """The activities chosen and the credential shown with the signature; a problem with either
    joins ``errors`` (the credential is then shown as none)."""
    chosen: list[PeerActivity] = []
    try:
        chosen = _activities(activities)
        return chosen, _credential(staff, credential)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return chosen, ""


def record_encounter(
    person: PersonServed,
    *,
    actor: Any,
    modality: str,
    setting: str,
    started_at: datetime,
    minutes: int,
    what_was_done: str,
    purpose: str = "",
    person_response: str = "",
    next_steps: str = "",
    activities: Sequence[str] = (),
    goal: Goal | None = None,
    written_with_person: bool = False,
    credential: str = "",
    client_id: UUID | None = None,
    virtual_session: VirtualSession | None = None,
) -> Encounter:
    """Record and sign one encounter with a person served. Billable units and the service code
    come from the program's rule; a billing program needs the goal the encounter serves. A
    replayed ``client_id`` returns the first encounter (DESIGN.md rule 7)."""
    acting = policy.require(actor, "recovery.write_encounter", person)
    if existing := _replayed_encounter(client_id, acting.staff_id, person):
        return existing
    staff = Staff.objects.get(pk=acting.staff_pk)
    errors: dict[str, list[str]] = {}
    _check_common(
        errors, modality=modality, setting=setting, started_at=started_at, minutes=minutes
    )
    texts = {
        "what_was_done": _clean(what_was_done),
        "purpose": _clean(purpose),
        "person_response": _clean(person_response),
        "next_steps": _clean(next_steps),
    }
    if not texts["what_was_done"]:
        errors["what_was_done"] = ["Say what was done together."]
    for name, text in texts.items():
        if len(text) > MAX_TEXT:
            errors[name] = [f"{NARRATIVE[name]}: at most {MAX_TEXT} characters."]
        elif UNPRINTABLE.search(text):
            errors[name] = [f"{NARRATIVE[name]}: remove the characters that cannot be printed."]
    chosen, shown = _activities_and_credential(staff, activities, credential, errors)
    # A goal the writer may not read (a Part 2 goal outside its program's team, without a
    # consent) is refused like another person's: the encounter would show its words.
    if goal is not None and (goal.person_id != person.pk or not policy.is_visible(actor, goal)):
        errors["goal"] = ["Choose one of this person's goals."]
    if virtual_session is not None and (
        virtual_session.person_id != person.pk or virtual_session.status != VirtualStatus.SCHEDULED
    ):
        errors["virtual_session"] = ["That video session is not open for this person."]
    program = virtual_session.program if virtual_session is not None else None
    program = program or program_for(person, staff)
    rule = rule_for(program)
    units, code = _billing(rule, minutes if "minutes" not in errors else 0, True)
    if units and goal is None and "minutes" not in errors:
        # Programs that bill peer services tie each billable encounter to the person's plan.
        errors["goal"] = [
            "This program bills peer services: choose the goal this encounter serves."
        ]
    # The floor knows (workforce floor rules): billing needs a credential in force.
    if units and not errors and (blocked := _floor(staff)) is not None:
        errors["credential"] = [blocked]
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    return written_once(
        lambda: _sign_encounter(
            actor,
            staff,
            person,
            virtual_session,
            chosen,
            fields={
                **texts,
                "program": program,
                "unit_id": _current_unit_id(person) if setting == Setting.UNIT else None,
                "modality": modality,
                "setting": setting,
                "started_at": started_at,
                "minutes": minutes,
                "billing_units": units,
                "service_code": code,
                "goal": goal,
                "written_with_person": bool(written_with_person),
                "signed_at": now,
                "signer_credential": shown,
                "recorded_at": now,
                "client_id": client_id,
                "virtual_session": virtual_session,
            },
        ),
        lambda: _replayed_encounter(client_id, acting.staff_id, person),
    )


def _replayed_encounter(
    client_id: UUID | None, staff_id: int | None, person: PersonServed
) -> Encounter | None:
    """The encounter a first write made under ``client_id`` (this writer's, for this person);
    a key used for another encounter is a conflict."""
    return replayed(
        Encounter,
        client_id,
        {"written_by_id": staff_id, "person_id": person.pk},
        "This client id was used for another encounter.",
    )


def _sign_encounter(
    actor: Any,
    staff: Staff,
    person: PersonServed,
    virtual_session: VirtualSession | None,
    activities: list[PeerActivity],
    *,
    fields: dict[str, Any],
) -> Encounter:
    """The checked encounter's one transaction: its video session marked completed (still
    scheduled, under its lock), the encounter with its activities and flags, the audit event."""
    with transaction.atomic():
        if virtual_session is not None:
            locked = VirtualSession.objects.select_for_update().get(pk=virtual_session.pk)
            if locked.status != VirtualStatus.SCHEDULED:
                # A resend that waited on this lock answers with the encounter it recorded.
                if (made := _replayed_encounter(fields["client_id"], staff.pk, person)) is not None:
                    return made
                raise Conflict("This video session was already recorded or cancelled.")
            locked.status = VirtualStatus.COMPLETED
            locked.save(update_fields=["status"])
        return _write_encounter(
            actor=actor,
            staff_id=staff.pk,
            person=person,
            fields=fields,
            activities=activities,
            detail={"signed": True, "virtual_session": bool(virtual_session)},
        )


@dataclass(frozen=True)
class Attendee:
    """One person invited to a group, as the group form gives them."""

    person: PersonServed
    attended: bool
    note: str = ""
    goal: Goal | None = None


def record_group(
    attendees: Sequence[Attendee],
    *,
    actor: Any,
    topic: str,
    modality: str,
    setting: str,
    started_at: datetime,
    minutes: int,
    what_was_done: str,
    purpose: str = "",
    activities: Sequence[str] = (),
    credential: str = "",
    client_id: UUID | None = None,
) -> GroupSession:
    """Record a group session in one write: the shared facts once, and one signed encounter per
    attendee with their attendance and short note (each seen only by those who may see that
    person). A billing program needs a goal for each attendee who came. A replayed
    ``client_id`` returns the first group, with no second encounter for anyone."""
    acting = policy.require(actor, "recovery.write_encounter")
    for a in attendees:
        policy.require(actor, "recovery.write_encounter", a.person)
    if existing := _replayed_group(client_id, acting.staff_id):
        return existing
    staff = Staff.objects.get(pk=acting.staff_pk)
    errors: dict[str, list[str]] = {}
    _check_common(
        errors, modality=modality, setting=setting, started_at=started_at, minutes=minutes
    )
    topic = " ".join(str(topic or "").split())
    if not topic or len(topic) > 200:
        errors["topic"] = ["Give the group's topic (at most 200 characters)."]
    shared = _clean(what_was_done)
    purpose = _clean(purpose)
    if not shared:
        errors["what_was_done"] = ["Say what the group did."]
    if len(shared) > MAX_TEXT or len(purpose) > MAX_TEXT:
        errors["what_was_done"] = [f"At most {MAX_TEXT} characters."]
    elif UNPRINTABLE.search(shared + purpose + topic):
        errors["what_was_done"] = ["Remove the characters that cannot be printed."]
    if not attendees:
        errors["attendees"] = ["Choose who was invited to the group."]
    elif len({a.person.pk for a in attendees}) != len(attendees):
        errors["attendees"] = ["A person is listed twice."]
    chosen, shown = _activities_and_credential(staff, activities, credential, errors)
    plans: list[tuple[Attendee, Program | None, int | None, str]] = []
    for a in attendees:
        name = a.person.display_name
        if len(_clean(a.note)) > MAX_NOTE:
            errors.setdefault("attendees", []).append(f"{name}: a note is at most {MAX_NOTE}.")
        elif UNPRINTABLE.search(a.note or ""):
            errors.setdefault("attendees", []).append(
                f"{name}: remove the characters that cannot be printed from the note."
            )
        if a.goal is not None and (
            a.goal.person_id != a.person.pk or not policy.is_visible(actor, a.goal)
        ):
            errors.setdefault("attendees", []).append(f"{name}: choose one of their own goals.")
        program = program_for(a.person, staff)
        units, code = _billing(
            rule_for(program), minutes if "minutes" not in errors else 0, a.attended
        )
        if units and a.goal is None:
            errors.setdefault("attendees", []).append(
                f"{name}: this program bills peer services; choose the goal the group served."
            )
        plans.append((a, program, units, code))
    billable = any(units for _, _, units, _ in plans)
    # The floor knows (workforce floor rules): billing needs a credential in force.
    if billable and not errors and (blocked := _floor(staff)) is not None:
        errors["credential"] = [blocked]
    if errors:
        raise ValidationError(errors)
    now = clock.now()

    def write() -> GroupSession:
        group = GroupSession.objects.create(
            topic=topic,
            facilitated_by=staff,
            started_at=started_at,
            minutes=minutes,
            recorded_at=now,
            client_id=client_id,
        )
        audit.record(
            actor,
            Action.CREATE,
            group,
            detail={"topic": topic, "invited": len(attendees), "minutes": minutes},
        )
        for a, program, units, code in plans:
            note = _clean(a.note)
            _write_encounter(
                actor=actor,
                staff_id=staff.pk,
                person=a.person,
                fields={
                    "what_was_done": shared if a.attended else "Invited; did not join this time.",
                    "purpose": purpose,
                    "person_response": note if a.attended else "",
                    "next_steps": "" if a.attended else note,
                    "group": group,
                    "attended": a.attended,
                    "program": program,
                    "unit_id": _current_unit_id(a.person) if setting == Setting.UNIT else None,
                    "modality": modality,
                    "setting": setting,
                    "started_at": started_at,
                    "minutes": minutes if a.attended else 0,
                    "billing_units": units,
                    "service_code": code,
                    "goal": a.goal,
                    "signed_at": now,
                    "signer_credential": shown,
                    "recorded_at": now,
                },
                activities=chosen if a.attended else [],
                detail={"signed": True, "group": str(group.public_id), "attended": a.attended},
            )
        return group

    return written_once(write, lambda: _replayed_group(client_id, acting.staff_id))


def _replayed_group(client_id: UUID | None, staff_id: int | None) -> GroupSession | None:
    """The group a first write made under ``client_id`` (this facilitator's); a key used for
    another record is a conflict."""
    return replayed(
        GroupSession,
        client_id,
        {"facilitated_by_id": staff_id},
        "This client id was used for another group.",
    )


def add_addendum(encounter: Encounter, *, actor: Any, reason: str, text: str) -> EncounterAddendum:
    """Correct or add to a signed encounter: the original stays exactly as signed."""
    acting = policy.require(actor, "recovery.add_encounter_addendum", encounter)
    staff = Staff.objects.get(pk=acting.staff_pk)
    reason = " ".join(str(reason or "").split())
    text = _clean(text)
    errors: dict[str, list[str]] = {}
    if not reason or len(reason) > 300 or UNPRINTABLE.search(reason):
        errors["reason"] = ["Give the reason for the addendum (at most 300 characters)."]
    if not text or len(text) > MAX_TEXT:
        errors["text"] = [f"Write the addendum (at most {MAX_TEXT} characters)."]
    elif UNPRINTABLE.search(text):
        errors["text"] = ["Remove the characters that cannot be printed from the addendum."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if locked.is_void:
            raise Conflict("This encounter is voided; an addendum cannot be added.")
        addendum = EncounterAddendum.objects.create(
            encounter=locked,
            written_by=staff,
            signer_credential=staff.job_title.strip() or locked.signer_credential,
            written_at=clock.now(),
            reason=reason,
            text=text,
        )
        audit_person_write(
            actor,
            Action.CREATE,
            addendum,
            encounter.person,
            encounter=str(encounter.public_id),
            reason=reason,
        )
    return addendum


def void_encounter(encounter: Encounter, *, actor: Any, reason: str) -> Encounter:
    """Withdraw an encounter written in error (wrong person, never happened), with a reason.
    It stays readable, marked void, and no longer counts."""
    acting = policy.require(actor, "recovery.void_encounter", encounter)
    reason = " ".join(str(reason or "").split())
    if not reason or len(reason) > 300 or UNPRINTABLE.search(reason):
        raise invalid("reason", "Give the reason for voiding (at most 300 characters).")
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if locked.is_void:
            raise Conflict("This encounter is already voided.")
        locked.status = EncounterStatus.VOID
        locked.voided_at = clock.now()
        locked.voided_by_id = acting.staff_pk
        locked.void_reason = reason
        locked.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
        audit_person_write(
            actor,
            Action.VOID,
            locked,
            encounter.person,
            changes={"status": ["signed", "void"]},
            reason=reason,
        )
    return locked


def schedule_virtual_session(
    person: PersonServed,
    *,
    actor: Any,
    scheduled_at: datetime,
    minutes_planned: int,
    client_id: UUID | None = None,
) -> VirtualSession:
    """Schedule a video session with the person; its join link comes from the program's video
    service when the program has one configured. A replayed ``client_id`` returns the first
    session (DESIGN.md rule 7)."""
    acting = policy.require(actor, "recovery.schedule_virtual_session", person)

    def replay() -> VirtualSession | None:
        return replayed(
            VirtualSession,
            client_id,
            {
                "person_id": person.pk,
                "created_by_id": acting.staff_pk,
                "scheduled_at": scheduled_at,
                "minutes_planned": minutes_planned,
            },
            "This client id was used for another video session.",
        )

    if existing := replay():
        return existing
    errors: dict[str, list[str]] = {}
    if not isinstance(scheduled_at, datetime) or scheduled_at.tzinfo is None:
        errors["scheduled_at"] = ["Give when the session is."]
    elif scheduled_at < clock.now() - timedelta(hours=1):
        errors["scheduled_at"] = ["A session is scheduled for now or later."]
    if not isinstance(minutes_planned, int) or not 5 <= minutes_planned <= MAX_MINUTES:
        errors["minutes_planned"] = [f"Plan from 5 to {MAX_MINUTES} minutes."]
    if errors:
        raise ValidationError(errors)
    staff = Staff.objects.get(pk=acting.staff_pk)
    program = program_for(person, staff)
    rule = rule_for(program)

    def write() -> VirtualSession:
        session = VirtualSession(
            person=person,
            peer=staff,
            program=program,
            scheduled_at=scheduled_at,
            minutes_planned=minutes_planned,
            created_by=staff,
            created_at=clock.now(),
            client_id=client_id,
        )
        if rule is not None and rule.video_url_template:
            session.join_url = rule.join_url(str(session.public_id))
        session.save()
        audit_person_write(
            actor,
            Action.CREATE,
            session,
            person,
            scheduled_at=scheduled_at.isoformat(),
            minutes_planned=minutes_planned,
            has_link=bool(session.join_url),
        )
        return session

    return written_once(write, replay)


def mark_link_sent(session: VirtualSession, *, actor: Any) -> VirtualSession:
    """Record that the peer gave the person the join link (Pillars itself sends nothing)."""
    policy.require(actor, "recovery.schedule_virtual_session", session)
    if not session.join_url:
        raise invalid(None, "The program has no video service set up, so there is no link.")
    with transaction.atomic():
        locked = VirtualSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != VirtualStatus.SCHEDULED:
            raise Conflict("This session is no longer scheduled.")
        locked.link_sent_at = clock.now()
        locked.save(update_fields=["link_sent_at"])
        audit_person_write(actor, Action.UPDATE, locked, session.person, link_sent=True)
    return locked

"""Every write to safety plans: drafting a version with the person served, and signing it.

A draft is the plan's next version while it is being written; it may be saved as often as
needed. Signing records the person served's signature (typed on the tablet, or on paper with
the staff member attesting) and the staff member's, and from then on the version never changes
(DESIGN.md rule 2): the next change is a new draft.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.plan_versions import CONTROL, PlanVersions, clean_text
from pillars.incidents.models.safety import (
    CONTACT_SECTIONS,
    CRISIS_LINE,
    PersonSignature,
    PlanSection,
    SafetyPlanStatus,
    SafetyPlanVersion,
)
from pillars.people.models import PersonServed
from pillars.people.selectors import person_category, person_zone

MAX_ENTRIES = 12
MAX_TEXT = 300
MAX_NAME = 120
# Digits with the usual separators, or a short code such as 988 or 911.
PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]{1,23}$")
# Sections a plan must have before it is signed: the signs to watch for, something the person
# can do, and somewhere to call.
REQUIRED_TO_SIGN = (PlanSection.WARNING_SIGNS, PlanSection.ON_MY_OWN, PlanSection.PROFESSIONALS)


def starting_content(previous: SafetyPlanVersion | None) -> dict[str, list[dict[str, str]]]:
    """What a new draft starts from: the current plan's words, or an empty plan with the 988
    crisis line already listed."""
    if previous is not None:
        return {k: [dict(e) for e in v] for k, v in (previous.content or {}).items()}
    return {PlanSection.PROFESSIONALS.value: [dict(CRISIS_LINE)]}


def clean_content(raw: Any) -> dict[str, list[dict[str, str]]]:
    """The plan's sections checked and trimmed; every problem is reported at once, by section."""
    if not isinstance(raw, dict):
        raise invalid("content", "The plan must list entries by section.")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(raw) - set(PlanSection.values))
    if unknown:
        errors["content"] = [f"Unknown sections: {', '.join(map(str, unknown))}."]
    cleaned: dict[str, list[dict[str, str]]] = {}
    for code, label in PlanSection.choices:
        entries = raw.get(code) or []
        if not isinstance(entries, list):
            errors[code] = [f"{label}: give a list of entries."]
            continue
        problems: list[str] = []
        kept: list[dict[str, str]] = []
        for n, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(f"{label}, entry {n} is not readable.")
                continue
            if any(CONTROL.search(str(v)) for v in entry.values() if isinstance(v, str)):
                problems.append(f"{label}, entry {n} has characters that cannot be printed.")
                continue
            if code in CONTACT_SECTIONS:
                name, phone = clean_text(entry.get("name")), clean_text(entry.get("phone"))
                if not name and not phone:
                    continue
                if not name:
                    problems.append(f"{label}, entry {n}: give a name for the number {phone}.")
                elif len(name) > MAX_NAME:
                    problems.append(f"{label}, entry {n}: a name is at most {MAX_NAME} characters.")
                if not phone:
                    problems.append(f"{label}, entry {n}: give a phone number for {name}.")
                elif not PHONE.match(phone):
                    problems.append(f"{label}, entry {n}: {phone!r} is not a phone number.")
                kept.append({"name": name, "phone": phone})
            else:
                text = clean_text(entry.get("text"))
                if not text:
                    continue
                if len(text) > MAX_TEXT:
                    problems.append(f"{label}, entry {n} is longer than {MAX_TEXT} characters.")
                kept.append({"text": text})
        if len(kept) > MAX_ENTRIES:
            problems.append(f"At most {MAX_ENTRIES} entries in a section.")
        if problems:
            errors[code] = problems
        elif kept:
            cleaned[code] = kept
    if errors:
        raise ValidationError(errors)
    return cleaned


PLANS = PlanVersions(
    model=SafetyPlanVersion,
    draft=SafetyPlanStatus.DRAFT,
    signed=SafetyPlanStatus.SIGNED,
    signatures=PersonSignature.values,
    tablet=PersonSignature.TABLET,
    no_review="Choose a date to review the plan together.",
    review_too_late="Review the plan within a year.",
)


def save_draft(
    person: PersonServed, *, actor: Any, content: Any, review_on: date | None
) -> SafetyPlanVersion:
    """Save the person's draft (the plan's next version), creating it when there is none. The
    signed versions are untouched; the draft is the only version that can change."""
    acting = policy.require(actor, "incidents.draft_safety_plan", person)
    cleaned, review_on = PLANS.check_draft(
        clean_content, content, review_on, clock.today_in(person_zone(person))
    )
    now = clock.now()
    try:
        with transaction.atomic():
            draft, created = PLANS.open_draft(person, staff_pk=acting.staff_pk, now=now)
            if created:
                action, old = Action.CREATE, None
            else:
                action, old = (
                    Action.UPDATE,
                    {"content": draft.content, "review_on": draft.review_on},
                )
            draft.content = cleaned
            draft.review_on = review_on
            draft.updated_at = now
            draft.save()
            audit.record(
                actor=actor,
                action=action,
                target=draft,
                person_id=person.public_id,
                category=person_category(person),
                purpose=Purpose.TREATMENT,
                detail={
                    "version": draft.number,
                    "review_on": review_on.isoformat(),
                    "sections": {k: len(v) for k, v in cleaned.items()},
                    "changed": old is not None
                    and (old["content"] != cleaned or old["review_on"] != review_on),
                },
            )
    except IntegrityError:
        raise Conflict("Someone saved this person's plan a moment ago; reload.") from None
    return draft


def not_ready_to_sign(version: SafetyPlanVersion) -> list[str]:
    """Why a draft cannot be signed yet, in words the signing page shows before anyone tries
    (and the service repeats if they do): empty required sections, a review date passed."""
    problems = []
    missing = [
        label
        for code, label in PlanSection.choices
        if code in REQUIRED_TO_SIGN and not (version.content or {}).get(code)
    ]
    if missing:
        problems.append("Before signing, fill in: " + "; ".join(missing) + ".")
    if version.review_on < clock.today_in(person_zone(version.person)):
        problems.append("The review date has passed: choose a new one in the draft first.")
    return problems


def sign_plan(
    version: SafetyPlanVersion,
    *,
    actor: Any,
    person_signature: str,
    typed_name: str = "",
    attested: bool = False,
) -> SafetyPlanVersion:
    """Sign a draft with the person served: their signature (typed on the tablet, or on paper
    with the staff member attesting they saw it) and the acting staff member's. The signed
    version becomes the person's plan and replaces the one before it, which stays readable."""
    acting = policy.require(actor, "incidents.sign_safety_plan", version)
    typed_name = PLANS.check_signature(person_signature, typed_name, attested)
    now = clock.now()
    person = version.person
    with transaction.atomic():
        version = PLANS.sign(
            version,
            staff_pk=acting.staff_pk,
            now=now,
            person_signature=person_signature,
            typed_name=typed_name,
            not_ready=not_ready_to_sign,
        )
        audit.record(
            actor=actor,
            action=Action.UPDATE,
            target=version,
            person_id=person.public_id,
            category=person_category(person),
            purpose=Purpose.TREATMENT,
            detail={
                "version": version.number,
                "signed": True,
                "person_signature": person_signature,
                "review_on": version.review_on.isoformat(),
            },
        )
    return version

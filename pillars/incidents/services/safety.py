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

from pillars.audit.choices import Action
from pillars.core.plan_versions import (
    CONTROL,
    PlanVersions,
    clean_sections,
    clean_text,
    copied_content,
    text_entry,
)
from pillars.incidents.models.safety import (
    CONTACT_SECTIONS,
    CRISIS_LINE,
    PersonSignature,
    PlanSection,
    SafetyPlanStatus,
    SafetyPlanVersion,
)
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone, record_person_event

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
        return copied_content(previous)
    return {PlanSection.PROFESSIONALS.value: [dict(CRISIS_LINE)]}


def clean_content(raw: Any) -> dict[str, list[dict[str, str]]]:
    """The plan's sections checked and trimmed; every problem is reported at once, by section."""
    return clean_sections(
        raw,
        PlanSection.choices,
        _check_entry,
        max_entries=MAX_ENTRIES,
        too_many=lambda label: f"At most {MAX_ENTRIES} entries in a section.",
    )


def _check_entry(
    code: str, label: str, n: int, entry: Any, problems: list[str]
) -> dict[str, str] | None:
    if not isinstance(entry, dict):
        problems.append(f"{label}, entry {n} is not readable.")
        return None
    if any(CONTROL.search(str(v)) for v in entry.values() if isinstance(v, str)):
        problems.append(f"{label}, entry {n} has characters that cannot be printed.")
        return None
    if code in CONTACT_SECTIONS:
        return _check_contact(label, n, entry, problems)
    return text_entry(entry.get("text"), label, n, MAX_TEXT, problems)


def _check_contact(label: str, n: int, entry: Any, problems: list[str]) -> dict[str, str] | None:
    name, phone = clean_text(entry.get("name")), clean_text(entry.get("phone"))
    if not name and not phone:
        return None
    if not name:
        problems.append(f"{label}, entry {n}: give a name for the number {phone}.")
    elif len(name) > MAX_NAME:
        problems.append(f"{label}, entry {n}: a name is at most {MAX_NAME} characters.")
    if not phone:
        problems.append(f"{label}, entry {n}: give a phone number for {name}.")
    elif not PHONE.match(phone):
        problems.append(f"{label}, entry {n}: {phone!r} is not a phone number.")
    return {"name": name, "phone": phone}


PLANS = PlanVersions(
    model=SafetyPlanVersion,
    draft=SafetyPlanStatus.DRAFT,
    signed=SafetyPlanStatus.SIGNED,
    signatures=PersonSignature.values,
    tablet=PersonSignature.TABLET,
    no_review="Choose a date to review the plan together.",
    review_too_late="Review the plan within a year.",
    draft_action="incidents.draft_safety_plan",
    sign_action="incidents.sign_safety_plan",
    clean=clean_content,
    required=[(code, label) for code, label in PlanSection.choices if code in REQUIRED_TO_SIGN],
    zone_of=person_zone,
)
# Why a draft cannot be signed yet (``core.plan_versions``).
not_ready_to_sign = PLANS.not_ready_to_sign


def save_draft(
    person: PersonServed, *, actor: Any, content: Any, review_on: date | None
) -> SafetyPlanVersion:
    """Save the person's draft (the plan's next version), creating it when there is none. The
    signed versions are untouched; the draft is the only version that can change."""

    def record(
        draft: SafetyPlanVersion, created: bool, changed: bool, detail: dict[str, Any]
    ) -> None:
        action = Action.CREATE if created else Action.UPDATE
        _record(actor, action, draft, **detail, changed=changed)

    draft: SafetyPlanVersion = PLANS.save_draft(
        person, actor=actor, content=content, review_on=review_on, record=record
    )
    return draft


def _record(actor: Any, action: str, target: SafetyPlanVersion, **detail: Any) -> None:
    record_person_event(target.person, actor=actor, action=action, target=target, detail=detail)


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
    signed: SafetyPlanVersion = PLANS.sign_recorded(
        version,
        actor=actor,
        person_signature=person_signature,
        typed_name=typed_name,
        attested=attested,
        record=lambda v, detail: _record(
            actor, Action.UPDATE, v, **detail, review_on=v.review_on.isoformat()
        ),
    )
    return signed

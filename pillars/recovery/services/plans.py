"""Every write to wellness plans and recovery goals.

Wellness plans follow the safety plan's rules (``incidents.services.safety``): a draft is the
next version and may be saved as often as needed; signing records the person's signature (typed
on the tablet, or on paper with the peer attesting) and the peer's, and from then on the version
never changes (DESIGN.md rule 2): the next change is a new draft started from it.

Goals are the person's: a peer writes them with the person; steps are ticked off as they are
done; progress notes are dated, in the person's words, with where the person places themselves
on the attainment scale. ``record_goal_progress`` is replay-safe by ``client_id`` (a tablet, or
the person's own page, may send it twice).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import ValidationError, invalid
from pillars.core.plan_versions import (
    CONTROL,
    PlanVersions,
    clean_sections,
    clean_text,
    copied_content,
    text_entry,
)
from pillars.core.writes import atomic_or_conflict, replayed
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone
from pillars.recovery.models.plans import (
    ATTAINMENT,
    Goal,
    GoalProgress,
    GoalStatus,
    GoalStep,
    LifeDomain,
    WellnessPersonSignature,
    WellnessPlanStatus,
    WellnessPlanVersion,
    WellnessSection,
)
from pillars.recovery.services.person_audit import audit_person_write
from pillars.recovery.services.portal import staff_or_person
from pillars.recovery.services.replays import written_once

MAX_ENTRIES = 15
MAX_TEXT = 400
MAX_STATEMENT = 500
MAX_NOTE = 2000
MAX_STEPS = 20
# A goal's dates are within a few years: a typo in the year, more likely, past that.
LONGEST_TARGET = timedelta(days=5 * 366)
# Before signing, the plan has the person's tools, their early signs and their crisis plan:
# the parts others would need to act on the person's wishes.
REQUIRED_TO_SIGN = (
    WellnessSection.TOOLBOX,
    WellnessSection.EARLY_WARNING,
    WellnessSection.CRISIS,
)


# --- Wellness plans ----------------------------------------------------------------------------


def starting_content(previous: WellnessPlanVersion | None) -> dict[str, list[dict[str, str]]]:
    """What a new draft starts from: the current plan's words, or nothing."""
    return {} if previous is None else copied_content(previous)


def clean_content(raw: Any) -> dict[str, list[dict[str, str]]]:
    """The plan's sections checked and trimmed; every problem reported at once, by section."""
    return clean_sections(
        raw,
        WellnessSection.choices,
        _check_entry,
        max_entries=MAX_ENTRIES,
        too_many=lambda label: f"{label}: at most {MAX_ENTRIES} entries.",
    )


def _check_entry(
    code: str, label: str, n: int, entry: Any, problems: list[str]
) -> dict[str, str] | None:
    value = entry.get("text") if isinstance(entry, dict) else None
    if not isinstance(value, str | None):
        problems.append(f"{label}, entry {n} is not readable.")
        return None
    if CONTROL.search((value or "").replace("\n", " ")):
        problems.append(f"{label}, entry {n} has characters that cannot be printed.")
        return None
    return text_entry(value, label, n, MAX_TEXT, problems)


PLANS = PlanVersions(
    model=WellnessPlanVersion,
    draft=WellnessPlanStatus.DRAFT,
    signed=WellnessPlanStatus.SIGNED,
    signatures=WellnessPersonSignature.values,
    tablet=WellnessPersonSignature.TABLET,
    no_review="Choose a date to look at the plan again together.",
    review_too_late="Look at the plan again within a year.",
    draft_action="recovery.draft_wellness_plan",
    sign_action="recovery.sign_wellness_plan",
    clean=clean_content,
    required=[(s.value, s.label) for s in REQUIRED_TO_SIGN],
    zone_of=person_zone,
)
# Why a draft cannot be signed yet (``core.plan_versions``).
not_ready_to_sign = PLANS.not_ready_to_sign


def save_wellness_draft(
    person: PersonServed, *, actor: Any, content: Any, review_on: date | None
) -> WellnessPlanVersion:
    """Save the person's wellness plan draft (the next version), creating it from the current
    signed version when there is none. Signed versions are never touched."""

    def start(draft: WellnessPlanVersion) -> None:
        draft.based_on = (
            WellnessPlanVersion.objects.filter(person=person, status=WellnessPlanStatus.SIGNED)
            .order_by("-number")
            .first()
        )

    def record(
        draft: WellnessPlanVersion, created: bool, changed: bool, detail: dict[str, Any]
    ) -> None:
        action = Action.CREATE if created else Action.UPDATE
        audit_person_write(
            actor,
            action,
            draft,
            person,
            what="wellness plan draft",
            **detail,
            changed=created or changed,
        )

    draft: WellnessPlanVersion = PLANS.save_draft(
        person, actor=actor, content=content, review_on=review_on, record=record, start=start
    )
    return draft


def sign_wellness_plan(
    version: WellnessPlanVersion,
    *,
    actor: Any,
    person_signature: str,
    typed_name: str = "",
    attested: bool = False,
) -> WellnessPlanVersion:
    """Sign a draft with the person: their signature (typed on the tablet, or on paper with the
    peer attesting they saw it) and the acting peer's. The version becomes the person's plan;
    the one before stays readable."""
    signed: WellnessPlanVersion = PLANS.sign_recorded(
        version,
        actor=actor,
        person_signature=person_signature,
        typed_name=typed_name,
        attested=attested,
        record=lambda v, detail: audit_person_write(
            actor, Action.UPDATE, v, v.person, what="wellness plan signed", **detail
        ),
    )
    return signed


# --- Goals -------------------------------------------------------------------------------------


def _check_target(value: date | None, today: date, field: str) -> date | None:
    if value is None:
        return None
    if value > today + LONGEST_TARGET:
        raise invalid(field, "Choose a target date within five years.")
    return value


def _clean_steps(steps: Any, today: date) -> list[tuple[str, date | None]]:
    if steps is None:
        return []
    if not isinstance(steps, list):
        raise invalid("steps", "Give the steps as a list.")
    kept: list[tuple[str, date | None]] = []
    problems: list[str] = []
    for n, step in enumerate(steps, start=1):
        text = clean_text(step.get("text") if isinstance(step, dict) else step)
        target = step.get("target_on") if isinstance(step, dict) else None
        if not text:
            continue
        if len(text) > 300 or CONTROL.search(text):
            problems.append(f"Step {n}: at most 300 ordinary characters.")
            continue
        if target is not None and not isinstance(target, date):
            problems.append(f"Step {n}: the target date is not a date.")
            continue
        if target is not None and target > today + LONGEST_TARGET:
            problems.append(f"Step {n}: choose a target date within five years.")
            continue
        kept.append((text, target))
    if len(kept) > MAX_STEPS:
        problems.append(f"At most {MAX_STEPS} steps.")
    if problems:
        raise ValidationError({"steps": problems})
    return kept


def create_goal(
    person: PersonServed,
    *,
    actor: Any,
    domain: str,
    statement: str,
    target_on: date | None = None,
    steps: Any = None,
    client_id: UUID | None = None,
) -> Goal:
    """A goal the person chose, in their words, in one life domain, with its first steps. A
    replayed ``client_id`` returns the first goal (DESIGN.md rule 7)."""
    acting = policy.require(actor, "recovery.write_goals", person)
    if existing := _replayed_goal(client_id, acting.staff_id, person):
        return existing
    today = clock.today_in(person_zone(person))
    errors: dict[str, list[str]] = {}
    if domain not in LifeDomain.values:
        errors["domain"] = ["Choose the part of life this goal is about."]
    text = clean_text(statement)
    if not text:
        errors["statement"] = ["Write the goal in the person's own words."]
    elif len(text) > MAX_STATEMENT or CONTROL.search(text):
        errors["statement"] = [f"At most {MAX_STATEMENT} ordinary characters."]
    cleaned_steps: list[tuple[str, date | None]] = []
    for check in (
        lambda: _check_target(target_on, today, "target_on"),
        lambda: cleaned_steps.extend(_clean_steps(steps, today)),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = clock.now()

    def write() -> Goal:
        goal = Goal.objects.create(
            person=person,
            domain=domain,
            statement=text,
            target_on=target_on,
            created_by_id=acting.staff_pk,
            created_at=now,
            client_id=client_id,
        )
        for n, (step_text, step_target) in enumerate(cleaned_steps):
            GoalStep.objects.create(
                goal=goal,
                text=step_text,
                target_on=step_target,
                sort_order=n,
                created_by_id=acting.staff_pk,
                created_at=now,
            )
        audit_person_write(
            actor,
            Action.CREATE,
            goal,
            person,
            what="recovery goal",
            domain=domain,
            steps=len(cleaned_steps),
            target_on=target_on.isoformat() if target_on else None,
        )
        return goal

    return written_once(write, lambda: _replayed_goal(client_id, acting.staff_id, person))


def _replayed_goal(
    client_id: UUID | None, staff_id: int | None, person: PersonServed
) -> Goal | None:
    """The goal a first write made under ``client_id`` (this writer's, for this person); a key
    used for another record is a conflict."""
    return replayed(
        Goal,
        client_id,
        {"person_id": person.pk, "created_by_id": staff_id},
        "This client id was used for another goal.",
    )


def add_goal_step(
    goal: Goal,
    *,
    actor: Any,
    text: str,
    target_on: date | None = None,
    client_id: UUID | None = None,
) -> GoalStep:
    """Add a step to a goal (after the others). A replayed ``client_id`` returns the first step
    (DESIGN.md rule 7)."""
    acting = policy.require(actor, "recovery.write_goals", goal)
    person = goal.person
    cleaned = _clean_steps(
        [{"text": text, "target_on": target_on}], clock.today_in(person_zone(person))
    )
    if not cleaned:
        raise invalid("text", "Write the step in the person's words.")
    step_text, step_target = cleaned[0]

    def replay() -> GoalStep | None:
        return replayed(
            GoalStep,
            client_id,
            {
                "goal_id": goal.pk,
                "created_by_id": acting.staff_id,
                "text": step_text,
                "target_on": step_target,
            },
            "This client id was used for another step.",
        )

    if existing := replay():
        return existing

    def write() -> GoalStep:
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        count = locked.steps.count()
        if count >= MAX_STEPS:
            raise invalid("text", f"A goal has at most {MAX_STEPS} steps.")
        last = locked.steps.aggregate(n=Max("sort_order"))["n"]
        step = GoalStep.objects.create(
            goal=locked,
            text=step_text,
            target_on=step_target,
            sort_order=(last or 0) + 1,
            created_by_id=acting.staff_pk,
            created_at=clock.now(),
            client_id=client_id,
        )
        audit_person_write(
            actor, Action.CREATE, step, person, what="goal step", goal=str(goal.public_id)
        )
        return step

    return written_once(write, replay)


def set_step_done(step: GoalStep, *, actor: Any, is_done: bool) -> GoalStep:
    """Tick a step off (dated today in the person's zone) or mark it not done again."""
    policy.require(actor, "recovery.write_goals", step.goal)
    person = step.goal.person
    with transaction.atomic():
        step = GoalStep.objects.select_for_update().get(pk=step.pk)
        old = step.is_done
        step.is_done = bool(is_done)
        step.done_on = clock.today_in(person_zone(person)) if is_done else None
        step.save(update_fields=["is_done", "done_on"])
        audit_person_write(
            actor,
            Action.UPDATE,
            step,
            person,
            what="goal step",
            changes={"is_done": {"old": old, "new": step.is_done}},
        )
    return step


def set_goal_status(goal: Goal, *, actor: Any, status: str) -> Goal:
    """The person achieved the goal, set it aside, or takes it up again."""
    policy.require(actor, "recovery.write_goals", goal)
    if status not in GoalStatus.values:
        raise invalid("status", "Choose one of the goal's statuses.")
    with transaction.atomic():
        goal = Goal.objects.select_for_update().select_related("person").get(pk=goal.pk)
        old = goal.status
        goal.status = status
        goal.status_changed_at = clock.now()
        goal.save(update_fields=["status", "status_changed_at"])
        audit_person_write(
            actor,
            Action.UPDATE,
            goal,
            goal.person,
            what="recovery goal status",
            changes={"status": {"old": old, "new": status}},
        )
    return goal


def record_goal_progress(
    goal: Goal,
    *,
    actor: Any,
    note: str,
    noted_on: date | None = None,
    attainment: int | None = None,
    by_person: bool = False,
    client_id: UUID | None = None,
) -> GoalProgress:
    """A dated progress note on a goal, in the person's words, with where the person places
    themselves on the attainment scale (1-5, optional). ``by_person`` records that the person
    wrote it themselves. A replayed ``client_id`` returns the first note (DESIGN.md rule 7); the
    same key with other words is a conflict."""
    person = goal.person
    staff_id, on_own_page = staff_or_person(actor, person, "recovery.record_goal_progress", goal)
    by_person = by_person or on_own_page
    today = clock.today_in(person_zone(person))
    noted_on = noted_on or today
    text = clean_text(note)
    errors: dict[str, list[str]] = {}
    if not text:
        errors["note"] = ["Write how it is going, in the person's words."]
    elif len(text) > MAX_NOTE or CONTROL.search(text):
        errors["note"] = [f"At most {MAX_NOTE} ordinary characters."]
    if noted_on > today:
        errors["noted_on"] = ["A progress note cannot be dated in the future."]
    elif noted_on < goal.created_at.date() - timedelta(days=1):
        errors["noted_on"] = ["A progress note cannot be dated before the goal was set."]
    if attainment is not None and attainment not in ATTAINMENT:
        errors["attainment"] = ["Choose a point from 1 (just starting) to 5 (achieved)."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if existing := replayed(
            GoalProgress,
            client_id,
            {"goal_id": goal.pk, "note": text},
            "This progress note was already sent with other words.",
        ):
            return existing
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        done, total = locked.steps_done()
        with atomic_or_conflict("This progress note was sent twice at once; reload."):
            progress = GoalProgress.objects.create(
                goal=locked,
                noted_on=noted_on,
                note=text,
                attainment=attainment,
                steps_done=done,
                steps_total=total,
                by_person=by_person,
                recorded_by_id=staff_id,
                recorded_at=clock.now(),
                client_id=client_id,
            )
        audit_person_write(
            actor,
            Action.CREATE,
            progress,
            person,
            what="goal progress",
            goal=str(goal.public_id),
            attainment=attainment,
            by_person=by_person,
            steps=f"{done}/{total}",
        )
    return progress

"""The floor knows: ``check(staff, task)`` reads the floor rules for a task and the staff
member's credentials and completions, and answers the problems (block or warn) with a reason
that names the lapsed or missing credential or training; ``check_many`` answers for a whole list
of choices at once. Installed as people's floor gate (``check_many``), so rounds, incidents and
recovery ask it without importing workforce."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock
from pillars.people.hooks import FloorProblem, FloorTask
from pillars.people.models import Staff, StaffRole
from pillars.workforce.models.credentials import Credential
from pillars.workforce.models.gating import FloorRule, FloorWarning, MissingEffect
from pillars.workforce.models.trainings import TrainingCompletion

Problem = FloorProblem
GATE_LABEL = "floor gate"


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def check(staff: Staff, task: str, *, today: date | None = None) -> list[Problem]:
    """Every problem with ``staff`` taking ``task`` on ``today`` (see ``check_many``)."""
    return check_many([staff], task, today=today).get(staff.pk, [])


def check_many(
    staff: list[Staff], task: str, *, today: date | None = None
) -> dict[int, list[Problem]]:
    """Every problem with each of ``staff`` taking ``task`` on ``today``, by staff pk, read in
    one set of queries for the whole list (a form's choices): for each active rule of the task
    that applies to the staff member's roles, each needed credential type (any version) and
    course that is not in force. A lapsed one takes the rule's ``effect``, one never on record
    its ``missing_effect``."""
    today = today or clock.now().date()
    rules = list(
        FloorRule.objects.filter(task=task, is_active=True).prefetch_related(
            "credential_types", "courses", "roles"
        )
    )
    if not rules or not staff:
        return {}
    pks = [s.pk for s in staff]
    roles_of: dict[int, set[int]] = defaultdict(set)
    for staff_id, role_id in StaffRole.objects.filter(staff_id__in=pks).values_list(
        "staff_id", "role_id"
    ):
        roles_of[staff_id].add(role_id)
    codes = {t.code for r in rules for t in r.credential_types.all()}
    course_ids = {c.pk for r in rules for c in r.courses.all()}
    held: dict[tuple[int, str], list[Credential]] = defaultdict(list)
    if codes:
        for c in Credential.objects.filter(
            staff_id__in=pks, credential_type__code__in=codes
        ).select_related("credential_type"):
            held[(c.staff_id, c.credential_type.code)].append(c)
    done: dict[tuple[int, int], list[TrainingCompletion]] = defaultdict(list)
    if course_ids:
        for t in TrainingCompletion.objects.filter(staff_id__in=pks, course_id__in=course_ids):
            done[(t.staff_id, t.course_id)].append(t)
    found: dict[int, list[Problem]] = {}
    for member in staff:
        mine = [
            r
            for r in rules
            if not r.roles.all() or roles_of[member.pk] & {x.pk for x in r.roles.all()}
        ]
        found[member.pk] = _problems(member, task, mine, held, done, today)
    return found


def _problems(
    staff: Staff,
    task: str,
    rules: list[FloorRule],
    held: dict[tuple[int, str], list[Credential]],
    done: dict[tuple[int, int], list[TrainingCompletion]],
    today: date,
) -> list[Problem]:
    label = FloorTask(task).label if task in FloorTask.values else task
    problems: list[Problem] = []
    seen: set[str] = set()
    for rule in rules:
        for kind in rule.credential_types.all():
            if kind.code in seen:
                continue
            seen.add(kind.code)
            mine = held.get((staff.pk, kind.code), [])
            if any(c.is_current_on(today) for c in mine):
                continue
            if mine:
                last = max((c.expires_on for c in mine if c.expires_on), default=None)
                when = f" expired on {_day(last)}" if last else " is not in force"
                problems.append(
                    Problem(
                        task,
                        rule.effect,
                        f"{staff.display_name}'s {kind.name}{when}: needed for {label}.",
                        kind.code,
                    )
                )
            elif rule.missing_effect != MissingEffect.IGNORE:
                problems.append(
                    Problem(
                        task,
                        rule.missing_effect,
                        f"{staff.display_name} has no {kind.name} on record: needed for {label}.",
                        kind.code,
                    )
                )
        for course in rule.courses.all():
            key = f"course:{course.code}"
            if key in seen:
                continue
            seen.add(key)
            completions = done.get((staff.pk, course.pk), [])
            if any(t.is_current_on(today) for t in completions):
                continue
            if completions:
                last = max((t.expires_on for t in completions if t.expires_on), default=None)
                when = f" lapsed on {_day(last)}" if last else " is not complete"
                problems.append(
                    Problem(
                        task,
                        rule.effect,
                        f"{staff.display_name}'s training {course.name}{when}: needed for {label}.",
                        key,
                    )
                )
            elif rule.missing_effect != MissingEffect.IGNORE:
                problems.append(
                    Problem(
                        task,
                        rule.missing_effect,
                        f"{staff.display_name} has not completed {course.name}: "
                        f"needed for {label}.",
                        key,
                    )
                )
    return problems


def record_warnings(staff: Staff, task: str, problems: list[Problem], subject: Any) -> None:
    """The warnings the gate let through, kept on the staff member's record and audited (the
    system writes them: the staff member who assigned was already checked by their service)."""
    now = clock.now()
    rows = FloorWarning.objects.bulk_create(
        [
            FloorWarning(
                staff=staff,
                task=task,
                reason=p.reason[:300],
                subject_kind=subject._meta.label_lower if subject is not None else "",
                subject_id=getattr(subject, "public_id", None),
                created_at=now,
            )
            for p in problems
        ]
    )
    audit.record(
        actor=None,
        actor_label=GATE_LABEL,
        action=Action.CREATE,
        object_type="workforce.floorwarning",
        object_id=str(rows[0].public_id),
        purpose=Purpose.OPERATIONS,
        detail={
            "staff": str(staff.public_id),
            "task": task,
            "warnings": [p.reason for p in problems],
        },
    )

"""The floor knows: ``check(staff, task)`` reads the floor rules for a task and the staff
member's credentials and completions, and answers the problems (block or warn) with a reason
that names the lapsed or missing credential or training; ``check_many`` answers for a whole list
of choices at once. Installed as people's floor gate (``check_many``), so rounds, incidents and
recovery ask it without importing workforce."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, NamedTuple

from django.conf import settings

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock
from pillars.people.hooks import FloorProblem, FloorTask
from pillars.people.models import Staff, StaffHomeUnit, StaffRole
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
    its ``missing_effect``. Without ``today``, each is judged on their own day (``_today_of``)."""
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
    day_of = _today_of(pks) if today is None else {}
    found: dict[int, list[Problem]] = {}
    for member in staff:
        mine = [
            r
            for r in rules
            if not r.roles.all() or roles_of[member.pk] & {x.pk for x in r.roles.all()}
        ]
        found[member.pk] = _problems(member, task, mine, held, done, today or day_of[member.pk])
    return found


def _today_of(pks: list[int]) -> dict[int, date]:
    """Today for each staff member in their first home unit's zone (the organization's default
    zone without one), in one query: a credential is in force through its expiry day, so at
    19:00 in Chicago on that day (the next day in UTC) it has not lapsed yet."""
    zones: dict[int, str] = {}
    for staff_id, zone in (
        StaffHomeUnit.objects.filter(staff_id__in=pks)
        .order_by("staff_id", "unit_id")
        .values_list("staff_id", "unit__time_zone")
    ):
        zones.setdefault(staff_id, zone)
    default = settings.PILLARS_DEFAULT_TIME_ZONE
    return {pk: clock.today_in(zones.get(pk) or default) for pk in pks}


class _Words(NamedTuple):
    """How a reason names a requirement that lapsed or is missing (``{name}``: the staff member,
    ``{thing}``: the credential type or course)."""

    held: str
    lapsed: str
    not_current: str
    missing: str


CREDENTIAL_WORDS = _Words(
    "{name}'s {thing}", "expired", " is not in force", "{name} has no {thing} on record"
)
TRAINING_WORDS = _Words(
    "{name}'s training {thing}", "lapsed", " is not complete", "{name} has not completed {thing}"
)


class _Need(NamedTuple):
    """One thing a floor rule needs a staff member to have in force, with their records of it."""

    key: str
    records: list[Credential] | list[TrainingCompletion]
    thing: str
    words: _Words


def _needs(
    rule: FloorRule,
    staff: Staff,
    held: dict[tuple[int, str], list[Credential]],
    done: dict[tuple[int, int], list[TrainingCompletion]],
) -> list[_Need]:
    """What ``rule`` needs of ``staff``: its credential types, then its courses."""
    return [
        _Need(kind.code, held.get((staff.pk, kind.code), []), kind.name, CREDENTIAL_WORDS)
        for kind in rule.credential_types.all()
    ] + [
        _Need(f"course:{c.code}", done.get((staff.pk, c.pk), []), c.name, TRAINING_WORDS)
        for c in rule.courses.all()
    ]


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
        for need in _needs(rule, staff, held, done):
            if need.key in seen:
                continue
            seen.add(need.key)
            if any(r.is_current_on(today) for r in need.records):
                continue
            words, names = need.words, {"name": staff.display_name, "thing": need.thing}
            if need.records:
                last = max((r.expires_on for r in need.records if r.expires_on), default=None)
                when = f" {words.lapsed} on {_day(last)}" if last else words.not_current
                reason = f"{words.held.format(**names)}{when}: needed for {label}."
                problems.append(Problem(task, rule.effect, reason, need.key))
            elif rule.missing_effect != MissingEffect.IGNORE:
                reason = f"{words.missing.format(**names)}: needed for {label}."
                problems.append(Problem(task, rule.missing_effect, reason, need.key))
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

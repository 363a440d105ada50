"""Credential and training compliance for 5,000 staff (``BENCH_CREDENTIAL_STAFF``), one ratio.

``workforce.selectors.credentials.compliance_for`` as the director's page and API call it
(policy, the required types through each person's roles, the latest effective end per type with
waivers, the required courses with the latest completion or an assignment not yet due, units
and roles for display, the audited read) against the same figure written by hand in one SQL
statement plus a head count: how many staff are compliant, expiring within 90 days and lapsed.
Median of each (goal: at most 3x). The staff, their roles, ~14,000 credentials and the training
completions are written with bulk inserts so the set-up stays short.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench.common import measure_migrated, setup_django

STAFF = int(os.environ.get("BENCH_CREDENTIAL_STAFF", "5000"))
ROUNDS = int(os.environ.get("BENCH_CREDENTIAL_ROUNDS", "9"))

HAND_SQL = """
    WITH emp AS (
        SELECT s.id FROM people_staff s
        WHERE s.hired_on <= %(today)s AND (s.exited_on IS NULL OR s.exited_on > %(today)s)
    ),
    req_c AS (
        SELECT DISTINCT sr.staff_id, ct.code
        FROM people_staff_roles sr
        JOIN emp ON emp.id = sr.staff_id
        JOIN workforce_credentialtype_required_for rf ON rf.role_id = sr.role_id
        JOIN workforce_credentialtype ct
             ON ct.id = rf.credentialtype_id AND ct.is_current AND ct.is_active
    ),
    best_c AS (
        SELECT c.staff_id, ct.code,
               MAX(CASE WHEN c.waived_at IS NOT NULL
                             AND COALESCE(c.waived_until, %(far)s) > COALESCE(c.expires_on, %(far)s)
                        THEN COALESCE(c.waived_until, %(far)s)
                        ELSE COALESCE(c.expires_on, %(far)s) END) AS ends
        FROM workforce_credential c
        JOIN workforce_credentialtype ct ON ct.id = c.credential_type_id
        WHERE c.issued_on <= %(today)s
        GROUP BY c.staff_id, ct.code
    ),
    req_t AS (
        SELECT DISTINCT sr.staff_id, cr.course_id
        FROM people_staff_roles sr
        JOIN emp ON emp.id = sr.staff_id
        JOIN workforce_course_required_for cr ON cr.role_id = sr.role_id
        JOIN workforce_course co ON co.id = cr.course_id AND co.is_active
    ),
    best_t AS (
        SELECT t.staff_id, t.course_id, MAX(COALESCE(t.expires_on, %(far)s)) AS ends
        FROM workforce_trainingcompletion t
        WHERE t.completed_on <= %(today)s
        GROUP BY t.staff_id, t.course_id
    ),
    judged AS (
        SELECT req_c.staff_id, best_c.ends
        FROM req_c
        LEFT JOIN best_c ON best_c.staff_id = req_c.staff_id AND best_c.code = req_c.code
        UNION ALL
        SELECT req_t.staff_id, COALESCE(best_t.ends, a.due_on)
        FROM req_t
        LEFT JOIN best_t
             ON best_t.staff_id = req_t.staff_id AND best_t.course_id = req_t.course_id
        LEFT JOIN workforce_trainingassignment a
             ON a.staff_id = req_t.staff_id AND a.course_id = req_t.course_id
             AND a.due_on >= %(today)s
    ),
    per_staff AS (
        SELECT staff_id,
               SUM(CASE WHEN ends IS NULL OR ends < %(today)s THEN 1 ELSE 0 END) AS lapsed,
               SUM(CASE WHEN ends >= %(today)s AND ends <= %(soon)s THEN 1 ELSE 0 END)
                   AS expiring
        FROM judged
        GROUP BY staff_id
    )
    SELECT
        (SELECT COUNT(*) FROM emp),
        (SELECT COUNT(*) FROM per_staff WHERE lapsed > 0),
        (SELECT COUNT(*) FROM per_staff WHERE lapsed = 0 AND expiring > 0)
"""


def main() -> None:
    measure_migrated("pillars-bench-credentials-", f"bench credentials: {STAFF} staff", measure)


def hand_written(today: date) -> tuple[int, int, int]:
    """(compliant, expiring, lapsed) in one statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            HAND_SQL,
            {
                "today": today,
                "soon": today + timedelta(days=90),
                "far": date(9999, 12, 31),
            },
        )
        total, lapsed, expiring = cursor.fetchone()
    return total - lapsed - expiring, expiring, lapsed


def populate(today: date) -> Any:
    from django.contrib.auth import get_user_model

    from pillars.core import clock
    from pillars.people.models import Role, Staff, StaffHomeUnit, StaffRole
    from pillars.people.testing import build_world
    from pillars.workforce.models.credentials import Credential, CredentialType
    from pillars.workforce.models.trainings import Course, TrainingAssignment, TrainingCompletion

    world = build_world()
    now = clock.now()
    rng = random.Random(5)
    roles = {r.code: r for r in Role.objects.all()}
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-{n}", password="!") for n in range(STAFF)
    )
    staff = Staff.objects.bulk_create(
        Staff(user=u, display_name=f"Bench Staff {n}", hired_on=date(2020, 1, 1))
        for n, u in enumerate(users)
    )
    mix = ["bht"] * 6 + ["nurse"] * 2 + ["peer"] * 2
    chosen = [rng.choice(mix) for _ in staff]
    StaffRole.objects.bulk_create(
        StaffRole(staff_id=s.pk, role_id=roles[code].pk)
        for s, code in zip(staff, chosen, strict=True)
    )
    units = (world.unit_a, world.unit_b)
    StaffHomeUnit.objects.bulk_create(
        StaffHomeUnit(staff_id=s.pk, unit_id=units[n % 2].pk) for n, s in enumerate(staff)
    )
    kinds = {
        k.code: k
        for k in CredentialType.objects.filter(is_current=True).prefetch_related("required_for")
    }
    required = {
        code: [k for k in kinds.values() if code in {r.code for r in k.required_for.all()}]
        for code in set(mix)
    }
    rows = []
    for s, code in zip(staff, chosen, strict=True):
        for kind in required[code]:
            if rng.random() < 0.05:
                continue  # never recorded
            issued = today - timedelta(days=rng.randint(1, 900))
            rows.append(
                Credential(
                    staff_id=s.pk,
                    credential_type=kind,
                    issued_on=issued,
                    expires_on=kind.expires_on_for(issued),
                    recorded_by_id=s.pk,
                    recorded_at=now,
                    waived_at=now if rng.random() < 0.01 else None,
                    waived_until=today + timedelta(days=20) if rng.random() < 0.5 else None,
                )
            )
    Credential.objects.bulk_create(rows, batch_size=2000)
    courses = {
        code: list(Course.objects.filter(required_for__code=code, is_active=True))
        for code in set(mix)
    }
    done, assigned = [], []
    for s, code in zip(staff, chosen, strict=True):
        for course in courses[code]:
            roll = rng.random()
            if roll < 0.03:
                continue  # never completed, never assigned: lapsed
            if roll < 0.06:
                assigned.append(
                    TrainingAssignment(
                        staff_id=s.pk,
                        course=course,
                        assigned_on=today,
                        due_on=today + timedelta(days=rng.randint(-10, 30)),
                        reason="hire",
                        created_at=now,
                    )
                )
                continue
            completed = today - timedelta(days=rng.randint(1, 380))
            done.append(
                TrainingCompletion(
                    staff_id=s.pk,
                    course=course,
                    completed_on=completed,
                    expires_on=course.expires_on_for(completed),
                    recorded_by_id=s.pk,
                    recorded_at=now,
                )
            )
    TrainingCompletion.objects.bulk_create(done, batch_size=2000)
    TrainingAssignment.objects.bulk_create(assigned, batch_size=2000)
    return world, len(rows) + len(done)


def measure(env: dict[str, str]) -> None:
    setup_django(env)
    from pillars.core import clock
    from pillars.workforce.selectors import credentials as selectors

    today = clock.now().date()
    started = time.perf_counter()
    world, credentials = populate(today)
    print(
        f"  ({STAFF} staff, {credentials} credentials and training completions written in "
        f"{time.perf_counter() - started:.1f} s)"
    )
    director = world.user("director")

    def ours() -> tuple[int, int, int]:
        lines = selectors.compliance_for(director, today=today)
        return (
            sum(1 for x in lines if x.status == selectors.COMPLIANT),
            sum(1 for x in lines if x.status == selectors.EXPIRING),
            sum(1 for x in lines if x.status == selectors.LAPSED),
        )

    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("ours()", globals(), locals(), sort="cumtime")
    mine, theirs = ours(), hand_written(today)
    assert mine == theirs, (mine, theirs)
    timings: dict[str, list[float]] = {"sql": [], "selector": []}
    for _ in range(ROUNDS):
        started = time.perf_counter()
        hand_written(today)
        timings["sql"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        ours()
        timings["selector"].append((time.perf_counter() - started) * 1000)
    sql, sel = statistics.median(timings["sql"]), statistics.median(timings["selector"])
    print(
        f"bench credentials ({STAFF} staff: {mine[0]} compliant, {mine[1]} expiring, "
        f"{mine[2]} lapsed): compliance_for {sel:.1f} ms, hand-written SQL {sql:.1f} ms, "
        f"ratio {sel / sql:.2f} (goal <= 3)"
    )


if __name__ == "__main__":
    main()

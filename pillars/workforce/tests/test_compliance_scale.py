"""Compliance at scale: the figure judged in one statement (``compliance_rows``) says what the
Python judge (``credential_compliance`` then ``training_compliance``) says for every mix of
missing, lapsed, expiring, waived and assigned, and the compliance page reads the same number
of queries whatever the number of staff."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from pillars.core import clock
from pillars.people.models import Staff, StaffRole
from pillars.people.selectors import employed_q
from pillars.people.testing import World, make_staff
from pillars.workforce.models.credentials import Credential, CredentialType
from pillars.workforce.models.trainings import Course, TrainingAssignment
from pillars.workforce.selectors import credentials as selectors
from pillars.workforce.services import credentials as services
from pillars.workforce.services.trainings import record_completion

pytestmark = pytest.mark.django_db


def _hold(world: World, staff: Staff, code: str, days_ago: int, **over: Any) -> Credential:
    values: dict[str, Any] = {"issued_on": clock.organization_today() - timedelta(days=days_ago)}
    values.update(over)
    return services.record_credential(
        staff,
        actor=world.user("admin"),
        credential_type=CredentialType.objects.get(code=code, is_current=True),
        **values,
    )


def _complete(world: World, staff: Staff, code: str, days_ago: int) -> None:
    record_completion(
        staff,
        actor=world.user("admin"),
        course=Course.objects.get(code=code),
        completed_on=clock.organization_today() - timedelta(days=days_ago),
    )


def _assign(staff: Staff, code: str, due_in: int) -> None:
    today = clock.organization_today()
    TrainingAssignment.objects.create(
        staff=staff,
        course=Course.objects.get(code=code),
        assigned_on=today,
        due_on=today + timedelta(days=due_in),
        reason="hire",
        created_at=clock.now(),
    )


def _mixed_staff(world: World, count: int, prefix: str) -> list[Staff]:
    """Staff in every state (every fifth one holds everything): required items in force,
    ending soon, lapsed, missing, waived (open or until a date), assigned (due soon, due later,
    overdue), issued after today."""
    today = clock.organization_today()
    made = []
    kinds: list[list[str]] = [["bht"], ["nurse"], ["peer"], ["bht", "nurse"]]
    for n in range(count):
        staff = make_staff(f"{prefix}-{n}", kinds[n % len(kinds)], [world.unit_a])
        made.append(staff)
        codes = set(
            CredentialType.objects.filter(
                is_current=True, is_active=True, required_for__staff=staff
            ).values_list("code", flat=True)
        )
        for i, code in enumerate(sorted(codes)):
            pick = 1 if n % 5 == 4 else (n + i) % 7
            if pick == 0:
                continue  # never recorded: missing
            if pick == 1:
                _hold(world, staff, code, 10, expires_on=today + timedelta(days=400))
            elif pick == 2:
                _hold(world, staff, code, 600, expires_on=today + timedelta(days=30))
            elif pick == 3:
                _hold(world, staff, code, 800, expires_on=today - timedelta(days=5))
            elif pick == 4:
                lapsed = _hold(world, staff, code, 800, expires_on=today - timedelta(days=5))
                services.waive_credential(
                    lapsed, actor=world.user("admin"), reason="Class booked", until=None
                )
            elif pick == 5:
                lapsed = _hold(world, staff, code, 800, expires_on=today - timedelta(days=5))
                services.waive_credential(
                    lapsed,
                    actor=world.user("admin"),
                    reason="Class booked",
                    until=today + timedelta(days=15),
                )
            else:
                later = _hold(world, staff, code, 1, expires_on=today + timedelta(days=900))
                Credential.objects.filter(pk=later.pk).update(issued_on=today + timedelta(days=3))
        courses = Course.objects.filter(is_active=True, required_for__staff=staff).distinct()
        for i, course in enumerate(courses.order_by("code")):
            pick = 1 if n % 5 == 4 else (n + i) % 6
            if pick == 0:
                continue
            if pick == 1:
                _complete(world, staff, course.code, 1)
            elif pick == 2:
                _complete(world, staff, course.code, 700)
            elif pick == 3:
                _assign(staff, course.code, 20)
            elif pick == 4:
                _assign(staff, course.code, 200)
            else:
                _assign(staff, course.code, -2)
    return made


def test_judged_in_sql_says_what_the_python_judge_says(world: World) -> None:
    _mixed_staff(world, 14, "t-mix")
    today = clock.organization_today()
    staff = Staff.objects.filter(employed_q(today))
    roles: dict[int, list[str]] = defaultdict(list)
    for staff_id, code in StaffRole.objects.values_list("staff_id", "role__code"):
        roles[staff_id].append(code)
    expected = selectors.training_compliance(
        staff, today, roles, selectors.credential_compliance(staff, today, roles)
    )
    found = selectors.compliance_rows(staff, today)
    assert found == expected
    statuses = {row.status for row in found.values()}
    assert statuses == {selectors.COMPLIANT, selectors.EXPIRING, selectors.LAPSED}
    assert any(row.lapsed and row.expiring for row in found.values())
    assert any(row.earliest_end for row in found.values() if row.status == selectors.COMPLIANT)


def test_the_compliance_page_reads_the_same_queries_for_more_staff(world: World) -> None:
    director = client_for(world, "director")
    url = reverse("workforce:compliance")
    director.get(url)  # the session and caches settle
    with CaptureQueriesContext(connection) as few:
        assert director.get(url).status_code == 200
    _mixed_staff(world, 8, "t-more")
    with CaptureQueriesContext(connection) as many:
        page = director.get(url)
    assert page.status_code == 200
    assert "T More 0" in page.content.decode()
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]

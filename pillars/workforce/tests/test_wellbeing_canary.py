"""The canary: a check-in with a score no other record has is planted for the technician, then
every page route and every API read is requested as every role (the permission matrix's routes
and fixtures, aggregates at every level and quarter). The score and the check-in's id appear on
the technician's own pages and nowhere else, for nobody else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for, module_data
from pillars.core import clock
from pillars.core.tests import test_matrix as matrix
from pillars.core.tests.matrix_support import WHO
from pillars.people.models import Staff
from pillars.people.testing import World, build_world, make_staff
from pillars.workforce.models.wellbeing import CheckIn, CheckInInstrument
from pillars.workforce.selectors.wellbeing import completed_quarters

# A crawl of every route as every role, like the permission matrix: run once, with it, in
# bin/test's PostgreSQL stage.
pytestmark = pytest.mark.once

CANARY_SCORE = 47.123
OWNER = "bht"


def _plant(world: World) -> CheckIn:
    instrument = CheckInInstrument.objects.get(code="cbi-work-client")
    quarter = completed_quarters(clock.organization_today())[0]
    answered = clock.now().replace(
        year=quarter.start.year, month=quarter.start.month, day=10, hour=12
    )
    owner = world.staff[OWNER]
    canary = CheckIn.objects.create(
        staff=owner,
        instrument=instrument,
        answered_at=answered,
        answers={str(n): 75 for n in range(1, 14)},
        scores={"work": CANARY_SCORE, "client": CANARY_SCORE},
        unit=world.unit_a,
        supervisor=owner.supervisor,
    )
    # Five more on unit A and the same team, so the groups it counts in are shown (their means
    # are not the canary's).
    for n in range(5):
        other = make_staff(f"t-canary-{n}", ["bht"], [world.unit_a], supervisor=owner.supervisor)
        CheckIn.objects.create(
            staff=other,
            instrument=instrument,
            answered_at=answered + timedelta(hours=n),
            answers={str(k): 25 for k in range(1, 14)},
            scores={"work": 10.0, "client": 10.0},
            unit=world.unit_a,
            supervisor=owner.supervisor,
        )
    return canary


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[World, dict[str, Any]]]:
    from django.conf import settings

    from pillars.core.tokens import create_token

    with module_data(django_db_blocker):
        world = build_world()
        extra = matrix._fixtures(world)
        extra["canary"] = _plant(world)
        extra["sessions"] = {
            who: client_for(world, who).cookies[settings.SESSION_COOKIE_NAME].value
            for who in WHO
            if who != "anon"
        }
        extra["tokens"] = {
            who: create_token(world.user(who), name=f"c-{who}", scopes=["read"], days=1)[1]
            for who in WHO
            if who != "anon"
        }
        yield world, extra


def _secrets(extra: dict[str, Any]) -> list[str]:
    return [str(CANARY_SCORE), str(extra["canary"].public_id)]


def _aggregate_urls() -> list[str]:
    """The aggregates at every level and quarter, pages, CSV and API: the routes whose answers
    depend on their query (the permission matrix requests every route without one)."""
    urls = []
    page, csv = (
        reverse("workforce:wellbeing-aggregate"),
        reverse("workforce:wellbeing-aggregate-csv"),
    )
    for q in completed_quarters(clock.organization_today()):
        for level in ("team", "unit", "organization"):
            urls.append(f"{page}?level={level}&quarter={q.key}")
            urls.append(f"{csv}?level={level}&quarter={q.key}")
            urls.append(f"/api/v1/workforce/wellbeing/aggregate?level={level}&quarter={q.key}")
    return urls


@pytest.mark.django_db
def test_no_route_shows_anyone_else_a_check_in(planted: tuple[World, dict[str, Any]]) -> None:
    """Every page route and API operation, as every role, is requested by the permission matrix
    (core/tests/test_matrix.py), which fails when anyone but the owner is shown the canary the
    wellbeing matrix module plants. Here: the aggregates at every level and quarter, as every
    role, and the owner's own pages, which do show it (so the canary is findable)."""
    from django.conf import settings
    from django.db import transaction

    _world, extra = planted
    secrets = _secrets(extra)
    leaks = []
    for who in WHO:
        client = Client()
        if who != "anon":
            client.cookies[settings.SESSION_COOKIE_NAME] = extra["sessions"][who]
        headers = {"Authorization": f"Bearer {extra['tokens'][who]}"} if who != "anon" else {}
        for url in _aggregate_urls():
            with transaction.atomic():
                response = client.get(url, headers=headers)
                transaction.set_rollback(True)
            raw = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
            body = raw.decode(errors="replace")
            leaks += [(who, url, secret) for secret in secrets if secret in body]
    assert leaks == []
    owner = Client()
    owner.cookies[settings.SESSION_COOKIE_NAME] = extra["sessions"][OWNER]
    token = {"Authorization": f"Bearer {extra['tokens'][OWNER]}"}
    mine = owner.get(reverse("workforce:wellbeing-mine")).content.decode()
    api = Client().get("/api/v1/me/check-ins", headers=token).content.decode()
    for secret in secrets:
        assert secret in mine
        assert secret in api


def test_the_matrix_carries_the_canary() -> None:
    """The matrix's wellbeing fixtures plant a canary for the technician, so its crawl checks
    every route for it."""
    import inspect

    from pillars.workforce.tests import matrix_wellbeing

    assert "canaries" in inspect.getsource(matrix_wellbeing.fixtures)
    assert "_canary_leaks" in inspect.getsource(matrix.test_page_permissions)
    assert "_canary_leaks" in inspect.getsource(matrix.test_api_permissions)


@pytest.mark.django_db
def test_the_team_the_canary_counts_in_is_shown_as_a_mean_only(
    planted: tuple[World, dict[str, Any]],
) -> None:
    from django.conf import settings

    _world, extra = planted
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = extra["sessions"]["director"]
    quarter = completed_quarters(clock.organization_today())[0]
    url = f"{reverse('workforce:wellbeing-aggregate')}?level=unit&quarter={quarter.key}"
    body = client.get(url).content.decode()
    # Six answered on unit A: shown, as the mean of (47.123 + 5 x 10) / 6 = 16.19.
    assert "<td>16.2</td>" in body
    assert str(CANARY_SCORE) not in body
    assert Staff.objects.filter(user__username__startswith="t-canary-").count() == 5

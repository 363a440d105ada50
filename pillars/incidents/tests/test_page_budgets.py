"""Query budgets of the two pages staff open all shift, with every extension other apps add: the
unit board (rows, row links and flags, panels) costs the same number of queries with 5 persons
on it as with 25, and the person page's sections cost the same with one of each record as with
many (issue 13)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock, prepared
from pillars.incidents.models import EpisodeKind, SafetyPlanVersion
from pillars.incidents.selectors import safety as safety_selectors
from pillars.incidents.services import behavior as behavior_services
from pillars.incidents.services import restraint as restraint_services
from pillars.incidents.services import safety as safety_services
from pillars.incidents.tests.test_incidents import draft as draft_incident
from pillars.incidents.tests.test_safety import WORDS, review_on
from pillars.people.models import Bed, PersonServed, Room
from pillars.people.services import assign_caseload
from pillars.people.testing import World, make_person, place
from pillars.rounds import services as rounds_services
from pillars.rounds.choices import ItemResult
from pillars.rounds.models import Coverage, ObservationLevel, ObservationOrder
from pillars.rounds.services.inspections import Answer
from pillars.rounds.tests.test_inspections import all_pass, inspect, template

pytestmark = pytest.mark.django_db

# The session and actor (4), the unit, the rows (1; the open exceptions and coverage of the
# paused and 1:1 orders only) and the assignment, ligature findings, the audited list read (5),
# every extension's row reads and panels (the persons placed read once for all of them; the
# panel of persons without an order asks only about those the rows do not show), and the alert
# badge's count.
BOARD_BUDGET = 21
# The polled rows: the board without its panels (they refresh on their own).
ROWS_BUDGET = 18
# The panels on their own: the session and actor, the unit, the audited read of the unit's
# persons, the panels' counts (one query) and each panel's own list.
PANELS_BUDGET = 15
# The session and actor (4), the person, scope, the audited read (5), episodes, placements and
# caseload, one read per inline section (the Part 2 consents section among them; for a nurse,
# the recovery app's "Connect to a peer" section) and the alert badge's count. On-demand
# sections (the incident history among them) cost nothing until opened.
PERSON_BUDGET = 20


def _order(world: World, person: PersonServed, code: str) -> ObservationOrder:
    return rounds_services.order_observation(
        person,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code=code, is_current=True),
        reason="Budget",
        precautions=["suicide"],
        started_at=clock.now() - timedelta(hours=1),
    )


def _plan(world: World, person: PersonServed, reason: str = "") -> None:
    behavior_services.write_plan(
        person,
        actor=world.user("clinician"),
        effective_on=clock.organization_today(),
        targets=[
            {"name": "Hitting", "definition": "Hand contact, with force.", "measure": "frequency"}
        ],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
        change_reason=reason,
    )


def _safety_plan(world: World, person: PersonServed) -> None:
    version = safety_services.save_draft(
        person, actor=world.user("clinician"), content=WORDS, review_on=review_on()
    )
    safety_services.sign_plan(
        version, actor=world.user("clinician"), person_signature="tablet", typed_name="Alex"
    )


def _add_persons(world: World, first: int, count: int, covering: list[str]) -> None:
    """Persons on unit A with every kind of row the extensions mark: 1:1 with and without
    someone with them, a check that was not safe, a behavior plan, a signed safety plan, one in
    seclusion, all in a room with an open ligature finding. ``covering``: the staff who go on
    1:1 (one stretch each)."""
    room = Room.objects.create(unit=world.unit_a, name=f"R{first}")
    rod = Answer(ItemResult.FAIL, note="Fixed closet rod")
    inspect(world, room=room, answers=all_pass(template(), p3=rod))  # an open ligature finding
    staff = iter(covering)
    for n in range(first, first + count):
        person = make_person(f"MRN-P{n}", f"Family{n:02d}")
        place(
            person, world.unit_a, Bed.objects.create(room=room, label=f"B{n}"), world.staff["nurse"]
        )
        order = _order(world, person, "one-to-one" if n % 3 == 0 else "q15")
        if order.level.staff_ratio and (who := next(staff, None)):
            Coverage.objects.create(
                order=order,
                staff=world.staff[who],
                started_at=clock.now(),
                started_by=world.staff["nurse"],
                recorded_at=clock.now(),
            )
        rounds_services.record_check(
            order,
            actor=world.user("bht"),
            observed_at=clock.now() - timedelta(minutes=2),
            location="bedroom",
            activity="resting",
            safety_status="concern" if n % 4 == 0 else "safe",
            client_id=uuid.uuid4(),
        )
        if n % 2 == 0:
            _plan(world, person)
        if n % 2 == 1:
            _safety_plan(world, person)
        if n == first:
            restraint_services.start_episode(
                person,
                actor=world.user("nurse"),
                ordered_by=world.staff["clinician"],
                kind=EpisodeKind.SECLUSION,
                reason="Hit a peer",
                release_criteria="Calm",
                started_at=clock.now() - timedelta(minutes=10),
                late_reason="Entered after the hold",
            )


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("role", ["nurse", "bht"])
def test_the_board_with_its_extensions_costs_the_same_for_5_and_25_persons(
    world: World, signed_in: Any, role: str
) -> None:
    client = signed_in(role)
    board = reverse("rounds:board", kwargs={"public_id": world.unit_a.public_id})
    rows = reverse("rounds:board-rows", kwargs={"public_id": world.unit_a.public_id})
    _add_persons(world, 1, 5, ["bht"])
    client.get(board)  # the first request of a session loads what later ones reuse
    small, body = _queries(client, board)
    small_rows, _ = _queries(client, rows)
    assert body.count('class="board-row ') == body.count("board-ligature") == 5
    for shown in ("Record behavior", "Safety plan", "Restraint and seclusion now"):
        assert shown in body
    _add_persons(world, 6, 20, ["clinician", "supervisor"])
    large, body = _queries(client, board)
    large_rows, _ = _queries(client, rows)
    assert body.count('class="board-row ') == body.count("board-ligature") == 25
    assert (large, large_rows) == (small, small_rows)
    assert large <= BOARD_BUDGET, large


def _person_page(world: World, signed_in: Any) -> tuple[PersonServed, Client, str]:
    """A person with an observation order, a behavior plan and a safety plan, and the nurse's
    client and the address of their page (opened once: its reads are kept after that)."""
    person = world.person_a
    assert person is not None
    client = signed_in("nurse")
    url = reverse("people:person-detail", args=[person.public_id])
    _order(world, person, "q15")
    _plan(world, person)
    _safety_plan(world, person)
    return person, client, url


def test_the_person_page_sections_cost_the_same_with_one_record_or_many(
    world: World, signed_in: Any
) -> None:
    person, client, url = _person_page(world, signed_in)
    draft_incident(world)
    client.get(url)
    few, body = _queries(client, url)
    for section in ('id="behavior"', "Safety plan", "Incidents"):
        assert section in body
    for n in range(4):
        _plan(world, person, reason=f"Revision {n}")
        _safety_plan(world, person)
        draft_incident(world)
    many, _ = _queries(client, url)
    assert many == few
    assert many <= PERSON_BUDGET, many


def test_the_person_page_sections_wait_for_one_round_trip_on_postgresql(
    world: World, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sections' reads are asked together (``core.prepared.gather``): on PostgreSQL one
    pipeline for every section's reads, the plan's phase, contract and targets with the plan
    (the database gives them only while the plan is in force), instead of a round trip per
    read."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite answers in-process: its reads run one after the other")
    import psycopg

    _, client, url = _person_page(world, signed_in)
    client.get(url)  # the reads are kept after their first run
    pipelines: list[int] = []
    pipeline = psycopg.Connection.pipeline

    def counted(self: Any) -> Any:
        pipelines.append(1)
        return pipeline(self)

    monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert 'id="behavior"' in body
    assert "Safety plan" in body
    assert len(pipelines) == 1
    # Every read is still made (and logged) as one query of its own.
    assert len(queries) <= PERSON_BUDGET


def test_the_board_safety_plan_links_read_the_label_columns_with_the_plans(world: World) -> None:
    """The label guard reads ``is_part2`` and ``made_in_unit_id`` of every row it may have to
    log as a disclosure: deferred, each would cost one query per person on the board."""
    _add_persons(world, 1, 3, ["bht"])
    ids = list(
        SafetyPlanVersion.objects.filter(status="signed").values_list("person_id", flat=True)
    )
    plans = safety_selectors.current_plans_for(ids, world.user("nurse"))
    assert plans
    for version in plans.values():
        assert not {"is_part2", "made_in_unit_id"} & version.get_deferred_fields()


def test_the_polled_rows_leave_the_panels_to_their_own_refresh(
    world: World, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in("nurse")
    kwargs = {"public_id": world.unit_a.public_id}
    _add_persons(world, 1, 5, ["bht"])
    client.get(reverse("rounds:board", kwargs=kwargs))
    with django_assert_max_num_queries(ROWS_BUDGET):
        rows = client.get(reverse("rounds:board-rows", kwargs=kwargs))
    assert rows.content.decode().count('class="board-row ') == 5
    assert "Restraint and seclusion now" not in rows.content.decode()
    with django_assert_max_num_queries(PANELS_BUDGET):
        panels = client.get(reverse("rounds:board-panels", kwargs=kwargs))
    assert "Restraint and seclusion now" in panels.content.decode()
    assert 'class="board-row ' not in panels.content.decode()
    # The panels' read is audited like the rows': one list read naming the unit's persons.
    event = AuditEvent.objects.filter(object_id=f"board panels {world.unit_a.code}").get()
    assert len(event.detail["person_ids"]) >= 5


def _rounds_of_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[str, set[str]]]]:
    """Each round of kept reads run together (``prepared.together``) from now on: the table and
    the annotations of each read."""
    rounds: list[list[tuple[str, set[str]]]] = []
    together = prepared.together

    def recorded(reads: Any) -> Any:
        rounds.append(
            [(r.queryset.model._meta.db_table, set(r.queryset.query.annotations)) for r in reads]
        )
        return together(reads)

    monkeypatch.setattr(prepared, "together", recorded)
    return rounds


def test_the_person_page_reads_its_caseload_with_the_sections_first_reads(
    world: World, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One round for the caseload and every section's first read (one round trip on
    PostgreSQL), not a read of its own before them; the caseload is still shown."""
    person, client, url = _person_page(world, signed_in)
    assign_caseload(
        actor=world.user("nurse"), staff=world.staff["bht"], person=person, kind="primary_tech"
    )
    client.get(url)
    rounds = _rounds_of_reads(monkeypatch)
    body = client.get(url).content.decode()
    assert world.staff["bht"].display_name in body.split('id="h-caseload"')[1]
    [first] = [r for r in rounds if any(t == "rounds_observationorder" for t, _ in r)]
    assert any(t == "people_caseloadassignment" for t, _ in first)
    assert sum(t == "people_caseloadassignment" for r in rounds for t, _ in r) == 1


def test_the_board_reads_its_panels_rows_with_the_rows_extras(
    world: World, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The persons placed on the unit and the restraint panel's episodes with their clocks are
    read in the same round as the rows' extras (one round trip on PostgreSQL), not each on its
    own after them; the panel still shows its episode."""
    client = signed_in("nurse")
    _add_persons(world, 1, 5, ["bht"])
    url = reverse("rounds:board", kwargs={"public_id": world.unit_a.public_id})
    client.get(url)  # the reads are kept after their first run
    rounds = _rounds_of_reads(monkeypatch)
    body = client.get(url).content.decode()
    assert "Restraint and seclusion now" in body
    [extras] = [r for r in rounds if any(t == "incidents_safetyplanversion" for t, _ in r)]
    assert ("people_personserved", set()) in extras
    assert any(t == "incidents_restraintepisode" and "board_expires" in a for t, a in extras)
    assert not [r for r in rounds if r is not extras and any("board_expires" in a for _, a in r)]

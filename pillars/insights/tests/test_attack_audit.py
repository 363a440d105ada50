"""A surveyor's audit of the leaders' figures: counted on the organization's own day (DESIGN.md
rule 1), not on UTC's, which runs a day ahead every evening in US zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from pillars.core import clock, policy
from pillars.insights import measures, packet
from pillars.insights import team as team_board
from pillars.insights.fhir import mappers
from pillars.insights.fhir.context import Context
from pillars.insights.fhir.export import persons_for
from pillars.people.models import Episode
from pillars.people.testing import World
from pillars.recovery.models.plans import Goal
from pillars.rounds.models import Handoff, HandoffNote
from pillars.workforce.models.trainings import Course, TrainingAssignment

pytestmark = pytest.mark.django_db

# 20:00 on 7 December in Chicago (the test settings' default zone): already 8 December in UTC.
EVENING = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def _due_today(world: World) -> None:
    course = Course.objects.create(code="due-today", name="Due today", renewal_months=12)
    TrainingAssignment.objects.create(
        staff=world.staff["bht"],
        course=course,
        assigned_on=date(2026, 11, 1),
        due_on=date(2026, 12, 7),
        reason="hire",
        created_at=clock.now(),
    )


def test_the_team_board_does_not_call_a_course_due_today_overdue_in_the_evening(
    world: World,
) -> None:
    _due_today(world)
    with time_machine.travel(EVENING, tick=False):
        board = team_board.build(world.user("supervisor"), clock.now())
    trainings = next(f for f in board.figures if f.code == "trainings")
    assert (trainings.met, trainings.counted) == (1, 1)
    assert all(line.trainings_overdue == 0 for line in board.lines)


def test_the_director_figures_count_a_course_due_today_as_not_yet_overdue(world: World) -> None:
    _due_today(world)
    with time_machine.travel(EVENING, tick=False):
        found = measures.workforce_figures(None, clock.now(), world.unit_a.site.organization_id)
    trainings = next(f for f in found.figures if f.code == "trainings")
    assert trainings.counted >= 1
    assert trainings.met == trainings.counted


def test_a_fhir_goal_set_in_the_evening_starts_on_that_day_not_utcs(world: World) -> None:
    Goal.objects.create(
        person=world.person_a,
        domain="work",
        statement="Get back to part-time work",
        created_by=world.staff["peer"],
        created_at=EVENING,
    )
    actor = policy.actor_for(world.user("privacy"))
    persons, _ = persons_for(actor)
    ctx = Context(actor=actor, alias="default", persons=persons)
    (goal,) = list(mappers.goals(ctx))
    assert goal["startDate"] == "2026-12-07"


def test_the_packet_leaves_out_handoff_notes_of_a_unit_the_reader_may_not_see(
    world: World,
) -> None:
    """Person A's notes written on unit B's shift handoff (a unit the unit A nurse may not
    read, a substance-use program's, say): the packet leaves them out and counts them, as it
    does every other record the reader may not see."""
    episode = Episode.objects.get(person=world.person_a)
    now = clock.now()
    handoff = Handoff.objects.create(
        unit=world.unit_b,
        starts_at=now - timedelta(hours=8),
        ends_at=now,
        compiled_at=now,
        compiled_by=world.staff["outsider"],
        created_at=now,
    )
    HandoffNote.objects.create(
        handoff=handoff,
        person=world.person_a,
        text="Talked about her drinking at group",
        written_by=world.staff["outsider"],
        written_at=max(now - timedelta(minutes=5), episode.admitted_at),
    )
    nurse = world.user("nurse")
    assert not policy.is_visible(policy.actor_for(nurse), handoff)
    stay = packet.gather(nurse, episode)
    notes = next(s for s in stay.sections if s.title == "Handoff notes about the person")
    assert (notes.rows, notes.withheld) == ([], 1)
    assert "drinking" not in " ".join(str(v) for s in stay.sections for r in s.rows for v in r)

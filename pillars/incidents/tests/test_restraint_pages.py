"""Restraint pages: the board panel and row flag (constant queries), an episode run through the
pages, the shift lead's screen and the report, and what bad input does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.incidents.models import EpisodeKind, RestraintEpisode
from pillars.incidents.services import restraint as svc
from pillars.people.models import PersonServed
from pillars.people.testing import World, make_person, place
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


def _observe(world: World, person: PersonServed) -> None:
    rounds_services.order_observation(
        person,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Board",
        started_at=clock.now() - timedelta(hours=1),
    )


def _start(world: World, person: PersonServed, minutes_ago: int = 20) -> RestraintEpisode:
    return svc.start_episode(
        person,
        actor=world.user("nurse"),
        ordered_by=world.staff["clinician"],
        kind=EpisodeKind.SECLUSION,
        reason="Hit a peer",
        release_criteria="Calm",
        started_at=clock.now() - timedelta(minutes=minutes_ago),
        late_reason="Entered after the hold",
    )


def _board_queries(client: Any, world: World) -> tuple[int, str]:
    url = reverse("rounds:board", kwargs={"public_id": world.unit_a.public_id})
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    return len(queries), body


def test_board_shows_timers_and_flags_in_constant_queries(world: World, signed_in: Any) -> None:
    _observe(world, world.person_a)
    _start(world, world.person_a)
    client = signed_in("bht")
    few, body = _board_queries(client, world)
    assert "Restraint and seclusion now" in body
    assert "Monitoring due" in body and "overdue by 5 min" in body  # noqa: PT018
    assert "Face-to-face due" in body
    assert "Order expires" in body
    assert "In seclusion since" in body
    for n in range(3):
        person = make_person(f"MRN-Q{n}", "Queries")
        place(person, world.unit_a, world.beds_a[n + 1], world.staff["nurse"])
        _observe(world, person)
        _start(world, person)
    many, body = _board_queries(client, world)
    assert body.count("In seclusion since") == 4
    assert many == few


def test_the_rows_flag_keeps_the_label_of_the_episode(world: World, signed_in: Any) -> None:
    """An episode made in a substance-use program keeps its label: a board on another unit
    shows no flag for it (as the episode's own page answers 404 there)."""
    _observe(world, world.person_a)
    episode = _start(world, world.person_a)
    client = signed_in("bht")
    assert "In seclusion since" in _board_queries(client, world)[1]
    RestraintEpisode.objects.filter(pk=episode.pk).update(is_part2=True, made_in_unit=world.unit_b)
    assert "In seclusion since" not in _board_queries(client, world)[1]


def test_no_panel_for_a_role_that_may_not_see_episodes(world: World, signed_in: Any) -> None:
    _observe(world, world.person_a)
    _start(world, world.person_a)
    # The administrator has no care role: the board is not theirs either, so check the hook.
    from django.test import RequestFactory

    from pillars.incidents.extensions.restraint import board_panel

    request = RequestFactory().get("/")
    request.user = world.user("admin")
    assert board_panel(request, world.unit_a) is None
    request.user = world.user("bht")
    assert board_panel(request, world.unit_a) is not None


def test_run_an_episode_through_the_pages(world: World, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    start = reverse("incidents:restraint-start", args=[world.person_a.public_id])
    # Bad input: the form again with its errors, nothing stored.
    response = nurse.post(start, {"kind": "seclusion", "reason": "", "release_criteria": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert RestraintEpisode.objects.count() == 0
    response = nurse.post(
        start,
        {
            "kind": "seclusion",
            "reason": "Hit a peer",
            "release_criteria": "Calm 10 min",
            "ordered_by": str(world.staff["clinician"].public_id),
        },
    )
    episode = RestraintEpisode.objects.get()
    assert response.status_code == 302
    detail = reverse("incidents:restraint-detail", args=[episode.public_id])
    assert response["Location"] == detail
    body = nurse.get(detail).content.decode()
    assert "Order expires" in body and "Monitoring due" in body  # noqa: PT018
    url = reverse("incidents:restraint-monitor", args=[episode.public_id])
    assert nurse.post(url, {"monitor-condition": "Quiet"}).status_code == 302
    url = reverse("incidents:restraint-face-to-face", args=[episode.public_id])
    assert nurse.post(url, {"face_to_face-findings": "Calmer"}).status_code == 302
    url = reverse("incidents:restraint-release", args=[episode.public_id])
    assert nurse.post(url, {"release-reason": "Met criteria"}).status_code == 302
    episode.refresh_from_db()
    assert episode.released_at is not None
    assert episode.checks.count() == 1
    body = nurse.get(detail).content.decode()
    assert "Released" in body
    assert AuditEvent.objects.filter(object_id=str(episode.public_id), action="view").exists()


def test_lead_screen_and_report(world: World, signed_in: Any) -> None:
    episode = _start(world, world.person_a, minutes_ago=70)
    lead = signed_in("nurse").get(
        reverse("incidents:restraint-lead", args=[world.unit_a.public_id])
    )
    body = lead.content.decode()
    assert world.person_a.display_name in body
    assert "Face-to-face due" in body and "overdue by 10 min" in body  # noqa: PT018
    report = signed_in("director").get(reverse("incidents:restraint-report")).content.decode()
    assert "HBIPS-2" in report
    assert "Face-to-face late" in report
    assert str(episode.public_id) in report


def test_due_soon_timer_has_the_board_warning_tone(world: World, signed_in: Any) -> None:
    _start(world, world.person_a, minutes_ago=12)
    _, body = _board_queries(signed_in("bht"), world)
    assert (
        '<li class="status warning" data-timer="monitoring"><span aria-hidden="true">◷</span>'
        in body
    )


def test_one_tap_records_the_seclusion_not_the_last_day_room(world: World, signed_in: Any) -> None:
    """A person last seen in the day room and now in seclusion: the one-tap button shows and
    posts the seclusion room, never the stale day room; released, the last check's place
    comes back."""
    import re
    import uuid

    _observe(world, world.person_a)
    from pillars.rounds.selectors import current_order

    order = current_order(world.person_a)
    assert order is not None
    rounds_services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now() - timedelta(minutes=30),
        location="dayroom",
        activity="phone",
        safety_status="safe",
        client_id=uuid.uuid4(),
        late_reason="Written up after the code",
    )
    client = signed_in("bht")
    _, before = _board_queries(client, world)
    assert "Day room, On the phone" in before
    episode = _start(world, world.person_a)
    _, body = _board_queries(client, world)
    one_tap = re.search(r'<form class="one-tap".*?</form>', body, re.S)
    assert one_tap is not None
    form = one_tap.group(0)
    assert 'name="location" value="seclusion"' in form
    assert 'name="activity" value="secluded"' in form
    assert "Seclusion room, In seclusion" in form
    assert "Day room" not in form
    svc.release_episode(episode, actor=world.user("nurse"), reason="Calm for ten minutes")
    _, after = _board_queries(client, world)
    released = re.search(r'<form class="one-tap".*?</form>', after, re.S)
    assert released is not None
    assert 'name="location" value="dayroom"' in released.group(0)


def test_the_orderers_offered_are_never_another_organizations(world: World) -> None:
    from pillars.incidents.views import restraint as views
    from pillars.people.models import Organization, Site
    from pillars.people.testing import make_staff, make_unit

    other = Organization.objects.create(name="Elsewhere Health")
    far_unit, _ = make_unit(Site.objects.create(organization=other, name="Far campus"), "q")
    elsewhere = make_staff("t-elsewhere-clinician", ["clinician"], [far_unit])
    # A person not on a unit now (reached through a caseload or an emergency grant): the
    # organization's clinicians (a nurse enters an order, never gives it).
    offered = set(views._orderers(None, world.org.pk))
    assert offered == {world.staff["clinician"]}
    assert elsewhere not in offered
    assert set(views._orderers(world.unit_a, world.org.pk)) <= offered
    assert list(views._orderers(None, other.pk)) == [elsewhere]


def test_the_person_page_links_the_active_episode_and_the_earlier_ones(
    world: World, signed_in: Any
) -> None:
    nurse = signed_in("nurse")
    page = reverse("people:person-detail", args=[world.person_a.public_id])
    start = reverse("incidents:restraint-start", args=[world.person_a.public_id])
    body = nurse.get(page).content.decode()
    assert "None recorded." in body
    assert start in body
    # 01:30 on the night the clocks go back in Chicago, the first time (CDT) and the second (CST).
    with time_machine.travel(datetime(2027, 11, 7, 6, 35, tzinfo=UTC), tick=False) as traveller:
        earlier = svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind=EpisodeKind.SECLUSION,
            reason="Hit a peer",
            release_criteria="Calm",
            started_at=datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
        )
        svc.release_episode(earlier, actor=world.user("nurse"), reason="Calm")
        traveller.move_to(datetime(2027, 11, 7, 7, 35, tzinfo=UTC))
        active = svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind=EpisodeKind.SECLUSION,
            reason="Hit a peer",
            release_criteria="Calm",
            started_at=datetime(2027, 11, 7, 7, 30, tzinfo=UTC),
        )
    body = nurse.get(page).content.decode()
    active_url = reverse("incidents:restraint-detail", args=[active.public_id])
    earlier_url = reverse("incidents:restraint-detail", args=[earlier.public_id])
    assert f'<a href="{active_url}">Seclusion since 2027-11-07 01:30 CST</a>' in body
    assert f'<li><a href="{earlier_url}">Seclusion, 2027-11-07 01:30 CDT</a></li>' in body
    assert active_url not in body.split('class="link-list"')[1].split("</ul>")[0]
    assert "None recorded." not in body
    # No second episode is started while one is active.
    assert start not in body

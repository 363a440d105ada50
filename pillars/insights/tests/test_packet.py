"""The survey-readiness packet of one stay: what it holds, who may print it, and what it says
about records the reader may not see."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.incidents.models import EpisodeKind, Incident
from pillars.incidents.services import incidents as incident_services
from pillars.incidents.services import restraint as restraint_services
from pillars.insights import packet
from pillars.people.models import Episode
from pillars.people.testing import World
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


def _text(body: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _stay(world: World) -> Episode:
    """Person A's stay: a q15 order with three checks and a missed one between them, a late
    entry, an incident and a seclusion."""
    nurse, bht = world.user("nurse"), world.user("bht")
    start = clock.now() - timedelta(hours=3)
    order = rounds_services.order_observation(
        world.person_a,
        actor=nurse,
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Said she had a plan",
        precautions=["suicide"],
        started_at=start,
    )
    for minutes, entered_after, late_reason in (
        # The first check is due when the order starts (as on the board).
        (0, 1, ""),
        (10, 1, ""),
        # 70 minutes after the second check (a missed one before it), entered 40 minutes late.
        (80, 40, "The tablet was charging"),
    ):
        observed_at = start + timedelta(minutes=minutes)
        with time_machine.travel(observed_at + timedelta(minutes=entered_after), tick=False):
            rounds_services.record_check(
                order,
                actor=bht,
                observed_at=observed_at,
                location="bedroom",
                activity="asleep",
                safety_status="safe",
                client_id=uuid.uuid4(),
                late_reason=late_reason,
            )
    details = incident_services.IncidentDetails(
        type="aggression_peer",
        occurred_at=clock.now() - timedelta(hours=1),
        location="Day room",
        narrative="Threw a chair toward the window",
        persons=[world.person_a],
    )
    incident = incident_services.create_draft(world.unit_a, details, actor=nurse)
    incident_services.submit_incident(incident, actor=nurse)
    restraint_services.start_episode(
        world.person_a,
        actor=nurse,
        ordered_by=world.staff["clinician"],
        kind=EpisodeKind.SECLUSION,
        reason="Kept throwing furniture",
        release_criteria="Calm for ten minutes",
        started_at=clock.now() - timedelta(minutes=50),
        late_reason="Entered after the hold",
    )
    return Episode.objects.get(person=world.person_a)


def test_the_packet_holds_every_check_the_gaps_incidents_and_restraint(
    world: World, signed_in: Any
) -> None:
    episode = _stay(world)
    client = signed_in("nurse")
    page = client.get(reverse("insights-packet:packet", args=[episode.public_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Every check" in body
    assert "Download the packet (PDF)" in body

    response = client.get(reverse("insights-packet:packet-pdf", args=[episode.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="survey-packet-')
    # The name stays in the downloads folder of a shared workstation: it names the stay, not
    # the person (no record number, no name).
    disposition = response["Content-Disposition"]
    assert episode.person.record_number not in disposition
    assert episode.person.legal_family_name not in disposition
    assert str(episode.public_id)[:8] in disposition
    text = _text(response.content)
    assert "Survey-readiness packet: " in text
    assert "Said she had a plan" in text
    assert "Late entry: The tablet was charging" in text
    assert "missed check" in text
    assert "Threw a chair toward the window" in text
    assert "Seclusion" in text
    assert "not done (due" in text  # no face-to-face was recorded yet
    # The export is logged through the one door, with what it held.
    event = AuditEvent.objects.filter(action="export", object_type="insights.survey_packet").get()
    assert event.detail["format"] == "pdf"
    assert event.detail["sections"]["Every check"] == 3
    assert event.detail["sections"]["Incidents"] == 1


def test_gaps_follow_the_levels_interval_and_grace(world: World) -> None:
    episode = _stay(world)
    stay = packet.gather(world.user("nurse"), episode)
    gaps = next(s for s in stay.sections if s.title == "Gaps between checks")
    findings = [row[-1] for row in gaps.rows]
    # 20 -> 90 min is one missed check; the order is still open, so the stretch since the last
    # check is open too.
    assert findings[0] == "missed check"
    assert findings[0] != "late check"
    assert gaps.rows[0][3] == "70"
    assert findings[-1].endswith("(no check since)")


def test_records_the_reader_may_not_see_are_left_out_and_counted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    episode = _stay(world)
    seen = policy.is_visible

    def hide_incidents(user: Any, obj: Any) -> bool:
        return False if isinstance(obj, Incident) else seen(user, obj)

    monkeypatch.setattr(policy, "is_visible", hide_incidents)
    stay = packet.gather(world.user("nurse"), episode)
    incidents = next(s for s in stay.sections if s.title == "Incidents")
    assert (incidents.rows, incidents.withheld) == ([], 1)
    assert not any(isinstance(r, Incident) for r in stay.records)
    text = _text(packet.render(stay))
    assert "1 record(s) left out" in text
    assert "Threw a chair" not in text


@pytest.mark.parametrize(
    ("role", "status"),
    [("nurse", 200), ("director", 200), ("privacy", 403), ("bht", 403), ("peer", 403),
     ("outsider", 404)],
)  # fmt: skip
def test_who_may_print_a_packet(world: World, signed_in: Any, role: str, status: int) -> None:
    episode = Episode.objects.get(person=world.person_a)
    url = reverse("insights-packet:packet-pdf", args=[episode.public_id])
    assert signed_in(role).get(url).status_code == status


def test_an_unknown_stay_answers_404(signed_in: Any) -> None:
    url = reverse("insights-packet:packet", args=[uuid.uuid4()])
    assert signed_in("nurse").get(url).status_code == 404


def test_the_person_page_offers_the_packet_on_demand(world: World, signed_in: Any) -> None:
    with time_machine.travel(clock.now(), tick=True):
        body = signed_in("nurse").get(
            reverse("people:person-detail", args=[world.person_a.public_id])
        )
    assert "Survey-readiness packet" in body.content.decode()
    section = signed_in("nurse").get(
        reverse("people:person-section", args=[world.person_a.public_id, "insights-packet"])
    )
    episode = Episode.objects.get(person=world.person_a)
    assert reverse("insights-packet:packet", args=[episode.public_id]) in section.content.decode()
    bht = signed_in("bht").get(reverse("people:person-detail", args=[world.person_a.public_id]))
    assert "Survey-readiness packet" not in bht.content.decode()

"""The supervisor's and the privacy officer's dashboards: each figure from the workforce or
audit records by their own rules, wellbeing only as a suppressed aggregate, every figure
drilling down, every read audited."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from conftest import client_for
from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock, exports
from pillars.insights import measures, privacy
from pillars.people.testing import World
from pillars.workforce.models.trainings import Course, TrainingAssignment
from pillars.workforce.models.wellbeing import CheckInInstrument
from pillars.workforce.selectors.wellbeing import quarter_of
from pillars.workforce.services import wellbeing as wellbeing_services

pytestmark = pytest.mark.django_db

ALL_50 = {str(i): 50 for i in range(1, 14)}


def test_the_supervisor_sees_their_staff_with_figures_and_the_read_is_audited(
    world: World,
) -> None:
    course = Course.objects.create(code="cpr-test", name="CPR (test)", renewal_months=12)
    TrainingAssignment.objects.create(
        staff=world.staff["bht"],
        course=course,
        assigned_on=date(2024, 1, 1),
        due_on=date(2024, 2, 1),
        reason="hire",
        created_at=clock.now(),
    )
    response = client_for(world, "supervisor").get(reverse("insights:team"))
    assert response.status_code == 200
    html = response.content.decode()
    # The supervisor's two supervisees, and nobody else.
    assert world.staff["bht"].display_name in html
    assert world.staff["peer"].display_name in html
    assert world.staff["nurse"].display_name not in html
    # The one overdue course: training compliance 0 of 1.
    assert "0.0% (0 of 1)" in html
    assert reverse("workforce:staff-credentials", args=[world.staff["bht"].public_id]) in html
    assert reverse("workforce:supervision-week") in html
    assert "<svg" in html
    assert "style=" not in html.split("<main", 1)[-1]
    event = AuditEvent.objects.filter(object_type="insights.dashboard").latest("seq")
    assert (event.object_id, event.actor) == ("team", world.user("supervisor"))
    assert event.detail["staff"] == 2


def test_the_training_figure_follows_workforce_rules(world: World) -> None:
    course = Course.objects.create(code="t-1", name="T1", renewal_months=12)
    for key, due in (("bht", date(2020, 1, 1)), ("peer", date(2999, 1, 1))):
        TrainingAssignment.objects.create(
            staff=world.staff[key],
            course=course,
            assigned_on=date(2020, 1, 1),
            due_on=due,
            reason="hire",
            created_at=clock.now(),
        )
    ids = [world.staff["bht"].pk, world.staff["peer"].pk]
    figure = measures.training_figure(measures.training_statuses(ids, clock.organization_today()))
    assert (figure.met, figure.counted, figure.text) == (1, 2, "50.0% (1 of 2)")


def test_the_team_wellbeing_is_hidden_when_fewer_than_five_answered(world: World) -> None:
    instrument = CheckInInstrument.objects.get(code="cbi-work-client")
    last_quarter = quarter_of(quarter_of(clock.organization_today()).start - timedelta(days=1))
    moment = datetime.combine(last_quarter.start + timedelta(days=10), datetime.min.time()).replace(
        tzinfo=clock.now().tzinfo
    )
    with time_machine.travel(moment, tick=False):
        for key in ("bht", "peer"):
            wellbeing_services.answer_check_in(
                actor=world.user(key), instrument=instrument, answers=ALL_50
            )
    html = client_for(world, "supervisor").get(reverse("insights:team")).content.decode()
    assert "Hidden: fewer than 5 people answered" in html
    assert "50.0" not in html.split("h-wellbeing", 1)[1]


def test_the_privacy_dashboard_counts_access_and_disclosures_by_month(world: World) -> None:
    privacy_user = world.user("privacy")
    exports.release(world.user("director"), what="insights.dashboard", fmt="csv")
    audit.record(
        actor=world.user("bht"),
        action=Action.VIEW,
        object_type="people.personserved",
        object_id="x",
        outcome=Outcome.DENIED,
    )
    for basis in ("consent", "consent", "emergency"):
        audit.record(
            actor=world.user("clinician"),
            action=Action.VIEW,
            object_type="recovery.encounter",
            object_id="part2-disclosure",
            category=Category.SUBSTANCE_USE,
            detail={"disclosure": basis},
        )
    board = privacy.build(privacy_user)
    key = board.months[-1]
    assert board.counts["exports"][key] == 1
    assert board.counts["denied"][key] == 1
    assert board.counts["part2-consent"][key] == 2
    assert board.counts["part2-emergency"][key] == 1
    assert board.counts["part2-program"].get(key, 0) == 0

    response = client_for(world, "privacy").get(reverse("insights:privacy"))
    assert response.status_code == 200
    html = response.content.decode()
    today = clock.today_in("UTC")
    assert "Part 2 disclosures under a consent" in html
    query = urlencode({"date_from": date(key[0], key[1], 1).isoformat()})
    assert reverse("audit:report") + "?" + query in html.replace("&amp;", "&")
    assert today.year >= key[0]
    event = AuditEvent.objects.filter(object_type="insights.dashboard").latest("seq")
    assert (event.object_id, event.actor) == ("privacy", privacy_user)


def test_the_privacy_csv_leaves_by_the_export_door(world: World) -> None:
    response = client_for(world, "privacy").get(reverse("insights:privacy-csv"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "Denied reads" in body
    assert "Emergency access granted" in body
    event = AuditEvent.objects.filter(action=Action.EXPORT).latest("seq")
    assert event.object_type == "insights.privacy"


def test_the_director_sees_workforce_figures_and_opens_the_monthly_report(world: World) -> None:
    client = client_for(world, "director")
    html = client.get(reverse("insights:director")).content.decode()
    assert "Credential compliance" in html
    assert "Annual turnover and 90-day retention by role" in html
    assert reverse("workforce:retention") in html
    assert reverse("insights:report") in html
    month = privacy.months_of(clock.today_in("UTC").replace(day=1), clock.today_in("UTC"))[0]
    response = client.get(reverse("insights:report"), {"month": f"{month[0]}-{month[1]:02d}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.filter(action=Action.EXPORT).latest("seq")
    assert event.object_type == "insights.monthly_report"
    assert event.detail["month"] == f"{month[0]}-{month[1]:02d}"


def test_a_month_not_offered_is_not_found(world: World) -> None:
    response = client_for(world, "director").get(reverse("insights:report"), {"month": "1999-01"})
    assert response.status_code == 404


def test_the_report_prints_every_measure_and_the_hbips_strata(world: World) -> None:
    response = client_for(world, "director").get(reverse("insights:report"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    for m in measures.MEASURES[:3]:
        assert m.name in flat
    assert "Ages 65+" in flat
    assert "90-day retention" in flat


def test_the_home_panel_shows_a_unit_lead_their_units_this_month(world: World) -> None:
    html = client_for(world, "nurse").get(reverse("core:home")).content.decode()
    assert "This month&#x27;s measures" in html or "This month's measures" in html
    assert reverse("insights:unit", args=[world.unit_a.public_id]) in html
    assert reverse("insights:unit", args=[world.unit_b.public_id]) not in html
    event = AuditEvent.objects.filter(object_type="insights.dashboard").latest("seq")
    assert (event.object_id, event.actor) == ("home", world.user("nurse"))
    assert "This month" not in client_for(world, "bht").get(reverse("core:home")).content.decode()


def test_a_unit_lead_lists_their_own_units_only(world: World) -> None:
    html = client_for(world, "nurse").get(reverse("insights:units")).content.decode()
    assert reverse("insights:unit", args=[world.unit_a.public_id]) in html
    assert reverse("insights:unit", args=[world.unit_b.public_id]) not in html


def test_the_team_csv_leaves_by_the_export_door_with_the_export_threshold(world: World) -> None:
    instrument = CheckInInstrument.objects.get(code="cbi-work-client")
    last_quarter = quarter_of(quarter_of(clock.organization_today()).start - timedelta(days=1))
    moment = datetime.combine(last_quarter.start + timedelta(days=10), datetime.min.time()).replace(
        tzinfo=clock.now().tzinfo
    )
    with time_machine.travel(moment, tick=False):
        for key in ("bht", "peer"):
            wellbeing_services.answer_check_in(
                actor=world.user(key), instrument=instrument, answers=ALL_50
            )
    response = client_for(world, "supervisor").get(reverse("insights:team-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    lines = body.splitlines()
    assert any(line.startswith("section,name,") for line in lines)
    staff = [line for line in lines if line.startswith("staff,")]
    assert len(staff) == 2
    assert world.staff["bht"].display_name in body
    assert world.staff["nurse"].display_name not in body
    assert "standard,Credential compliance" in body
    # A supervisor may not export wellbeing: the file says so and holds none.
    assert "Wellbeing is not in this file" in body
    assert "wellbeing," not in body
    event = AuditEvent.objects.filter(action=Action.EXPORT).latest("seq")
    assert (event.object_type, event.actor) == ("insights.team", world.user("supervisor"))
    assert event.detail["staff"] == 2
    # The director's file has it, hidden under eleven (on screen: under five).
    response = client_for(world, "director").get(reverse("insights:team-csv"))
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "wellbeing," in body
    assert "Hidden: fewer than 11 people answered" in body
    assert "50.0" not in body

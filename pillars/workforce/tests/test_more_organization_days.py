"""The organization's day (or the staff member's unit's), not UTC's, at 21:00 in Chicago (03:00
UTC, already tomorrow in UTC): the time log, recognition, the ladder, supervision (work hours,
letters and their window, the ledger, the week, the overdue sweep, the load limit), the drift
review, exposure figures, the exit list, and the staff and persons imports (DESIGN.md rule 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from pillars.core.errors import ValidationError
from pillars.people import importing
from pillars.people import services as people_services
from pillars.people.models import Alert, Staff, StaffHomeUnit
from pillars.people.testing import StaffFactory, World, make_staff
from pillars.workforce.models.ladder import LadderStep
from pillars.workforce.models.supervision import (
    CertificationRule,
    SupervisionProfile,
    SupervisorLoadLimit,
    VerificationLetter,
)
from pillars.workforce.selectors import supervision as supervision_selectors
from pillars.workforce.selectors.wellbeing import exposure_aggregates
from pillars.workforce.services import drift as drift_services
from pillars.workforce.services import ladder as ladder_services
from pillars.workforce.services import recognition as recognition_services
from pillars.workforce.services import supervision as supervision_services

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # 21:00 on 7 December in Chicago
TODAY = date(2026, 12, 7)  # the organization's (and the units') day at EVENING
TOMORROW = date(2026, 12, 8)  # UTC's day at EVENING


def _leaves_tomorrow(staff: Staff) -> Staff:
    """Their last day is still ahead in Chicago, though UTC has reached it."""
    Staff.objects.filter(pk=staff.pk).update(exited_on=TOMORROW, exit_reason="resigned_pay")
    staff.refresh_from_db()
    return staff


# --- The time log ---------------------------------------------------------------------------


def test_the_time_log_takes_the_day_in_the_peers_zone(world: World, signed_in: Any) -> None:
    peer = world.user("peer")
    oldest = TODAY - timedelta(days=drift_services.LOG_DAYS_BACK)
    with time_machine.travel(EVENING, tick=False):
        with pytest.raises(ValidationError) as refused:
            drift_services.log_time(actor=peer, worked_on=TOMORROW, task="transport", minutes=30)
        assert refused.value.message_dict["worked_on"] == ["The day cannot be in the future."]
        drift_services.log_time(actor=peer, worked_on=oldest, task="transport", minutes=30)
        page = signed_in("peer").get(reverse("workforce:time-log"))
    assert page.status_code == 200
    assert page.context["form"].initial["worked_on"] == TODAY
    assert [e.worked_on for e in page.context["entries"]] == [oldest]


# --- Recognition and the ladder -------------------------------------------------------------


def test_a_colleague_whose_last_day_is_tomorrow_can_be_thanked_this_evening(
    world: World, signed_in: Any
) -> None:
    nurse = _leaves_tomorrow(world.staff["nurse"])
    with time_machine.travel(EVENING, tick=False):
        page = signed_in("bht").get(reverse("workforce:recognition-give"))
        thanks = recognition_services.give_recognition(
            nurse, actor=world.user("bht"), message="Thank you for every night shift."
        )
    assert nurse in page.context["form"].fields["to"].queryset
    assert thanks.given_to == nurse


def test_a_ladder_step_is_placed_on_the_organizations_day(world: World) -> None:
    peer = world.staff["peer"]
    step = LadderStep.objects.get(role__code="peer", rank=2)
    with time_machine.travel(EVENING, tick=False):
        with pytest.raises(ValidationError) as refused:
            ladder_services.place_on_ladder(
                peer, actor=world.user("supervisor"), step=step, since_on=TOMORROW
            )
        assert "since_on" in refused.value.message_dict
        placed = ladder_services.place_on_ladder(peer, actor=world.user("supervisor"), step=step)
    assert placed.since_on == TODAY


# --- Supervision ------------------------------------------------------------------------------


def test_work_hours_and_letters_for_tomorrow_are_refused_this_evening(world: World) -> None:
    peer = world.staff["peer"]
    supervisor = world.user("supervisor")
    with time_machine.travel(EVENING, tick=False):
        with pytest.raises(ValidationError) as hours:
            supervision_services.record_work_hours(
                peer,
                actor=supervisor,
                period_start=date(2026, 12, 1),
                period_end=TOMORROW,
                hours=Decimal("8"),
            )
        assert "period_end" in hours.value.message_dict
        with pytest.raises(ValidationError) as letter:
            supervision_services.sign_letter(
                peer,
                actor=supervisor,
                rule=CertificationRule.objects.get(code="ncps"),
                period_start=date(2026, 1, 1),
                period_end=TOMORROW,
                credential="LCSW",
            )
        assert "period_end" in letter.value.message_dict
        supervision_services.record_work_hours(
            peer,
            actor=supervisor,
            period_start=date(2026, 12, 1),
            period_end=TODAY,
            hours=Decimal("8"),
        )


def test_a_letter_signed_the_evening_before_the_window_is_outside_it(world: World) -> None:
    peer = world.staff["peer"]
    rule = CertificationRule.objects.get(code="ncps")
    [line] = supervision_selectors.ledger(peer, TODAY, [rule])
    assert line.window_start == date(2021, 12, 7)
    # 20:00 on 6 December 2021 in Chicago, 7 December in UTC: the day before the window.
    VerificationLetter.objects.create(
        staff=peer,
        supervisor=world.staff["supervisor"],
        rule=rule,
        period_start=date(2020, 1, 1),
        period_end=date(2021, 12, 6),
        session_hours=Decimal("10"),
        work_hours=Decimal("100"),
        supervisor_credential="LCSW",
        statement="Verified.",
        signed_at=datetime(2021, 12, 7, 2, 0, tzinfo=UTC),
    )
    [line] = supervision_selectors.ledger(peer, TODAY, [rule])
    assert line.letters == 0
    [line] = supervision_selectors.ledger(peer, date(2026, 12, 6), [rule])
    assert line.letters == 1


def test_the_ledger_pages_count_back_from_the_staff_members_day(
    world: World, signed_in: Any
) -> None:
    peer = world.staff["peer"]
    with time_machine.travel(EVENING, tick=False):
        ledger = signed_in("supervisor").get(reverse("workforce:ledger", args=[peer.public_id]))
        mine = signed_in("peer").get(reverse("workforce:my-supervision"))
        letter = signed_in("supervisor").get(reverse("workforce:letter-new", args=[peer.public_id]))
    ncps = CertificationRule.objects.get(code="ncps")
    for lines in (ledger.context["lines"], mine.context["ledger"]):
        assert {line.window_start for line in lines if line.rule == ncps} == {date(2021, 12, 7)}
    assert letter.context["form"].initial["period_end"] == TODAY


def test_the_week_lists_a_supervisee_whose_last_day_is_tomorrow(
    world: World, signed_in: Any
) -> None:
    peer = _leaves_tomorrow(world.staff["peer"])
    ncps = CertificationRule.objects.get(code="ncps")
    SupervisionProfile.objects.create(staff=peer, target=ncps)
    with time_machine.travel(EVENING, tick=False):
        page = signed_in("supervisor").get(reverse("workforce:supervision-week"))
        form = signed_in("supervisor").get(reverse("workforce:session-new"))
    [row] = [row for row, _ in page.context["entries"] if row.staff == peer]
    assert row.target is not None
    assert row.target.window_start == date(2021, 12, 7)  # five years back from 7 December
    assert str(peer.public_id) in dict(form.context["form"].fields["supervisees"].choices)


def test_the_overdue_sweep_still_alerts_a_supervisee_until_their_last_day(world: World) -> None:
    peer = _leaves_tomorrow(world.staff["peer"])
    supervision_services.sweep_overdue(EVENING)
    assert Alert.objects.filter(
        subject_kind="workforce.supervision", recipient=peer, subject_id=str(peer.public_id)
    ).exists()


def test_a_supervisee_leaving_tomorrow_still_counts_against_the_load_limit(
    world: World,
) -> None:
    SupervisorLoadLimit.objects.filter(supervisee_role="peer").update(max_supervisees=1)
    _leaves_tomorrow(world.staff["peer"])  # supervised by the world's supervisor
    newcomer = make_staff("peer-new", ["peer"], [world.unit_a])
    with time_machine.travel(EVENING, tick=False), pytest.raises(ValidationError) as refused:
        people_services.update_staff(
            newcomer, actor=world.user("admin"), supervisor=world.staff["supervisor"]
        )
    assert "already supervises 1 peers, the most allowed (1)" in refused.value.messages[0]


# --- Drift review, exposure figures, exits ------------------------------------------------------


def test_the_drift_review_still_reviews_a_peer_until_their_last_day(world: World) -> None:
    _leaves_tomorrow(world.staff["peer"])
    assert drift_services.review_drift(EVENING).claimed == 1


def test_exposure_figures_count_a_worker_until_their_last_day(world: World) -> None:
    _leaves_tomorrow(world.staff["bht"])
    on_unit_a = StaffHomeUnit.objects.filter(unit=world.unit_a).count()
    with time_machine.travel(EVENING, tick=False):
        groups = exposure_aggregates(world.user("director"))
    [unit_a] = [g for g in groups if g.label == world.unit_a.name]
    assert unit_a.staff_count == on_unit_a


def test_the_exit_list_covers_a_year_back_from_the_organizations_day(
    world: World, signed_in: Any
) -> None:
    a_year_ago = TODAY - timedelta(days=365)
    gone = StaffFactory.create(
        username="t-gone",
        roles=["bht"],
        units=[world.unit_a],
        exited_on=a_year_ago,
        exit_reason="relocated",
    )
    with time_machine.travel(EVENING, tick=False):
        client = signed_in("director")
        exits = client.get(reverse("workforce:retention-exits"))
        interview = client.get(reverse("workforce:retention-exit-interview", args=[gone.public_id]))
    assert exits.context["since"] == a_year_ago
    assert gone in [staff for staff, _ in exits.context["rows"]]
    assert interview.context["form"].initial["held_on"] == TODAY


# --- Imports --------------------------------------------------------------------------------


def _import(world: World, kind: str, text: str) -> list[str]:
    report = importing.run(
        kind, text.encode(), actor=world.user("admin"), commit=False, source="t.csv"
    )
    return [str(p) for p in report.problems]


@override_settings(PILLARS_DEFAULT_TIME_ZONE="America/New_York")
def test_the_staff_import_judges_a_hire_date_on_the_organizations_day(world: World) -> None:
    # 20:00 on 10 March in New York is 01:00 on 11 March in UTC.
    evening = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    far = date(2026, 3, 11) + timedelta(days=365)
    text = (
        "username,display_name,hired_on,roles,home_units\n"
        f"sam.later,Sam Later,{far:%Y-%m-%d},bht,a\n"
        f"sam.soon,Sam Soon,{far - timedelta(days=1):%Y-%m-%d},bht,a\n"
    )
    with time_machine.travel(evening, tick=False):
        problems = _import(world, "staff", text)
    assert problems == ["line 2: hired_on is more than a year away"]


def test_the_persons_import_refuses_a_birth_date_of_tomorrow_this_evening(world: World) -> None:
    text = (
        "record_number,legal_given_name,legal_family_name,date_of_birth\n"
        f"MRN-900,Robin,Hale,{TOMORROW:%Y-%m-%d}\n"
        f"MRN-901,Casey,Moss,{TODAY:%Y-%m-%d}\n"
    )
    with time_machine.travel(EVENING, tick=False):
        problems = _import(world, "persons", text)
    assert problems == ["line 2: date_of_birth is in the future"]


# --- Caseload reassignment ------------------------------------------------------------------


def test_a_reassignment_in_the_evening_moves_the_caseload_today(world: World) -> None:
    from pillars.people.models import CaseloadAssignment
    from pillars.people.testing import make_person
    from pillars.workforce.services import caseloads as caseload_services

    leaving = world.staff["peer"]
    other = make_staff("peer-other", ["peer"], [world.unit_a], supervisor=world.staff["supervisor"])
    moving = CaseloadAssignment.objects.create(
        staff=leaving, person=make_person("MRN-EV1", "Evening"), kind="peer", started_on=TODAY
    )
    with time_machine.travel(EVENING, tick=False):
        caseload_services.reassign_caseload(
            leaving,
            actor=world.user("supervisor"),
            moves=[(moving, other)],
            reason="leave",
            note="Prefers mornings.",
        )
    moving.refresh_from_db()
    assert moving.ended_on == TODAY
    received = CaseloadAssignment.objects.get(staff=other, person=moving.person)
    assert received.started_on == TODAY


# --- Registering a person or a staff member -------------------------------------------------


def test_a_birth_date_or_hire_date_is_judged_on_the_organizations_day(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        with pytest.raises(ValidationError) as refused:
            people_services.create_person(
                actor=world.user("nurse"),
                unit=world.unit_a,
                record_number="MRN-EV2",
                legal_given_name="Tomorrow",
                legal_family_name="Born",
                date_of_birth=TOMORROW,
            )
        assert refused.value.message_dict["date_of_birth"] == [
            "Date of birth cannot be in the future."
        ]
        with pytest.raises(ValidationError) as refused:
            people_services.create_staff(
                actor=world.user("admin"),
                username="far-hire",
                display_name="Far Hire",
                hired_on=TOMORROW + timedelta(days=365),
                roles=["bht"],
                home_units=[world.unit_a],
            )
        assert refused.value.message_dict["hired_on"] == ["The hire date is more than a year away."]


def test_the_ledger_api_counts_the_window_on_the_staff_members_day(world: World) -> None:
    """Hours that end on the first day of the five-year window count in the evening too: the
    API's ledger is the page's (the staff member's day), not UTC's a day later."""
    from pillars.core.tests.api_support import api_as
    from pillars.workforce.models.supervision import SupervisedWorkHours

    peer = world.staff["peer"]
    rule = CertificationRule.objects.get(code="ncps")
    first = rule.window_start(TODAY)
    assert first is not None
    SupervisedWorkHours.objects.create(
        staff=peer,
        supervisor=world.staff["supervisor"],
        period_start=first,
        period_end=first,
        hours=Decimal("8"),
        recorded_at=EVENING,
    )
    with time_machine.travel(EVENING, tick=False):
        answer = api_as(world.user("supervisor")).get(
            f"/workforce/supervision/staff/{peer.public_id}/ledger"
        )
    assert answer.status_code == 200, answer.content
    (line,) = [x for x in answer.json()["lines"] if x["rule"] == "ncps"]
    assert Decimal(str(line["work_hours"])) == Decimal("8")

"""Wellbeing: the exposure ledger and its hook, invitations after serious events (rules as
data), the check-in and its scoring, reminders that stop, one's own rows only, and aggregates
that cannot single anyone out (small groups, complements, completed quarters only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.people.models import Alert, Staff
from pillars.people.testing import World, make_staff, make_unit
from pillars.workforce.models.wellbeing import (
    CheckIn,
    CheckInInstrument,
    CheckInRule,
    ExposureEvent,
    Invitation,
)
from pillars.workforce.selectors import wellbeing as sel
from pillars.workforce.services import wellbeing as svc

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 12, 17, 0, tzinfo=UTC)
ALL_50 = {str(n): 50 for n in range(1, 14)}


def cbi() -> CheckInInstrument:
    return CheckInInstrument.objects.get(code="cbi-work-client")


def expose(world: World, role: str = "bht", kind: str = "assault") -> ExposureEvent:
    return svc.record_exposure(world.staff[role].pk, kind, clock.now(), world.person_a, None)


# --- The ledger and invitations --------------------------------------------------------------


def test_a_serious_exposure_invites_a_check_in_once(world: World) -> None:
    event = expose(world)
    invitation = Invitation.objects.get(exposure=event)
    assert invitation.staff == world.staff["bht"]
    assert invitation.instrument == cbi()
    assert invitation.next_reminder_at is not None
    # The same source again is one row; a second serious event while one waits adds nothing.
    expose(world)
    svc.record_exposure(world.staff["bht"].pk, "restraint", clock.now(), world.person_b, None)
    assert ExposureEvent.objects.count() == 2
    assert Invitation.objects.count() == 1


def test_a_witnessed_assault_is_counted_but_does_not_invite_by_default(world: World) -> None:
    expose(world, kind="assault_witnessed")
    assert ExposureEvent.objects.filter(kind="assault_witnessed").count() == 1
    assert not Invitation.objects.exists()
    # Rules are data: an administrator adds one and the next such event invites.
    CheckInRule.objects.create(exposure_kind="assault_witnessed", instrument=cbi())
    svc.record_exposure(
        world.staff["bht"].pk, "assault_witnessed", clock.now(), world.person_b, None
    )
    assert Invitation.objects.count() == 1


def test_an_unknown_kind_is_refused_and_nothing_is_stored(world: World) -> None:
    with pytest.raises(ValidationError):
        expose(world, kind="paperwork")
    assert not ExposureEvent.objects.exists()


def test_incidents_write_the_ledger_through_the_hook(world: World) -> None:
    from pillars.incidents import exposure

    # The workforce app installed its writer at start-up.
    assert exposure._writer is svc.record_exposure


# --- Answering, declining, scoring --------------------------------------------------------------


def test_answering_scores_on_the_server_and_closes_the_invitation(world: World) -> None:
    invitation = Invitation.objects.get(exposure=expose(world))
    answers = {**ALL_50, "7": 100}  # item 7 is reversed: "enough energy ... always" counts 0
    check_in = svc.answer_check_in(
        actor=world.user("bht"), instrument=cbi(), answers=answers, invitation=invitation
    )
    # Work: six items at 50 and one reversed 100 -> 0: 300 / 7.
    assert check_in.scores == {"work": round(300 / 7, 2), "client": 50.0}
    invitation.refresh_from_db()
    assert invitation.status == "answered"
    assert invitation.next_reminder_at is None
    assert check_in.unit == world.unit_a
    assert check_in.supervisor == world.staff["supervisor"]
    event = AuditEvent.objects.get(object_type="workforce.checkin", action="create")
    assert event.category == "wellbeing"
    assert "50" not in str(event.detail)
    with pytest.raises(Conflict):
        svc.decline_invitation(invitation, actor=world.user("bht"))


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({k: v for k, v in ALL_50.items() if k != "3"}, "q3"),
        ({**ALL_50, "4": 60}, "q4"),
        ({**ALL_50, "99": 50}, "answers"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(
    world: World, answers: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        svc.answer_check_in(actor=world.user("nurse"), instrument=cbi(), answers=answers)
    assert field in caught.value.message_dict
    assert not CheckIn.objects.exists()


def test_someone_else_cannot_answer_or_decline_an_invitation(world: World) -> None:
    invitation = Invitation.objects.get(exposure=expose(world))
    for role in ("supervisor", "admin", "privacy", "director"):
        with pytest.raises(Http404):
            svc.decline_invitation(invitation, actor=world.user(role))
        with pytest.raises(Http404):
            svc.answer_check_in(
                actor=world.user(role), instrument=cbi(), answers=ALL_50, invitation=invitation
            )
    assert Invitation.objects.get().status == "open"


def test_a_replayed_client_id_is_one_check_in(world: World) -> None:
    import uuid

    key = uuid.uuid4()
    first = svc.answer_check_in(
        actor=world.user("peer"), instrument=cbi(), answers=ALL_50, client_id=key
    )
    again = svc.answer_check_in(
        actor=world.user("peer"), instrument=cbi(), answers=ALL_50, client_id=key
    )
    assert first.pk == again.pk
    with pytest.raises(Conflict):
        svc.answer_check_in(
            actor=world.user("nurse"), instrument=cbi(), answers=ALL_50, client_id=key
        )


# --- Reminders ---------------------------------------------------------------------------------


def test_reminders_come_when_due_and_stop_when_answered(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        invitation = Invitation.objects.get(exposure=expose(world))
    due = invitation.next_reminder_at
    assert due == NOON + timedelta(days=3)
    assert svc.sweep_reminders(due - timedelta(seconds=1)).alerts == 0
    assert svc.sweep_reminders(due).alerts == 1
    assert svc.sweep_reminders(due).alerts == 0  # the same round is not sent twice
    alert = Alert.objects.get()
    assert alert.recipient == world.staff["bht"]
    assert "assault" not in alert.message.lower()
    svc.answer_check_in(
        actor=world.user("bht"), instrument=cbi(), answers=ALL_50, invitation=invitation
    )
    assert svc.sweep_reminders(due + timedelta(days=30)).alerts == 0
    assert Alert.objects.get().resolved_at is not None


def test_reminders_stop_when_declined_or_spent(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        invitation = Invitation.objects.get(exposure=expose(world))
    later = NOON + timedelta(days=3)
    assert svc.sweep_reminders(later).alerts == 1
    assert svc.sweep_reminders(later + timedelta(days=3)).alerts == 1
    # The rule allows two reminders: no third.
    assert svc.sweep_reminders(later + timedelta(days=30)).alerts == 0
    other = Invitation.objects.get(exposure=expose(world, role="nurse"))
    svc.decline_invitation(other, actor=world.user("nurse"))
    assert svc.sweep_reminders(clock.now() + timedelta(days=60)).alerts == 0
    assert Invitation.objects.get(pk=invitation.pk).next_reminder_at is None


def test_the_sweep_is_registered_for_the_worker() -> None:
    from pillars.core.management.commands.worker import registered_sweeps

    assert svc.sweep_reminders in registered_sweeps()


# --- One's own, and nobody else's --------------------------------------------------------------


def test_check_ins_are_their_owners_alone(world: World, signed_in: Any) -> None:
    check_in = svc.answer_check_in(actor=world.user("bht"), instrument=cbi(), answers=ALL_50)
    for role in ("nurse", "clinician", "peer", "supervisor", "director", "privacy", "admin"):
        assert not policy.is_visible(world.user(role), check_in)
        assert not sel.my_check_ins(world.user(role))
        with pytest.raises(Http404):
            sel.get_check_in_for(world.user(role), check_in.public_id)
    url = reverse("workforce:checkin-detail", args=[check_in.public_id])
    assert signed_in("bht").get(url).status_code == 200
    assert signed_in("director").get(url).status_code == 404


# --- Aggregates ---------------------------------------------------------------------------------


def _answered(staff: list[Staff], when: datetime, score: float = 40.0) -> None:
    for member in staff:
        CheckIn.objects.create(
            staff=member,
            instrument=cbi(),
            answered_at=when,
            answers=ALL_50,
            scores={"work": score, "client": score},
            unit=member.home_units.first(),
            supervisor=member.supervisor,
        )


LAST_QUARTER = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)  # 2026-Q1, ended before NOON


def _team(world: World, code: str, size: int, supervisor: Staff | None = None) -> list[Staff]:
    unit, _ = make_unit(world.site, code)
    lead = supervisor or make_staff(f"t-lead-{code}", ["supervisor"], [unit])
    return [make_staff(f"t-{code}{n}", ["bht"], [unit], supervisor=lead) for n in range(size)]


def test_a_group_of_four_is_hidden_and_five_is_shown(world: World) -> None:
    _answered(_team(world, "c", 4), LAST_QUARTER)
    _answered(_team(world, "d", 7), LAST_QUARTER, score=60.0)
    with time_machine.travel(NOON, tick=False):
        release = sel.check_in_aggregates(world.user("director"), level="unit")
    groups = {g.label: g for g in release.groups}
    assert groups["Unit C"].is_suppressed
    assert groups["Unit C"].hidden == "small"
    # The total is shown, so unit D alone would give unit C back by subtraction: hidden too.
    assert groups["Unit D"].is_suppressed
    assert groups["Unit D"].hidden == "complement"
    assert release.total.means == {"work": 52.7, "client": 52.7}  # (4 x 40 + 7 x 60) / 11
    _answered(
        [make_staff("t-c4", ["bht"], [Staff.objects.get(user__username="t-c0").home_units.get()])],
        LAST_QUARTER,
    )
    with time_machine.travel(NOON, tick=False):
        release = sel.check_in_aggregates(world.user("director"), level="unit")
    groups = {g.label: g for g in release.groups}
    assert groups["Unit C"].means == {"work": 40.0, "client": 40.0}
    assert groups["Unit D"].means == {"work": 60.0, "client": 60.0}


def test_subtraction_never_gives_a_hidden_group_back(world: World) -> None:
    _answered(_team(world, "c", 2), LAST_QUARTER)
    _answered(_team(world, "d", 6), LAST_QUARTER)
    _answered(_team(world, "e", 9), LAST_QUARTER)
    with time_machine.travel(NOON, tick=False):
        for level in ("unit", "team"):
            release = sel.check_in_aggregates(world.user("director"), level=level)
            hidden = [g for g in release.groups if g.is_suppressed]
            shown = [g for g in release.groups if not g.is_suppressed]
            assert not release.total.is_suppressed
            # Total minus the shown groups covers at least two hidden groups, never one.
            assert len(hidden) != 1
            assert sum(g.respondents for g in shown) < release.total.respondents


def test_exports_hide_groups_under_eleven(world: World) -> None:
    _answered(_team(world, "c", 9), LAST_QUARTER)
    with time_machine.travel(NOON, tick=False):
        screen = sel.check_in_aggregates(world.user("director"), level="unit")
        export = sel.check_in_aggregates(world.user("director"), level="unit", audience="export")
    assert not screen.total.is_suppressed
    assert export.total.is_suppressed
    assert export.minimum == 11
    with pytest.raises(PermissionDenied):
        sel.check_in_aggregates(world.user("supervisor"), level="unit", audience="export")


def test_only_completed_quarters_and_known_levels(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        with pytest.raises(Http404):
            sel.check_in_aggregates(world.user("director"), quarter="2026-Q2")  # not ended
        with pytest.raises(Http404):
            sel.check_in_aggregates(world.user("director"), level="person")
        offered = [q.key for q in sel.completed_quarters(clock.organization_today())]
    assert offered == ["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]
    for role in ("bht", "peer", "nurse", "admin", "privacy"):
        with pytest.raises(PermissionDenied):
            sel.check_in_aggregates(world.user(role))


def test_a_later_answer_never_changes_a_released_quarter(world: World) -> None:
    team = _team(world, "c", 6)
    _answered(team, LAST_QUARTER)
    with time_machine.travel(NOON, tick=False):
        before = sel.check_in_aggregates(world.user("director"), level="unit")
        _answered([make_staff("t-late", ["bht"], [team[0].home_units.get()])], clock.now())
        after = sel.check_in_aggregates(world.user("director"), level="unit")
    assert before.total == after.total
    assert before.groups == after.groups


def test_a_small_team_is_named_as_hidden_with_the_next_level_offered(
    world: World, signed_in: Any
) -> None:
    # The supervisor's own team: the technician and the peer of the world, plus six others.
    lead = world.staff["supervisor"]
    team = [world.staff["bht"], world.staff["peer"]] + [
        make_staff(f"t-s{n}", ["peer"], [world.unit_a], supervisor=lead) for n in range(2)
    ]
    _answered(team, LAST_QUARTER)
    _answered(_team(world, "e", 8), LAST_QUARTER)
    with time_machine.travel(NOON, tick=False):
        page = signed_in("supervisor").get(reverse("workforce:wellbeing-aggregate"))
    html = page.content.decode()
    assert (
        "Your team&#x27;s figures are not shown" in html
        or "Your team's figures are not shown" in html
    )
    assert "level=unit" in html
    assert "level=organization" in html
    # The supervisor sees only their own team's line, not the other team's.
    assert "Team of T Lead E" not in html


def test_the_exposure_page_explains_hidden_groups(world: World, signed_in: Any) -> None:
    page = signed_in("director").get(reverse("workforce:exposure-aggregate")).content.decode()
    assert "Fewer than 5 staff: not shown" in page


def test_another_organizations_check_ins_are_not_in_the_aggregate(world: World) -> None:
    """A director sees their organization's groups and line: a second organization in the same
    database, with its own director, sees none of these check-ins."""
    from pillars.people.models import Organization, Site
    from pillars.people.testing import StaffFactory

    _answered(_team(world, "d", 7), LAST_QUARTER, score=60.0)
    other = Organization.objects.create(name="Elsewhere Health")
    unit, _ = make_unit(Site.objects.create(organization=other, name="Far campus"), "q")
    director = StaffFactory.create(username="elsewhere-director", roles=["director"], units=[unit])
    with time_machine.travel(NOON, tick=False):
        mine = sel.check_in_aggregates(world.user("director"), level="unit")
        theirs = sel.check_in_aggregates(director.user, level="unit")
    assert mine.total.respondents == 7
    assert [g.label for g in mine.groups] == ["Unit D"]
    assert theirs.total.respondents == 0
    assert theirs.groups == []

"""Incident reports: the workflow, notification deadlines, addenda, debriefs and exposure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.audit.choices import Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.core.management.commands.worker import registered_sweeps
from pillars.incidents.models import Incident, Notification, NotificationRule
from pillars.incidents.models.incidents import IncidentStatus
from pillars.incidents.selectors import incidents as sel
from pillars.incidents.services import incidents as svc
from pillars.incidents.services.incidents import IncidentDetails
from pillars.people.models import Alert
from pillars.people.testing import World, make_staff
from pillars.workforce.models import ExposureEvent
from pillars.workforce.selectors import wellbeing as wsel

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # noon in America/Chicago


def details(world: World, **over: Any) -> IncidentDetails:
    values: dict[str, Any] = {
        "type": "aggression_peer",
        "occurred_at": clock.now() - timedelta(minutes=20),
        "location": "Day room",
        "narrative": "Raised voice at a peer over the television; pushed the peer once.",
        "persons": [world.person_a],
        "staff_involved": [world.staff["bht"]],
        "steps": svc.steps_by_code(["verbal", "space"]),
    }
    values.update(over)
    return IncidentDetails(**values)


def draft(world: World, by: str = "bht", **over: Any) -> Incident:
    return svc.create_draft(world.unit_a, details(world, **over), actor=world.user(by))


def submitted(world: World, **over: Any) -> Incident:
    return svc.submit_incident(draft(world, **over), actor=world.user("bht"))


def test_a_draft_is_the_reporters_alone_until_submitted(world: World) -> None:
    incident = draft(world)
    assert incident.status == IncidentStatus.DRAFT
    assert AuditEvent.objects.filter(object_id=str(incident.public_id), action="create").exists()
    with pytest.raises(Http404):
        sel.get_incident_for(world.user("supervisor"), incident.public_id)
    assert sel.my_drafts(world.user("bht")) == [incident]
    incident = svc.submit_incident(incident, actor=world.user("bht"))
    assert sel.get_incident_for(world.user("supervisor"), incident.public_id) == incident


def test_the_full_workflow_and_its_audit(world: World) -> None:
    incident = submitted(world)
    sup = world.user("supervisor")
    svc.start_review(incident, actor=sup, note="Talking to the staff on shift.")
    svc.add_review_note(incident, actor=sup, text="Camera footage requested.")
    closed = svc.close_incident(incident, actor=sup, note="Plan updated; no further action.")
    assert closed.status == IncidentStatus.CLOSED
    assert closed.closed_by == world.staff["supervisor"]
    assert closed.review_notes.count() == 3
    statuses = [
        e.detail["changes"]["status"]
        for e in AuditEvent.objects.filter(object_id=str(incident.public_id), action="update")
    ]
    assert statuses == [
        ["draft", "submitted"],
        ["submitted", "under_review"],
        ["under_review", "closed"],
    ]


def test_illegal_transitions_are_refused_with_a_clear_message(world: World) -> None:
    incident = draft(world)
    sup = world.user("supervisor")
    # A draft is not even visible to the supervisor: nothing to review yet.
    with pytest.raises(Http404):
        svc.start_review(incident, actor=sup)
    incident = svc.submit_incident(incident, actor=world.user("bht"))
    with pytest.raises(ValidationError, match="is submitted; closing needs it to be under review"):
        svc.close_incident(incident, actor=sup, note="x")
    with pytest.raises(ValidationError, match="submitted; submitting needs it to be a draft"):
        svc.submit_incident(incident, actor=world.user("bht"))
    with pytest.raises(ValidationError, match="corrected by an addendum"):
        svc.update_draft(incident, details(world, location="Hall"), actor=world.user("bht"))
    with pytest.raises(ValidationError, match="Write what the review found"):
        svc.close_incident(incident, actor=sup, note=" ")
    svc.start_review(incident, actor=sup)
    with pytest.raises(ValidationError, match="starting a review needs it to be submitted"):
        svc.start_review(incident, actor=sup)
    svc.close_incident(incident, actor=sup, note="Done")
    with pytest.raises(ValidationError, match="is closed; a review note needs it"):
        svc.add_review_note(incident, actor=sup, text="More")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.location == "Day room"


def test_only_the_reporter_edits_and_only_a_supervisor_reviews(world: World) -> None:
    incident = draft(world)
    with pytest.raises(Http404):
        svc.submit_incident(incident, actor=world.user("nurse"))
    incident = svc.submit_incident(incident, actor=world.user("bht"))
    for role in ("bht", "nurse", "director"):
        with pytest.raises(PermissionDenied):
            svc.start_review(incident, actor=world.user(role))
    with pytest.raises(Http404):
        svc.start_review(incident, actor=world.user("outsider"))


def test_bad_input_stores_nothing(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        draft(
            world,
            location="",
            narrative="",
            persons=[],
            occurred_at=clock.now() + timedelta(hours=1),
        )
    assert set(caught.value.message_dict) == {"location", "narrative", "persons", "occurred_at"}
    assert not Incident.objects.exists()


def test_peers_and_clinicians_report_but_directors_do_not(world: World) -> None:
    draft(world, by="peer")
    draft(world, by="clinician")
    with pytest.raises(PermissionDenied):
        draft(world, by="director")


def test_a_draft_is_edited_and_injuries_added(world: World) -> None:
    incident = draft(world)
    svc.update_draft(incident, details(world, location="Hallway"), actor=world.user("bht"))
    svc.add_injury(
        incident,
        actor=world.user("bht"),
        staff=world.staff["bht"],
        severity="minor",
        description="Scratch on forearm",
        treatment="First aid",
    )
    with pytest.raises(ValidationError, match="one person served or one staff member"):
        svc.add_injury(incident, actor=world.user("bht"), severity="minor", description="x")
    incident.refresh_from_db()
    assert incident.location == "Hallway"
    assert incident.injuries.count() == 1


def test_addenda_and_debriefs_follow_submission(world: World) -> None:
    incident = draft(world)
    with pytest.raises(ValidationError, match="addenda are for submitted reports"):
        svc.add_addendum(incident, actor=world.user("bht"), reason="r", text="t")
    with pytest.raises(ValidationError, match="Submit the report"):
        svc.record_debrief(
            incident,
            actor=world.user("bht"),
            kind="staff",
            held_at=clock.now(),
            participants="Team",
            learned="x",
        )
    incident = svc.submit_incident(incident, actor=world.user("bht"))
    addendum = svc.add_addendum(
        incident, actor=world.user("nurse"), reason="Wrong room", text="It was the hallway."
    )
    assert addendum.written_by == world.staff["nurse"]
    debrief = svc.record_debrief(
        incident,
        actor=world.user("clinician"),
        kind="person_served",
        held_at=clock.now(),
        participants="Person served, clinician",
        learned="Noise in the day room is a trigger; headphones offered.",
    )
    assert debrief.kind == "person_served"
    incident.refresh_from_db()
    assert incident.location == "Day room"


# --- Notification deadlines (clock tests) --------------------------------------------------


def test_deadlines_come_from_the_rules(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        incident = draft(world, occurred_at=NOON - timedelta(minutes=30))
        svc.add_injury(
            incident,
            actor=world.user("bht"),
            person=world.person_a,
            severity="serious",
            description="Laceration",
        )
        svc.submit_incident(incident, actor=world.user("bht"))
    due = {n.recipient: n.due_at for n in incident.notifications.all()}
    occurred = NOON - timedelta(minutes=30)
    assert due == {
        "guardian": occurred + timedelta(hours=24),
        "physician": occurred + timedelta(hours=1),
        "state_agency": occurred + timedelta(hours=24),
    }


def test_no_injury_means_no_physician_and_a_minor_incident_no_state_agency(world: World) -> None:
    incident = submitted(world)
    assert [n.recipient for n in incident.notifications.all()] == ["guardian"]


def test_a_changed_rule_changes_later_deadlines(world: World) -> None:
    NotificationRule.objects.filter(recipient="guardian").update(within_minutes=120)
    incident = submitted(world)
    n = incident.notifications.get()
    assert n.due_at == incident.occurred_at + timedelta(hours=2)


def test_late_is_flagged_one_second_after_the_deadline(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        incident = submitted(world, occurred_at=NOON)
    n = incident.notifications.get(recipient="guardian")
    due = NOON + timedelta(hours=24)
    assert not n.is_late_at(due - timedelta(seconds=1))
    assert not n.is_late_at(due)
    assert n.is_late_at(due + timedelta(seconds=1))
    assert n.status_at(due + timedelta(seconds=1)) == "overdue"
    with time_machine.travel(due + timedelta(minutes=5), tick=False):
        svc.record_notification_sent(n, actor=world.user("nurse"), note="Phoned mother")
    n.refresh_from_db()
    assert n.sent_by == world.staff["nurse"]
    assert n.status_at(due + timedelta(days=3)) == "sent late"


def test_sent_on_time_is_not_late(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        incident = submitted(world, occurred_at=NOON - timedelta(hours=1))
        n = incident.notifications.get()
        svc.record_notification_sent(n, actor=world.user("supervisor"))
    n.refresh_from_db()
    assert n.status_at(NOON + timedelta(days=2)) == "sent"
    with pytest.raises(ValidationError, match="already recorded"):
        svc.record_notification_sent(n, actor=world.user("supervisor"))
    with pytest.raises(PermissionDenied):
        svc.record_notification_sent(Notification.objects.get(), actor=world.user("bht"))


# --- Exposure --------------------------------------------------------------------------------


def test_submission_writes_exposure(world: World) -> None:
    incident = draft(world, type="aggression_staff", is_death=False)
    svc.add_injury(
        incident,
        actor=world.user("bht"),
        staff=world.staff["nurse"],
        severity="moderate",
        description="Bitten",
    )
    incident = svc.submit_incident(incident, actor=world.user("bht"))
    kinds = sorted(ExposureEvent.objects.values_list("staff__user__username", "kind"))
    assert kinds == [("t-bht", "assault"), ("t-nurse", "injury")]


def test_a_death_is_witnessed_by_every_staff_member_named(world: World) -> None:
    submitted(
        world,
        type="suicide_attempt",
        is_death=True,
        witness_staff=[world.staff["nurse"]],
    )
    assert sorted(ExposureEvent.objects.values_list("staff__user__username", "kind")) == [
        ("t-bht", "death_witnessed"),
        ("t-nurse", "death_witnessed"),
    ]


def test_record_exposure_is_idempotent_per_source(world: World) -> None:
    incident = submitted(world)
    for _ in range(2):
        svc.record_exposure(
            world.staff["nurse"],
            kind="restraint",
            occurred_at=incident.occurred_at,
            source=incident,
        )
    assert ExposureEvent.objects.filter(staff=world.staff["nurse"]).count() == 1


def test_only_the_staff_member_sees_their_own_counts(world: World) -> None:
    submitted(world, type="aggression_staff")
    assert wsel.my_exposure_counts(world.user("bht"))["assault"] == 1
    assert wsel.my_exposure_counts(world.user("nurse"))["assault"] == 0
    assert wsel.my_exposure_counts(world.user("supervisor"))["assault"] == 0
    # No leader may read another staff member's rows, even in the same unit.
    event = ExposureEvent.objects.get()
    from pillars.core import policy

    for role in ("supervisor", "director", "admin", "privacy", "nurse"):
        assert not policy.is_visible(world.user(role), event)
    assert AuditEvent.objects.filter(category="wellbeing").exists()


def _subtraction_reveals_nothing(groups: dict[str, wsel.ExposureGroup]) -> None:
    """The total minus every shown unit must never be one hidden unit's own counts."""
    total = groups.pop("All of these units")
    hidden = [g for g in groups.values() if g.is_suppressed and g.staff_count > 0]
    assert total.counts is None or len(hidden) != 1


def test_aggregates_hide_groups_smaller_than_five_and_their_complement(world: World) -> None:
    submitted(world, type="aggression_staff")
    groups = {g.label: g for g in wsel.exposure_aggregates(world.user("director"))}
    # Unit B has one staff member: only "fewer than 5" is shown.
    assert groups["Unit B"].is_suppressed
    assert groups["Unit B"].hidden == "small"
    # Unit A alone is shown beside the total, so the total minus Unit A would give Unit B back:
    # Unit A is hidden as Unit B's complement, and the total still counts the assault.
    assert groups["Unit A"].staff_count >= 5
    assert groups["Unit A"].is_suppressed
    assert groups["Unit A"].hidden == "complement"
    total = groups["All of these units"]
    assert total.counts is not None
    assert total.counts["assault"] == 1
    _subtraction_reveals_nothing(groups)
    with pytest.raises(PermissionDenied):
        wsel.exposure_aggregates(world.user("bht"))


def test_a_group_of_four_is_suppressed_and_five_is_shown(world: World) -> None:
    from pillars.people.testing import make_unit

    unit_c, _ = make_unit(world.site, "c")
    staff = [make_staff(f"t-c{n}", ["bht"], [unit_c]) for n in range(4)]
    groups = {g.label: g for g in wsel.exposure_aggregates(world.user("director"))}
    assert groups["Unit C"].is_suppressed
    assert groups["Unit C"].staff_count == 4
    _subtraction_reveals_nothing(groups)
    staff.append(make_staff("t-c4", ["bht"], [unit_c]))
    groups = {g.label: g for g in wsel.exposure_aggregates(world.user("director"))}
    # Five is large enough on its own; Unit C, now the smallest shown unit, covers Unit B.
    assert groups["Unit C"].hidden == "complement"
    assert not groups["Unit A"].is_suppressed
    _subtraction_reveals_nothing(groups)


def test_the_exposure_page_says_why_a_group_is_hidden(world: World, signed_in: Any) -> None:
    response = signed_in("director").get(reverse("workforce:exposure-aggregate"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fewer than 5 staff: not shown" in page
    assert "so a smaller group cannot be worked out from the total" in page


# --- Overdue notifications: the worker's sweep -----------------------------------------------


def test_an_overdue_notification_alerts_the_lead_and_the_reporter_once(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        incident = submitted(world, occurred_at=NOON)
    due = incident.notifications.get(recipient="guardian").due_at
    assert svc.sweep_notifications in registered_sweeps()
    assert svc.sweep_notifications(due).alerts == 0  # at the deadline it is not late yet
    first = svc.sweep_notifications(due + timedelta(seconds=1))
    second = svc.sweep_notifications(due + timedelta(minutes=5))
    assert (first.claimed, first.alerts) == (1, 2)
    assert (second.claimed, second.alerts) == (0, 0)
    alerts = Alert.objects.order_by("recipient__pk")
    # No shift lead is assigned: the unit's nurses stand in (rounds' lead step); the reporter
    # is told too.
    assert {a.recipient for a in alerts} == {world.staff["nurse"], world.staff["bht"]}
    for alert in alerts:
        assert alert.due_at == due
        assert alert.unit == world.unit_a
        assert alert.person is None
        assert "Guardian notification" in alert.message
        assert world.person_a.display_name not in alert.message
    event = AuditEvent.objects.filter(detail__event="notification overdue").get()
    assert event.actor_label.startswith("pillars worker")
    assert len(event.detail["alerts"]) == 2


def test_recording_the_notification_closes_its_overdue_alerts(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        incident = submitted(world, occurred_at=NOON)
    notification = incident.notifications.get(recipient="guardian")
    svc.sweep_notifications(notification.due_at + timedelta(minutes=1))
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 2
    sent = notification.due_at + timedelta(minutes=30)
    with time_machine.travel(sent, tick=False):
        svc.record_notification_sent(notification, actor=world.user("nurse"))
    for alert in Alert.objects.all():
        assert alert.resolved_at == sent
        assert alert.resolved_reason == "The notification was recorded as sent."


def test_a_sent_notification_is_never_alerted(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        incident = submitted(world, occurred_at=NOON)
        svc.record_notification_sent(incident.notifications.get(), actor=world.user("nurse"))
    result = svc.sweep_notifications(NOON + timedelta(days=3))
    assert (result.claimed, result.alerts) == (0, 0)
    assert not Alert.objects.exists()


def test_a_row_that_raises_is_counted_and_does_not_stop_the_sweep(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(NOON, tick=False):
        submitted(world, occurred_at=NOON)
        submitted(world, occurred_at=NOON + timedelta(minutes=1))
    from pillars.people import alerts

    real, calls = alerts.on_duty, []

    def flaky(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(*args)

    monkeypatch.setattr(alerts, "on_duty", flaky)
    later = NOON + timedelta(days=2)
    result = svc.sweep_notifications(later)
    assert (result.failed, result.claimed) == (1, 1)
    # The failed row is audited and waits a back-off: never dropped, never retried every loop.
    failed = AuditEvent.objects.get(outcome=Outcome.FAILED)
    assert failed.detail["event"] == "incident notifications failed"
    assert "boom" in failed.detail["error"]
    waiting = Notification.objects.get(alerted_at__isnull=True)
    assert (waiting.sweep_failures, waiting.sweep_retry_at) == (1, later + timedelta(minutes=1))
    assert str(waiting.public_id) == failed.object_id
    again = svc.sweep_notifications(later + timedelta(seconds=59))
    assert (again.claimed, again.failed) == (0, 0)
    # After the back-off it is tried again, and this time it is alerted.
    retried = svc.sweep_notifications(later + timedelta(minutes=1))
    assert (retried.claimed, retried.failed) == (1, 0)
    assert not Notification.objects.filter(alerted_at__isnull=True).exists()


def test_the_supervisor_reaches_the_review_queue_from_the_menu(
    world: World, signed_in: Any
) -> None:
    """ "Submitted for supervisor review" leads somewhere: the supervisor's menu has the queue
    (and the restraint report), the queue lists the report; others have neither."""
    from django.urls import reverse

    waiting = submitted(world)
    draft(world)  # a draft is nobody's to review
    queue = reverse("incidents:incident-review-queue")
    report = reverse("incidents:restraint-report")
    supervisor = signed_in("supervisor")
    home = supervisor.get("/").content.decode()
    assert f'href="{queue}"' in home
    assert f'href="{report}"' in home
    page = supervisor.get(queue).content.decode()
    assert reverse("incidents:incident-detail", args=[waiting.public_id]) in page
    assert page.count("incidents/reports/") - page.count(queue) == 1
    bht_home = signed_in("bht").get("/").content.decode()
    assert f'href="{queue}"' not in bht_home
    assert f'href="{report}"' not in bht_home
    # API tokens moved out of the main menu into the account area beside "Sign out".
    nav = bht_home.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert "API tokens" not in nav
    assert "API tokens" in bht_home

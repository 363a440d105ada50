"""Checks a tablet could not send are kept for the lead, who records or closes them (issue 11,
item 12): nothing a staff member queued is lost without a person deciding."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import Conflict, ValidationError
from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.rounds.models import Check, ObservationOrder, SetAsideCheck
from pillars.rounds.services import set_aside as svc
from pillars.rounds.tests.floor import order_for

pytestmark = pytest.mark.django_db

URL = "/rounds/checks/set-aside/"


def _queued(order: ObservationOrder, **fields: Any) -> dict[str, Any]:
    check = {
        "order": str(order.public_id),
        "client_id": str(uuid.uuid4()),
        "observed_at": (clock.now() - timedelta(minutes=2)).isoformat(),
        "location": "roof",
        "activity": "asleep",
        "safety_status": "safe",
    }
    check.update(fields)
    return check


def _post(client: Any, items: list[dict[str, Any]]) -> Any:
    return client.post(URL, data=json.dumps({"items": items}), content_type="application/json")


def test_a_refused_check_is_kept_and_the_lead_on_duty_alerted(world: World, signed_in: Any) -> None:
    order = order_for(world)
    bht = signed_in("bht")
    answer = _post(bht, [{"check": _queued(order), "problem": "location: Not a valid choice."}])
    assert answer.status_code == 201
    row = SetAsideCheck.objects.get()
    assert answer.json()["results"] == [{"status": "kept", "id": str(row.public_id)}]
    assert row.unit == world.unit_a
    assert row.submitted_by == world.staff["bht"]
    assert row.payload["location"] == "roof"
    assert "order" not in row.payload  # the order is the foreign key; nothing else is kept
    assert row.observed_at is not None
    # No shift lead is assigned: the unit's nurses are alerted (the one on-duty rule).
    alert = Alert.objects.get(subject_kind=svc.SUBJECT)
    assert alert.recipient == world.staff["nurse"]
    assert alert.subject_id == row.public_id
    assert "set aside" in alert.message
    assert AuditEvent.objects.filter(object_id=str(row.public_id), action="create").exists()


def test_another_units_order_is_not_kept(world: World, signed_in: Any) -> None:
    order = order_for(world)
    outsider = signed_in("outsider")
    answer = _post(outsider, [{"check": _queued(order), "problem": "refused"}])
    assert answer.status_code == 200
    assert answer.json()["results"] == [{"status": "not_found"}]
    assert not SetAsideCheck.objects.exists()
    assert not Alert.objects.exists()


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_check_whose_moment_is_off_the_calendar_is_kept_with_what_was_typed(
    world: World, signed_in: Any, moment: str
) -> None:
    """A tablet with a broken clock queues a moment no database can convert: the server
    refuses the check, and the handover keeps it for the lead (once it answered 500, leaving
    the check stuck in the tablet's queue), its moment unset and its text as sent."""
    order = order_for(world)
    answer = _post(
        signed_in("bht"), [{"check": _queued(order, observed_at=moment), "problem": "refused"}]
    )
    assert answer.status_code == 201
    row = SetAsideCheck.objects.get()
    assert row.observed_at is None
    assert row.payload["observed_at"] == moment
    assert Alert.objects.filter(subject_kind=svc.SUBJECT, subject_id=row.public_id).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": "nope"}, "items"),
        ({"items": [{"check": "x", "problem": "p"}]}, "items.0.check"),
        ({"items": [{"check": {"order": "x"}, "problem": " "}]}, "problem"),
        ({"items": []}, "items"),
    ],
)
def test_bad_bodies_are_refused_with_the_field_named(
    world: World, signed_in: Any, body: dict[str, Any], field: str
) -> None:
    answer = signed_in("bht").post(URL, data=json.dumps(body), content_type="application/json")
    assert answer.status_code == 422
    assert field in answer.json()["errors"]
    assert not SetAsideCheck.objects.exists()


def _kept(world: World) -> SetAsideCheck:
    order = ObservationOrder.objects.filter(person=world.person_a, ended_at__isnull=True).first()
    order = order or order_for(world, started_at=clock.now() - timedelta(hours=2))
    (row,) = svc.set_aside_checks(
        [svc.SetAsideItem(str(order.public_id), "location: Not a valid choice.", _queued(order))],
        actor=world.user("bht"),
    )
    assert row is not None
    return row


def test_the_lead_records_it_as_their_own_late_entry(world: World, signed_in: Any) -> None:
    row = _kept(world)
    nurse = signed_in("nurse")
    page = nurse.get(f"/rounds/units/{world.unit_a.public_id}/set-aside/")
    assert page.status_code == 200
    body = page.content.decode()
    assert world.person_a.display_name in body
    assert "location: Not a valid choice." in body
    local = clock.local(clock.now() - timedelta(minutes=30), world.unit_a.time_zone)
    done = nurse.post(
        f"/rounds/set-aside/{row.public_id}/record/",
        {
            "observed_at": local.strftime("%Y-%m-%dT%H:%M"),
            "location": "bedroom",
            "activity": "asleep",
            "safety_status": "safe",
            "note": "",
            "late_reason": "Set aside on the tablet",
        },
    )
    assert done.status_code == 302
    row.refresh_from_db()
    check = Check.objects.get()
    assert row.check_record == check
    assert row.resolved_by == world.staff["nurse"]
    assert check.observed_by == world.staff["nurse"]
    assert check.is_late_entry
    assert world.staff["bht"].display_name in check.note
    alert = Alert.objects.get(subject_kind=svc.SUBJECT)
    assert alert.resolved_at is not None
    # Twice is a conflict, never a second check.
    with pytest.raises(Conflict):
        svc.close_set_aside(row, actor=world.user("nurse"), note="again")


def test_closing_needs_a_note_and_a_supervisor_may_close(world: World, signed_in: Any) -> None:
    row = _kept(world)
    supervisor = signed_in("supervisor")
    blank = supervisor.post(f"/rounds/set-aside/{row.public_id}/close/", {"note": " "})
    assert blank.status_code == 200
    assert "This field is required." in blank.content.decode()
    row.refresh_from_db()
    assert row.is_open
    # A supervisor does not record checks: the record form is refused, the close is not.
    assert supervisor.post(f"/rounds/set-aside/{row.public_id}/record/", {}).status_code == 403
    done = supervisor.post(
        f"/rounds/set-aside/{row.public_id}/close/", {"note": "Seen and recorded on paper"}
    )
    assert done.status_code == 302
    row.refresh_from_db()
    assert (row.resolution_note, row.resolved_by) == (
        "Seen and recorded on paper",
        world.staff["supervisor"],
    )
    with pytest.raises(ValidationError):
        svc.close_set_aside(_kept(world), actor=world.user("nurse"), note="")


def test_the_board_links_the_list_for_the_lead(world: World, signed_in: Any) -> None:
    url = f"/rounds/units/{world.unit_a.public_id}/set-aside/"
    board = f"/rounds/units/{world.unit_a.public_id}/board/"
    assert url in signed_in("nurse").get(board).content.decode()
    assert url not in signed_in("bht").get(board).content.decode()

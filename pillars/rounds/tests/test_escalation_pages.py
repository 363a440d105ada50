"""Escalation pages and API: the inbox, the badge and its polled count, acknowledging, a unit's
chain page; /api/v1/alerts, acknowledge, a unit's escalation steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import EscalationStep, ObservationLevel, ObservationOrder
from pillars.rounds.services.escalation import escalate_due

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
# 14:00 UTC is 08:00 in the test units' zone (America/Chicago, CST in March before the change).
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def escalated(world: World) -> ObservationOrder:
    """An order whose check was due at T0, swept at T0 + 5 min: the nurse has two alerts."""
    with time_machine.travel(T0, tick=False):
        order = services.order_observation(
            world.person_a,
            actor=world.user("nurse"),
            level=ObservationLevel.objects.get(code="q15", is_current=True),
            reason="Admission default",
        )
    assert order.due_at == T0
    escalate_due(T0 + 5 * MIN)
    return order


def test_the_inbox_lists_own_alerts_in_the_unit_zone_and_audits_the_read(
    world: World, signed_in: Any, escalated: ObservationOrder
) -> None:
    before = last_seq()
    response = signed_in("nurse").get("/rounds/inbox/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rivera" in body
    assert "08:00" in body and "08:05" in body  # noqa: PT018  (due times in the unit's zone)
    assert "2 not yet acknowledged" in body
    assert body.count("Acknowledge<span") == 2
    read = AuditEvent.objects.filter(seq__gt=before, object_id="alert inbox").get()
    assert read.detail["person_ids"] == [str(world.person_a.public_id)] * 2
    # Someone else's inbox does not show the nurse's alerts.
    other = signed_in("bht").get("/rounds/inbox/").content.decode()
    assert "Rivera" not in other


def test_the_badge_counts_unacknowledged_alerts_in_the_top_bar(
    world: World, signed_in: Any, escalated: ObservationOrder
) -> None:
    body = signed_in("nurse").get("/").content.decode()
    assert 'class="inbox-badge"' in body
    assert '2<span class="visually-hidden"> alerts not yet acknowledged' in body
    assert 'class="inbox-badge"' not in signed_in("bht").get("/").content.decode()
    assert "inbox-link" not in signed_in("admin").get("/").content.decode()


def test_a_page_reads_the_badge_with_the_users_scope_and_a_write_reads_it_again(
    world: World, signed_in: Any, escalated: ObservationOrder, rf: Any
) -> None:
    """A GET shows the count the scope query brought (no COUNT of its own); after a write in the
    same request (a check recorded resolves alerts) the badge is read again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pillars.core import policy
    from pillars.people import alerts
    from pillars.people.context_processors import inbox

    with CaptureQueriesContext(connection) as queries:
        body = signed_in("nurse").get("/").content.decode()
    assert '2<span class="visually-hidden"> alerts not yet acknowledged' in body
    assert not [q for q in queries if q["sql"].startswith("SELECT COUNT(*) FROM people_alert")]
    user = world.user("nurse")
    policy.forget(user)
    get, post = rf.get("/"), rf.post("/")
    get.user = post.user = user
    assert inbox(get)["inbox_count"] == 2  # the scope is read now, with the count
    first = Alert.objects.filter(recipient=world.staff["nurse"]).order_by("due_at").first()
    assert first is not None
    alerts.acknowledge(first, actor=user)
    assert inbox(post)["inbox_count"] == 1


def test_an_api_request_leaves_the_badge_count_out_of_its_scope_read(
    world: World, escalated: ObservationOrder, rf: Any
) -> None:
    """A bearer token shows no page: its scope read does not count the alerts."""
    from pillars.core import tokens
    from pillars.core.api_auth import token_sign_in
    from pillars.core.tests.api_support import token_for
    from pillars.people.policies import INBOX_AT_START

    token = tokens.authenticate_token(token_for(world.user("nurse")))
    assert token is not None
    request = rf.get("/api/v1/alerts")
    assert token_sign_in(request, token) is token
    actor = request.user._pillars_actor
    assert actor.is_authenticated
    assert INBOX_AT_START not in actor.extra


def test_acknowledging_from_the_inbox(
    world: World, signed_in: Any, escalated: ObservationOrder
) -> None:
    client = signed_in("nurse")
    alert = Alert.objects.filter(recipient=world.staff["nurse"]).order_by("due_at").first()
    assert alert is not None
    response = client.post(f"/rounds/alerts/{alert.public_id}/acknowledge/")
    assert response.status_code == 302
    assert response["Location"] == "/rounds/inbox/"
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert client.get("/rounds/inbox/count/").json() == {"unacknowledged": 1}
    # Someone else's acknowledgement is refused as if the alert did not exist.
    other = Alert.objects.filter(recipient=world.staff["nurse"], acknowledged_at=None).get()
    assert (
        signed_in("bht").post(f"/rounds/alerts/{other.public_id}/acknowledge/").status_code == 404
    )
    other.refresh_from_db()
    assert other.acknowledged_at is None


def test_the_polled_count_does_not_keep_the_session_alive(
    world: World, signed_in: Any, escalated: ObservationOrder
) -> None:
    poll = {"X-Pillars-Poll": "1"}
    with time_machine.travel(T0 + 60 * MIN, tick=False) as traveller:
        client = signed_in("nurse")
        assert client.get("/rounds/inbox/count/", headers=poll).json() == {"unacknowledged": 2}
        htmx = client.get("/rounds/inbox/count/", headers={"HX-Request": "true", **poll})
        assert 'class="inbox-badge"' in htmx.content.decode()
        traveller.shift(10 * MIN)
        assert client.get("/rounds/inbox/count/", headers=poll).status_code == 200
        traveller.shift(6 * MIN)
        # 16 minutes with nothing but polling: the idle limit (15 minutes) ended the session.
        assert client.get("/rounds/inbox/count/", headers=poll).status_code == 302


def test_the_count_is_one_cheap_query(
    world: World, signed_in: Any, escalated: ObservationOrder, django_assert_max_num_queries: Any
) -> None:
    client = signed_in("nurse")
    client.get("/rounds/inbox/count/")
    with django_assert_max_num_queries(8):  # session, user, actor (3), the COUNT
        assert client.get("/rounds/inbox/count/").json() == {"unacknowledged": 2}


def _chain_post(rows: list[tuple[str, str, str]], **extra: str) -> dict[str, str]:
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        **extra,
    }
    for n, (position, minutes, recipient) in enumerate(rows):
        data[f"steps-{n}-position"] = position
        data[f"steps-{n}-after_minutes"] = minutes
        data[f"steps-{n}-recipient"] = recipient
    return data


def test_the_admin_replaces_a_unit_chain_on_its_page(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    url = f"/rounds/units/{world.unit_a.public_id}/escalation/"
    page = client.get(url)
    assert page.status_code == 200
    assert "uses the default chain" in page.content.decode()
    rows = [("1", "0", "assigned"), ("2", "3", "lead"), ("", "", "")]
    response = client.post(url, _chain_post(rows))
    assert response.status_code == 302
    chain = EscalationStep.objects.filter(unit=world.unit_a, is_active=True).order_by("position")
    assert [(s.position, s.after_minutes, s.recipient) for s in chain] == [
        (1, 0, "assigned"),
        (2, 3, "lead"),
    ]
    # Minutes going backwards: the form comes back with the service's message, nothing stored.
    bad = client.post(url, _chain_post([("1", "10", "assigned"), ("2", "5", "lead")]))
    assert bad.status_code == 200
    assert "no earlier than the one before" in bad.content.decode()
    assert EscalationStep.objects.filter(unit=world.unit_a, is_active=True).count() == 2
    # Every row empty: at least one step is needed.
    empty = client.post(url, _chain_post([("", "", "")]))
    assert "at least one step" in empty.content.decode()
    back = client.post(url, _chain_post([("", "", "")], use_default="on"))
    assert back.status_code == 302
    assert not EscalationStep.objects.filter(unit=world.unit_a, is_active=True).exists()
    assert EscalationStep.objects.filter(unit=world.unit_a, is_active=False).count() == 2


def test_api_lists_own_alerts_filters_and_acknowledges(
    world: World, escalated: ObservationOrder
) -> None:
    nurse = api_as(world.user("nurse"))
    listed = nurse.get("/alerts")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["due_at"] for i in items] == [
        "2026-03-02T14:00:00Z",
        "2026-03-02T14:05:00Z",
    ]
    assert items[0]["person"] == str(world.person_a.public_id)
    assert items[1]["step_position"] == 2
    assert api_as(world.user("bht")).get("/alerts").json()["items"] == []
    first = items[0]["public_id"]
    refused = api_as(world.user("supervisor")).post(f"/alerts/{first}/acknowledge")
    assert_problem(refused, 404)
    done = nurse.post(f"/alerts/{first}/acknowledge")
    assert done.status_code == 200
    assert done.json()["acknowledged_at"] is not None
    open_only = nurse.get("/alerts", {"unacknowledged": "true"}).json()["items"]
    assert [i["public_id"] for i in open_only] == [items[1]["public_id"]]
    # A read-only token may list but not acknowledge.
    reader = api_as(world.user("nurse"), scopes=["read"])
    assert reader.get("/alerts").status_code == 200
    assert_problem(reader.post(f"/alerts/{items[1]['public_id']}/acknowledge"), 403)


def test_api_alert_pages_follow_the_cursor(world: World, escalated: ObservationOrder) -> None:
    escalate_due(T0 + 60 * MIN)
    nurse = api_as(world.user("nurse"))
    first = nurse.get("/alerts", {"limit": 1}).json()
    second = nurse.get("/alerts", {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert first["items"][0]["public_id"] != second["items"][0]["public_id"]
    assert second["next_cursor"] is None


def test_api_unit_escalation_steps(world: World) -> None:
    steps = api_as(world.user("bht")).get(f"/units/{world.unit_a.public_id}/escalation-steps")
    assert steps.status_code == 200
    assert [(s["after_minutes"], s["recipient"], s["is_unit_chain"]) for s in steps.json()] == [
        (0, "assigned", False),
        (5, "lead", False),
        (15, "manager", False),
        (30, "director", False),
    ]
    outsider = api_as(world.user("outsider"))
    assert_problem(outsider.get(f"/units/{world.unit_a.public_id}/escalation-steps"), 404)


def test_a_check_closes_the_alerts_and_the_inbox_keeps_when_and_why(
    world: World, signed_in: Any, escalated: ObservationOrder
) -> None:
    import uuid

    with time_machine.travel(T0 + 7 * MIN, tick=False):
        services.record_check(
            escalated,
            actor=world.user("bht"),
            observed_at=T0 + 6 * MIN,
            location="bedroom",
            activity="asleep",
            safety_status="safe",
            client_id=uuid.uuid4(),
        )
    nurse = signed_in("nurse")
    body = nurse.get("/rounds/inbox/").content.decode()
    assert "Nothing waiting" in body
    assert body.count("Closed by itself 08:07") == 2
    assert "A check was recorded" in body
    assert "Acknowledge<span" not in body
    assert "inbox-badge" not in nurse.get("/").content.decode()

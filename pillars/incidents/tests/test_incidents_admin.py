"""The incidents app's reference data in the admin: the de-escalation taxonomy and the
notification rules, for administrators only, every save audited, nothing deleted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.incidents.models import DeescalationStep, NotificationRule
from pillars.incidents.services import incidents as svc
from pillars.incidents.tests.test_incidents import submitted
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

RULES = "/admin/incidents/notificationrule/"
STEPS = "/admin/incidents/deescalationstep/"


def test_only_administrators_open_them(world: World, signed_in: Any) -> None:
    for url in (RULES, STEPS):
        assert signed_in("admin").get(url).status_code == 200
        for role in ("supervisor", "director", "nurse"):
            response = signed_in(role).get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")


def test_a_new_rule_is_audited_and_sets_later_deadlines(world: World, signed_in: Any) -> None:
    response = signed_in("admin").post(
        f"{RULES}add/",
        {
            "recipient": "physician",
            "condition": "always",
            "within_minutes": "90",
            "description": "State rule: physician told of every incident",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = NotificationRule.objects.get(description__startswith="State rule")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.object_type) == ("create", "incidents.notificationrule")
    assert event.detail["changes"]["within_minutes"] == {"old": None, "new": 90}
    incident = submitted(world)
    due = {n.recipient: n.due_at for n in incident.notifications.all()}
    assert due["physician"] == incident.occurred_at + timedelta(minutes=90)
    assert rule.pk in {n.rule_id for n in incident.notifications.all()}


@pytest.mark.parametrize("minutes", ["0", "-5", "43201", "soon"])
def test_a_bad_deadline_is_refused_and_nothing_stored(
    world: World, signed_in: Any, minutes: str
) -> None:
    admin = signed_in("admin")
    before = (NotificationRule.objects.count(), AuditEvent.objects.count())
    response = admin.post(
        f"{RULES}add/",
        {"recipient": "guardian", "condition": "always", "within_minutes": minutes},
    )
    assert response.status_code == 200
    assert b"errornote" in response.content or b"errorlist" in response.content
    assert (NotificationRule.objects.count(), AuditEvent.objects.count()) == before


def test_a_step_is_added_renamed_but_never_deleted(world: World, signed_in: Any) -> None:
    admin = signed_in("admin")
    response = admin.post(
        f"{STEPS}add/",
        {
            "code": "sensory",
            "label": "  Sensory   room offered ",
            "sort_order": "55",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    step = DeescalationStep.objects.get(code="sensory")
    assert step.label == "Sensory room offered"
    assert svc.steps_by_code(["sensory"]) == [step]
    # The code is fixed once the step exists: a changed code in the post is ignored.
    admin.post(
        f"{STEPS}{step.pk}/change/",
        {"code": "other", "label": "Sensory room", "sort_order": "55", "is_active": ""},
    )
    step.refresh_from_db()
    assert (step.code, step.label, step.is_active) == ("sensory", "Sensory room", False)
    # Deactivated: no longer offered to reporters; deleting is refused.
    with pytest.raises(Exception, match="Unknown de-escalation steps"):
        svc.steps_by_code(["sensory"])
    assert admin.get(f"{STEPS}{step.pk}/delete/").status_code == 403
    assert DeescalationStep.objects.filter(pk=step.pk).exists()

"""The workforce rules page: everyone signed in reads the cadence rules and credential types
with their versions; an administrator writes a rule's next version from a form (audited, the
old version kept), bad input is refused field by field with nothing stored, and an earlier
version's address leads to the current one."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.people.testing import World
from pillars.workforce.models import CadenceRule, CredentialType

pytestmark = pytest.mark.django_db


def cadence_form(rule: CadenceRule, **changes: Any) -> dict[str, Any]:
    data = {
        "name": rule.name,
        "role": rule.role,
        "certification_status": rule.certification_status,
        "period_days": rule.period_days,
        "min_sessions": rule.min_sessions,
        "min_face_to_face_minutes": rule.min_face_to_face_minutes,
        "due_soon_days": rule.due_soon_days,
        "source": rule.source,
    }
    if rule.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return data


def type_form(kind: CredentialType, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": kind.name,
        "issuer": kind.issuer,
        "expiry_rule": kind.expiry_rule,
        "valid_months": kind.valid_months or "",
        "fixed_month": kind.fixed_month or "",
        "fixed_day": kind.fixed_day or "",
        "fixed_year_parity": kind.fixed_year_parity,
        "ce_total_hours": kind.ce_total_hours,
        "reminder_days": ", ".join(str(d) for d in kind.reminder_thresholds()),
    }
    for code, hours in kind.ce_required().items():
        data[f"ce_{code}"] = hours
    data.update(changes)
    return data


def revise_url(rule: CadenceRule | CredentialType) -> str:
    name = "cadence-revise" if isinstance(rule, CadenceRule) else "credential-type-revise"
    return reverse(f"workforce:{name}", args=[rule.public_id])


def test_everyone_reads_the_rules_and_only_administrators_see_the_forms(
    world: World, signed_in: Any
) -> None:
    page = signed_in("bht").get(reverse("workforce:rules"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Supervision cadence" in body
    assert "Credential types" in body
    assert "On September 1 of odd years" in body  # the state peer certification
    assert "24.00 hours" not in body
    assert "of which 3 Ethics, 24 Peer support and recovery" in body
    assert "New version" not in body
    admin = signed_in("admin").get(reverse("workforce:rules")).content.decode()
    weekly = CadenceRule.objects.get(code="peer-initial-weekly")
    assert revise_url(weekly) in admin


def test_an_administrator_writes_the_next_cadence_version(world: World, signed_in: Any) -> None:
    weekly = CadenceRule.objects.get(code="peer-initial-weekly", is_current=True)
    client = signed_in("admin")
    assert client.get(revise_url(weekly)).status_code == 200
    answer = client.post(revise_url(weekly), cadence_form(weekly, period_days=14))
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("workforce:rules")
    new = CadenceRule.objects.get(code=weekly.code, is_current=True)
    assert (new.version, new.period_days, new.name) == (2, 14, weekly.name)
    weekly.refresh_from_db()
    assert (weekly.is_current, weekly.period_days) == (False, 7)
    event = AuditEvent.objects.filter(object_id=str(new.public_id)).get()
    assert event.detail["changes"] == {"period_days": "14"}
    assert event.actor == world.user("admin")
    listed = client.get(reverse("workforce:rules")).content.decode()
    assert "1 earlier" in listed
    assert "every 7 days" in listed


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, None, "Nothing was changed."),
        ({"period_days": 0}, "period_days", "at least one day"),
        ({"due_soon_days": 7}, "due_soon_days", "inside the window"),
        ({"min_sessions": -1}, "min_sessions", "greater than or equal to 0"),
        ({"role": "wizard"}, "role", "Select a valid choice"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_bad_cadence_input_is_refused_and_nothing_is_stored(
    world: World, signed_in: Any, changes: dict[str, Any], field: str | None, message: str
) -> None:
    weekly = CadenceRule.objects.get(code="peer-initial-weekly", is_current=True)
    client = signed_in("admin")
    before = AuditEvent.objects.count()
    answer = client.post(revise_url(weekly), cadence_form(weekly, **changes))
    assert answer.status_code == 200
    form = answer.context["form"]
    errors = form.errors.get(field) if field else form.non_field_errors()
    assert errors
    assert message in " ".join(errors)
    assert CadenceRule.objects.filter(code=weekly.code).count() == 1
    assert AuditEvent.objects.filter(object_type="workforce.cadencerule").count() == 0
    assert AuditEvent.objects.count() == before


def test_an_administrator_changes_ce_minimums_and_reminders(world: World, signed_in: Any) -> None:
    peer = CredentialType.objects.get(code="state-peer", is_current=True)
    roles = set(peer.required_for.values_list("code", flat=True))
    answer = signed_in("admin").post(
        revise_url(peer), type_form(peer, ce_ethics="4.50", reminder_days="30, 90 ,7")
    )
    assert answer.status_code == 302
    new = CredentialType.objects.get(code="state-peer", is_current=True)
    assert new.version == 2
    assert new.ce_minimums == {"peer_recovery": "24", "ethics": "4.5"}
    assert new.reminder_thresholds() == [90, 30, 7]
    assert set(new.required_for.values_list("code", flat=True)) == roles
    peer.refresh_from_db()
    assert peer.ce_minimums == {"peer_recovery": "24", "ethics": "3"}


def test_the_same_values_written_differently_are_no_change(world: World, signed_in: Any) -> None:
    peer = CredentialType.objects.get(code="state-peer", is_current=True)
    reminders = ",".join(str(d) for d in reversed(peer.reminder_thresholds()))
    answer = signed_in("admin").post(
        revise_url(peer), type_form(peer, ce_ethics="3.00", reminder_days=reminders)
    )
    assert answer.status_code == 200
    assert "Nothing was changed." in " ".join(answer.context["form"].non_field_errors())
    assert CredentialType.objects.filter(code="state-peer").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"fixed_month": 2, "fixed_day": 30}, "fixed_day", "from 1 to 29"),
        ({"fixed_month": 13}, "fixed_month", "from 1 to 12"),
        ({"expiry_rule": "after_issue", "valid_months": ""}, "valid_months", "how many months"),
        ({"reminder_days": "90, soon"}, "reminder_days", "'soon' is not a number"),
        ({"reminder_days": "0"}, "reminder_days", "between 1 and 730"),
        ({"ce_ethics": "30"}, "ce_total_hours", "add up to more than the total"),
        ({"ce_ethics": "-1"}, "ce_ethics", "greater than or equal to 0"),
        ({"expiry_rule": "sometimes"}, "expiry_rule", "Select a valid choice"),
    ],
)
def test_bad_credential_type_input_is_refused(
    world: World, signed_in: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    peer = CredentialType.objects.get(code="state-peer", is_current=True)
    answer = signed_in("admin").post(revise_url(peer), type_form(peer, **changes))
    assert answer.status_code == 200
    assert message in " ".join(answer.context["form"].errors.get(field, []))
    assert CredentialType.objects.filter(code="state-peer").count() == 1


def test_an_earlier_version_leads_to_the_current_one(world: World, signed_in: Any) -> None:
    weekly = CadenceRule.objects.get(code="peer-initial-weekly", is_current=True)
    client = signed_in("admin")
    client.post(revise_url(weekly), cadence_form(weekly, period_days=10))
    new = CadenceRule.objects.get(code=weekly.code, is_current=True)
    answer = client.post(revise_url(weekly), cadence_form(weekly, period_days=21))
    assert answer.status_code == 302
    assert answer.headers["Location"] == revise_url(new)
    assert CadenceRule.objects.filter(code=weekly.code).count() == 2


def test_others_may_not_write_a_version(world: World, signed_in: Any) -> None:
    weekly = CadenceRule.objects.get(code="peer-initial-weekly", is_current=True)
    for role in ("supervisor", "director"):
        answer = signed_in(role).post(revise_url(weekly), cadence_form(weekly, period_days=14))
        assert answer.status_code == 403
    assert CadenceRule.objects.filter(code=weekly.code).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_soon_days": 7, "period_days": 7}, "due_soon_days"),
        ({"period_days": 0}, "period_days"),
    ],
)
def test_the_cadence_service_refuses_what_the_form_refuses(
    world: World, changes: dict[str, Any], field: str
) -> None:
    """The rules live on the model: a write that does not come through the form (the shell, a
    future API) is refused the same way, and nothing is stored."""
    from django.core.exceptions import ValidationError

    from pillars.workforce.services.supervision import revise_cadence_rule

    rule = CadenceRule.objects.filter(is_current=True).first()
    assert rule is not None
    before = CadenceRule.objects.count()
    with pytest.raises(ValidationError) as refused:
        revise_cadence_rule(rule, actor=world.user("admin"), **changes)
    assert field in refused.value.message_dict
    assert CadenceRule.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expiry_rule": "fixed_date", "fixed_month": 2, "fixed_day": 30}, "fixed_day"),
        ({"expiry_rule": "fixed_date", "fixed_month": 13, "fixed_day": 1}, "fixed_month"),
        ({"expiry_rule": "after_issue", "valid_months": None}, "valid_months"),
        ({"ce_total_hours": 2, "ce_minimums": {"ethics": "3"}}, "ce_total_hours"),
    ],
)
def test_the_credential_type_service_refuses_what_the_form_refuses(
    world: World, changes: dict[str, Any], field: str
) -> None:
    from django.core.exceptions import ValidationError

    from pillars.workforce.services.credentials import revise_credential_type

    kind = CredentialType.objects.filter(is_current=True).first()
    assert kind is not None
    before = CredentialType.objects.count()
    with pytest.raises(ValidationError) as refused:
        revise_credential_type(kind, actor=world.user("admin"), **changes)
    assert field in refused.value.message_dict
    assert CredentialType.objects.count() == before

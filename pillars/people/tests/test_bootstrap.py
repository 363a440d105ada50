"""The first administrator: only while there is none, validated, audited as a bootstrap."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from pillars.audit.models import AuditEvent
from pillars.core import policy
from pillars.core.errors import ValidationError
from pillars.people.models import Organization, Staff
from pillars.people.services import bootstrap_administrator
from pillars.people.testing import World, ensure_roles

pytestmark = pytest.mark.django_db
GOOD = "a long pass phrase for the first admin"


def test_bootstrap_creates_an_audited_administrator_who_can_sign_in() -> None:
    ensure_roles()
    staff = bootstrap_administrator(
        username="Alex.Admin", display_name="Alex", password=GOOD, organization="  Example  Health "
    )
    assert staff.user.username == "alex.admin"
    assert staff.organization.name == "Example Health"
    made = AuditEvent.objects.get(object_id=str(staff.organization.public_id))
    assert made.detail["bootstrap"] is True
    assert staff.user.check_password(GOOD)
    assert staff.role_codes() == ["admin"]
    assert policy.can(staff.user, "people.edit_staff")
    event = AuditEvent.objects.get(object_id=str(staff.public_id))
    assert event.detail["bootstrap"] is True
    assert event.actor_label == "pillars bootstrap"


def test_bootstrap_refuses_once_an_administrator_exists(world: World) -> None:
    with pytest.raises(ValidationError, match="An administrator exists already"):
        bootstrap_administrator(username="second", display_name="Second", password=GOOD)
    assert not get_user_model().objects.filter(username="second").exists()


def test_bootstrap_validates_before_writing() -> None:
    ensure_roles()
    with pytest.raises(ValidationError) as info:
        bootstrap_administrator(username=" ", display_name="", password="short")
    assert set(info.value.message_dict) == {"username", "display_name", "password", "organization"}
    assert not Staff.objects.exists()
    assert not AuditEvent.objects.exists()


def test_bootstrap_command(monkeypatch: Any) -> None:
    ensure_roles()
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"organization: Name the organization"):
        call_command("bootstrap", "pat", "--name", "Pat Lee", "--password-stdin", stdout=out)
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    call_command(
        "bootstrap",
        "pat",
        "--name",
        "Pat Lee",
        "--organization",
        "Example Health",
        "--password-stdin",
        stdout=out,
    )
    assert "Administrator pat created" in out.getvalue()
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    with pytest.raises(CommandError, match=r"Nothing was created\. An administrator exists"):
        call_command("bootstrap", "kim", "--name", "Kim", "--password-stdin")


def test_bootstrap_joins_the_one_organization_or_asks_which() -> None:
    ensure_roles()
    org = Organization.objects.create(name="Only Health")
    staff = bootstrap_administrator(username="one", display_name="One", password=GOOD)
    assert staff.organization_id == org.pk
    staff.user.is_active = False
    staff.user.save()
    Organization.objects.create(name="Second Health")
    with pytest.raises(ValidationError) as info:
        bootstrap_administrator(username="two", display_name="Two", password=GOOD)
    assert info.value.message_dict == {
        "organization": ["Several organizations exist: name the administrator's."]
    }
    with pytest.raises(ValidationError, match="too long"):
        bootstrap_administrator(
            username="two", display_name="Two", password=GOOD, organization="x" * 201
        )
    assert not get_user_model().objects.filter(username="two").exists()

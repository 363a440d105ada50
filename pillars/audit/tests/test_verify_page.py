"""The privacy officer runs the audit chain verifier from a page: the run is queued as a task
for the worker, and its verdict (intact, or where it breaks) shows on the page (issue 11,
item 13)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from pillars.audit.models import AuditEvent, ChainCheck
from pillars.audit.tasks import verify_chain
from pillars.people.testing import World

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/audit/verify/"


def test_the_privacy_officer_queues_a_run_and_sees_the_verdict(
    world: World, signed_in: Any
) -> None:
    privacy = signed_in("privacy")
    assert "Verify the audit log now" in privacy.get(URL).content.decode()
    done = privacy.post(URL)
    assert done.status_code == 302
    check = ChainCheck.objects.get()
    assert check.finished_at is None
    assert "Waiting for the worker" in privacy.get(URL).content.decode()
    # The request itself is audited.
    assert AuditEvent.objects.filter(object_id=str(check.public_id), action="create").exists()
    assert verify_chain.call(check.pk) is True
    check.refresh_from_db()
    assert check.is_intact and check.events_checked > 0  # noqa: PT018
    page = privacy.get(URL).content.decode()
    assert "Audit chain intact" in page
    # A second run of the same task changes nothing.
    assert verify_chain.call(check.pk) is False


def test_a_broken_chain_is_reported_with_where(world: World, signed_in: Any) -> None:
    privacy = signed_in("privacy")
    privacy.post(URL)
    check = ChainCheck.objects.get()
    # Someone with database access deletes an event in the middle (the triggers refuse a
    # delete: drop them for the tamper, as an attacker with the owner's rights could).
    victim = AuditEvent.objects.order_by("seq")[1]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [victim.seq])
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
            names = [r[0] for r in cursor.fetchall() if "audit" in r[0]]
            sql = {
                n: cursor.execute("SELECT sql FROM sqlite_master WHERE name=%s", [n]).fetchone()[0]
                for n in names
            }
            for n in names:
                cursor.execute(f'DROP TRIGGER "{n}"')
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [victim.seq])
            for n in names:
                cursor.execute(sql[n])
    assert verify_chain.call(check.pk) is False
    check.refresh_from_db()
    assert check.is_intact is False
    assert "BROKEN" in check.finding
    assert "(event #" in check.finding  # where it breaks
    assert "BROKEN" in privacy.get(URL).content.decode()


@pytest.mark.parametrize("role", ["nurse", "admin", "director"])
def test_others_may_not(world: World, signed_in: Any, role: str) -> None:
    client = signed_in(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL).status_code == 403
    assert not ChainCheck.objects.exists()

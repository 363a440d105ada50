"""Sign-in lockouts count by name and address together, an address that fails under many names
is locked for every name, and failing again during a lockout never makes it longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.core.middleware import client_ip
from pillars.people.testing import PASSWORD

SIGN_IN = "/account/sign-in/"
WINTER = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
ADDRESS_A = "198.51.100.7"
ADDRESS_B = "203.0.113.20"


def browser(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def fail(client: Client, username: str) -> Any:
    return client.post(SIGN_IN, {"username": username, "password": "not-the-password"})


def sign_in(client: Client, username: str) -> int:
    return int(client.post(SIGN_IN, {"username": username, "password": PASSWORD}).status_code)


def test_failures_from_one_address_lock_the_name_there_only(world: Any) -> None:
    stranger = browser(ADDRESS_A)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert fail(stranger, "t-nurse").status_code == 200
    assert fail(stranger, "t-nurse").status_code == 429
    # From the address of the failures the name is locked, even with the right password...
    assert sign_in(browser(ADDRESS_A), "t-nurse") == 429
    # ...but the nurse at the station (another address) still signs in.
    assert sign_in(browser(ADDRESS_B), "t-nurse") == 302
    # And other names from the first address are not locked.
    assert sign_in(browser(ADDRESS_A), "t-bht") == 302


def test_many_names_from_one_address_lock_that_address_for_every_name(world: Any) -> None:
    limit = settings.PILLARS_LOCKOUT_ADDRESS_FAILURES
    assert limit == 30  # the default
    sprayer = browser(ADDRESS_A)
    for n in range(limit - 1):
        assert fail(sprayer, f"guess-{n}").status_code == 200
    assert fail(sprayer, "guess-last").status_code == 429
    assert sign_in(browser(ADDRESS_A), "t-nurse") == 429
    assert sign_in(browser(ADDRESS_B), "t-nurse") == 302
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()


def test_a_success_from_the_address_does_not_clear_its_count(world: Any) -> None:
    """Someone trying many names cannot reset the address's count with an account of their own."""
    limit = settings.PILLARS_LOCKOUT_ADDRESS_FAILURES
    sprayer = browser(ADDRESS_A)
    for n in range(limit - 1):
        fail(sprayer, f"guess-{n}")
    assert sign_in(browser(ADDRESS_A), "t-bht") == 302
    assert fail(sprayer, "guess-again").status_code == 429


@override_settings(PILLARS_LOCKOUT_ADDRESS_FAILURES=0)
def test_the_address_limit_can_be_switched_off(world: Any) -> None:
    sprayer = browser(ADDRESS_A)
    for n in range(40):
        assert fail(sprayer, f"guess-{n}").status_code == 200
    assert sign_in(browser(ADDRESS_A), "t-nurse") == 302


def test_failing_during_a_lockout_does_not_extend_it(world: Any) -> None:
    stranger = browser(ADDRESS_A)
    with time_machine.travel(WINTER, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            fail(stranger, "t-nurse")
        # Ten minutes in, the stranger keeps trying: refused, and the end stays at 15:15 UTC.
        traveller.shift(timedelta(minutes=10))
        for _ in range(3):
            again = fail(stranger, "t-nurse")
            assert again.status_code == 429
            assert 'datetime="2026-01-15T15:15:00+00:00"' in again.content.decode()
            assert again["Retry-After"] == str(5 * 60)
        [attempt] = AccessAttempt.objects.filter(username="t-nurse")
        assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
        assert attempt.attempt_time == WINTER
        # One second after the original cool-off the nurse signs in from that address.
        traveller.move_to(WINTER + settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert sign_in(browser(ADDRESS_A), "t-nurse") == 302
    # Each refused attempt was still audited as a lockout.
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, actor_label="t-nurse").count() == 4


def test_failing_during_an_address_lockout_does_not_extend_it(world: Any) -> None:
    limit = settings.PILLARS_LOCKOUT_ADDRESS_FAILURES
    sprayer = browser(ADDRESS_A)
    with time_machine.travel(WINTER, tick=False) as traveller:
        for n in range(limit):
            fail(sprayer, f"guess-{n}")
        traveller.shift(timedelta(minutes=14))
        assert fail(sprayer, "guess-more").status_code == 429
        assert not AccessAttempt.objects.filter(username="guess-more").exists()
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert sign_in(browser(ADDRESS_A), "t-nurse") == 302


def test_the_address_is_the_connection_unless_proxies_are_configured() -> None:
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR=ADDRESS_A, HTTP_X_FORWARDED_FOR="10.9.9.9")
    # Without proxies of ours, a client's own X-Forwarded-For is ignored.
    assert client_ip(spoofed) == ADDRESS_A
    behind = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"10.9.9.9, {ADDRESS_B}")
    with override_settings(PILLARS_PROXY_COUNT=1):
        # The load balancer appended the address it saw; what the client wrote is further left.
        assert client_ip(behind) == ADDRESS_B
        bad = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
        assert client_ip(bad) == "10.0.0.2"
        missing = factory.get("/", REMOTE_ADDR="10.0.0.2")
        assert client_ip(missing) == "10.0.0.2"
    with override_settings(PILLARS_PROXY_COUNT=2):
        assert client_ip(behind) == "10.9.9.9"


@override_settings(PILLARS_PROXY_COUNT=1)
def test_behind_the_load_balancer_lockouts_follow_the_client_address(world: Any) -> None:
    balancer = "10.0.0.2"
    stranger = Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=ADDRESS_A)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(stranger, "t-nurse")
    station = Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=ADDRESS_B)
    assert sign_in(station, "t-nurse") == 302
    assert AccessAttempt.objects.get(username="t-nurse").ip_address == ADDRESS_A


def test_retrying_during_a_lockout_does_not_sign_the_owner_out_again(
    world: Any, signed_in: Any
) -> None:
    stranger = browser(ADDRESS_A)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(stranger, "t-nurse")
    # The lockout began: the nurse's sessions then ended once. She signs in again elsewhere.
    world.user("nurse").refresh_from_db()
    station = browser(ADDRESS_B)
    assert sign_in(station, "t-nurse") == 302
    for _ in range(3):
        assert fail(stranger, "t-nurse").status_code == 429
    assert station.get("/").status_code == 200


def test_an_address_lockout_says_so(world: Any) -> None:
    sprayer = browser(ADDRESS_A)
    with time_machine.travel(WINTER, tick=False):
        for n in range(settings.PILLARS_LOCKOUT_ADDRESS_FAILURES):
            fail(sprayer, f"guess-{n}")
        response = browser(ADDRESS_A).post(SIGN_IN, {"username": "t-nurse", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "from this network address, under several names" in html
    assert 'datetime="2026-01-15T15:15:00+00:00"' in html
    named = browser(ADDRESS_B)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = fail(named, "t-bht")
    assert "This sign-in is locked until" in last.content.decode()
    assert "network address" not in last.content.decode()

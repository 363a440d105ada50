"""A staff member's sign-in access as an administrator sees it, and the four ways to restore or
withdraw it: unlock the account after failed sign-ins, reset two-step sign-in, reset the badge
PIN, revoke a trusted unit tablet.

Each write takes a reason, checks ``people.manage_access`` (administrators, never on their own
account: another administrator restores theirs), runs in one transaction and appends its audit
event, reason included, inside that transaction. Nothing here reads or shows a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.http import Http404
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.backends import address_failures, address_limit, badge_name
from pillars.core.errors import invalid
from pillars.core.sessions import revoke_everywhere
from pillars.people import selectors
from pillars.people.models import DeviceEnrollment, Staff, TrustedDevice
from pillars.people.tablets import end_badge_sessions, end_device_sessions

ACTION = "people.manage_access"
REASON_MAX_LENGTH = 500


def clean_reason(reason: str | None) -> str:
    """The reason every access change carries into the audit log: required, at most 500
    characters."""
    text = " ".join(str(reason or "").split())
    if not text:
        raise invalid("reason", "Give a reason: it is kept in the audit log with this change.")
    if len(text) > REASON_MAX_LENGTH:
        raise invalid(
            "reason", f"Keep the reason to {REASON_MAX_LENGTH} characters or fewer ({len(text)})."
        )
    return text


def lockout_names(staff: Staff) -> list[str]:
    """The names axes counts this staff member's failures under: the sign-in name as
    ``core.backends.axes_username`` writes it, and the badge for tablet switches."""
    names = [staff.user.get_username().strip().lower()]
    if staff.badge_number:
        names.append(badge_name(staff.organization, staff.badge_number))
    return names


# --- What the page shows -------------------------------------------------------------------


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins under one of the staff member's names from one address, within the
    cool-off time; locked when they reach the limit."""

    name: str
    address: str | None
    failures: int
    latest_at: datetime
    is_locked: bool
    until: datetime

    @property
    def by_badge(self) -> bool:
        return self.name.startswith("badge:")


@dataclass(frozen=True)
class LockedAddress:
    """An address locked out for every name (too many failures under any names) from which
    this staff member failed or was refused lately: unlocking the account does not end it."""

    address: str
    failures: int
    until: datetime


@dataclass(frozen=True)
class Tablet:
    """A trusted tablet linked to the staff member: they fully signed in on it (and may switch
    in there with badge and PIN for a while after), or they registered it."""

    device: TrustedDevice
    full_sign_in_at: datetime | None
    registered_by_them: bool

    @property
    def is_revoked(self) -> bool:
        return self.device.revoked_at is not None


@dataclass(frozen=True)
class Access:
    staff: Staff
    failures: list[Failures]
    locked_addresses: list[LockedAddress]
    two_factor: str  # "set", "pending" (enrolment started, not confirmed) or "none"
    two_factor_required: bool
    two_factor_delayed: bool  # wrong codes made django-otp delay the next one
    has_pin: bool
    tablets: list[Tablet]

    @property
    def is_locked(self) -> bool:
        return any(row.is_locked for row in self.failures) or bool(self.locked_addresses)

    @property
    def may_unlock(self) -> bool:
        return bool(self.failures) or self.two_factor_delayed


def _failures(staff: Staff, now: datetime) -> list[Failures]:
    cool_off = settings.AXES_COOLOFF_TIME
    limit = settings.AXES_FAILURE_LIMIT
    rows = (
        AccessAttempt.objects.filter(username__in=lockout_names(staff))
        .filter(attempt_time__gte=now - cool_off)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        .order_by("username", "ip_address")
    )
    return [
        Failures(
            name=str(row["username"]),
            address=row["ip_address"],
            failures=int(row["failures"]),
            latest_at=row["latest"],
            is_locked=int(row["failures"]) >= limit,
            until=row["latest"] + cool_off,
        )
        for row in rows
    ]


def _locked_addresses(staff: Staff, failures: list[Failures], now: datetime) -> list[LockedAddress]:
    limit = address_limit()
    if limit <= 0:
        return []
    since = now - settings.AXES_COOLOFF_TIME
    # A refusal during a lockout is not counted as a failure, but it is audited with the
    # address: a staff member turned away by an address lockout shows here too.
    refused = AuditEvent.objects.filter(
        action=Action.LOCKED_OUT,
        actor_label__in=lockout_names(staff),
        occurred_at__gte=since,
        ip__isnull=False,
    ).values_list("ip", flat=True)
    addresses = {row.address for row in failures if row.address} | {str(ip) for ip in refused}
    locked = []
    for address in sorted(addresses):
        total = address_failures(address, since=since)
        if total >= limit:
            latest = AccessAttempt.objects.filter(
                ip_address=address, attempt_time__gte=since
            ).aggregate(latest=Max("attempt_time"))["latest"]
            locked.append(
                LockedAddress(address, total, (latest or now) + settings.AXES_COOLOFF_TIME)
            )
    return locked


def tablets_of(staff: Staff) -> QuerySet[TrustedDevice]:
    """Tablets of the staff member's organization they fully signed in on, or registered,
    newest first (another organization's tablet is not theirs to see or revoke)."""
    enrolled = DeviceEnrollment.objects.filter(staff=staff).values("device_id")
    return (
        TrustedDevice.objects.filter(Q(pk__in=enrolled) | Q(registered_by=staff))
        .filter(organization_id=staff.organization_id)
        .select_related("unit")
        .order_by("revoked_at", "-registered_at", "pk")
    )


def _tablets(staff: Staff) -> list[Tablet]:
    signed_in = dict(
        DeviceEnrollment.objects.filter(staff=staff).values_list("device_id", "full_sign_in_at")
    )
    return [
        Tablet(device, signed_in.get(device.pk), device.registered_by_id == staff.pk)
        for device in tablets_of(staff)
    ]


def _two_factor(staff: Staff) -> str:
    states = set(TOTPDevice.objects.filter(user=staff.user).values_list("confirmed", flat=True))
    if True in states:
        return "set"
    return "pending" if states else "none"


def get_access_for(user: Any, public_id: Any) -> Access:
    """The staff member's sign-in access, for an administrator who may manage it (404 out of
    scope, 403 not allowed, through the staff selector)."""
    staff = selectors.get_staff_for(user, public_id, ACTION)
    now = clock.now()
    failures = _failures(staff, now)
    return Access(
        staff=staff,
        failures=failures,
        locked_addresses=_locked_addresses(staff, failures, now),
        two_factor=_two_factor(staff),
        two_factor_delayed=TOTPDevice.objects.filter(
            user=staff.user, throttling_failure_count__gt=0
        ).exists(),
        two_factor_required=staff.roles.filter(requires_two_factor=True).exists(),
        has_pin=bool(staff.pin_hash),
        tablets=_tablets(staff),
    )


def get_tablet_for(staff: Staff, public_id: Any) -> TrustedDevice:
    """One of the staff member's tablets; any other answers 404."""
    device = tablets_of(staff).filter(public_id=public_id).first()
    if device is None:
        raise Http404("Not found")
    return device


# --- The writes ----------------------------------------------------------------------------


def _record(actor: Any, target: Any, event: str, reason: str, **detail: Any) -> None:
    audit.record(
        actor,
        Action.UPDATE,
        target,
        purpose=Purpose.SECURITY,
        detail={"event": event, "reason": reason, **detail},
    )


def unlock_account(staff: Staff, *, actor: Any, reason: str) -> int:
    """Clear the staff member's failed sign-ins (sign-in name and badge, from every address),
    so a lockout ends now instead of after the cool-off, and django-otp's delay after wrong
    two-step codes; returns how many failures were cleared.

    An address locked out for every name is left as it is: that lockout protects all accounts
    and ends by itself."""
    policy.require(actor, ACTION, staff)
    reason = clean_reason(reason)
    with transaction.atomic():
        attempts = AccessAttempt.objects.select_for_update().filter(
            username__in=lockout_names(staff)
        )
        cleared = [
            {"name": name, "address": address, "failures": failures}
            for name, address, failures in attempts.order_by("username", "ip_address").values_list(
                "username", "ip_address", "failures_since_start"
            )
        ]
        throttled = TOTPDevice.objects.filter(
            user=staff.user, throttling_failure_count__gt=0
        ).update(throttling_failure_count=0, throttling_failure_timestamp=None)
        if not cleared and not throttled:
            raise invalid(
                None, f"{staff.display_name} has no failed sign-ins to clear: nothing to unlock."
            )
        AccessAttempt.objects.filter(username__in=lockout_names(staff)).delete()
        _record(
            actor,
            staff,
            "account_unlocked",
            reason,
            cleared=cleared,
            two_step_delay_cleared=bool(throttled),
        )
    return sum(int(row["failures"] or 0) for row in cleared)


def reset_two_factor(staff: Staff, *, actor: Any, reason: str) -> int:
    """Remove the staff member's authenticator (a lost or replaced phone): at their next
    sign-in, after the password, they set up a new one. Every session and API token of theirs
    ends too, so nobody already signed in can enrol a device of their own. Returns how many
    devices were removed."""
    policy.require(actor, ACTION, staff)
    reason = clean_reason(reason)
    with transaction.atomic():
        devices = list(
            TOTPDevice.objects.select_for_update()
            .filter(user=staff.user)
            .values_list("pk", "confirmed")
        )
        if not devices:
            raise invalid(
                None, f"{staff.display_name} has no two-step device to reset: nothing to do."
            )
        TOTPDevice.objects.filter(pk__in=[pk for pk, _ in devices]).delete()
        revoke_everywhere(staff.user, reason="two-step sign-in reset", actor=actor)
        _record(
            actor,
            staff,
            "two_factor_reset",
            reason,
            devices_removed=len(devices),
            had_confirmed=any(confirmed for _, confirmed in devices),
        )
    return len(devices)


def reset_pin(staff: Staff, *, actor: Any, reason: str) -> int:
    """Remove the staff member's badge PIN (it may be known to someone else): badge switching
    stops until they set a new one with their password, and the sessions they began with badge
    and PIN end (their password sessions stay). Returns how many sessions ended."""
    policy.require(actor, ACTION, staff)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = Staff.objects.select_for_update().get(pk=staff.pk)
        if not locked.pin_hash:
            raise invalid(None, f"{staff.display_name} has no badge PIN to reset: nothing to do.")
        Staff.objects.filter(pk=staff.pk).update(pin_hash="")
        ended = end_badge_sessions(staff.user)
        _record(
            actor,
            staff,
            "pin_reset",
            reason,
            changes={"pin": "removed"},
            badge_sessions_ended=ended,
        )
    staff.pin_hash = ""
    return ended


def revoke_tablet(staff: Staff, device: TrustedDevice, *, actor: Any, reason: str) -> int:
    """Revoke one of the staff member's trusted tablets (lost, stolen, or no longer the unit's):
    its cookie stops working, so nobody can switch in there with badge and PIN, and every
    session signed in on it ends, whoever's. Returns how many sessions ended."""
    policy.require(actor, ACTION, staff)
    if not tablets_of(staff).filter(pk=device.pk).exists():
        raise Http404("Not found")
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = TrustedDevice.objects.select_for_update().select_related("unit").get(pk=device.pk)
        if locked.revoked_at is not None:
            raise invalid(None, f"The tablet '{locked.name}' is revoked already.")
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
        ended = end_device_sessions(locked)
        _record(
            actor,
            locked,
            "tablet_revoked",
            reason,
            staff=str(staff.public_id),
            unit=locked.unit.code,
            name=locked.name,
            sessions_ended=ended,
        )
    device.revoked_at = locked.revoked_at
    return ended


__all__ = [
    "Access",
    "clean_reason",
    "get_access_for",
    "get_tablet_for",
    "reset_pin",
    "reset_two_factor",
    "revoke_tablet",
    "unlock_account",
]

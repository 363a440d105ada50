"""``pillars demo-code USERNAME``: the current two-step code of a demo account (demo mode only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.demo.accounts import DEMO_SIGN_INS, demo_totp_key


def current_code(username: str) -> str:
    """The 6-digit code a demo account's authenticator would show now."""
    if not settings.DEMO_MODE:
        raise CommandError("Demo codes exist only in demo mode (PILLARS_DEMO is off).")
    if username not in dict(DEMO_SIGN_INS):
        raise CommandError(f"{username!r} is not a demo sign-in.")
    device = (
        TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("id").first()
    )
    # Only the demo's own device, with the demo's fixed key: never a real person's secret.
    if device is None or device.key != demo_totp_key(username):
        raise CommandError(
            f"{username} has no demo authenticator (only the two-step demo roles do; "
            "load the demo with: pillars demo)."
        )
    code = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{code:0{device.digits}d}"


class Command(BaseCommand):
    help = "Print the current 6-digit two-step sign-in code of a demo account (demo mode only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="a demo sign-in, for example demo-director")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(current_code(options["username"]))

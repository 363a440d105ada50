"""``pillars disable-demo``: switch off every demo account of a database about to become
production."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock
from pillars.core.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "Disable every account made by 'pillars demo': no sign-in, no password, no two-step "
        "device, no API token, every session ended. Audited. Production refuses to start "
        "until this has run on a database that held the demo."
    )
    # Runs where production refuses everything else: it is the way out.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--yes", action="store_true", help="confirm")

    def handle(self, *args: Any, **options: Any) -> None:
        demo = User.objects.filter(is_demo=True)
        active = demo.filter(is_active=True).count()
        if not options["yes"]:
            raise CommandError(
                f"{active} active demo account(s) would be disabled. Run again with --yes."
            )
        with transaction.atomic():
            users = list(demo.select_for_update())
            for user in users:
                was_active = user.is_active
                user.is_active = False
                user.set_unusable_password()
                user.save(update_fields=["is_active", "password"])
                User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
                devices = TOTPDevice.objects.filter(user=user).delete()[0]
                tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                    revoked_at=clock.now()
                )
                audit.record(
                    actor=None,
                    actor_label="pillars disable-demo",
                    action=Action.PRIVILEGE_CHANGE,
                    target=user,
                    purpose=Purpose.SECURITY,
                    detail={
                        "event": "demo account disabled",
                        "username": user.username,
                        "was_active": was_active,
                        "two_step_devices_removed": devices,
                        "api_tokens_revoked": tokens,
                    },
                )
        self.stdout.write(
            f"Disabled {len(users)} demo account(s) ({active} were active): no sign-in, "
            "password, two-step device or API token is left on them."
        )

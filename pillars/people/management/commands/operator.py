"""``pillars operator USERNAME``: make an administrator the installation's operator."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pillars.core.errors import ValidationError
from pillars.people.services import set_operator


class Command(BaseCommand):
    help = (
        "Make an administrator the installation's operator (or, with --revoke, no longer): "
        "where one installation serves several organizations, only the operator changes the "
        "roles and rules they all share (observation levels, restraint profiles, checklists). "
        "Audited as a privilege change."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", help="the administrator's sign-in name")
        parser.add_argument(
            "--revoke", action="store_true", help="no longer the installation's operator"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        operator = not options["revoke"]
        try:
            user = set_operator(options["username"], operator=operator)
        except ValidationError as exc:
            raise CommandError(f"Nothing was changed. {' '.join(exc.messages)}") from None
        state = "is the installation's operator" if operator else "is no longer the operator"
        self.stdout.write(self.style.SUCCESS(f"{user.username} {state}."))

"""``pillars bootstrap``: the first administrator of a new installation."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pillars.core.errors import ValidationError
from pillars.people.services import bootstrap_administrator


class Command(BaseCommand):
    help = (
        "Create the first administrator (allowed only while there is none) and the organization "
        "they belong to. They sign in, set up two-step sign-in, then add sites and units in the "
        "admin pages and the staff through Staff or an import."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", help="the administrator's sign-in name")
        parser.add_argument("--name", required=True, help="the name shown to colleagues")
        parser.add_argument("--email", default="", help="e-mail address (optional)")
        parser.add_argument(
            "--organization",
            default="",
            help="the organization the installation serves (made when new; may be left out "
            "when exactly one exists)",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input instead of asking twice",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            staff = bootstrap_administrator(
                username=options["username"],
                display_name=options["name"],
                password=password,
                email=options["email"],
                organization=options["organization"],
            )
        except ValidationError as exc:
            problems = (
                "; ".join(
                    f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
                )
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(f"Nothing was created. {problems}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator {staff.user.username} created. Sign in; you will set up "
                "two-step sign-in first."
            )
        )

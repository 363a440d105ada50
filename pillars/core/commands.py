"""What the management commands that act as a named user share (``pillars import``, ``pillars
hsds``, ``pillars fhir``): the ``--as`` argument, the user it names (an active account: a
deactivated one acts for nobody; policy and audit then apply to them as on the web), and the
``--commit`` switch of a command that is a dry run unless told otherwise."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

ACTING_HELP = "the administrator the command acts as (policy and audit apply to them)"


def add_acting_user(parser: Any, help: str = ACTING_HELP) -> None:
    parser.add_argument("--as", dest="as_user", required=True, metavar="USERNAME", help=help)


def add_commit(parser: Any) -> None:
    parser.add_argument(
        "--commit",
        action="store_true",
        help="import for real (the default is a dry run that writes nothing)",
    )


def acting_user(options: dict[str, Any]) -> Any:
    """The active user ``--as`` names, or the command stops saying there is none."""
    user = get_user_model().objects.filter(username=options["as_user"]).first()
    if user is None or not user.is_active:
        raise CommandError(f"No active user named {options['as_user']!r}.")
    return user

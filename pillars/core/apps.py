from collections.abc import Iterable
from importlib import import_module

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    """Clock, roles, the policy engine, sign-in and the app shell."""

    name = "pillars.core"
    label = "core"
    verbose_name = "Pillars core"

    def ready(self) -> None:
        # signals connect their receivers and demo_guard registers its system check on import.
        from pillars.core import (  # noqa: F401
            demo_guard,
            files,
            navigation,
            policies,
            policy,
            signals,
        )

        policy.register(policies.ACTIONS)
        connection_created.connect(files.on_connection, dispatch_uid="pillars-owner-only-sqlite")
        navigation.register([navigation.NavEntry("Home", "core:home", None, order=0)])


def install_areas(app: str, areas: Iterable[str], packages: Iterable[str]) -> None:
    """From a domain app's ``ready()``: each area's ``install()`` in each of the app's packages
    named (``policies``, ``extensions``), area by area in the app's order."""
    wanted = tuple(packages)
    for area in areas:
        for package in wanted:
            import_module(f"pillars.{app}.{package}.{area}").install()

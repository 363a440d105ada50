"""``pillars disable-demo --yes``: the name the README uses for ``disable_demo``."""

from pillars.core.management.commands.disable_demo import Command

__all__ = ["Command"]

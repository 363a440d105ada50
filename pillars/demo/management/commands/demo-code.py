"""``pillars demo-code USERNAME``: the name the README uses for ``demo_code``."""

from pillars.demo.management.commands.demo_code import Command

__all__ = ["Command"]

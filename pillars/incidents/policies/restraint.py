"""Who may see and do what in the restraint area."""

from pillars.core import policy

ACTIONS: dict[str, policy.Rule] = {}


def install() -> None:
    policy.register(ACTIONS)

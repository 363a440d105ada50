"""Who may see and do what in the safety area."""

from pillars.core import policy

ACTIONS: dict[str, policy.Rule] = {}


def install() -> None:
    policy.register(ACTIONS)

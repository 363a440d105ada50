"""Actions of the core app: the user's own API tokens."""

from pillars.core.policy import rule
from pillars.core.roles import RoleCode

ACTIONS = {
    "core.manage_tokens": rule(
        *RoleCode, scope="write", description="create and revoke one's own API tokens"
    ),
}

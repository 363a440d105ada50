"""Ending sessions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F


def end_all_sessions(user: Any) -> None:
    """Raise the user's session epoch: every session on every device ends at its next request
    (the epoch is part of the session hash, see ``core.models.User``)."""
    get_user_model().objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)

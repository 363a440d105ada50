"""The session engine (``SESSION_ENGINE``): Django's database sessions, with the read of a
session built once per process (``core.prepared``). Every signed-in request reads its session
first, and building that query cost several times what the database took to answer it."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone

from pillars.core import prepared


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        """The session row while it has not expired, as Django's store reads it (the expiry
        compared here, not in the query, so the query is the same for every session)."""
        found = prepared.read(
            "a session by its key",
            "",
            lambda key: self.model.objects.filter(session_key=key).order_by()[:1],
            self.session_key,
        )
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None

"""Permission matrix for supervision: the supervisor's week, the supervisee's own view, a
session (record, read, sign, addendum), closing an action item, the ledger, work hours, the
profile, letters and the API. Fixtures: a session of the supervisor with the peer signed by
both (with an open action item), one nobody has signed yet, and a signed letter."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.workforce.models import (
    ActionItem,
    CertificationRule,
    SessionAttendee,
    SupervisionSession,
    VerificationLetter,
)


def peer(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["peer"].public_id}


def signed(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["sup_signed"].public_id}


def unsigned(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["sup_unsigned"].public_id}


def item(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["sup_item"].public_id}


def letter(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["sup_letter"].public_id}


def _session_body(w: World, who: str) -> dict[str, Any]:
    return {
        "supervisees": [str(w.staff["peer"].public_id)],
        "kind": "supportive",
        "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "minutes": 60,
        "topics": ["Boundaries"],
        "sign": True,
    }


#                                          bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:supervision-week": Case("GET", "F F F F A A F F F L"),
    "workforce:my-supervision": Case("GET", "A A A A A A F F A L"),
    "workforce:session-new": Case("GET", "F F F F A F F F F L"),
    "workforce:session-detail": Case("GET", "N N N A A A F N N L", signed),
    "workforce:session-sign": Case("POST", "N N N A A F F N N L", unsigned),
    "workforce:session-addendum": Case("GET", "N N N A A F F N N L", signed),
    "workforce:action-item-close": Case("POST", "N N N F A F F N N L", item),
    "workforce:ledger": Case("GET", "F F F A A A F F N L", peer),
    "workforce:supervision-profile": Case("GET", "F F F F A F F F N L", peer),
    "workforce:work-hours-new": Case("GET", "F F F F A F F F N L", peer),
    "workforce:letter-new": Case("GET", "F F F F A F F F N L", peer),
    "workforce:letter-pdf": Case("GET", "N N N A A A F N N L", letter),
}

#                                                       bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/workforce/supervision/sessions": Case("GET", "A A A A A A F F A U"),
    "POST /api/v1/workforce/supervision/sessions": Case(
        "POST", "F F F F A F F F F U", body=_session_body
    ),
    "POST /api/v1/workforce/supervision/sessions/{public_id}/sign": Case(
        "POST", "N N N A A F F N N U", unsigned, body=lambda w, who: {}
    ),
    "GET /api/v1/workforce/supervision/staff/{public_id}/ledger": Case(
        "GET", "F F F A A A F F N U", peer
    ),
}


def make_records(world: World) -> dict[str, Any]:
    now = clock.now()
    sup, peer_staff = world.staff["supervisor"], world.staff["peer"]
    done = SupervisionSession.objects.create(
        supervisor=sup,
        kind="clinical",
        started_at=now - timedelta(days=3),
        minutes=60,
        recorded_by=sup,
        recorded_at=now - timedelta(days=3),
        supervisor_signed_at=now - timedelta(days=3),
        signed_at=now - timedelta(days=3),
    )
    SessionAttendee.objects.create(session=done, supervisee=peer_staff, signed_at=done.signed_at)
    waiting = SupervisionSession.objects.create(
        supervisor=sup,
        kind="supportive",
        started_at=now - timedelta(hours=3),
        minutes=45,
        recorded_by=sup,
        recorded_at=now,
    )
    SessionAttendee.objects.create(session=waiting, supervisee=peer_staff)
    action = ActionItem.objects.create(raised_in=done, supervisee=peer_staff, text="Read the guide")
    rule = CertificationRule.objects.get(code="ncps")
    letter_row = VerificationLetter.objects.create(
        staff=peer_staff,
        supervisor=sup,
        rule=rule,
        period_start=clock.organization_today() - timedelta(days=30),
        period_end=clock.organization_today(),
        session_hours=Decimal("1.00"),
        work_hours=Decimal("0"),
        supervisor_credential="LCSW",
        statement="I verify one hour of supervision.",
        signed_at=now,
    )
    return {
        "sup_signed": done,
        "sup_unsigned": waiting,
        "sup_item": action,
        "sup_letter": letter_row,
    }


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra.update(make_records(world))


def fuzz_ids(world: World) -> dict[str, str]:
    return {
        "/api/v1/workforce/supervision/staff/": str(world.staff["peer"].public_id),
        "/api/v1/workforce/supervision/sessions/": str(
            (SupervisionSession.objects.first() or make_records(world)["sup_unsigned"]).public_id
        ),
    }

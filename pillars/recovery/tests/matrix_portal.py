"""Permission matrix for the person's own page. Fixtures: an access for person A (its link
token kept for the code page) issued by the peer.

Staff routes: the peer and clinicians issue and end access; supervisors and the director see
the list; technicians, nurses, the privacy officer and administrators get 403; staff outside the
person's scope get 404.

Person routes are reached without staff sign-in. The code page behind a link answers everyone
(it reveals nothing and sets no session until the code is right). Every other person page needs
a person session: without one it answers 404 to everyone, signed-in staff included, exactly as
a page that does not exist (the choice documented in views/portal.py)."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.recovery.services import portal as services


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def access(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["portal_access"].public_id}


def token(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"token": extra["portal_token"]}


def goal(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    from pillars.recovery.models.plans import Goal

    found = Goal.objects.filter(person=w.person_a).first()
    return {"public_id": found.public_id if found is not None else w.person_a.public_id}


#                                                  bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:portal-access-list": Case("GET", "F F A A A A F F N L", person_a),
    "recovery:portal-access-issue": Case("POST", "F F A A F F F F N L", person_a),
    "recovery:portal-access-revoke": Case("POST", "F F A A F F F F N L", access),
    "recovery:portal-open": Case("GET", "A A A A A A A A A A", token),
    "recovery:portal-home": Case("GET", "N N N N N N N N N N"),
    "recovery:portal-progress": Case("GET", "N N N N N N N N N N", goal),
    "recovery:portal-barc": Case("GET", "N N N N N N N N N N"),
    "recovery:portal-leave": Case("POST", "N N N N N N N N N N"),
}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    issued = services.issue_access(world.person_a, actor=world.user("peer"))
    extra["portal_access"], extra["portal_token"] = issued.access, issued.token

"""Permission matrix for a staff member's sign-in access pages (administrators only, never on
their own account). Posts carry no reason, so the administrator's answer is the page again with
the reason asked for (200); everyone else is refused before the form is read.

Fixtures: a trusted tablet on unit A that the nurse registered and fully signed in on.
"""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.models import DeviceEnrollment, TrustedDevice
from pillars.people.testing import World


def nurse_staff(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["nurse"].public_id}


def nurse_tablet(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["nurse"].public_id, "device_id": extra["access_tablet"].public_id}


#                                           bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "people:staff-access": Case("GET", "F F F F F F F A N L", nurse_staff),
    "people:staff-access-unlock": Case("POST", "F F F F F F F A N L", nurse_staff),
    "people:staff-access-two-factor": Case("POST", "F F F F F F F A N L", nurse_staff),
    "people:staff-access-pin": Case("POST", "F F F F F F F A N L", nurse_staff),
    "people:staff-access-tablet": Case("POST", "F F F F F F F A N L", nurse_tablet),
}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    nurse = world.staff["nurse"]
    now = clock.now()
    device = TrustedDevice.objects.create(
        unit=world.unit_a,
        name="Matrix station",
        token_hash="0" * 64,
        registered_by=nurse,
        registered_at=now,
    )
    DeviceEnrollment.objects.create(device=device, staff=nurse, full_sign_in_at=now)
    extra["access_tablet"] = device

"""Days an API client sends are held to the years a record may name, as moments are (``Moment``)
and as the forms' days are (``formtools.DayField``): a consent once took 9999-12-31 as its
expiry and 0001-01-01 as its signature date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from ninja import Schema

from pillars.core import clock
from pillars.core.tests.api_support import api_as
from pillars.people.models import Consent
from pillars.people.testing import World, make_unit


def _schemas() -> list[type[Schema]]:
    """Every schema class of Pillars' own API modules (imported with the URL configuration)."""
    import pillars.urls  # noqa: F401  (builds the API, importing every router)

    found, stack = [], [Schema]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("pillars."):
                found.append(sub)
    return found


def _is_date(annotation: Any) -> bool:
    return annotation is date or date in getattr(annotation, "__args__", ())


def test_every_day_a_client_sends_is_a_day() -> None:
    """Every date field of a schema a client sends (its name ends in In, Patch or Filter) is a
    ``core.api_types.Day``."""
    loose = [
        f"{schema.__module__}.{schema.__name__}.{name}"
        for schema in _schemas()
        if schema.__name__.endswith(("In", "Patch", "Filter"))
        for name, info in schema.model_fields.items()
        if _is_date(info.annotation)
        and not any(getattr(m, "func", None) is clock.storable_day for m in info.metadata)
    ]
    assert len(_schemas()) > 50
    assert loose == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("expires_on", "signed_on", "field"),
    [("9999-12-31", "2026-12-01", "expires_on"), ("2027-01-01", "0001-01-01", "signed_on")],
)
def test_a_consent_dated_off_the_calendar_is_refused(
    world: World, expires_on: str, signed_on: str, field: str
) -> None:
    sud, _ = make_unit(world.site, "sud", part2=True)
    body = {
        "programs": [str(sud.public_id)],
        "information_kinds": ["safety_plan"],
        "information_description": "The safety plan.",
        "purposes": ["tpo"],
        "recipients": [{"kind": "treating"}],
        "expires_on": expires_on,
        "signed_by": "person",
        "signer_name": "Alex Rivera",
        "signed_on": signed_on,
    }
    answer = api_as(world.user("privacy")).post(
        f"/persons/{world.person_a.public_id}/consents", body
    )
    assert answer.status_code == 422, answer.content
    assert "between the years" in str(answer.json()["errors"][field])
    assert not Consent.objects.exists()

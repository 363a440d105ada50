"""Two organizations in one database (people.tenancy): each one's insights count only their own
organization's records. The permission matrix asks every route as another organization's
staff; these are the figures that route reads off shared tables (the audit log) or counts."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import time_machine

from conftest import client_of
from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Outcome
from pillars.core import clock, exports
from pillars.insights import team
from pillars.people.consent_models import Consent
from pillars.people.models import Staff
from pillars.people.testing import Elsewhere, StaffFactory, World
from pillars.workforce.models.wellbeing import CheckInInstrument
from pillars.workforce.selectors.wellbeing import quarter_of
from pillars.workforce.services import wellbeing as wellbeing_services

pytestmark = pytest.mark.django_db


def _world_consent(world: World) -> Consent:
    now, today = clock.now(), clock.organization_today()
    return Consent.objects.create(
        person=world.person_a,
        information_kinds=["safety_plan"],
        information_description="The safety plan.",
        purposes=["tpo"],
        expires_on=today + timedelta(days=60),
        expiry_event="Discharge from the program",
        signed_by="person",
        signer_name="Alex Rivera",
        signed_on=today,
        recorded_by=world.staff["nurse"],
        recorded_at=now,
    )


def test_the_privacy_dashboard_counts_the_officers_own_organization_only(
    world: World, elsewhere: Elsewhere
) -> None:
    # The first organization's exports, refusals, Part 2 disclosures and consents.
    exports.release(world.user("director"), what="insights.dashboard", fmt="csv")
    audit.record(
        actor=world.user("bht"),
        action=Action.VIEW,
        object_type="people.personserved",
        object_id="x",
        outcome=Outcome.DENIED,
    )
    audit.record(
        actor=world.user("clinician"),
        action=Action.VIEW,
        object_type="recovery.encounter",
        object_id="part2-disclosure",
        category=Category.SUBSTANCE_USE,
        detail={"disclosure": "consent"},
    )
    _world_consent(world)

    assert _totals(elsewhere.staff["privacy"]) == dict.fromkeys(COUNTED, 0)
    assert _totals(world.staff["privacy"]) == dict.fromkeys(COUNTED, 1)


COUNTED = ("Exports", "Denied reads", "Part 2 disclosures under a consent", "Consents signed")


def _totals(officer: Staff) -> dict[str, int]:
    """The privacy dashboard's CSV totals of the counted rows, as the officer downloads it."""
    response = client_of(officer).get("/insights/privacy.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = {row[0]: row for row in csv.reader(io.StringIO(body)) if row}
    return {label: int(rows[label][-2]) for label in COUNTED}


def test_a_small_team_is_hidden_whatever_another_organization_answered(
    world: World, elsewhere: Elsewhere
) -> None:
    """Small-cell suppression counts each organization apart: two answers in the first
    organization stay hidden, in its team and in its whole-organization line, beside five in
    the second; nor do the two swell the second organization's line."""
    instrument = CheckInInstrument.objects.get(code="cbi-work-client")
    supervisor = elsewhere.staff["supervisor"]
    theirs = [
        StaffFactory.create(
            username=f"elsewhere-bht-{n}", roles=["bht"], units=[elsewhere.unit],
            supervisor=supervisor,
        )
        for n in range(5)
    ]  # fmt: skip
    last_quarter = quarter_of(quarter_of(clock.organization_today()).start - timedelta(days=1))
    moment = datetime.combine(last_quarter.start + timedelta(days=10), datetime.min.time())
    with time_machine.travel(moment.replace(tzinfo=clock.now().tzinfo), tick=False):
        for user in [world.user("bht"), world.user("peer"), *(s.user for s in theirs)]:
            wellbeing_services.answer_check_in(
                actor=user, instrument=instrument, answers={str(i): 50 for i in range(1, 14)}
            )

    for viewer in (world.user("supervisor"), world.user("director")):
        lines = team.build(viewer, clock.now()).wellbeing
        assert lines, viewer
        assert all(line.text.startswith("Hidden") for line in lines), viewer
        assert not any(line.means for line in lines), viewer
    whole = team.build(elsewhere.staff["director"].user, clock.now()).wellbeing[-1]
    assert whole.text == "5 people, 5 check-ins"

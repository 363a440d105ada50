"""Staff wellbeing in the audit report (DESIGN.md rule 5: a staff member's own wellbeing
check-ins are theirs). The report and its CSV keep each wellbeing event's number, time, action
and outcome, and name neither the staff member it is about nor them as its actor; the chain
itself keeps every field."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pillars.audit import log
from pillars.audit.choices import Action, Category
from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.audit.verify import verify_database
from pillars.core import clock
from pillars.people.testing import World
from pillars.workforce.models.wellbeing import CheckIn, Invitation
from pillars.workforce.services import wellbeing as wellbeing_services

pytestmark = pytest.mark.django_db

REPORT = "/audit/report/"
CSV_URL = "/audit/report.csv"
ALL_50 = {f"q{n}": "50" for n in range(1, 14)}
# What the report shows instead of the staff member.
STAFF_MEMBER = "a staff member"


@pytest.fixture
def privacy(signed_in: Any) -> Client:
    return signed_in("privacy")


@pytest.fixture
def wellbeing_trail(world: World, signed_in: Any) -> dict[str, Any]:
    """A serious exposure of the BHT (recorded by the nurse who reported it), the invitation it
    raised, the BHT answering it on the web and reading their own page; and beside them a read
    of aggregates by the director and ordinary reads by the BHT and the nurse."""
    since = last_seq()
    bht = world.staff["bht"]
    wellbeing_services.record_exposure(
        bht.pk, "assault", clock.now(), world.person_a, world.user("nurse")
    )
    invitation = Invitation.objects.get(staff=bht)
    client = signed_in("bht")
    answered = client.post(
        reverse("workforce:invitation-answer", args=[invitation.public_id]), ALL_50
    )
    assert answered.status_code == 302, answered.content[:500]
    assert client.get(reverse("workforce:wellbeing-mine")).status_code == 200
    person = world.person_a
    assert person is not None
    own_ordinary = log.record(actor=world.user("bht"), action=Action.VIEW, object_type="test")
    aggregate = log.record(
        actor=world.user("director"),
        action=Action.VIEW,
        object_type="workforce.checkin",
        object_id="aggregate",
        category=Category.WELLBEING,
        detail={"level": "unit"},
    )
    ordinary = log.record(
        actor=world.user("nurse"),
        action=Action.VIEW,
        target=person,
        person_id=person.public_id,
        detail={"what": "record"},
    )
    wellbeing = list(
        AuditEvent.objects.filter(seq__gt=since, category=Category.WELLBEING)
        .exclude(pk=aggregate.pk)
        .order_by("seq")
    )
    return {
        "bht": bht,
        "check_in": CheckIn.objects.get(staff=bht),
        "invitation": invitation,
        "wellbeing": wellbeing,
        "ordinary": ordinary,
        "own_ordinary": own_ordinary,
        "aggregate": aggregate,
    }


def _identities(trail: dict[str, Any]) -> list[str]:
    bht = trail["bht"]
    return [
        bht.user.username,
        bht.display_name,
        str(bht.public_id),
        f"staff:{bht.pk}",
        str(trail["check_in"].public_id),
        str(trail["invitation"].public_id),
    ]


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    lines = [ln for ln in body.splitlines(keepends=True) if not ln.startswith(("# ", '"# '))]
    return list(csv.DictReader(io.StringIO("".join(lines))))


def test_the_trail_has_the_staff_members_own_wellbeing_events(
    wellbeing_trail: dict[str, Any],
) -> None:
    events = wellbeing_trail["wellbeing"]
    bht_user = wellbeing_trail["bht"].user
    # The check-in and the reads of one's own page are the BHT's own acts.
    assert {e.object_type for e in events if e.actor_id == bht_user.pk} >= {
        "workforce.checkin",
        "workforce.exposureevent",
    }
    assert any(e.object_type == "workforce.invitation" for e in events)


def test_the_report_names_no_one_in_wellbeing_events(
    privacy: Client, wellbeing_trail: dict[str, Any]
) -> None:
    response = privacy.get(REPORT, {"category": Category.WELLBEING})
    assert response.status_code == 200
    html = response.content.decode()
    for identity in _identities(wellbeing_trail):
        assert identity not in html, identity
    rows = {r.seq: r for r in privacy.get(REPORT).context["rows"]}
    for event in wellbeing_trail["wellbeing"]:
        row = rows[event.seq]
        # Kept: the number, the time, the action and the outcome.
        assert row.occurred_at == event.occurred_at
        assert row.action == event.action
        assert row.outcome == event.outcome
        assert row.category == Category.WELLBEING
        # Withheld: who, which record, from where, and the detail.
        if event.actor_id is not None:
            assert row.who == STAFF_MEMBER
        assert row.staff_name == ""
        assert row.object_id == ""
        assert row.ip == ""
        assert row.request_id == ""
        assert row.detail == {}
    assert STAFF_MEMBER in privacy.get(REPORT).content.decode()
    # Other events still name their actor.
    ordinary = rows[wellbeing_trail["ordinary"].seq]
    assert ordinary.who == "t-nurse"
    assert ordinary.staff_name == "T Nurse"


def test_the_csv_names_no_one_in_wellbeing_events(
    privacy: Client, wellbeing_trail: dict[str, Any]
) -> None:
    response = privacy.get(CSV_URL, {"category": Category.WELLBEING})
    rows = _csv(response)
    assert {r["seq"] for r in rows} == {
        str(e.seq) for e in [*wellbeing_trail["wellbeing"], wellbeing_trail["aggregate"]]
    }
    text = "\n".join(",".join(r.values()) for r in rows)
    for identity in _identities(wellbeing_trail):
        assert identity not in text, identity
    by_seq = {r["seq"]: r for r in _csv(privacy.get(CSV_URL))}
    ordinary = by_seq[str(wellbeing_trail["ordinary"].seq)]
    assert ordinary["sign_in_name"] == "t-nurse"
    assert ordinary["staff_name"] == "T Nurse"
    for event in wellbeing_trail["wellbeing"]:
        row = by_seq[str(event.seq)]
        assert row["action"] == event.action
        assert row["outcome"] == event.outcome
        assert row["occurred_at_utc"] == event.occurred_at.isoformat()
        if event.actor_id is not None:
            assert row["sign_in_name"] == STAFF_MEMBER


def test_the_staff_filter_does_not_find_a_staff_members_wellbeing_events(
    privacy: Client, wellbeing_trail: dict[str, Any]
) -> None:
    wellbeing = {e.seq for e in wellbeing_trail["wellbeing"]}
    for client_get in (
        lambda p: {r.seq for r in privacy.get(REPORT, p).context["rows"]},
        lambda p: {int(r["seq"]) for r in _csv(privacy.get(CSV_URL, p))},
    ):
        found = client_get({"staff": "t-bht"})
        assert not found & wellbeing
        assert wellbeing_trail["own_ordinary"].seq in found
        found = client_get({"staff": "t-nurse"})
        assert not found & wellbeing
        assert wellbeing_trail["ordinary"].seq in found


def test_no_id_searched_as_a_person_finds_a_wellbeing_event_by_its_detail(
    privacy: Client, wellbeing_trail: dict[str, Any], world: World
) -> None:
    # The exposure's detail names the record it came from; searching that id finds nothing.
    person = world.person_a
    assert person is not None
    seqs = {r.seq for r in privacy.get(REPORT, {"person": str(person.public_id)}).context["rows"]}
    assert not seqs & {e.seq for e in wellbeing_trail["wellbeing"]}


@pytest.mark.parametrize("sort", ["who", "-who"])
def test_sorting_by_who_uses_what_is_shown(
    privacy: Client, wellbeing_trail: dict[str, Any], sort: str
) -> None:
    rows = privacy.get(REPORT, {"sort": sort}).context["rows"]
    own = {e.seq for e in wellbeing_trail["wellbeing"] if e.actor_id is not None}
    assert {r.who for r in rows if r.seq in own} == {STAFF_MEMBER}
    # Sorted by "a staff member", not by the sign-in name: nothing places the rows among the
    # staff member's other events.
    shown = ["" if r.who == "(nobody signed in)" else r.who for r in rows]
    assert shown == sorted(shown, reverse=sort.startswith("-"))


@pytest.mark.parametrize("sort", ["ip", "-ip"])
def test_sorting_by_address_uses_what_is_shown(
    privacy: Client, wellbeing_trail: dict[str, Any], sort: str
) -> None:
    rows = privacy.get(REPORT, {"sort": sort}).context["rows"]
    shown = [r.ip for r in rows]
    blank = [i for i, ip in enumerate(shown) if not ip]
    # Rows without an address stand together (first or last, as the database sorts nulls).
    assert blank == list(range(blank[0], blank[0] + len(blank)))
    given = [ip for ip in shown if ip]
    assert given == sorted(given, reverse=sort.startswith("-"))
    own = {e.seq for e in wellbeing_trail["wellbeing"] if e.actor_id is not None}
    assert all(not r.ip for r in rows if r.seq in own)


def test_sorting_by_what_uses_what_is_shown(
    privacy: Client, wellbeing_trail: dict[str, Any]
) -> None:
    rows = privacy.get(REPORT, {"sort": "what"}).context["rows"]
    check_ins = [r for r in rows if r.object_type == "workforce.checkin"]
    withheld = [i for i, r in enumerate(check_ins) if r.object_id == ""]
    aggregate = [i for i, r in enumerate(check_ins) if r.object_id == "aggregate"]
    assert withheld
    assert aggregate
    # The withheld record ids sort as blank: first within their kind of record.
    assert max(withheld) < min(aggregate)


def test_a_read_of_aggregates_still_names_its_reader(
    privacy: Client, wellbeing_trail: dict[str, Any]
) -> None:
    rows = {r.seq: r for r in privacy.get(REPORT).context["rows"]}
    row = rows[wellbeing_trail["aggregate"].seq]
    assert row.who == "t-director"
    assert row.object_id == "aggregate"


def test_the_chain_keeps_every_field(privacy: Client, wellbeing_trail: dict[str, Any]) -> None:
    privacy.get(REPORT)
    check_in = next(e for e in wellbeing_trail["wellbeing"] if e.object_type == "workforce.checkin")
    stored = AuditEvent.objects.get(seq=check_in.seq)
    assert stored.actor_id == wellbeing_trail["bht"].user.pk
    assert stored.actor_label == "t-bht"
    assert verify_database()[0] is None


def test_an_emergency_access_review_leaves_out_the_staff_members_wellbeing(
    world: World, wellbeing_trail: dict[str, Any]
) -> None:
    from datetime import timedelta

    from pillars.people import selectors as people_selectors
    from pillars.people.models import EmergencyAccess

    events = list(AuditEvent.objects.filter(actor=wellbeing_trail["bht"].user).order_by("seq"))
    grant = EmergencyAccess.objects.create(
        staff=wellbeing_trail["bht"],
        person=world.person_a,
        reason="Collapsed in the lobby",
        started_at=events[0].occurred_at - timedelta(minutes=1),
        expires_at=events[-1].occurred_at + timedelta(minutes=1),
    )
    shown = list(people_selectors.events_during(grant))
    assert wellbeing_trail["own_ordinary"] in shown
    assert not [e for e in shown if e.category == Category.WELLBEING]

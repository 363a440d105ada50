"""People pages: who gets each page, what the forms do, and query budgets on the lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock
from pillars.core.errors import Conflict
from pillars.people import services
from pillars.people.models import CaseloadAssignment, Episode, PersonServed, Placement, Staff
from pillars.people.testing import World, make_person, place

ROLES = ["bht", "nurse", "clinician", "peer", "supervisor", "director", "privacy", "admin"]
EVERYONE = [*ROLES, "outsider"]
NAMES = ("Rivera", "Okafor")


def url(name: str, *args: Any) -> str:
    return reverse(f"people:{name}", args=args)


def pages(world: World) -> dict[str, tuple[str, dict[str, int]]]:
    """Each page with the status every role gets (roles not named get ``default``)."""
    assert world.person_a is not None
    assert world.person_b is not None
    pa, pb = world.person_a.public_id, world.person_b.public_id
    nurse_staff = world.staff["nurse"].public_id
    outsider_staff = world.staff["outsider"].public_id
    care = dict.fromkeys(("bht", "nurse", "clinician", "peer", "supervisor", "director"), 200)
    writers = {"nurse": 200, "clinician": 200}
    return {
        "person list": (url("person-list"), {**care, "outsider": 200, "default": 403}),
        "person a": (
            url("person-detail", pa),
            {**care, "privacy": 403, "admin": 403, "outsider": 404},
        ),
        "person b": (
            url("person-detail", pb),
            {"director": 200, "outsider": 200, "privacy": 403, "default": 404},
        ),
        "person create": (url("person-create"), {**writers, "default": 403}),
        "person edit": (url("person-edit", pa), {**writers, "outsider": 404, "default": 403}),
        "person transfer": (
            url("person-transfer", pa),
            {**writers, "outsider": 404, "default": 403},
        ),
        "person discharge": (
            url("person-discharge", pa),
            {**writers, "outsider": 404, "default": 403},
        ),
        "unit list": (url("unit-list"), {"default": 200}),
        "unit a": (url("unit-detail", world.unit_a.public_id), {"outsider": 404, "default": 200}),
        "unit b": (
            url("unit-detail", world.unit_b.public_id),
            {"director": 200, "privacy": 200, "admin": 200, "outsider": 200, "default": 404},
        ),
        "staff list": (url("staff-list"), {"default": 200}),
        "staff nurse": (url("staff-detail", nurse_staff), {"outsider": 404, "default": 200}),
        "staff outsider": (
            url("staff-detail", outsider_staff),
            {"director": 200, "privacy": 200, "admin": 200, "outsider": 200, "default": 404},
        ),
        "staff create": (url("staff-create"), {"admin": 200, "default": 403}),
        "staff edit": (
            url("staff-edit", nurse_staff),
            {"admin": 200, "outsider": 404, "default": 403},
        ),
        "staff roles": (
            url("staff-roles", nurse_staff),
            {"admin": 200, "outsider": 404, "default": 403},
        ),
        "staff exit": (
            url("staff-exit", nurse_staff),
            {"admin": 200, "outsider": 404, "default": 403},
        ),
        "import": (url("import"), {"admin": 200, "default": 403}),
        "emergency": (url("emergency-start"), {**writers, "default": 403}),
        "reviews": (url("emergency-review-list"), {"privacy": 200, "default": 403}),
    }


@pytest.mark.parametrize("role", EVERYONE)
def test_every_page_answers_each_role_as_the_policy_says(
    world: World, signed_in: Any, role: str
) -> None:
    client = signed_in(role)
    for label, (address, statuses) in pages(world).items():
        expected = statuses.get(role, statuses.get("default"))
        response = client.get(address)
        assert response.status_code == expected, f"{label} as {role}: {response.status_code}"
        if expected != 200:
            body = response.content.decode()
            # A refusal never carries the record: no person served is named in it.
            assert not any(name in body for name in NAMES), f"{label} as {role} leaks a name"


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    client = Client()
    for address, _ in pages(world).values():
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))


def test_person_list_search_filter_and_htmx_partial(world: World, signed_in: Any) -> None:
    client = signed_in("director")
    response = client.get(url("person-list"), {"q": "riv"})
    body = response.content.decode()
    assert "Rivera" in body
    assert "Okafor" not in body
    assert "<html" in body
    response = client.get(url("person-list"), {"q": "MRN-B1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Okafor" in body
    assert "Rivera" not in body
    assert "<html" not in body  # the partial only
    response = client.get(url("person-list"), {"unit": str(world.unit_b.public_id)})
    body = response.content.decode()
    assert "Okafor" in body
    assert "Rivera" not in body
    assert "A100-A" in client.get(url("person-list")).content.decode()  # current bed shown


def test_person_list_read_is_audited_once_per_page(world: World, signed_in: Any) -> None:
    client = signed_in("bht")
    before = last_seq()
    client.get(url("person-list"))
    events = list(AuditEvent.objects.filter(seq__gt=before, action="view"))
    assert len(events) == 1
    assert events[0].detail["person_ids"] == [str(world.person_a.public_id)]


def _many_people(world: World, n: int) -> None:
    nurse = world.staff["nurse"]
    for i in range(n):
        place(make_person(f"MRN-X{i:03}", f"Family{i:03}"), world.unit_a, None, nurse)


@pytest.mark.parametrize("rows", [1, 40])
def test_person_list_query_budget(
    world: World, signed_in: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    _many_people(world, rows)
    client = signed_in("nurse")
    with django_assert_max_num_queries(15):
        response = client.get(url("person-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 40])
def test_unit_census_and_staff_list_query_budgets(
    world: World, signed_in: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    _many_people(world, rows)
    client = signed_in("nurse")
    with django_assert_max_num_queries(18):
        assert client.get(url("unit-detail", world.unit_a.public_id)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(url("unit-list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(url("staff-list")).status_code == 200


def test_person_detail_shows_history_caseload_and_actions(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    CaseloadAssignment.objects.create(
        staff=world.staff["peer"],
        person=world.person_a,
        kind="peer",
        started_on=clock.organization_today(),
    )
    body = signed_in("nurse").get(url("person-detail", world.person_a.public_id)).content.decode()
    assert "MRN-A1" in body
    assert "A100-A" in body
    assert "T Peer" in body
    assert url("person-transfer", world.person_a.public_id) in body
    assert "T Admin" not in body  # not offered for a caseload: no care role
    body = signed_in("bht").get(url("person-detail", world.person_a.public_id)).content.decode()
    assert url("person-transfer", world.person_a.public_id) not in body  # not the BHT's to do
    assert url("person-edit", world.person_a.public_id) not in body
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.person_id) == ("view", world.person_a.public_id)


def _free_place(world: World, bed_index: int = 2) -> str:
    return f"{world.unit_a.public_id}:{world.beds_a[bed_index].public_id}"


def test_register_and_admit(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    response = client.post(
        url("person-create"),
        {
            "record_number": "MRN-77",
            "legal_given_name": "Jordan",
            "legal_family_name": "Reyes",
            "pronouns": "they/them",
            "date_of_birth": "1999-04-01",
            "place": _free_place(world),
        },
    )
    person = PersonServed.objects.get(record_number="MRN-77")
    assert response.status_code == 302
    assert response["Location"] == url("person-detail", person.public_id)
    assert Placement.objects.current().get(episode__person=person).bed == world.beds_a[2]


def test_register_with_bad_input_shows_field_errors_and_stores_nothing(
    world: World, signed_in: Any
) -> None:
    client = signed_in("nurse")
    response = client.post(
        url("person-create"),
        {
            "record_number": "MRN-A1",  # taken: the service says so on the field
            "legal_given_name": "Jordan",
            "legal_family_name": "Reyes",
            "date_of_birth": (clock.organization_today() + timedelta(days=2)).isoformat(),
            "place": _free_place(world),
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "A person with this record number exists." in body
    assert "Date of birth cannot be in the future." in body
    assert not PersonServed.objects.filter(legal_family_name="Reyes").exists()
    response = client.post(url("person-create"), {"place": "not-a-choice"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_edit_person(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    client = signed_in("clinician")
    response = client.post(
        url("person-edit", world.person_a.public_id),
        {
            "record_number": "MRN-A1",
            "legal_given_name": "Alex",
            "legal_family_name": "Rivera",
            "preferred_name": "Lex",
            "pronouns": "",
            "date_of_birth": "1990-05-17",
        },
    )
    assert response.status_code == 302
    world.person_a.refresh_from_db()
    assert world.person_a.preferred_name == "Lex"


def test_transfer_within_unit_and_to_another_unit(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    client = signed_in("nurse")
    response = client.post(
        url("person-transfer", world.person_a.public_id),
        {"place": _free_place(world, 3), "reason": "quieter room"},
    )
    assert response["Location"] == url("person-detail", world.person_a.public_id)
    # Off to unit B: the nurse no longer sees the person and lands on the unit they left.
    response = client.post(
        url("person-transfer", world.person_a.public_id),
        {"place": f"{world.unit_b.public_id}:{world.beds_b[1].public_id}"},
    )
    assert response["Location"] == url("unit-detail", world.unit_a.public_id)
    current = Placement.objects.current().get(episode__person=world.person_a)
    assert current.unit == world.unit_b
    assert client.get(url("person-detail", world.person_a.public_id)).status_code == 404


def test_transfer_error_from_the_service_lands_on_the_field(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    too_early = (clock.now() - timedelta(days=5)).astimezone(
        __import__("zoneinfo").ZoneInfo("America/Chicago")
    )
    response = signed_in("nurse").post(
        url("person-transfer", world.person_a.public_id),
        {"place": _free_place(world, 3), "moved_at": too_early.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The transfer must be after the current placement began." in body
    assert Placement.objects.current().get(episode__person=world.person_a).bed == world.beds_a[0]


def test_discharge_and_readmit(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    services.assign_caseload(
        actor=world.user("clinician"),
        staff=world.staff["clinician"],
        person=world.person_a,
        kind="clinician",
    )
    client = signed_in("clinician")
    response = client.post(url("person-discharge", world.person_a.public_id), {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(
        url("person-discharge", world.person_a.public_id), {"disposition": "home"}
    )
    # Still on the clinician's caseload, so the record stays open to them.
    assert response["Location"] == url("person-detail", world.person_a.public_id)
    assert not Episode.objects.open().filter(person=world.person_a).exists()
    assert client.get(url("person-admit", world.person_a.public_id)).status_code == 200
    response = client.post(
        url("person-admit", world.person_a.public_id), {"place": _free_place(world)}
    )
    assert response.status_code == 302
    assert Episode.objects.open().filter(person=world.person_a).exists()


def test_caseload_assign_and_end(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    client = signed_in("supervisor")
    page = client.get(url("caseload-assign", world.person_a.public_id))
    assert page.status_code == 200
    assert world.staff["peer"].display_name in page.content.decode()
    response = client.post(
        url("caseload-assign", world.person_a.public_id),
        {"staff": str(world.staff["peer"].public_id), "kind": ""},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not CaseloadAssignment.objects.exists()
    response = client.post(
        url("caseload-assign", world.person_a.public_id),
        {"staff": str(world.staff["peer"].public_id), "kind": "peer"},
    )
    assert response.status_code == 302
    assignment = CaseloadAssignment.objects.get()
    response = client.post(url("caseload-end", assignment.public_id), {})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.ended_on == clock.organization_today()
    assert signed_in("bht").post(url("caseload-end", assignment.public_id)).status_code == 403
    assert signed_in("outsider").post(url("caseload-end", assignment.public_id)).status_code == 404


def test_unit_census_at_a_past_moment(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    address = url("unit-detail", world.unit_a.public_id)
    assert "Rivera" in client.get(address).content.decode()
    # Three days ago (the world admitted everyone two days ago) the unit was empty.
    zone = __import__("zoneinfo").ZoneInfo("America/Chicago")
    before = (clock.now() - timedelta(days=3)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    body = client.get(address, {"at": before}).content.decode()
    assert "Rivera" not in body
    assert "Census at" in body
    # 02:30 on the spring-forward day does not exist in Chicago.
    response = client.get(address, {"at": "2025-03-09T02:30"})
    assert response.status_code == 200
    assert "may not exist" in response.content.decode()
    assert "Census now" in response.content.decode()
    future = (clock.now() + timedelta(days=1)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    response = client.get(address, {"at": future})
    assert response.status_code == 200
    assert "already happened" in response.content.decode()


def test_census_without_names_for_roles_that_do_not_read_records(
    world: World, signed_in: Any
) -> None:
    body = signed_in("admin").get(url("unit-detail", world.unit_a.public_id)).content.decode()
    assert "Rivera" not in body
    assert "not their names" in body


def test_lived_experience_only_when_shared_and_always_to_oneself(
    world: World, signed_in: Any
) -> None:
    peer = world.staff["peer"]
    peer.lived_experience = ["recovery from opioid use"]
    peer.save()
    address = url("staff-detail", peer.public_id)
    assert "recovery from opioid use" not in signed_in("bht").get(address).content.decode()
    own = signed_in("peer").get(address).content.decode()
    assert "recovery from opioid use" in own
    assert "Only you can see this" in own
    response = signed_in("peer").post(
        url("staff-own-profile", peer.public_id),
        {
            "languages": "English, Spanish",
            "lived_experience": "recovery from opioid use",
            "shares_lived_experience": "on",
        },
    )
    assert response.status_code == 302
    assert "recovery from opioid use" in signed_in("bht").get(address).content.decode()
    assert signed_in("admin").get(url("staff-own-profile", peer.public_id)).status_code == 403


def test_employment_facts_only_for_admin_director_and_self(world: World, signed_in: Any) -> None:
    address = url("staff-detail", world.staff["peer"].public_id)
    assert "Hired" not in signed_in("bht").get(address).content.decode()
    assert "Hired" in signed_in("peer").get(address).content.decode()
    assert "Hired" in signed_in("director").get(address).content.decode()


def test_staff_search(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    body = client.get(url("staff-list"), {"q": "outsider"}, HTTP_HX_REQUEST="true").content
    assert b"T Outsider" in body
    assert b"T Nurse" not in body
    assert b"<html" not in body


def test_admin_creates_edits_changes_roles_and_exits_staff(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    response = client.post(
        url("staff-create"),
        {
            "username": "new-bht",
            "display_name": "New Bht",
            "roles": ["bht"],
            "hired_on": "2025-06-01",
            "home_units": [str(world.unit_a.public_id)],
            "languages": "English, Tagalog",
        },
    )
    assert response.status_code == 302
    staff = Staff.objects.get(user__username="new-bht")
    assert staff.languages == ["English", "Tagalog"]
    response = client.post(
        url("staff-create"),
        {
            "username": "new-bht",
            "display_name": "Again",
            "roles": ["bht"],
            "hired_on": "2025-06-01",
        },
    )
    assert response.status_code == 200
    assert "That sign-in name is taken." in response.content.decode()
    response = client.post(
        url("staff-edit", staff.public_id),
        {
            "display_name": "New BHT",
            "hired_on": "2025-06-01",
            "supervisor": str(world.staff["supervisor"].public_id),
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.supervisor == world.staff["supervisor"]
    response = client.post(url("staff-roles", staff.public_id), {"roles": ["bht", "peer"]})
    assert response.status_code == 302
    assert staff.role_codes() == ["bht", "peer"]
    response = client.post(
        url("staff-exit", staff.public_id),
        {"exited_on": clock.organization_today().isoformat(), "exit_reason": "resigned_pay"},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.exited_on == clock.organization_today()
    assert not staff.user.is_active


def test_staff_exit_bad_date_is_a_field_error(world: World, signed_in: Any) -> None:
    response = signed_in("admin").post(
        url("staff-exit", world.staff["bht"].public_id),
        {"exited_on": "2001-01-01", "exit_reason": "retired"},
    )
    assert response.status_code == 200
    assert "The exit date is before the hire date." in response.content.decode()
    world.staff["bht"].refresh_from_db()
    assert world.staff["bht"].exited_on is None


@pytest.mark.parametrize(
    ("role", "panel"),
    [
        ("bht", "Your units now"),
        ("nurse", "Admissions and discharges today"),
        ("peer", "Your caseload"),
        ("clinician", "Your caseload"),
        ("supervisor", "Your team"),
        ("director", "Census across the organization"),
        ("privacy", "Emergency access awaiting review"),
        ("admin", "Units, staff and reference data"),
    ],
)
def test_home_panels_by_role(world: World, signed_in: Any, role: str, panel: str) -> None:
    body = signed_in(role).get(reverse("core:home")).content.decode()
    assert panel in body


def test_team_panel_flags_a_peer_over_the_cap_in_text(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    for i in range(16):
        person = make_person(f"MRN-C{i:02}", f"Case{i:02}", dob=date(1980, 1, 1))
        place(person, world.unit_a, None, nurse)
        CaseloadAssignment.objects.create(
            staff=world.staff["peer"], person=person, kind="peer", started_on=date(2025, 1, 1)
        )
    body = signed_in("supervisor").get(reverse("core:home")).content.decode()
    assert "Over the 15-person cap for peers" in body


def test_nurse_panel_lists_todays_admission(world: World, signed_in: Any) -> None:
    person = make_person("MRN-T1", "Today")
    services.admit_person(person, actor=world.user("nurse"), unit=world.unit_a)
    body = signed_in("nurse").get(reverse("core:home")).content.decode()
    assert "Alex Today" in body


def test_a_conflict_is_a_message_and_nothing_is_stored(
    world: World, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.person_a is not None

    def clash(*args: Any, **kwargs: Any) -> None:
        raise Conflict("That bed was taken a moment ago; choose another.")

    monkeypatch.setattr(services, "transfer_person", clash)
    response = signed_in("nurse").post(
        url("person-transfer", world.person_a.public_id), {"place": _free_place(world, 3)}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "That bed was taken a moment ago; choose another. Nothing was saved." in body
    assert Placement.objects.current().get(episode__person=world.person_a).bed == world.beds_a[0]


def _past_episode(world: World, begin: datetime) -> Episode:
    """A five-day episode of person A, discharged home (its placements are the caller's)."""
    return Episode.objects.create(
        person=world.person_a,
        admitted_at=begin,
        admitted_by=world.staff["nurse"],
        recorded_at=begin,
        discharged_at=begin + timedelta(days=5),
        disposition="home",
    )


@pytest.mark.parametrize("history", [0, 8])
def test_person_detail_query_budget_does_not_grow_with_history(
    world: World, signed_in: Any, django_assert_max_num_queries: Any, history: int
) -> None:
    assert world.person_a is not None
    start = clock.now() - timedelta(days=400)
    for i in range(history):
        begin = start + timedelta(days=30 * i)
        episode = _past_episode(world, begin)
        Placement.objects.create(
            episode=episode, unit=world.unit_a, started_at=begin, ended_at=begin + timedelta(days=2)
        )
        Placement.objects.create(
            episode=episode,
            unit=world.unit_b,
            started_at=begin + timedelta(days=2),
            ended_at=begin + timedelta(days=5),
        )
        CaseloadAssignment.objects.create(
            staff=world.staff["peer"],
            person=world.person_a,
            kind="peer",
            started_on=begin.date(),
            ended_on=(begin + timedelta(days=5)).date(),
        )
    client = signed_in("nurse")
    # A fixed budget whatever the history: the record, its placements (with their episodes) and
    # caseload, the audited read, the sections other apps add (the observation level) and the
    # alert badge's count (17 when this was written).
    with django_assert_max_num_queries(20):
        response = client.get(url("person-detail", world.person_a.public_id))
    assert response.status_code == 200


def test_person_detail_lists_episodes_newest_first_with_their_placements(
    world: World, signed_in: Any
) -> None:
    # One read of the placements names every episode: each is shown once, the newest first,
    # with its placements in the order they began (a transfer: the first unit, then the next).
    assert world.person_a is not None
    begin = clock.now() - timedelta(days=100)
    episode = _past_episode(world, begin)
    for unit, days, reason in ((world.unit_b, 2, "later unit"), (world.unit_a, 0, "first unit")):
        Placement.objects.create(
            episode=episode,
            unit=unit,
            started_at=begin + timedelta(days=days),
            ended_at=begin + timedelta(days=days + (3 if days else 2)),
            reason=reason,
        )
    body = signed_in("nurse").get(url("person-detail", world.person_a.public_id)).content.decode()
    history = body[body.index('id="h-episodes"') :]
    assert history.count("<table>") == 2
    assert history.index("Open") < history.index("Discharged")
    assert history.index("first unit") < history.index("later unit")
    assert history.index("Discharged") < history.index("first unit")
    assert world.beds_a[0].label in history[: history.index("Discharged")]


def test_person_detail_reads_the_person_with_their_placements(world: World, signed_in: Any) -> None:
    """The person comes with their placements, in one statement: no read of the person alone
    when they were ever placed. A person never placed is read alone, and their page opens,
    in scope through a caseload, with no episodes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in("nurse")
    page = url("person-detail", world.person_a.public_id)
    client.get(page)  # the reads are kept after their first run
    with CaptureQueriesContext(connection) as queries:
        body = client.get(page).content.decode()
    assert world.person_a.legal_family_name in body
    reads = [q["sql"] for q in queries if '"people_personserved"' in q["sql"]]
    alone = [sql for sql in reads if 'FROM "people_personserved"' in sql]
    with_placements = [sql for sql in reads if 'FROM "people_placement"' in sql]
    assert alone == [], alone
    assert len(with_placements) == 1, reads

    never = make_person("MRN-NEVER", "Neverplaced")
    CaseloadAssignment.objects.create(
        staff=world.staff["peer"], person=never, kind="peer", started_on=clock.organization_today()
    )
    response = signed_in("peer").get(url("person-detail", never.public_id))
    assert response.status_code == 200
    assert "Neverplaced" in response.content.decode()
    assert client.get(url("person-detail", "00000000-0000-4000-8000-000000000000")).status_code == (
        404
    )

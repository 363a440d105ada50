"""Peer matching: only shared attributes are used or shown, withdrawal at once, caseload limits
(15 by default, per program), the person's choice through the caseload service (rechecked at
choosing time), who may do what, the pages and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.people.models import CaseloadAssignment, PersonServed, Staff
from pillars.people.testing import World, make_person, make_staff, place
from pillars.recovery.models.matching import (
    CaseloadLimit,
    MatchRequest,
    MatchStatus,
    PeerProfile,
)
from pillars.recovery.selectors import matching as selectors
from pillars.recovery.services import matching as services

pytestmark = pytest.mark.django_db

SECRET_INTRO = "Ask me about the lighthouse years"


def peer(world: World, name: str, **shared: Any) -> Staff:
    """A peer on unit A with a profile sharing exactly the attributes given (values included)."""
    staff = make_staff(name, [RoleCode.PEER], [world.unit_a])
    services.save_peer_profile(
        staff, actor=staff.user, values=shared, shares=list(shared), is_accepting=True
    )
    return staff


def fill_caseload(staff: Staff, count: int) -> None:
    start = CaseloadAssignment.objects.filter(staff=staff).count()
    for n in range(start, start + count):
        person = make_person(f"MRN-{staff.pk}-{n}", f"Filler{n}")
        CaseloadAssignment.objects.create(
            staff=staff, person=person, kind="peer", started_on=clock.organization_today()
        )


def open_request(world: World, role: str = "nurse", **prefs: Any) -> MatchRequest:
    return services.open_match_request(world.person_a, actor=world.user(role), preferences=prefs)


def offered_names(request: MatchRequest) -> list[str]:
    return [o.peer.display_name for o in selectors.offered_peers(request)]


# --- Only what is shared ------------------------------------------------------------------------


def test_unshared_attribute_changes_neither_rank_nor_reasons(world: World) -> None:
    # Two peers identical in what they share; one also holds Spanish and opioid experience
    # and an intro, none of it shared.
    quiet = peer(world, "t-quiet", languages=["English"])
    services.save_peer_profile(
        quiet,
        actor=quiet.user,
        values={
            "languages": ["English", "Spanish"],
            "lived_experience": ["opioids"],
            "intro": SECRET_INTRO,
            "age_band": "26-35",
        },
        shares=[],
    )
    plain = peer(world, "t-plain")
    request = open_request(world, languages=["Spanish"], lived_experience=["opioids"])
    offered = selectors.offered_peers(request)
    by_name = {o.peer.display_name: o for o in offered}
    assert set(by_name) == {"T Quiet", "T Plain"}
    assert by_name["T Quiet"].reasons == by_name["T Plain"].reasons == []
    assert by_name["T Quiet"].shared == {}
    # The same ranking as if the unshared values were not there at all: by room, then name.
    assert [o.peer for o in offered] == [plain, quiet]
    # The pure rule agrees: scoring reads only what shared() gives.
    profile = PeerProfile.objects.get(staff=quiet)
    assert services.score(request.preferences, profile.shared()) == (0, [])


def test_unshared_values_never_appear_in_pages_or_json(world: World, signed_in: Any) -> None:
    quiet = make_staff("t-quiet", [RoleCode.PEER], [world.unit_a])
    services.save_peer_profile(
        quiet,
        actor=quiet.user,
        values={"languages": ["Tagalog"], "intro": SECRET_INTRO, "gender": "nonbinary"},
        shares=["gender"],
    )
    request = open_request(world)
    page = signed_in("nurse").get(reverse("recovery:match-request", args=[request.public_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "T Quiet" in body
    assert "Nonbinary" in body
    assert "Tagalog" not in body
    assert SECRET_INTRO not in body
    answer = api_as(world.user("nurse")).get(f"/peer-requests/{request.public_id}")
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Nonbinary" in text
    assert "Tagalog" not in text
    assert SECRET_INTRO not in text


def test_reasons_explain_each_shared_match(world: World) -> None:
    peer(
        world,
        "t-match",
        languages=["Spanish"],
        lived_experience=["opioids", "veteran"],
        recovery_pathway="medication",
    )
    peer(world, "t-other", languages=["English"])
    request = open_request(
        world,
        languages=["spanish"],
        lived_experience=["opioids", "veteran"],
        recovery_pathway="medication",
    )
    first, second = selectors.offered_peers(request)
    assert first.peer.display_name == "T Match"
    assert first.reasons == [
        "Shares: Spanish",
        "Also in recovery from opioid use",
        "Also has lived experience of military service",
        "Same recovery pathway: Medication-supported recovery",
    ]
    assert second.reasons == []
    assert request.status == MatchStatus.OFFERED


def test_withdrawal_takes_effect_at_once_and_is_audited(world: World) -> None:
    spanish = peer(world, "t-spanish", languages=["Spanish"])
    request = open_request(world, languages=["Spanish"])
    assert selectors.offered_peers(request)[0].reasons == ["Shares: Spanish"]
    profile = services.withdraw_attribute(
        spanish.peer_profile, actor=spanish.user, attribute="languages"
    )
    assert profile.shared() == {}
    # The offer already made no longer shows or uses it.
    offered = selectors.offered_peers(request)
    assert offered[0].reasons == []
    assert offered[0].shared == {}
    event = AuditEvent.objects.filter(object_id=str(profile.public_id)).order_by("-seq").first()
    assert event is not None
    assert event.detail["event"] == "withdraw"
    assert "Spanish" not in str(event.detail)
    with pytest.raises(ValidationError):
        services.withdraw_attribute(profile, actor=spanish.user, attribute="languages")


def test_only_the_peer_changes_their_profile(world: World) -> None:
    spanish = peer(world, "t-spanish", languages=["Spanish"])
    with pytest.raises((PermissionDenied, Http404)):
        services.withdraw_attribute(
            spanish.peer_profile, actor=world.user("peer"), attribute="languages"
        )
    with pytest.raises((PermissionDenied, Http404)):
        services.save_peer_profile(spanish, actor=world.user("supervisor"), values={}, shares=[])
    with pytest.raises(ValidationError):
        services.save_peer_profile(
            spanish, actor=spanish.user, values={"gender": "dragon"}, shares=["gender"]
        )
    assert PeerProfile.objects.get(staff=spanish).gender == ""


# --- Caseload room ------------------------------------------------------------------------------


def test_default_limit_is_shipped_and_a_full_peer_is_not_offered(world: World) -> None:
    assert CaseloadLimit.objects.get(program__isnull=True).max_persons == 15
    full = peer(world, "t-full", languages=["Spanish"])
    fill_caseload(full, 15)
    assert selectors.caseload_room(full, clock.organization_today()) == 0
    request = open_request(world, languages=["Spanish"])
    assert "T Full" not in offered_names(request)
    assert request.status == MatchStatus.OPEN
    # At 14 there is room again.
    CaseloadAssignment.objects.filter(staff=full).first().delete()  # type: ignore[union-attr]
    services.refresh_candidates(request, actor=world.user("nurse"))
    request.refresh_from_db()
    assert offered_names(request) == ["T Full"]
    assert request.status == MatchStatus.OFFERED


def test_a_program_limit_is_stricter_than_the_default(world: World) -> None:
    small = peer(world, "t-small", languages=["Spanish"])
    small.programs.add(world.program)
    CaseloadLimit.objects.create(program=world.program, max_persons=2)
    fill_caseload(small, 2)
    assert selectors.caseload_limit_for(small) == 2
    assert "T Small" not in offered_names(open_request(world, languages=["Spanish"]))


def test_limits_of_many_peers_are_read_at_once_with_the_same_answers(
    world: World, django_assert_max_num_queries: Any
) -> None:
    """``caseload_limits_for`` answers as ``caseload_limit_for`` does, peer by peer, in two
    queries however many peers (the caseload balance and team pages list them all)."""
    from pillars.people.models import Program

    other = Program.objects.create(organization=world.program.organization, name="Outreach")
    CaseloadLimit.objects.create(program=world.program, max_persons=4)
    CaseloadLimit.objects.create(program=other, max_persons=6)
    plain = peer(world, "t-plain")
    one = peer(world, "t-one")
    one.programs.add(other)
    both = peer(world, "t-both")
    both.programs.add(world.program, other)
    peers = [plain, one, both, *[peer(world, f"t-more-{i}") for i in range(5)]]
    with django_assert_max_num_queries(2):
        limits = selectors.caseload_limits_for(peers)
    assert limits == {p.pk: selectors.caseload_limit_for(p) for p in peers}
    assert (limits[plain.pk], limits[one.pk], limits[both.pk]) == (15, 6, 4)


def test_choice_puts_the_person_on_the_peer_caseload(world: World) -> None:
    chosen = peer(world, "t-chosen", languages=["Spanish"])
    request = open_request(world, "peer", languages=["Spanish"])
    with pytest.raises(ValidationError):
        services.choose_peer(
            request, actor=world.user("nurse"), peer=chosen, chosen_by_person=False
        )
    with pytest.raises(ValidationError):
        services.choose_peer(
            request, actor=world.user("nurse"), peer=world.staff["bht"], chosen_by_person=True
        )
    done = services.choose_peer(
        request, actor=world.user("nurse"), peer=chosen, chosen_by_person=True
    )
    assert done.status == MatchStatus.CHOSEN
    assert done.chosen_peer == chosen
    assert done.choice_recorded_by == world.staff["nurse"]
    assert done.chosen_by_person
    assignment = CaseloadAssignment.objects.get(staff=chosen, person=world.person_a)
    assert done.assignment == assignment
    assert assignment.kind == "peer"
    event = AuditEvent.objects.filter(object_id=str(done.public_id)).order_by("-seq").first()
    assert event is not None
    assert event.detail["event"] == "chosen"
    with pytest.raises(ValidationError):
        services.choose_peer(done, actor=world.user("nurse"), peer=chosen, chosen_by_person=True)


def test_room_is_checked_again_when_the_person_chooses(world: World) -> None:
    busy = peer(world, "t-busy", languages=["Spanish"])
    fill_caseload(busy, 14)
    request = open_request(world, languages=["Spanish"])
    assert offered_names(request) == ["T Busy"]
    # Someone else's choice filled the last place between the offer and this choice.
    fill_caseload(busy, 1)
    with pytest.raises(Conflict):
        services.choose_peer(request, actor=world.user("nurse"), peer=busy, chosen_by_person=True)
    request.refresh_from_db()
    assert request.status == MatchStatus.OFFERED
    assert not CaseloadAssignment.objects.filter(staff=busy, person=world.person_a).exists()
    assert selectors.offered_peers(request)[0].is_available is False


def test_who_may_request_and_choose(world: World) -> None:
    with pytest.raises(PermissionDenied):
        open_request(world, "bht")
    request = open_request(world, "peer")
    with pytest.raises(ValidationError):
        open_request(world, "clinician")  # one request in progress at a time
    with pytest.raises(PermissionDenied):
        services.choose_peer(
            request, actor=world.user("bht"), peer=world.staff["peer"], chosen_by_person=True
        )
    with pytest.raises(Http404):
        services.cancel_match_request(request, actor=world.user("outsider"), reason="x")
    with pytest.raises(ValidationError):
        services.cancel_match_request(request, actor=world.user("peer"), reason=" ")
    done = services.cancel_match_request(request, actor=world.user("peer"), reason="Moved away")
    assert done.status == MatchStatus.CANCELLED
    assert MatchRequest.objects.filter(pk=request.pk, status="cancelled").exists()


# --- Pages and API ------------------------------------------------------------------------------


def test_pages_request_offer_and_choose(world: World, signed_in: Any) -> None:
    chosen = peer(world, "t-chosen", languages=["Spanish"], intro="Twelve years in recovery")
    nurse = signed_in("nurse")
    url = reverse("recovery:match-request-new", args=[world.person_a.public_id])
    assert nurse.get(url).status_code == 200
    made = nurse.post(url, {"languages": "Spanish", "note": "Evenings are best"})
    assert made.status_code == 302
    request = MatchRequest.objects.get(person=world.person_a)
    page = nurse.get(made["Location"])
    assert b"Shares: Spanish" in page.content
    assert b"Twelve years in recovery" in page.content
    person_page = nurse.get(reverse("people:person-detail", args=[world.person_a.public_id]))
    assert b"Connect to a peer" in person_page.content
    assert nurse.get(reverse("recovery:match-list")).content.count(b"Rivera") >= 1
    choose = reverse("recovery:match-choose", args=[request.public_id])
    nurse.post(choose, {"peer": str(chosen.public_id), "chosen_by_person": "on"})
    request.refresh_from_db()
    assert request.status == MatchStatus.CHOSEN
    assert request.chosen_peer == chosen


def test_the_person_page_says_where_the_peer_request_stands(world: World, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    person_url = reverse("people:person-detail", args=[world.person_a.public_id])
    new_url = reverse("recovery:match-request-new", args=[world.person_a.public_id])
    body = nurse.get(person_url).content.decode()
    assert "No request for a peer." in body
    assert f'href="{new_url}">Request a peer</a>' in body
    chosen = peer(world, "t-chosen", languages=["Spanish"])
    request = open_request(world, languages=["Spanish"])
    body = nurse.get(person_url).content.decode()
    assert f"A request is {request.get_status_display().lower()}." in body
    request_url = reverse("recovery:match-request", args=[request.public_id])
    assert f'<a href="{request_url}">Open the request</a>' in body
    done = services.choose_peer(
        request, actor=world.user("nurse"), peer=chosen, chosen_by_person=True
    )
    assert done.chosen_at is not None
    body = nurse.get(person_url).content.decode()
    assert f"Chose T Chosen on {done.chosen_at:%Y-%m-%d}." in body
    assert "A request is" not in body


def test_profile_page_shares_and_withdraws(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    url = reverse("recovery:peer-profile")
    saved = client.post(
        url,
        {
            "is_accepting": "on",
            "languages": "English, Spanish",
            "share_languages": "on",
            "intro": "Kept to myself",
        },
    )
    assert saved.status_code == 302
    profile = PeerProfile.objects.get(staff=world.staff["peer"])
    assert profile.shared() == {"languages": ["English", "Spanish"]}
    page = client.get(url)
    assert b"Stop sharing languages" in page.content
    client.post(reverse("recovery:peer-profile-withdraw"), {"attribute": "languages"})
    profile.refresh_from_db()
    assert profile.shared() == {}
    assert signed_in("nurse").get(url).status_code == 403


def test_api_open_choose_and_profile(world: World) -> None:
    chosen = peer(world, "t-chosen", languages=["Spanish"])
    other = make_person("MRN-A2", "Nakamura")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    api = api_as(world.user("clinician"))
    made = api.post(
        f"/persons/{other.public_id}/peer-requests",
        {"preferences": {"languages": ["Spanish"]}, "note": ""},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["offered"][0]["reasons"] == ["Shares: Spanish"]
    bad = api.post(f"/peer-requests/{body['public_id']}/choose", {"peer": str(chosen.public_id)})
    assert bad.status_code == 422
    done = api.post(
        f"/peer-requests/{body['public_id']}/choose",
        {"peer": str(chosen.public_id), "chosen_by_person": True},
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "chosen"
    assert CaseloadAssignment.objects.filter(staff=chosen, person=other).exists()
    mine = api_as(chosen.user)
    assert mine.get("/peer-profile").json()["shared"] == ["languages"]
    assert mine.post("/peer-profile/withdraw", {"attribute": "languages"}).json()["shared"] == []
    assert api.get("/peer-profile").status_code == 403


def test_requests_of_a_person_out_of_scope_are_not_found(world: World) -> None:
    other = PersonServed.objects.get(pk=world.person_b.pk)
    with pytest.raises(Http404):
        services.open_match_request(other, actor=world.user("nurse"), preferences={})
    request = open_request(world)
    with pytest.raises(Http404):
        selectors.get_request_for(world.user("outsider"), request.public_id, what="test")
    assert list(selectors.requests_visible_to(world.user("outsider"))) == []


def test_a_peer_working_with_the_person_records_the_choice(world: World) -> None:
    """Peers may not assign caseloads in general (people.assign_caseload), yet the person's
    choice recorded by their peer puts them on the chosen peer's caseload: the recovery rule
    decides, once, and the assignment carries the people app's audit shape."""
    chosen = peer(world, "t-peerpick", languages=["Spanish"])
    request = open_request(world, "peer", languages=["Spanish"])
    assert not policy.can(world.user("peer"), "people.assign_caseload", world.person_a)
    assert policy.can(world.user("peer"), "recovery.record_peer_choice", request)
    assert not policy.can(world.user("outsider"), "recovery.record_peer_choice", request)
    done = services.choose_peer(
        request, actor=world.user("peer"), peer=chosen, chosen_by_person=True
    )
    assert done.status == MatchStatus.CHOSEN
    assert done.choice_recorded_by == world.staff["peer"]
    assignment = CaseloadAssignment.objects.get(staff=chosen, person=world.person_a)
    assert done.assignment == assignment
    event = AuditEvent.objects.get(object_id=str(assignment.public_id), action="create")
    assert event.actor == world.user("peer")
    assert event.person_id == world.person_a.public_id
    assert event.detail["via"] == "recovery.record_peer_choice"

"""Rule profiles: a unit's director (or an administrator) chooses the unit's profile; an
administrator changes a profile's limits, which makes its next version, and episodes already
started keep theirs. Bad limits are refused with nothing stored. Service, pages and API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import EpisodeKind, RestraintEpisode, RuleProfile, UnitRuleProfile
from pillars.incidents.services import restraint as svc
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def _cms() -> RuleProfile:
    return RuleProfile.objects.get(code="cms-hospital", is_current=True)


def _start(world: World) -> RestraintEpisode:
    return svc.start_episode(
        world.person_a,
        actor=world.user("nurse"),
        ordered_by=world.staff["clinician"],
        kind=EpisodeKind.SECLUSION,
        reason="Hit a peer",
        release_criteria="Calm",
        started_at=clock.now() - timedelta(minutes=10),
        late_reason="Entered after the hold",
    )


# --- Choosing a unit's profile ---------------------------------------------------------------


def test_director_chooses_for_the_unit_they_lead_only(world: World) -> None:
    row = svc.choose_unit_profile(world.unit_a, actor=world.user("director"), code="state-strict")
    assert (row.profile_code, row.chosen_by) == ("state-strict", world.staff["director"])
    assert svc.profile_for_unit(world.unit_a).code == "state-strict"
    event = AuditEvent.objects.get(object_id=str(row.public_id))
    assert event.detail["changes"]["profile"] == {"old": None, "new": "state-strict"}
    with pytest.raises(PermissionDenied):
        svc.choose_unit_profile(world.unit_b, actor=world.user("director"), code="prtf")
    with pytest.raises(PermissionDenied):
        svc.choose_unit_profile(world.unit_a, actor=world.user("nurse"), code="prtf")
    # The administrator chooses for any unit; the old choice is kept, retired.
    svc.choose_unit_profile(world.unit_b, actor=world.user("admin"), code="prtf")
    svc.choose_unit_profile(world.unit_a, actor=world.user("admin"), code="prtf")
    rows = UnitRuleProfile.objects.filter(unit=world.unit_a)
    assert sorted((r.profile_code, r.is_current) for r in rows) == [
        ("prtf", True),
        ("state-strict", False),
    ]


def test_choosing_an_unknown_or_the_same_profile_is_refused(world: World) -> None:
    director = world.user("director")
    with pytest.raises(ValidationError) as error:
        svc.choose_unit_profile(world.unit_a, actor=director, code="no-such")
    assert "code" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        svc.choose_unit_profile(world.unit_a, actor=director, code="cms-hospital")
    assert "already follows" in error.value.message_dict["code"][0]
    assert UnitRuleProfile.objects.count() == 0


# --- Changing a profile's limits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"monitoring_minutes": 0}, "monitoring_minutes"),
        ({"face_to_face_minutes": 90}, "face_to_face_minutes"),
        ({"adult_limit_minutes": 300}, "adult_limit_minutes"),
        ({"renewal_cap_minutes": 2000}, "renewal_cap_minutes"),
        ({"renewal_cap_minutes": 120}, "renewal_cap_minutes"),
        ({"young_child_limit_minutes": 60, "child_limit_minutes": 30}, "child_limit_minutes"),
        ({"adult_age": 9}, "adult_age"),
        ({"child_age": 0}, "child_age"),
        ({"adult_age": 30}, "adult_age"),
        ({"hold_max_minutes": 0}, "hold_max_minutes"),
        ({"hold_max_minutes": 300}, "hold_max_minutes"),
        ({"mechanical_adult_total_minutes": 0}, "mechanical_adult_total_minutes"),
        ({"name": "  "}, "name"),
        ({"monitoring_minutes": True}, "monitoring_minutes"),
    ],
)
def test_bad_limits_are_refused_and_nothing_is_stored(
    world: World, changes: dict[str, Any], field: str
) -> None:
    before = RuleProfile.objects.count()
    with pytest.raises(ValidationError) as error:
        svc.change_profile(_cms(), actor=world.user("admin"), **changes)
    assert field in error.value.message_dict
    assert RuleProfile.objects.count() == before
    assert _cms().version == 1


def test_stricter_limits_make_a_new_version_and_old_episodes_keep_theirs(world: World) -> None:
    episode = _start(world)
    old = _cms()
    new = svc.change_profile(
        old,
        actor=world.user("admin"),
        monitoring_minutes=10,
        renewal_cap_minutes=240,
        hold_max_minutes=15,
    )
    assert (new.version, new.monitoring_minutes, new.is_current) == (2, 10, True)
    old.refresh_from_db()
    assert not old.is_current
    loaded = svc.load_episode(episode.pk)
    assert (loaded.profile_id, loaded.profile.monitoring_minutes) == (old.pk, 15)
    assert loaded.monitoring_due_at() == loaded.started_at + timedelta(minutes=15)
    svc.release_episode(episode, actor=world.user("nurse"), reason="Calm")
    later = _start(world)
    assert later.profile_id == new.pk
    assert later.monitoring_due_at() == later.started_at + timedelta(minutes=10)
    # The retired version cannot be changed again: a conflict, not a third version.
    from pillars.core.errors import Conflict

    with pytest.raises(Conflict):
        svc.change_profile(old, actor=world.user("admin"), monitoring_minutes=5)
    with pytest.raises(PermissionDenied):
        svc.change_profile(new, actor=world.user("director"), monitoring_minutes=5)


# --- Pages -----------------------------------------------------------------------------------


def test_profiles_page_lets_the_director_choose_for_their_unit(
    world: World, signed_in: Any
) -> None:
    director = signed_in("director")
    url = reverse("incidents:restraint-profiles")
    body = director.get(url).content.decode()
    assert "Units and their profiles" in body
    choose_a = reverse("incidents:restraint-unit-profile", args=[world.unit_a.public_id])
    choose_b = reverse("incidents:restraint-unit-profile", args=[world.unit_b.public_id])
    assert choose_a in body and choose_b not in body  # noqa: PT018
    assert "Change the limits" not in body
    # A bad choice: the page again with the error, nothing stored.
    refused = director.post(choose_a, {"code": "cms-hospital"})
    assert refused.status_code == 200
    assert "already follows this profile" in refused.content.decode()
    assert director.post(choose_a, {"code": "nope"}).status_code == 200
    assert UnitRuleProfile.objects.count() == 0
    assert director.post(choose_b, {"code": "prtf"}).status_code == 403
    done = director.post(choose_a, {"code": "state-strict"})
    assert done.status_code == 302
    assert svc.profile_for_unit(world.unit_a).code == "state-strict"
    # A nurse sees the units' choices but no form.
    nurse = signed_in("nurse")
    body = nurse.get(url).content.decode()
    assert "Stricter state rule" in body and choose_a not in body  # noqa: PT018
    # The navigation offers the page (under "More") to everyone who may read it.
    home = reverse("core:home")
    assert f'href="{url}"' in director.get(home).content.decode()
    assert f'href="{url}"' in nurse.get(home).content.decode()


def test_edit_page_makes_a_version_and_the_episode_page_keeps_the_old_one(
    world: World, signed_in: Any
) -> None:
    episode = _start(world)
    admin = signed_in("admin")
    old = _cms()
    url = reverse("incidents:restraint-profile-edit", args=[old.public_id])
    assert url in admin.get(reverse("incidents:restraint-profiles")).content.decode()
    form = admin.get(url).content.decode()
    assert 'value="240"' in form and "version 1" in form  # noqa: PT018
    fields = {name: getattr(old, name) for name in svc.PROFILE_FIELDS}
    data = {k: "" if v is None else v for k, v in fields.items()}
    refused = admin.post(url, {**data, "renewal_cap_minutes": 60})
    assert refused.status_code == 200
    assert "Renewals must cover at least one adult order" in refused.content.decode()
    assert RuleProfile.objects.filter(code="cms-hospital").count() == 1
    saved = admin.post(url, {**data, "face_to_face_minutes": 30})
    assert saved.status_code == 302
    assert _cms().version == 2
    detail = reverse("incidents:restraint-detail", args=[episode.public_id])
    assert "(version 1)" in signed_in("nurse").get(detail).content.decode()
    # The old version's page is still the administrator's, but saving it is a conflict.
    again = admin.post(url, {**data, "face_to_face_minutes": 20})
    assert again.status_code == 200
    assert "changed a moment ago" in again.content.decode()
    assert signed_in("director").get(url).status_code == 403


# --- API -------------------------------------------------------------------------------------


def test_profiles_api(world: World) -> None:
    episode = _start(world)
    nurse = api_as(world.user("nurse"))
    listed = nurse.get("/restraint-profiles").json()
    assert {p["code"] for p in listed["profiles"]} == {"cms-hospital", "prtf", "state-strict"}
    units = {u["unit_name"]: u for u in listed["units"]}
    assert units["Unit A"]["profile"] == "cms-hospital" and not units["Unit A"]["may_choose"]  # noqa: PT018
    director = api_as(world.user("director"))
    unit_a = f"/units/{world.unit_a.public_id}/restraint-profile"
    assert_problem(nurse.post(unit_a, {"code": "prtf"}), 403)
    assert "code" in assert_problem(director.post(unit_a, {"code": "nope"}), 422)["errors"]
    chosen = director.post(unit_a, {"code": "prtf"})
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["profile"] == "prtf"
    unit_b = f"/units/{world.unit_b.public_id}/restraint-profile"
    assert_problem(director.post(unit_b, {"code": "prtf"}), 403)

    admin = api_as(world.user("admin"))
    old = RuleProfile.objects.get(code="prtf", is_current=True)
    path = f"/restraint-profiles/{old.public_id}/versions"
    assert_problem(director.post(path, {"monitoring_minutes": 10}), 403)
    bad = admin.post(path, {"monitoring_minutes": 20, "renewal_cap_minutes": 100})
    assert set(assert_problem(bad, 422)["errors"]) >= {"monitoring_minutes", "renewal_cap_minutes"}
    assert_problem(admin.post(path, {}), 422)  # nothing changed
    made = admin.post(path, {"monitoring_minutes": 10, "hold_max_minutes": 20})
    assert made.status_code == 201, made.content
    assert (made.json()["version"], made.json()["hold_max_minutes"]) == (2, 20)
    assert_problem(admin.post(path, {"monitoring_minutes": 5}), 409)
    cleared = admin.post(
        f"/restraint-profiles/{made.json()['public_id']}/versions", {"hold_max_minutes": None}
    )
    assert cleared.json()["hold_max_minutes"] is None
    # The episode begun under the federal profile still reports it.
    got = nurse.get(f"/restraint/{episode.public_id}").json()
    assert (got["profile"], got["profile_version"]) == ("cms-hospital", 1)

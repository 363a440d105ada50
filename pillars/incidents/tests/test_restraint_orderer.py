"""Who gives a restraint or seclusion order (DESIGN.md: the clinician orders; the charge nurse
reviews the clocks): a nurse may enter an order, naming the clinician who gave it, but is never
recorded as its orderer; a named orderer must be a clinician of the organization. The page, the
API and renewals hold to the same rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pillars.core.tests.api_support import api_as
from pillars.incidents.models import EpisodeKind, RestraintEpisode, RestraintOrder
from pillars.incidents.services import restraint as svc
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

TERMS: dict[str, Any] = {
    "kind": EpisodeKind.SECLUSION,
    "reason": "Struck a peer twice and kept going",
    "release_criteria": "Calm for 10 minutes",
}


def test_a_nurse_names_the_clinician_and_is_never_the_orderer(world: World) -> None:
    nurse = world.user("nurse")
    with pytest.raises(ValidationError) as refused:
        svc.start_episode(world.person_a, actor=nurse, **TERMS)
    assert "clinician" in refused.value.message_dict["ordered_by"][0]
    with pytest.raises(ValidationError) as refused:
        svc.start_episode(world.person_a, actor=nurse, ordered_by=world.staff["nurse"], **TERMS)
    assert "ordered_by" in refused.value.message_dict
    assert not RestraintEpisode.objects.exists()
    episode = svc.start_episode(
        world.person_a, actor=nurse, ordered_by=world.staff["clinician"], **TERMS
    )
    order = RestraintOrder.objects.get(episode=episode)
    assert (order.ordered_by, order.recorded_by) == (world.staff["clinician"], world.staff["nurse"])
    with pytest.raises(ValidationError):
        svc.renew_order(episode, actor=nurse)
    renewal = svc.renew_order(episode, actor=nurse, ordered_by=world.staff["clinician"])
    assert renewal.ordered_by == world.staff["clinician"]
    assert RestraintOrder.objects.filter(episode=episode).count() == 2


def test_a_clinician_entering_their_own_order_is_its_orderer(world: World) -> None:
    episode = svc.start_episode(world.person_a, actor=world.user("clinician"), **TERMS)
    assert RestraintOrder.objects.get(episode=episode).ordered_by == world.staff["clinician"]


def test_the_start_page_offers_only_clinicians_and_asks_a_nurse_to_name_one(
    world: World, signed_in: Any
) -> None:
    client = signed_in("nurse")
    url = reverse("incidents:restraint-start", args=[world.person_a.public_id])
    page = client.get(url)
    choices = page.context["form"].fields["ordered_by"].queryset
    assert list(choices) == [world.staff["clinician"]]
    answer = client.post(url, {**TERMS, "staff": []})
    assert "ordered_by" in answer.context["form"].errors
    assert not RestraintEpisode.objects.exists()


def test_the_api_takes_the_orderer_and_refuses_a_nurse_as_one(world: World) -> None:
    api = api_as(world.user("nurse"))
    url = f"/persons/{world.person_a.public_id}/restraint"
    refused = api.post(url, {**TERMS, "ordered_by": str(world.staff["nurse"].public_id)})
    assert refused.status_code == 422, refused.content
    assert not RestraintEpisode.objects.exists()
    made = api.post(url, {**TERMS, "ordered_by": str(world.staff["clinician"].public_id)})
    assert made.status_code == 201, made.content
    episode = RestraintEpisode.objects.get()
    renew = f"/restraint/{episode.public_id}/renewals"
    assert api.post(renew, {}).status_code == 422
    answer = api.post(renew, {"ordered_by": str(world.staff["clinician"].public_id)})
    assert answer.status_code == 201, answer.content
    assert {o.ordered_by for o in RestraintOrder.objects.filter(episode=episode)} == {
        world.staff["clinician"]
    }

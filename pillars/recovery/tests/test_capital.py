"""Recovery capital: server scoring (BARC-10 bounds, bad answers refused with nothing stored,
MIRC subscales and reverse-scored items), replay safety, the trend with per-subscale change,
the policy, the pages, the API and the audit events."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import Conflict, ValidationError
from pillars.core.tests.api_support import api_as
from pillars.people.testing import World
from pillars.recovery.models.capital import Assessment, Instrument, InstrumentItem
from pillars.recovery.selectors import capital as selectors
from pillars.recovery.services import capital as services

pytestmark = pytest.mark.django_db


def barc() -> Instrument:
    return Instrument.objects.get(code="barc-10")


def mirc() -> Instrument:
    return Instrument.objects.get(code="mirc")


def answers(n: int, value: int) -> dict[str, int]:
    return {str(i): value for i in range(1, n + 1)}


def today() -> Any:
    return clock.today_in("America/Chicago")


def test_shipped_instruments_are_data() -> None:
    b, m = barc(), mirc()
    assert b.items.count() == 10
    assert (b.scale_min, b.scale_max) == (1, 6)
    assert b.total_range() == (10, 60)
    assert [r["value"] for r in b.reference_lines] == [47]
    assert m.items.count() == 28
    assert (m.scale_min, m.scale_max) == (1, 4)
    assert m.total_range() == (28, 112)
    assert [s.code for s in m.subscales.all()] == ["social", "physical", "human", "cultural"]
    assert all(s.items.count() == 7 for s in m.subscales.all())


def test_barc10_totals_run_from_10_to_60(world: World) -> None:
    low = services.record_assessment(
        world.person_a, actor=world.user("peer"), instrument=barc(), answers=answers(10, 1)
    )
    high = services.record_assessment(
        world.person_a, actor=world.user("peer"), instrument=barc(), answers=answers(10, 6)
    )
    assert (low.total, high.total) == (10, 60)
    event = AuditEvent.objects.get(object_id=str(high.public_id))
    assert event.action == "create"
    assert event.detail["total"] == "60"


def test_bad_answers_are_refused_clearly_and_nothing_is_stored(world: World) -> None:
    bad = {**answers(9, 3), "3": 7, "11": 2}
    bad.pop("5")
    with pytest.raises(ValidationError) as exc:
        services.record_assessment(
            world.person_a, actor=world.user("peer"), instrument=barc(), answers=bad
        )
    problems = " ".join(exc.value.message_dict["answers"])
    assert "no item 11" in problems
    assert "Item 5 is not answered" in problems
    assert "Item 3: the answer must be a whole number 1 to 6" in problems
    for value in (0, "six", True, 2.5):
        with pytest.raises(ValidationError):
            services.record_assessment(
                world.person_a,
                actor=world.user("peer"),
                instrument=barc(),
                answers={**answers(10, 3), "1": value},
            )
    with pytest.raises(ValidationError) as exc:
        services.record_assessment(
            world.person_a,
            actor=world.user("peer"),
            instrument=barc(),
            answers=answers(10, 3),
            administered_on=today() + timedelta(days=1),
        )
    assert "administered_on" in exc.value.message_dict
    assert not Assessment.objects.exists()
    assert not AuditEvent.objects.filter(object_type="recovery.assessment").exists()


def test_mirc_subscales_and_reverse_scored_items(world: World) -> None:
    instrument = mirc()
    # Mark item 1 (social) and item 8 (physical) reversed, as a program does in the admin.
    InstrumentItem.objects.filter(instrument=instrument, number__in=[1, 8]).update(is_reversed=True)
    given = answers(28, 4)
    given["1"] = 1  # reversed: counts 4
    given["8"] = 4  # reversed: counts 1
    result = services.score(instrument, services.clean_answers(instrument, given))
    assert result.subscales == {
        "social": Decimal(28),
        "physical": Decimal(25),
        "human": Decimal(28),
        "cultural": Decimal(28),
    }
    assert result.total == 109
    a = services.record_assessment(
        world.person_a, actor=world.user("peer"), instrument=instrument, answers=given
    )
    assert a.subscale_scores["physical"] == "25"
    assert a.answers["1"] == 1  # the answer as given is kept; the score is derived


def test_a_client_total_is_never_read_and_replays_are_harmless(world: World) -> None:
    key = uuid.uuid4()
    given = {**answers(10, 2), "total": 60}
    with pytest.raises(ValidationError):
        services.record_assessment(
            world.person_a, actor=world.user("peer"), instrument=barc(), answers=given
        )
    first = services.record_assessment(
        world.person_a,
        actor=world.user("peer"),
        instrument=barc(),
        answers=answers(10, 2),
        client_id=key,
        is_self_administered=True,
    )
    again = services.record_assessment(
        world.person_a,
        actor=world.user("peer"),
        instrument=barc(),
        answers=answers(10, 2),
        client_id=key,
        is_self_administered=True,
    )
    assert again.pk == first.pk
    assert first.is_self_administered
    with pytest.raises(Conflict):
        services.record_assessment(
            world.person_a,
            actor=world.user("peer"),
            instrument=barc(),
            answers=answers(10, 5),
            client_id=key,
        )
    assert Assessment.objects.count() == 1


def test_mirc_is_given_with_staff_not_alone(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.record_assessment(
            world.person_a,
            actor=world.user("peer"),
            instrument=mirc(),
            answers=answers(28, 3),
            is_self_administered=True,
        )
    assert "is_self_administered" in exc.value.message_dict


def test_trend_and_change_per_subscale(world: World) -> None:
    peer = world.user("peer")
    for days, value in ((200, 2), (100, 3), (10, 4)):
        services.record_assessment(
            world.person_a,
            actor=peer,
            instrument=mirc(),
            answers=answers(28, value),
            administered_on=today() - timedelta(days=days),
        )
    mistaken = services.record_assessment(
        world.person_a, actor=peer, instrument=barc(), answers=answers(10, 6)
    )
    services.void_assessment(mistaken, actor=peer, reason="Entered for the wrong person")
    trends = selectors.trends_for(world.person_a, peer)
    mirc_trend = next(t for t in trends if t.instrument.code == "mirc")
    assert [a.total for a in mirc_trend.rows] == [56, 84, 112]
    assert mirc_trend.total_change == 56
    assert {c.code: c.change for c in mirc_trend.changes} == {
        "social": 14,
        "physical": 14,
        "human": 14,
        "cultural": 14,
    }
    barc_trend = next(t for t in trends if t.instrument.code == "barc-10")
    assert barc_trend.rows == []
    assert barc_trend.chart.references[0]["value"] == "47"
    assert AuditEvent.objects.filter(action="void", object_id=str(mistaken.public_id)).exists()


def test_policy_peer_records_readers_read_others_refused(world: World) -> None:
    for role in ("clinician", "supervisor", "director", "bht", "nurse", "admin"):
        with pytest.raises(PermissionDenied):
            services.record_assessment(
                world.person_a, actor=world.user(role), instrument=barc(), answers=answers(10, 3)
            )
    with pytest.raises(Http404):
        services.record_assessment(
            world.person_b, actor=world.user("peer"), instrument=barc(), answers=answers(10, 3)
        )
    a = services.record_assessment(
        world.person_a, actor=world.user("peer"), instrument=barc(), answers=answers(10, 3)
    )
    with pytest.raises(Http404):
        selectors.get_assessment_for(world.user("outsider"), a.public_id, what="x")
    with pytest.raises(PermissionDenied):
        selectors.get_assessment_for(world.user("bht"), a.public_id, what="x")
    assert selectors.get_assessment_for(world.user("clinician"), a.public_id, what="x") == a


def test_pages_form_history_and_detail(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    person = world.person_a
    url = reverse("recovery:assessment-new", args=[person.public_id, "barc-10"])
    form = client.get(url).content.decode()
    assert "Strongly agree" in form
    assert 'type="radio"' in form
    posted = {f"item_{n}": "5" for n in range(1, 11)}
    posted["item_2"] = ""
    response = client.post(url, {**posted, "administered_on": today().isoformat()})
    assert response.status_code == 200
    assert "Item 2 is not answered" in response.content.decode()
    assert not Assessment.objects.exists()
    posted["item_2"] = "4"
    response = client.post(url, {**posted, "administered_on": today().isoformat()})
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.total == 49
    history = client.get(reverse("recovery:capital", args=[person.public_id])).content.decode()
    assert "<svg" in history
    assert "<table" in history
    assert "49" in history
    assert "research reference" in history
    detail = client.get(reverse("recovery:assessment-detail", args=[assessment.public_id]))
    assert "Total 49" in detail.content.decode()
    instruments = signed_in("clinician").get(reverse("recovery:instrument-list"))
    assert "MIRC" in instruments.content.decode()


def test_api_instruments_list_and_create(world: World) -> None:
    api = api_as(world.user("peer"))
    instruments = api.get("/recovery/instruments").json()
    assert [i["code"] for i in instruments] == ["barc-10", "mirc"]
    assert instruments[0]["total_min"] == 10
    assert instruments[0]["total_max"] == 60
    person = world.person_a.public_id
    key = str(uuid.uuid4())
    body = {"instrument": "barc-10", "answers": answers(10, 4), "client_id": key}
    first = api.post(f"/recovery/persons/{person}/assessments", body)
    assert first.status_code == 201, first.content
    assert first.json()["total"] == 40
    second = api.post(f"/recovery/persons/{person}/assessments", body)
    assert second.json() == first.json()
    bad = api.post(
        f"/recovery/persons/{person}/assessments",
        {"instrument": "barc-10", "answers": {**answers(10, 4), "4": 9}},
    )
    assert bad.status_code == 422
    assert Assessment.objects.count() == 1
    listed = api.get(f"/recovery/persons/{person}/assessments").json()
    assert [a["total"] for a in listed] == [40]
    missing = api.post(
        f"/recovery/persons/{person}/assessments",
        {"instrument": "not-shipped", "answers": answers(10, 4)},
    )
    assert missing.status_code == 404


def test_administrators_keep_instruments_in_the_admin(world: World, signed_in: Any) -> None:
    item = InstrumentItem.objects.get(instrument=mirc(), number=3)
    url = f"/admin/recovery/instrumentitem/{item.pk}/change/"
    assert signed_in("admin").get("/admin/recovery/instrument/").status_code == 200
    for role in ("peer", "director"):
        assert signed_in(role).get(url).status_code == 302
    response = signed_in("admin").post(
        url,
        {
            "instrument": item.instrument_id,
            "number": 3,
            "text": "The published wording of item 3",
            "subscale": item.subscale_id,
            "is_reversed": "on",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_reversed
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.object_type == "recovery.instrumentitem"

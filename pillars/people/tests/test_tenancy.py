"""Every table is ready to be distributed by organization (people.tenancy): classified, and a
tenant table carries a non-null organization that every unique constraint names; rows get it
from their parents however they are written."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from pillars.core import clock
from pillars.core.bulk import insert_objects
from pillars.people.models import Episode, Organization, PersonServed, Site, Staff, Unit
from pillars.people.tenancy import (
    GENERATED,
    LOCAL,
    OWN_KEY,
    REFERENCE,
    ROOT,
    NoOrganization,
    OrganizationOwned,
    fill_organizations,
    kind_of,
)
from pillars.people.testing import build_world, make_person, make_staff
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder


def project_models() -> list[type[models.Model]]:
    """Every concrete model of the project's apps, with the many-to-many tables Django makes."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model.__module__.startswith("pillars.") or (
            model._meta.auto_created and model._meta.app_label in PROJECT_APPS
        ):
            found.append(model)
    return found


PROJECT_APPS = {c.label for c in apps.get_app_configs() if c.name.startswith("pillars.")}


def links(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def test_every_table_is_classified() -> None:
    unclassified = [
        m._meta.label for m in project_models() if kind_of(m) is None and not _shared_join(m)
    ]
    assert unclassified == [], (
        "Say which organization these rows belong to: inherit people.tenancy.OrganizationOwned "
        "(with organization_from), or list the model in REFERENCE, LOCAL or OWN_KEY with why"
    )


def _shared_join(model: type[models.Model]) -> bool:
    """A table Django makes for a many-to-many between two reference tables (Django's own
    groups and permissions count as reference data)."""
    ends = [f.related_model for f in links(model)]
    return bool(model._meta.auto_created) and all(
        kind_of(e) == "reference" or e._meta.app_label not in PROJECT_APPS for e in ends
    )


def test_listed_models_exist_and_are_listed_once() -> None:
    labels = {m._meta.label for m in project_models()}
    listed = [*REFERENCE, *LOCAL, *OWN_KEY]
    assert sorted(set(listed) - labels) == []
    assert len(listed) == len(set(listed))
    for label, key in OWN_KEY.items():
        assert key in {f.name for f in apps.get_model(label)._meta.concrete_fields}


def test_a_tenant_table_carries_a_non_null_organization() -> None:
    wrong = []
    for model in project_models():
        if kind_of(model) != "tenant" or model._meta.label == ROOT:
            continue
        field: Any = model._meta.get_field("organization")
        if field.null or field.related_model._meta.label != ROOT:
            wrong.append(model._meta.label)
    assert wrong == []


def test_a_tenant_table_knows_where_its_organization_comes_from() -> None:
    """Each parent named in organization_from is a link to a tenant table (so the chain ends at
    the organization), and only roots name none."""
    roots = []
    for model in project_models():
        if not issubclass(model, OrganizationOwned):
            continue
        if not model.organization_from:
            roots.append(model._meta.label)
        for name in model.organization_from:
            field = model._meta.get_field(name)
            assert isinstance(field, models.ForeignKey), (model, name)
            assert kind_of(field.related_model) == "tenant", (model, name)
    assert sorted(roots) == ["people.PendingImport", "people.PersonServed", "people.Staff"]


def test_every_unique_constraint_of_a_tenant_table_names_the_organization() -> None:
    """Distributed tables keep uniqueness only over keys that hold the distribution column. A
    field unique alone is a generated identifier or a link to one parent (which belongs to one
    organization); anything chosen by a person is unique within the organization."""
    wrong = []
    for model in project_models():
        if kind_of(model) != "tenant" or model._meta.label == ROOT:
            continue
        sets = [c.fields for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
        sets += [tuple(t) for t in model._meta.unique_together]
        wrong += [(model._meta.label, s) for s in sets if "organization" not in s]
        for field in model._meta.concrete_fields:
            chosen = field.unique and not field.primary_key and not field.is_relation
            if chosen and field.name not in GENERATED:
                wrong.append((model._meta.label, field.name))
    assert wrong == []


def test_no_database_link_runs_from_a_shared_table_into_a_tenant_one() -> None:
    """A reference or local table cannot point into a distributed one, and a tenant table
    cannot point at a local one: such links are kept by the application, not the database."""
    wrong = []
    for model in project_models():
        kind = kind_of(model) or ("reference" if _shared_join(model) else None)
        for field in links(model):
            target = kind_of(field.related_model)
            if not getattr(field, "db_constraint", True):
                continue
            if kind in ("reference", "local", "own key") and target == "tenant":
                wrong.append((model._meta.label, field.name))
            if kind == "tenant" and target == "local":
                wrong.append((model._meta.label, field.name))
    assert wrong == []


@pytest.mark.django_db
def test_rows_take_their_organization_from_their_parents_however_written() -> None:
    world = build_world()
    other = Organization.objects.create(name="Second Health")
    site = Site.objects.create(organization=other, name="North")
    unit = Unit.objects.create(
        site=site, name="North 1", code="n1", kind=world.unit_a.kind, time_zone="UTC"
    )
    assert unit.organization_id == other.pk

    # Two organizations: a root must be told which.
    with pytest.raises(NoOrganization):
        make_person("MRN-X", "Nobody")
    person = PersonServed.objects.create(
        organization=other,
        record_number="MRN-N1",
        legal_given_name="Sam",
        legal_family_name="North",
        date_of_birth=date(1980, 1, 1),
        created_at=clock.now(),
    )
    nurse = world.staff["nurse"]
    level = ObservationLevel.objects.filter(is_current=True).first()
    assert level is not None
    order = ObservationOrder.objects.create(
        person_id=person.pk,  # by key only: the parent is read
        episode_id=_episode_for(person, nurse).pk,
        level=level,
        ordered_by=nurse,
        reason="test",
        started_at=clock.now(),
        recorded_at=clock.now(),
    )
    assert order.organization_id == other.pk
    # The tablets' batch path (core.bulk), which bypasses save().
    insert_objects([_check(order, nurse), _check(order, nurse)])
    stored = Check.objects.filter(order=order).values_list("organization", flat=True)
    assert list(stored) == [other.pk, other.pk]
    # bulk_create, as the services use for child rows.
    [unit_c] = Unit.objects.bulk_create(
        [Unit(site_id=site.pk, name="North 2", code="n2", kind=unit.kind, time_zone="UTC")]
    )
    assert Unit.objects.get(pk=unit_c.pk).organization_id == other.pk


def _episode_for(person: PersonServed, by: Staff) -> Episode:
    moment = clock.now()
    return Episode.objects.create(
        person=person, admitted_at=moment, admitted_by=by, recorded_at=moment
    )


def _check(order: ObservationOrder, by: Staff) -> Check:
    now = clock.now()
    return Check(
        order_id=order.pk,
        observed_by=by,
        observed_at=now,
        recorded_at=now,
        location="bedroom",
        activity="resting",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )


@pytest.mark.django_db
def test_one_organization_is_understood() -> None:
    world = build_world()
    person = make_person("MRN-Z", "Zed")
    staff = make_staff("t-new", ["bht"], [world.unit_a])
    assert person.organization_id == world.org.pk == staff.organization_id


@pytest.mark.django_db
def test_filling_reads_each_parent_table_once(django_assert_num_queries: Any) -> None:
    world = build_world()
    rows = [Unit(site_id=world.site.pk, name=f"U{n}", code=f"u{n}") for n in range(20)]
    with django_assert_num_queries(1):
        fill_organizations(rows)
    assert {r.organization_id for r in rows} == {world.org.pk}


@pytest.mark.django_db
def test_chosen_numbers_are_unique_within_an_organization_only() -> None:
    from django.db import IntegrityError, transaction

    world = build_world()
    other = Organization.objects.create(name="Second Health")

    def person(org: Organization) -> PersonServed:
        return PersonServed.objects.create(
            organization=org,
            record_number="MRN-A1",  # world.person_a's number
            legal_given_name="Kim",
            legal_family_name="Other",
            date_of_birth=date(1970, 1, 1),
            created_at=clock.now(),
        )

    assert person(other).organization_id == other.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        person(world.org)


@pytest.mark.django_db
def test_strays_finds_a_row_that_left_its_parents_organization() -> None:
    from pillars.people.tenancy import strays

    world = build_world()
    assert not strays(Unit).exists()
    other = Organization.objects.create(name="Second Health")
    Unit.objects.filter(pk=world.unit_b.pk).update(organization=other)
    assert list(strays(Unit)) == [world.unit_b]


def test_a_tenant_tables_queries_fill_bulk_inserts_at_once() -> None:
    """Every tenant model's default manager is a TenantQuerySet, whose bulk_create reads each
    parent table once for all its rows (a custom queryset must inherit it)."""
    from pillars.people.tenancy import TenantQuerySet

    wrong = [
        m._meta.label
        for m in project_models()
        if issubclass(m, OrganizationOwned)
        and not isinstance(m._default_manager.all(), TenantQuerySet)
    ]
    assert wrong == []


@pytest.mark.django_db
def test_bulk_create_reads_each_parent_table_once(django_assert_num_queries: Any) -> None:
    world = build_world()
    rows = [
        Unit(site_id=world.site.pk, name=f"U{n}", code=f"u{n}", kind="acute_adult", time_zone="UTC")
        for n in range(20)
    ]
    with django_assert_num_queries(2):  # the sites' organizations, then the insert
        Unit.objects.bulk_create(rows)
    assert set(
        Unit.objects.filter(code__startswith="u").values_list("organization", flat=True)
    ) == {world.org.pk}

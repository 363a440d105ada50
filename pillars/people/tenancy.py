"""Which organization every row belongs to: the rule that keeps Pillars ready to be distributed
by organization (docs/SCALE.md, "When one primary is not enough").

Every table is one of four kinds, and ``pillars/people/tests/test_tenancy.py`` fails when a
model (or a many-to-many table) is none of them:

- **Tenant**: an organization's own records. The model inherits ``OrganizationOwned`` and so
  carries a non-null ``organization``, filled from the parent named in ``organization_from``
  when a row is saved or bulk-inserted without it. Every unique constraint names
  ``organization`` (a unique field alone is a generated identifier or a link to a parent).
- **Reference**: rules and reference data every organization shares (``REFERENCE``): copied to
  every node. A link from one to a tenant row is not a database constraint (``db_constraint``
  off), since a reference table cannot point into a distributed one.
- **Local**: the system's own bookkeeping, kept on the coordinator (``LOCAL``).
- **Sharded on its own key**: the audit log, whose lanes are separate chains (``OWN_KEY``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.functions import Concat, Lower, Trim
from typing_extensions import TypeVar

_Model = TypeVar("_Model", bound=models.Model, covariant=True)
_Row = TypeVar("_Row", covariant=True, default=_Model)

# Tables every organization shares, and why.
REFERENCE: dict[str, str] = {
    "core.User": "sign-in accounts, read before the organization is known",
    "core.ApiToken": "found by its hash before the organization is known",
    "people.Role": "roles and their rights",
    "rounds.ObservationLevel": "observation levels (versioned rules)",
    "rounds.EscalationStep": "escalation chains: the default and each unit's own (few rows)",
    "rounds.InspectionTemplate": "environment-of-care checklists (versioned rules)",
    "rounds.TemplateItem": "checklist items",
    "incidents.DeescalationStep": "de-escalation techniques",
    "incidents.NotificationRule": "who is told of which incident",
    "incidents.RuleProfile": "restraint and seclusion rule profiles (versioned rules)",
    "recovery.Instrument": "recovery instruments (BARC-10 and others)",
    "recovery.InstrumentSubscale": "instrument subscales",
    "recovery.InstrumentItem": "instrument items",
    "recovery.Taxonomy": "HSDS taxonomies",
    "recovery.TaxonomyTerm": "HSDS taxonomy terms",
    "recovery.HsdsOrganization": "the community resource directory (HSDS)",
    "recovery.Location": "the directory",
    "recovery.Address": "the directory",
    "recovery.HsdsService": "the directory",
    "recovery.ServiceAtLocation": "the directory",
    "recovery.Phone": "the directory",
    "recovery.Schedule": "the directory",
    "recovery.Language": "the directory",
    "recovery.CostOption": "the directory",
    "recovery.Attribute": "the directory",
    "recovery.HsdsOtherRow": "the directory",
    "recovery.PeerActivity": "peer support activities",
    "recovery.ScopeGuardTerm": "scope-of-practice words",
    "recovery.ReferralOutcomeReason": "referral outcome reasons",
    "recovery.CaseloadLimit": "caseload limits: the default and each program's own (few rows)",
    "workforce.CaseloadKindLimit": "caseload limits by kind",
    "workforce.CeCategory": "continuing-education categories",
    "workforce.CredentialType": "credential types (versioned rules)",
    "workforce.DriftThreshold": "time-log drift thresholds",
    "workforce.Course": "training courses",
    "workforce.FloorRule": "who may work the floor",
    "workforce.LadderStep": "career ladder steps",
    "workforce.LadderCriterion": "career ladder criteria",
    "workforce.ExitReasonKind": "exit reasons",
    "workforce.CadenceRule": "supervision cadence (versioned rules)",
    "workforce.CertificationRule": "certification rules",
    "workforce.SupervisionEligibility": "who may supervise whom",
    "workforce.SupervisorLoadLimit": "supervisee limits",
    "workforce.CheckInInstrument": "wellbeing check-in instruments",
    "workforce.CheckInItem": "check-in items",
    "workforce.CheckInRule": "when a check-in is offered",
}

# The system's own bookkeeping, on the coordinator.
LOCAL: dict[str, str] = {
    "core.IdempotencyRecord": "replayed answers to API writes, pruned after a day",
    "audit.ChainCheck": "requests to verify the audit log",
    "audit.ArchivedMonth": "where each audit lane stood when a month was archived",
    "insights.SweepCursor": "how far the summary sweep has read",
    "demo.DemoLoad": "the demo loader's progress",
    "recovery.PortalAddressFailure": "the portal's refusals per address, for its throttle",
}

# Tables distributed on a key of their own, and the key.
OWN_KEY: dict[str, str] = {
    "audit.AuditEvent": "lane",
    "audit.ChainHead": "id",
}

ROOT = "people.Organization"

# Fields unique on their own in a tenant table: identifiers generated at random, never chosen.
GENERATED = frozenset({"public_id", "client_id", "token_hash", "dedupe_key"})


class TenantQuerySet(models.QuerySet[_Model, _Row]):
    """A tenant table's queries: ``bulk_create`` fills the organizations of all its rows at
    once (one read per parent table), before Django prepares each row."""

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        fill_organizations(objs)
        return super().bulk_create(objs, *args, **kwargs)


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class OrganizationOwned(models.Model):
    """A tenant table's rows: each carries the organization it belongs to.

    ``organization_from`` names the fields (links to parents), tried in order, whose row gives
    the organization when none was set; the first one set wins. A model with none (a root such
    as a person served or a staff member) must be given it, or the installation must have only
    one organization.

    A row that is part of another record names its link to that record in the class statement,
    as in ``class Injury(OrganizationOwned, PublicModel, part_of="incident")``: its organization
    comes from that record, and so does its 42 CFR Part 2 label (``PART2_VIA``, see
    people.labels): it is read exactly when that record is."""

    organization = models.ForeignKey(
        "people.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )

    organization_from: ClassVar[tuple[str, ...]] = ()
    PART2_VIA: ClassVar[str]

    objects = TenantManager()

    class Meta:
        abstract = True

    def __init_subclass__(cls, *, part_of: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if part_of:
            cls.organization_from = (part_of,)
            cls.PART2_VIA = part_of

    @classmethod
    def before_bulk_insert(cls, objects: Sequence[models.Model]) -> None:
        """Called by ``core.bulk.insert_objects``, which writes rows without saving them."""
        fill_organizations(objects)

    def _prepare_related_fields_for_save(self, operation_name: str, fields: Any = None) -> None:
        # Django calls this before every save (and for every row of a bulk_create, whose rows
        # TenantQuerySet has filled already).
        if self.organization_id is None:
            fill_organizations([self])
        super()._prepare_related_fields_for_save(operation_name, fields)  # type: ignore[misc]


class TenantLink(OrganizationOwned):
    """A many-to-many link between an organization's rows, as a model of its own so that it
    carries the organization too: its two links name it.

    A link names its two ends (its foreign keys) and its table in the class statement, as in
    ``class StaffRole(TenantLink, ends=("staff", "role"), db_table="people_staff_roles")``:
    its organization comes from the first end, and a pair is linked once in an organization."""

    class Meta:
        abstract = True

    def __init_subclass__(cls, *, ends: tuple[str, str], db_table: str, **kwargs: Any) -> None:
        # Runs before Django reads the model's options, which it takes from ``cls.Meta`` when
        # the class statement has none.
        super().__init_subclass__(**kwargs)
        cls.organization_from = (ends[0],)
        options = {"db_table": db_table, "unique_together": [(*ends, "organization")]}
        cls.Meta = type("Meta", (), options)  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        ends = [f for f in self._meta.concrete_fields if f.is_relation and f.name != "organization"]
        return " ".join(str(getattr(self, f.attname)) for f in ends)


def reference_link[M: models.Model](
    to: type[M], *, related_name: str, one_to_one: bool = False
) -> models.ForeignKey[M | None, M | None]:
    """An optional link from a reference table to a tenant row: not a database constraint,
    since a reference table cannot point into a distributed one (see the module's docstring);
    a tenant row cannot be deleted while one names it."""
    field = models.OneToOneField if one_to_one else models.ForeignKey
    return field(
        to,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        db_constraint=False,
    )


class NoOrganization(ValueError):
    """A tenant row was written with no organization and nothing to take it from."""


def fill_organizations(objects: Iterable[models.Model]) -> None:
    """Set ``organization`` on unsaved rows that lack it, from their parents: from a parent
    already loaded when there is one, else one query per parent table however many rows."""
    pending = [o for o in objects if getattr(o, "organization_id", 0) is None]
    if not pending:
        return
    by_source: dict[tuple[type[models.Model], str], list[Any]] = defaultdict(list)
    rest: list[models.Model] = []
    for obj in pending:
        for name in type(obj).organization_from:  # type: ignore[attr-defined]
            field: Any = obj._meta.get_field(name)
            if getattr(obj, field.attname) is None:
                continue
            if field.is_cached(obj):
                parent = field.get_cached_value(obj)
                obj.organization_id = (  # type: ignore[attr-defined]
                    parent.pk if parent._meta.label == ROOT else parent.organization_id
                )
            if obj.organization_id is None:  # type: ignore[attr-defined]
                by_source[(field.related_model, field.attname)].append(obj)
            break
        else:
            rest.append(obj)
    for (parent_model, attname), rows in by_source.items():
        ids = {getattr(row, attname) for row in rows}
        key = "pk" if parent_model._meta.label == ROOT else "organization_id"
        found = dict(parent_model._default_manager.filter(pk__in=ids).values_list("pk", key))
        for row in rows:
            row.organization_id = found.get(getattr(row, attname))
    if rest:
        from pillars.people.models import Organization

        only = list(Organization.objects.values_list("pk", flat=True)[:2])
        if len(only) != 1:
            raise NoOrganization(
                f"A new {rest[0]._meta.verbose_name} needs its organization: this installation "
                "has more than one (or none), so it cannot be taken as understood."
            )
        for row in rest:
            row.organization_id = only[0]  # type: ignore[attr-defined]


def kind_of(model: type[models.Model]) -> str | None:
    """'tenant', 'reference', 'local' or 'own key' for a model; None when it is unclassified.
    A tenant table is the organization itself or one that carries a link to it."""
    label = model._meta.label
    org: Any = next((f for f in model._meta.concrete_fields if f.name == "organization"), None)
    if label == ROOT or (org is not None and org.related_model._meta.label == ROOT):
        return "tenant"
    if label in REFERENCE:
        return "reference"
    if label in LOCAL:
        return "local"
    if label in OWN_KEY:
        return "own key"
    return None


def backfill(
    apps: Any, schema_editor: Any, app_label: str, plan: Sequence[tuple[str, str]]
) -> None:
    """For a migration: fill ``organization`` on the rows an app wrote before its tables carried
    it, each model from the parent named beside it (parents first). The roots take theirs from
    where they work or stay (a staff member's home unit, a person's latest unit, an uploader's
    staff record), else from the only organization there is."""
    from django.db.models import F, OuterRef, Subquery

    organization = apps.get_model("people", "Organization")
    for model_name, parent in plan:
        model = apps.get_model(app_label, model_name)
        rows = model.objects.filter(organization__isnull=True)
        if parent in _ROOT_SOURCES:
            rows.update(organization_id=Subquery(_ROOT_SOURCES[parent](apps)[:1]))
        else:
            field = model._meta.get_field(parent)
            target = field.related_model
            if target._meta.label == ROOT:
                rows.update(organization_id=F(field.attname))
            else:
                rows.update(
                    organization_id=Subquery(
                        target.objects.filter(pk=OuterRef(field.attname)).values("organization_id")[
                            :1
                        ]
                    )
                )
        left = model.objects.filter(organization__isnull=True)
        if left.exists():
            only = list(organization.objects.values_list("pk", flat=True)[:2])
            if len(only) != 1:
                raise NoOrganization(
                    f"{left.count()} {model._meta.verbose_name_plural} have no organization to "
                    "take, and there is not exactly one: set it on them, then migrate again."
                )
            left.update(organization_id=only[0])
    if schema_editor.connection.vendor == "postgresql":
        # The new links are checked at commit; checked now, the same migration may then make
        # the column required (PostgreSQL refuses to alter a table with checks pending).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _staff_source(apps: Any) -> Any:
    from django.db.models import OuterRef

    link = apps.get_model("people", "StaffHomeUnit")
    return (
        link.objects.filter(staff_id=OuterRef("pk")).order_by("pk").values("unit__organization_id")
    )


def _person_source(apps: Any) -> Any:
    from django.db.models import OuterRef

    placement = apps.get_model("people", "Placement")
    return (
        placement.objects.filter(episode__person_id=OuterRef("pk"))
        .order_by("-started_at")
        .values("unit__organization_id")
    )


def _upload_source(apps: Any) -> Any:
    from django.db.models import OuterRef

    staff = apps.get_model("people", "Staff")
    return staff.objects.filter(user_id=OuterRef("uploaded_by_id")).values("organization_id")


_ROOT_SOURCES = {
    "(home unit)": _staff_source,
    "(latest unit)": _person_source,
    "(uploader)": _upload_source,
}


def organization_for(actor: Any) -> int:
    """The organization of the staff member acting; only reached after a policy check passed
    (an actor who is not staff is refused, as ``Actor.staff_pk`` does)."""
    from pillars.core import policy

    found = policy.actor_for(actor)
    if found.staff_id is None or found.organization_id is None:
        raise PermissionDenied("You do not have permission to do that.")
    return found.organization_id


# The policy layer's first question (``policy.set_tenancy``): a record of another organization
# is out of sight for everyone, organization-wide roles and administrators included, as if it
# did not exist. An actor without an organization sees no organization's records.


def organization_column(model: type[models.Model]) -> str | None:
    """How a row of ``model`` names its organization: its own key for the organization itself,
    ``organization_id`` for every other tenant table (those that inherit ``OrganizationOwned``
    and those with a link of their own, such as a site or a program); None for a table every
    organization shares. Worked out once per model: every policy check asks."""
    if model not in _COLUMNS:
        tenant = kind_of(model) == "tenant"
        _COLUMNS[model] = (
            ("pk" if model._meta.label == ROOT else "organization_id") if tenant else None
        )
    return _COLUMNS[model]


_COLUMNS: dict[type[models.Model], str | None] = {}


def tenant_visible(actor: Any, obj: Any) -> bool:
    column = organization_column(type(obj))
    if column is None:
        return True
    return actor.organization_id is not None and getattr(obj, column) == actor.organization_id


def tenant_restrict[Q: models.QuerySet[Any]](actor: Any, queryset: Q) -> Q:
    column = organization_column(queryset.model)
    if column is None:
        return queryset
    if actor.organization_id is None:
        return queryset.none()
    return queryset.filter(**{column: actor.organization_id})


def restrict_events[Q: models.QuerySet[Any]](actor: Any, queryset: Q) -> Q:
    """The audit log as one organization's privacy officer reads it: every event but those
    another organization's staff took, those that concern another organization's persons, and
    the failed sign-ins under another organization's staff member's name or badge (an event
    with no actor that names them by what was typed). The system's own events, and failed
    sign-ins under a name no one has, are everyone's. With one organization every list is
    empty."""
    from pillars.audit.choices import Action
    from pillars.core.signals import BADGE_LABEL
    from pillars.people.models import PersonServed, Staff

    mine = actor.organization_id
    others = Staff.objects.exclude(organization_id=mine)
    typed = Lower(Trim("actor_label"))
    return (
        queryset.exclude(actor_id__in=others.values("user_id"))
        .exclude(
            person_id__in=PersonServed.objects.exclude(organization_id=mine).values("public_id")
        )
        .alias(typed=typed)
        .exclude(
            models.Q(actor_id__isnull=True, action=Action.SIGN_IN_FAILED)
            & (
                models.Q(typed__in=others.annotate(name=Lower("user__username")).values("name"))
                | models.Q(
                    typed__in=others.exclude(badge_number__isnull=True)
                    .exclude(badge_number="")
                    .annotate(badge=Lower(Concat(models.Value(BADGE_LABEL), Trim("badge_number"))))
                    .values("badge")
                )
            )
        )
    )


def event_visible(actor: Any, event: Any) -> bool:
    return restrict_events(actor, type(event).objects.filter(pk=event.pk)).exists()


def in_organization[Q: models.QuerySet[Any]](queryset: Q, actor: Any) -> Q:
    """A tenant table's rows of the acting staff member's organization: for a read that is not
    scoped by ``policy.restrict`` (everyone employed, for a choice of colleague)."""
    return queryset.filter(organization_id=organization_for(actor))


def own_rows[Q: models.QuerySet[Any]](queryset: Q, actor: Any) -> Q:
    """``in_organization`` for any table: the acting staff member's organization itself, its
    tenant rows, and every row of a table all organizations share (the Django admin's lists and
    choices)."""
    column = organization_column(queryset.model)
    if column is None:
        return queryset
    return queryset.filter(**{column: organization_for(actor)})


def strays(model: type[models.Model]) -> models.QuerySet[Any]:
    """A tenant model's rows whose organization is not their parent's (none when the rule
    holds): one query, for the tests and for checking a database before it is distributed."""
    from django.db.models import F, Q

    source = getattr(model, "organization_from", ())
    wrong = Q(pk__in=[])
    for name in source:
        field: Any = model._meta.get_field(name)
        theirs = name if field.related_model._meta.label == ROOT else f"{name}__organization"
        wrong |= Q(**{f"{field.attname}__isnull": False}) & ~Q(organization=F(theirs))
    return model._default_manager.filter(wrong)

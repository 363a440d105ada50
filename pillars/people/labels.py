"""Records that keep the program they were made in (42 CFR Part 2, DESIGN.md rule 6).

Two halves, both used everywhere:

- **Stamping.** Every clinical record (``people.models.Part2Labelled``) gets ``made_in_unit``
  and ``is_part2`` when it is first saved: the unit the person served was placed on at the
  record's moment, and whether that unit is a Part 2 program. ``stamp`` runs from the model's
  ``save`` (every ``create`` path), ``stamp_many`` from bulk inserts.
- **Reading.** The policy engine (``core.policy``) asks ``label_visible`` / ``restrict_labelled``
  after a record's own scope, for every labelled model and every model whose rows belong to one
  (``PART2_VIA``, for example a check's addendum via its check). A Part 2 record is readable by
  the program's own team (staff whose units or programs include the unit that made it, among them
  the unit's director), by the privacy officer, and by anyone else only under an active consent
  that names them (``people.consents``) or an emergency-access grant in force for the person
  (42 CFR 2.51, medical emergencies). Anything else answers as if the record did not exist. A
  read opened by a consent or a grant is a disclosure: it is written to the audit log once per
  request, naming the consent it relied on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.db.models.query import ModelIterable

from pillars.core import clock, prepared
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode as R
from pillars.people.models import Part2Labelled, PersonServed, Placement, Unit


def placement_unit_at(person_id: int | None, moment: datetime) -> Unit | None:
    """The unit the person was placed on at a moment; between placements (a late entry after
    discharge), the last unit before it."""
    if person_id is None:
        return None
    rows = Placement.objects.filter(episode__person_id=person_id).select_related("unit")
    current = rows.at(moment).order_by("-started_at").first()
    if current is None:
        current = rows.filter(started_at__lte=moment).order_by("-started_at").first()
    return current.unit if current is not None else None


def _apply(record: Part2Labelled, unit: Unit | None) -> None:
    record.made_in_unit = unit
    record.is_part2 = bool(unit is not None and unit.is_substance_use_program)


def stamp(record: Part2Labelled) -> None:
    """Label one record from its own unit or its person's placement at its moment."""
    unit = record.label_unit()
    if unit is None:
        unit = placement_unit_at(record.label_person_id(), record.label_moment() or clock.now())
    _apply(record, unit)


def placements_by_person(person_ids: Iterable[int]) -> dict[int, list[Placement]]:
    """Every placement of each person named, newest first, with its unit, in one query:
    ``placements_of`` for many people (what ``stamp_many`` labels records from and what
    ``is_part2_person`` reads). A person with no placement is left out."""
    by_person: dict[int, list[Placement]] = {}
    for placement in (
        Placement.objects.filter(episode__person_id__in=sorted(set(person_ids)))
        .select_related("unit", "episode")
        .order_by("-started_at")
    ):
        by_person.setdefault(placement.episode.person_id, []).append(placement)
    return by_person


def stamp_many(
    records: Iterable[Part2Labelled], placements: dict[int, list[Placement]] | None = None
) -> None:
    """``stamp`` for a bulk insert: from ``placements`` (``placements_by_person``) when the
    caller read them for every person named, else from one read of them here."""
    todo = [r for r in records if r.made_in_unit_id is None]
    own = {id(r): r.label_unit() for r in todo}
    if placements is None:
        person_ids = {r.label_person_id() for r in todo if own[id(r)] is None} - {None}
        placements = placements_by_person(p for p in person_ids if p is not None)
    now = clock.now()
    for record in todo:
        unit = own[id(record)]
        if unit is None:
            unit = unit_among(
                placements.get(record.label_person_id() or 0, []), record.label_moment() or now
            )
        _apply(record, unit)


def placements_of(person_id: int) -> list[Placement]:
    """Every placement of one person, newest first, with its unit: what ``stamp_from`` labels
    a record from and what ``is_part2_person`` reads, in one query."""
    return prepared.rows(
        "placements of a person",
        Placement.objects.filter(episode__person_id=person_id)
        .select_related("unit")
        .order_by("-started_at"),
    )


def unit_among(placements: list[Placement], moment: datetime) -> Unit | None:
    """``placement_unit_at`` over a person's placements already read (newest first)."""
    started = [p for p in placements if p.started_at <= moment]
    inside = [p for p in started if p.ended_at is None or p.ended_at > moment]
    options = inside or started
    return options[0].unit if options else None


def stamp_from(record: Part2Labelled, placements: list[Placement]) -> None:
    """``stamp`` from the person's placements already read (``placements_of``)."""
    unit = record.label_unit()
    if unit is None:
        unit = unit_among(placements, record.label_moment() or clock.now())
    _apply(record, unit)


def is_part2_person(placements: list[Placement]) -> bool:
    """Whether a person was ever placed in a Part 2 program (``person_category``), from their
    placements already read."""
    return any(p.unit.is_substance_use_program for p in placements)


# --- Reading ----------------------------------------------------------------------------------


# The columns a narrowed read (``.only``) of a labelled record keeps for its label: the guard
# logs a row that a grant or a consent opened from them (a deferred one would cost a query a row).
LABEL_COLUMNS = ("person_id", "is_part2", "made_in_unit_id")


def label_columns(model: type[Part2Labelled]) -> tuple[str, ...]:
    """``LABEL_COLUMNS`` of a labelled model: the person column only for a record that holds
    its person itself (a check names them through its order, ``PART2_PERSON``)."""
    return LABEL_COLUMNS if model.PART2_PERSON == "person" else LABEL_COLUMNS[1:]


def labelled_root(model: type[Model]) -> tuple[str, type[Part2Labelled]] | None:
    """For a model whose rows carry a label (or belong to a row that does): the lookup prefix
    to the labelled row ("" for the row itself) and the labelled model."""
    prefix = ""
    current: type[Model] = model
    for _ in range(4):
        if issubclass(current, Part2Labelled):
            return prefix, current
        via = getattr(current, "PART2_VIA", "")
        if not via:
            return None
        field = current._meta.get_field(via)
        prefix += f"{via}__"
        current = field.related_model  # type: ignore[assignment]
    return None


def _root_of(obj: Model) -> Part2Labelled | None:
    current: Any = obj
    for _ in range(4):
        if isinstance(current, Part2Labelled):
            return current
        via = getattr(type(current), "PART2_VIA", "")
        if not via:
            return None
        current = getattr(current, via)
    return None


def _sees_everything(actor: Actor) -> bool:
    # The privacy officer has administrative control over every program's records (audits,
    # accountings of disclosures); no other role is exempt.
    return actor.has_role(R.PRIVACY)


def _person_ids_of(root: Part2Labelled) -> set[int]:
    model = type(root)
    path = model.PART2_PERSON
    if path == "person":
        return {root.person_id} if getattr(root, "person_id", None) else set()  # type: ignore[attr-defined]
    return set(
        model._default_manager.filter(pk=root.pk)
        .exclude(**{f"{path}__isnull": True})
        .values_list(f"{path}_id" if not path.endswith("_id") else path, flat=True)
    )


def _opened_by(actor: Actor, root: Part2Labelled) -> tuple[bool, Any]:
    """Whether an emergency grant or a consent (which one) opens this Part 2 record to an
    actor outside its program: (True, None) emergency, (True, grant) consent, (False, None)."""
    persons = _person_ids_of(root)
    if persons & actor.emergency_person_ids:
        return True, None
    from pillars.people.consents import grants_for

    for grant in grants_for(actor):
        if (
            grant.person_id in persons
            and root.made_in_unit_id in grant.unit_ids
            and root.PART2_KIND in grant.kinds
        ):
            return True, grant
    return False, None


def has_closed_part2(actor: Actor, person_id: int) -> bool:
    """Whether the person has Part 2 records another program made that nothing opens to this
    actor yet: then emergency access still has something to open, even for a person the actor
    may otherwise read (a person transferred out of the substance-use program)."""
    if _sees_everything(actor) or person_id in actor.emergency_person_ids:
        return False
    for model in apps.get_models():
        if not issubclass(model, Part2Labelled) or model.PART2_PERSON != "person":
            continue
        mine = Q(made_in_unit_id__in=sorted(actor.unit_ids))
        closed = model._default_manager.filter(Q(person_id=person_id) & Q(is_part2=True) & ~mine)
        if closed.exists():
            return True
    return False


def person_part2_open(actor: Actor, person: Any, part2_unit_ids: set[int] | None = None) -> bool:
    """Whether the actor may read a person's Part 2 records as a whole (the person page's
    substance-use sections ask it once per page): the same bases as ``label_visible`` asked of
    the person rather than of one record. True for a person never placed in a Part 2 program
    (nothing of theirs is Part 2), for the privacy officer, under an emergency grant for the
    person, for the team of a Part 2 program the person was placed in, and under a consent that
    names the actor for one of those programs. One query at most, none when the caller has
    read the person's placements already and passes the Part 2 units among them."""
    if _sees_everything(actor) or person.pk in actor.emergency_person_ids:
        return True
    units = part2_unit_ids
    if units is None:
        units = set(
            Placement.objects.filter(
                episode__person_id=person.pk, unit__is_substance_use_program=True
            ).values_list("unit_id", flat=True)
        )
    if not units or units & set(actor.unit_ids):
        return True
    from pillars.people.consents import grants_for

    return any(
        grant.person_id == person.pk and units & set(grant.unit_ids) for grant in grants_for(actor)
    )


def readable_without_grant(actor: Actor, is_part2: bool, made_in_unit_id: int | None) -> bool:
    """Whether a record with this label is the actor's to read with no emergency grant or
    consent (so nothing to log): not Part 2, made by their own program, or the privacy officer."""
    return not is_part2 or made_in_unit_id in actor.unit_ids or _sees_everything(actor)


def label_visible(actor: Actor, obj: Model) -> bool:
    """Whether the label of one record lets the actor read it (its scope already did). A read
    opened by an emergency grant or a consent is logged as a disclosure."""
    root = _root_of(obj)
    if root is None or readable_without_grant(actor, root.is_part2, root.made_in_unit_id):
        return True
    opened, grant = _opened_by(actor, root)
    if opened:
        _disclosed(actor, type(root), _person_ids_of(root), consent=grant)
    return opened


def _persons_q(root_model: type[Part2Labelled], prefix: str, person_ids: Iterable[int]) -> Q:
    ids = sorted(set(person_ids))
    path = root_model.PART2_PERSON
    if path == "person":
        return Q(**{f"{prefix}person_id__in": ids})
    subquery = root_model._default_manager.filter(**{f"{path}__in": ids}).values("pk")
    return Q(**{f"{prefix}pk__in" if prefix else "pk__in": subquery})


def restrict_key(actor: Actor) -> Any:
    """What ``restrict_labelled`` builds its condition from for this actor, to key the reads
    kept once built (``policy.readable_rows``): the units whose Part 2 records they read as the
    program's team, the persons of their emergency grants, and the persons, programs and kinds
    of the consents that name them; or that they read everything. Found once per request (the
    actor lives as long as the request), asked by every kept read of it."""
    key = actor.extra.get(_RESTRICT_KEY)
    if key is None:
        key = actor.extra[_RESTRICT_KEY] = _restrict_key(actor)
    return key


def _restrict_key(actor: Actor) -> Any:
    if _sees_everything(actor):
        return "everything"
    from pillars.people.consents import grants_for

    grants = sorted(
        (grant.person_id, tuple(sorted(grant.unit_ids)), tuple(sorted(grant.kinds)))
        for grant in grants_for(actor)
    )
    return (
        tuple(sorted(actor.unit_ids)),
        tuple(sorted(actor.emergency_person_ids)),
        tuple(grants),
    )


_RESTRICT_KEY = "part2-restrict-key"


def bind_reader[M: Model](actor: Actor, qs: QuerySet[M]) -> QuerySet[M]:
    """A copy of a kept read (``policy.readable_rows``) that logs the rows a grant or consent
    opened as disclosures to this actor, not to the reader it was first built for. A kept read
    must fetch the labelled records themselves (``_refuse_records_behind``)."""
    shape = (qs.model, qs._iterable_class)
    if shape not in _READ_AS_RECORDS:
        _refuse_records_behind(*shape)
        _READ_AS_RECORDS.add(shape)
    hint = qs._hints.get(_HINT)  # type: ignore[attr-defined]
    if hint is not None:
        qs._hints = {**qs._hints, _HINT: (actor, hint[1])}  # type: ignore[attr-defined]
    return qs


# The (model, iterable class) pairs of kept reads found to fetch labelled records themselves,
# or rows of no label at all.
_READ_AS_RECORDS: set[tuple[type[Model], type]] = set()


def _refuse_records_behind(model: type[Model], iterable: type) -> None:
    """Refuse a kept read whose rows are not the labelled records themselves (a ``values`` read
    of them, or the parts of a record, labelled through ``PART2_VIA``). A grant or consent that
    opens such rows is logged from the records behind them (``_labelled_rows_behind``), read
    again through the read's own conditions; a kept read's conditions hold the stand-in values
    it was built with (``core.prepared.read``), so that read would find no record and the
    disclosure would go unlogged. Read the records, with their ``LABEL_COLUMNS``, instead."""
    found = labelled_root(model)
    if found is None:
        return
    prefix, _ = found
    if prefix or not issubclass(iterable, ModelIterable):
        raise TypeError(
            f"a kept read of {model.__name__} must read the labelled records themselves "
            "(model instances with their label columns), not values or the parts of a record: "
            "the Part 2 guard could not log what a grant or consent opened"
        )


def restrict_labelled[M: Model](actor: Actor, qs: QuerySet[M]) -> QuerySet[M]:
    """Drop the Part 2 rows the actor may not read: one condition on the query, so lists,
    counts, sections and API pages all lose the same rows. When a grant or consent lets rows
    through, the rows actually fetched are logged as disclosures (``_LoggingQuerySet``)."""
    found = labelled_root(qs.model)
    if found is None or _sees_everything(actor):
        return qs
    prefix, root_model = found
    allowed = Q(**{f"{prefix}is_part2": False}) | Q(
        **{f"{prefix}made_in_unit_id__in": sorted(actor.unit_ids)}
    )
    opened = False
    if actor.emergency_person_ids:
        allowed |= _persons_q(root_model, prefix, actor.emergency_person_ids)
        opened = True
    from pillars.people.consents import grants_for

    for grant in grants_for(actor):
        if root_model.PART2_KIND not in grant.kinds:
            continue
        allowed |= Q(**{f"{prefix}made_in_unit_id__in": sorted(grant.unit_ids)}) & _persons_q(
            root_model, prefix, {grant.person_id}
        )
        opened = True
    if prefix or (opened and root_model.PART2_PERSON != "person"):
        # A path to the record joins, and a person reached through it is a subquery.
        qs = qs.filter(allowed)
    else:
        # The same condition on the model's own columns for every read: resolved once.
        qs = prepared.filtered(qs, allowed)
    if opened:
        qs = _logging(qs, actor, prefix)
    return qs


# A queryset class per base class, made on first use: it logs the Part 2 rows it fetched that
# only a grant or consent let through, and those behind a count or an existence test of it (a
# count of 1 tells that the record exists). The actor and the path to the labelled record ride
# in the queryset's hints, which Django hands on to every chained copy (filter, values...).
_LOGGING: dict[type, type] = {}
_HINT = "part2_reader"


def _logging[M: Model](qs: QuerySet[M], actor: Actor, prefix: str = "") -> QuerySet[M]:
    base = type(qs)
    cls = _LOGGING.get(base)
    if cls is None:

        def _fetch_all(self: Any) -> None:
            fresh = self._result_cache is None
            base._fetch_all(self)
            if fresh:
                _log_fetched(self)

        def count(self: Any) -> int:
            found = int(base.count(self))
            if found and self._result_cache is None:
                log_counted(self)
            return found

        def exists(self: Any) -> bool:
            found = bool(base.exists(self))
            if found and self._result_cache is None:
                log_counted(self)
            return found

        cls = type(
            f"Part2Logged{base.__name__}",
            (base,),
            {"_fetch_all": _fetch_all, "count": count, "exists": exists},
        )
        _LOGGING[base] = cls
    qs = qs.all()
    qs.__class__ = cls
    qs._hints = {**qs._hints, _HINT: (actor, prefix)}  # type: ignore[attr-defined]
    return qs


def _log_fetched(qs: Any) -> None:
    hint = qs._hints.get(_HINT)
    if hint is None or not qs._result_cache:
        return
    actor, prefix = hint
    rows = qs._result_cache
    if prefix or not all(isinstance(row, Part2Labelled) for row in rows):
        rows = _labelled_rows_behind(qs, actor, prefix)
    _log_rows(actor, rows)


def logs_disclosures(qs: Any) -> bool:
    """Whether reading or counting ``qs`` logs disclosures: a grant or consent opened Part 2
    records to its reader (``restrict_labelled`` marked it)."""
    return _HINT in getattr(qs, "_hints", {})


def log_counted(qs: Any) -> None:
    """Log the Part 2 records behind a count (or an existence test) of ``qs`` that only a grant
    or a consent let through, as a read of its rows would be logged: a count names no record,
    but a count of a person's records tells that one exists. One query, and only for a read a
    grant or consent opened (a queryset ``restrict_labelled`` marked); any other is left."""
    hint = getattr(qs, "_hints", {}).get(_HINT)
    if hint is None:
        return
    actor, prefix = hint
    _log_rows(actor, _labelled_rows_behind(qs, actor, prefix))


def _log_rows(actor: Actor, rows: Iterable[Any]) -> None:
    rows = list(rows)
    # The persons read with the rows (``select_related``): a disclosure names them by these.
    persons = [row._state.fields_cache.get("person") for row in rows]
    note_public_ids(
        actor,
        {
            p.pk: p.public_id
            for p in persons
            if isinstance(p, PersonServed) and "public_id" in p.__dict__
        },
    )
    for row in rows:
        if not row.is_part2 or row.made_in_unit_id in actor.unit_ids:
            continue
        opened, grant = _opened_by(actor, row)
        if opened:
            _disclosed(actor, type(row), _person_ids_of(row), consent=grant)


def _labelled_rows_behind(qs: Any, actor: Actor, prefix: str) -> list[Part2Labelled]:
    """The labelled records behind rows that are not those records themselves (a ``values``
    read, which still tells whether a record exists; the parts of a record): a read that a
    grant or a consent opened is a disclosure whatever shape its rows take. One query, for
    the Part 2 records among them that another program made."""
    found = labelled_root(qs.model)
    if found is None:
        return []
    root_model = found[1]
    behind = qs.values(f"{prefix}pk")
    return list(
        root_model._default_manager.filter(pk__in=behind, is_part2=True)
        .exclude(made_in_unit_id__in=sorted(actor.unit_ids))
        .only(*label_columns(root_model))
        .order_by()
    )


# actor.extra's key for the public ids of the persons the request has read (``note_public_ids``).
_KNOWN_PUBLIC_IDS = "part2-known-public-ids"


def note_public_ids(actor: Actor, public_ids: Mapping[int, UUID]) -> None:
    """The public ids of persons this request has read already, by primary key: a disclosure
    that names them (a board read under a consent, on every refresh) reads none of its own.
    Kept on the actor, which lives as long as the request."""
    actor.extra.setdefault(_KNOWN_PUBLIC_IDS, {}).update(public_ids)


def _disclosed(
    actor: Actor, root_model: type[Part2Labelled], person_ids: set[int], *, consent: Any
) -> None:
    """One audit event per request, kind and basis: a Part 2 record was read outside the
    program that made it, under an emergency grant or the named consent."""
    who = ",".join(str(p) for p in sorted(person_ids))
    key = f"part2-logged:{root_model.__name__}:{consent.consent_id if consent else ''}:{who}"
    if actor.extra.get(key) or not actor.is_authenticated:
        return
    from pillars.core.exports import note_disclosure

    note_disclosure(actor, str(consent.public_id) if consent is not None else "emergency")
    actor.extra[key] = True
    from pillars.audit import log as audit
    from pillars.audit.choices import Action, Category, Purpose

    known = actor.extra.get(_KNOWN_PUBLIC_IDS, {})
    if all(pk in known for pk in person_ids):
        persons = [known[pk] for pk in sorted(person_ids)]
    else:
        # Compiled once per number of persons (``core.prepared``).
        persons = prepared.rows(
            "public ids of the persons a disclosure names",
            PersonServed.objects.filter(pk__in=sorted(person_ids))
            .order_by("pk")
            .values_list("public_id", flat=True),
        )
    audit.record(
        actor=actor.user,
        action=Action.VIEW,
        object_type=f"{root_model._meta.app_label}.{root_model._meta.model_name}",
        object_id="part2-disclosure",
        person_id=persons[0] if len(persons) == 1 else None,
        category=Category.SUBSTANCE_USE,
        purpose=Purpose.EMERGENCY if consent is None else consent.purpose_for_audit,
        detail={
            "disclosure": "emergency" if consent is None else "consent",
            "consent_id": str(consent.public_id) if consent is not None else None,
            "kind": root_model.PART2_KIND,
            "person_ids": [str(p) for p in persons],
        },
    )


def backfill_labels(
    model: Any,
    placement_model: Any,
    *,
    person: str = "person_id",
    moment: str = "",
    unit: str = "",
    batch: int = 2000,
) -> None:
    """Label rows written before labels existed (a data migration passes its historical
    models): the record's own unit when it names one, else the person's placement at the
    record's moment (``person`` and ``moment`` are field paths of the row)."""
    if unit:
        model.objects.filter(made_in_unit__isnull=True).update(made_in_unit_id=models.F(unit))
    else:
        placements: dict[int, list[tuple[Any, Any, int]]] = {}
        for person_id, started, ended, unit_id in placement_model.objects.values_list(
            "episode__person_id", "started_at", "ended_at", "unit_id"
        ).order_by("-started_at"):
            placements.setdefault(person_id, []).append((started, ended, unit_id))
        rows = model.objects.filter(made_in_unit__isnull=True).values_list("pk", person, moment)
        changed: list[Any] = []
        for pk, person_id, at in rows.iterator(chunk_size=batch):
            mine = placements.get(person_id, [])
            started = [p for p in mine if p[0] <= at]
            inside = [p for p in started if p[1] is None or p[1] > at]
            options = inside or started or mine[-1:]
            chosen = options[0] if options else None
            if chosen is not None:
                changed.append(model(pk=pk, made_in_unit_id=chosen[2]))
            if len(changed) >= batch:
                model.objects.bulk_update(changed, ["made_in_unit"])
                changed = []
        if changed:
            model.objects.bulk_update(changed, ["made_in_unit"])
    model.objects.filter(made_in_unit__is_substance_use_program=True).update(is_part2=True)


def disclosure_basis(actor: Actor, obj: Model) -> Any:
    """Why a labelled Part 2 record may leave with this actor (``core.exports`` asks, after
    the record was found visible); None for a record without a Part 2 label."""
    from pillars.core.exports import Basis

    root = _root_of(obj)
    if root is None or not root.is_part2:
        return None
    if root.made_in_unit_id in actor.unit_ids:
        return Basis("program")
    if _sees_everything(actor):
        return Basis("privacy")
    opened, grant = _opened_by(actor, root)
    if not opened:
        return None
    # Leaving the program: the person it is accounted to (42 CFR 2.24), named on the basis.
    person_pk = root.label_person_id()
    found = (
        PersonServed.objects.filter(pk=person_pk).values_list("public_id", flat=True).first()
        if person_pk is not None
        else None
    )
    person = str(found) if found is not None else ""
    if grant is None:
        return Basis("emergency", person=person)
    from pillars.people.consents import explain

    return Basis("consent", str(grant.public_id), explain(grant.consent_id), person=person)

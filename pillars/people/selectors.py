"""Reads of people, units and staff, scoped to the user and audited when they touch a person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.audit.models import AuditEvent
from pillars.audit.selectors import withheld_q
from pillars.core import clock, policy, prepared
from pillars.core.entry import get_for, one_row, public_id_of
from pillars.core.policy import Actor
from pillars.people import labels
from pillars.people.labels import LABEL_COLUMNS
from pillars.people.models import (
    Bed,
    CaseloadAssignment,
    EmergencyAccess,
    Episode,
    PersonServed,
    Placement,
    Role,
    Staff,
    Unit,
)
from pillars.people.policies import (
    READ_ON_UNITS,
    on_actor_units,
    scope_read_with,
)
from pillars.people.tenancy import in_organization, organization_for


def _ever_part2() -> Exists:
    """Whether the person (the outer row) was ever placed in a Part 2 program."""
    return Exists(
        Placement.objects.filter(
            episode__person=OuterRef("pk"), unit__is_substance_use_program=True
        )
    )


def person_category(person: PersonServed) -> str:
    """Substance-use (42 CFR Part 2) when the person was ever placed in a Part 2 program."""
    part2 = Placement.objects.filter(
        episode__person=person, unit__is_substance_use_program=True
    ).exists()
    return Category.SUBSTANCE_USE if part2 else Category.GENERAL


def record_person_event(
    person: PersonServed,
    *,
    actor: Any,
    action: str,
    target: Model,
    detail: Mapping[str, Any],
    purpose: str = Purpose.TREATMENT,
    actor_label: str = "",
) -> None:
    """One audit event about one person served: it names the person and carries the person's
    data category (``person_category``), inside the caller's transaction. ``actor_label`` names
    an actor that is not a user (the worker's sweeps, a person on their own page)."""
    audit.record(
        actor,
        action,
        target,
        person_id=person.public_id,
        category=person_category(person),
        purpose=purpose,
        detail=detail,
        actor_label=actor_label,
    )


def part2_person_ids(person_ids: Iterable[int]) -> set[int]:
    """Which of these persons were ever placed in a Part 2 program (``person_category`` for
    many persons, one query)."""
    return set(
        Placement.objects.filter(
            episode__person_id__in=list(person_ids), unit__is_substance_use_program=True
        ).values_list("episode__person_id", flat=True)
    )


# Other apps' selectors read a public id through this name.
_parse_uuid = public_id_of


def _user(user: Any) -> Any:
    """The sign-in account behind a user or an already-loaded actor (audit rows name users)."""
    return user.user if isinstance(user, Actor) else user


def is_emergency_read(user: Any, person: PersonServed) -> bool:
    """True when the person is visible to the user only through an emergency-access grant."""
    from pillars.people.policies import visible_without_emergency

    actor = policy.actor_for(user)
    return person.pk in actor.emergency_person_ids and not visible_without_emergency(actor, person)


def _purpose(user: Any, person: PersonServed) -> str:
    return Purpose.EMERGENCY if is_emergency_read(user, person) else Purpose.TREATMENT


def record_person_read(user: Any, target: Any, person: PersonServed, **detail: Any) -> None:
    """Append the event of ``user`` (a user or an already-loaded actor) reading ``target``, a
    record of ``person``'s: it carries the person's data category, and its purpose is treatment
    unless the person is visible only through an emergency grant."""
    audit.record(
        _user(user),
        Action.VIEW,
        target,
        person_id=person.public_id,
        category=person_category(person),
        purpose=_purpose(user, person),
        detail=detail,
    )


def _searched[M: Model](
    qs: QuerySet[M], search: str, *, contains: Iterable[str], exact: Iterable[str]
) -> QuerySet[M]:
    """``qs`` narrowed to the rows where each of the first four words of ``search`` is in one
    of the ``contains`` fields or is one of the ``exact`` fields (case ignored)."""
    for word in search.split()[:4]:
        matches = Q()
        for name in contains:
            matches |= Q(**{f"{name}__icontains": word})
        for name in exact:
            matches |= Q(**{f"{name}__iexact": word})
        qs = qs.filter(matches)
    return qs


def persons_visible_to(
    user: Any, *, search: str = "", unit: Unit | None = None, action: str = "people.list_persons"
) -> QuerySet[PersonServed]:
    qs = _searched(
        policy.restrict(PersonServed.objects.all(), user, action),
        search,
        contains=("legal_given_name", "legal_family_name", "preferred_name"),
        exact=("record_number",),
    )
    if unit is not None:
        qs = qs.filter(episodes__placements__unit=unit, episodes__placements__ended_at__isnull=True)
    return qs.order_by("legal_family_name", "legal_given_name", "pk")


def record_list_read(
    user: Any,
    people: list[PersonServed],
    *,
    what: str,
    detail: dict[str, Any] | None = None,
    purpose: str = Purpose.TREATMENT,
) -> None:
    """One audit event for a page or API list that showed persons served."""
    if not people:
        return
    if all(hasattr(p, "ever_part2") for p in people):
        # Annotated by with_current_placement: no second query for the category.
        part2 = {p.pk for p in people if p.ever_part2}  # type: ignore[attr-defined]
    else:
        part2 = set(
            Placement.objects.filter(
                episode__person__in=people, unit__is_substance_use_program=True
            ).values_list("episode__person_id", flat=True)
        )
    audit.record(
        actor=_user(user),
        action=Action.VIEW,
        object_type="people.personserved",
        object_id=what,
        category=Category.SUBSTANCE_USE if part2 else Category.GENERAL,
        purpose=purpose,
        detail={**(detail or {}), "person_ids": [str(p.public_id) for p in people]},
    )


def get_person_for(
    user: Any, public_id: Any, action: str = "people.view_person", *, what: str = "record"
) -> PersonServed:
    """One person served, or 404 when out of scope / 403 when not allowed; the read is audited."""
    # The Part 2 category of this read's audit event is read with the person (one query, not
    # two). It is taken off the instance at once: a write later in the same request (a transfer)
    # may change it, and person_category reads it afresh.
    # The scope check's "placed on one of your units now" is read with the person too.
    actor = policy.actor_for(user)
    person = one_row(
        PersonServed.objects.filter(public_id=public_id_of(public_id)).annotate(
            read_part2=_ever_part2(), **on_actor_units(actor)
        )
    )
    if person is None:
        raise Http404("Not found")
    part2 = person.__dict__.pop("read_part2")
    _checked_read(user, actor, person, part2, action, what)
    return person


@dataclass(frozen=True)
class Stay:
    """One placement as the person's page shows it, with what it shows of its unit and bed
    (read with it, not as records of their own)."""

    unit_id: int
    unit_name: str
    unit_kind: str
    time_zone: str
    is_part2: bool
    bed: str  # as Bed.__str__ names it; "" for no bed
    started_at: datetime
    ended_at: datetime | None
    reason: str


def get_person_with_episodes_for(
    user: Any, public_id: Any
) -> tuple[PersonServed, list[tuple[Episode, list[Stay]]]]:
    """``get_person_for`` for the person's page, with their episodes of care, newest first,
    each with its placements in order (admission opens an episode with its first placement, so
    the placements name every episode). One read of the placements, the person with them,
    answers the page, the scope check's "placed on one of your units now" and the Part 2
    category of the audited read, where the person's own read would ask the placements twice
    more (the person alone is read only when they were never placed). Nothing read is shown
    unless the check passes."""
    actor = policy.actor_for(user)
    key = public_id_of(public_id)
    placements = prepared.read(
        "episodes of a person, with the person, by public id",
        "",
        lambda public_id: (
            Placement.objects.filter(episode__person__public_id=public_id)
            .select_related("episode__person")
            .only(*_EPISODE_COLUMNS, "episode__person", *_PERSON_COLUMNS)
            .annotate(**_UNIT_AND_BED)
            .order_by("-episode__admitted_at", "episode_id", "started_at", "pk")
        ),
        key,
    )
    if placements:
        person = placements[0].episode.person
    else:
        found = prepared.read(
            "person by public id",
            "",
            lambda public_id: PersonServed.objects.filter(public_id=public_id).order_by()[:1],
            key,
        )
        if not found:
            raise Http404("Not found")
        person = found[0]
    episodes = _episodes(placements)
    stays = [stay for _, in_episode in episodes for stay in in_episode]
    if actor.unit_ids:
        person.__dict__[READ_ON_UNITS] = any(
            s.ended_at is None and s.unit_id in actor.unit_ids for s in stays
        )
    part2 = any(s.is_part2 for s in stays)
    _checked_read(user, actor, person, part2, "people.view_person", "record")
    return person, episodes


def _checked_read(
    user: Any, actor: Actor, person: PersonServed, part2: bool, action: str, what: str
) -> None:
    with scope_read_with(person, person, actor):
        policy.require(user, action, person)
    audit.record(
        _user(user),
        Action.VIEW,
        person,
        person_id=person.public_id,
        category=Category.SUBSTANCE_USE if part2 else Category.GENERAL,
        purpose=_purpose(user, person),
        detail={"what": what},
    )


def current_placement(person: PersonServed) -> Placement | None:
    return (
        Placement.objects.current()
        .filter(episode__person=person)
        .select_related("unit", "bed__room", "episode")
        .first()
    )


def census_at(unit: Unit, moment: datetime | None = None) -> QuerySet[Placement]:
    """Who was on the unit at a moment (now by default)."""
    return (
        Placement.objects.at(moment or clock.now())
        .filter(unit=unit)
        .select_related("episode__person", "bed__room")
        .order_by("bed__room__name", "bed__label", "episode__person__legal_family_name")
    )


def units_visible_to(user: Any) -> QuerySet[Unit]:
    return policy.restrict(Unit.objects.select_related("site"), user, "people.view_unit")


def get_unit_for(user: Any, public_id: Any, action: str = "people.view_unit") -> Unit:
    """A unit with its site (``core.entry.get_for``: 404 out of scope, 403 when not allowed),
    its SQL compiled once (``core.prepared``): every board refresh reads its unit first."""
    unit = prepared.one(
        "unit by public id",
        Unit.objects.select_related("site").filter(public_id=public_id_of(public_id)),
    )
    if unit is None:
        raise Http404("Not found")
    policy.require(user, action, unit)
    return unit


def staff_visible_to(user: Any, *, search: str = "") -> QuerySet[Staff]:
    qs = _searched(
        policy.restrict(
            Staff.objects.select_related("user", "supervisor"), user, "people.view_staff"
        ),
        search,
        contains=("display_name", "job_title"),
        exact=("user__username", "badge_number"),
    )
    return qs.order_by("display_name", "pk")


def get_staff_for(user: Any, public_id: Any, action: str = "people.view_staff") -> Staff:
    return get_for(Staff.objects.select_related("user", "supervisor"), user, public_id, action)


# The columns the person page shows of a placement and its episode, not their whole rows (the
# person's are all read: the page is theirs), and the few values it shows of the unit and bed.
_EPISODE_COLUMNS = (
    "episode_id",
    "unit_id",
    "bed_id",
    "started_at",
    "ended_at",
    "reason",
    "episode__admitted_at",
    "episode__discharged_at",
    "episode__disposition",
)
_UNIT_AND_BED = {
    "unit_name": F("unit__name"),
    "unit_kind": F("unit__kind"),
    "unit_time_zone": F("unit__time_zone"),
    "unit_is_part2": F("unit__is_substance_use_program"),
    "bed_label": F("bed__label"),
    "room_name": F("bed__room__name"),
}
_PERSON_COLUMNS = tuple(
    f"episode__person__{field.name}" for field in PersonServed._meta.concrete_fields
)


def _stay(placement: Any) -> Stay:
    """A placement read with ``_UNIT_AND_BED``, as the page shows it."""
    return Stay(
        unit_id=placement.unit_id,
        unit_name=placement.unit_name,
        unit_kind=placement.unit_kind,
        time_zone=placement.unit_time_zone,
        is_part2=placement.unit_is_part2,
        bed=f"{placement.room_name}-{placement.bed_label}" if placement.bed_id else "",
        started_at=placement.started_at,
        ended_at=placement.ended_at,
        reason=placement.reason,
    )


def _episodes(placements: list[Placement]) -> list[tuple[Episode, list[Stay]]]:
    episodes: dict[int, tuple[Episode, list[Stay]]] = {}
    for placement in placements:
        episodes.setdefault(placement.episode_id, (placement.episode, []))[1].append(
            _stay(placement)
        )
    return list(episodes.values())


def caseload_of(user: Any, person_id: int) -> prepared.Pending[CaseloadAssignment]:
    """The person's caseload assignments the user may read, open ones first, with the staff
    member's name (not the whole row: the page shows no more), made ready to run with the
    page's other reads: built once per reader's label condition (``policy.readable_later``),
    so an assignment another program made stays with its team (42 CFR Part 2) and one a grant
    or a consent opened is logged as a disclosure."""

    def build(person_id: int) -> QuerySet[CaseloadAssignment]:
        return (
            policy.readable(CaseloadAssignment.objects.filter(person_id=person_id), user)
            .select_related("staff")
            .only(
                "public_id",
                "kind",
                "started_on",
                "ended_on",
                "staff__display_name",
                *LABEL_COLUMNS,
            )
            .order_by("ended_on", "-started_on")
        )

    return policy.readable_later("a person's caseload", user, build, person_id)


def grants_awaiting_review(user: Any) -> QuerySet[EmergencyAccess]:
    """Grants no one has reviewed yet, except the reviewer's own (people.policies)."""
    own = Q(staff_id=policy.actor_for(user).staff_id or 0)
    return (
        policy.restrict(EmergencyAccess.objects.all(), user, "people.review_emergency_access")
        .filter(reviewed_at__isnull=True)
        .exclude(own)
        .select_related("staff", "person")
        .order_by("started_at")
    )


# --- Lists with the current placement, the census, and the home panels ------------------------


def with_current_placement(qs: QuerySet[PersonServed]) -> QuerySet[PersonServed]:
    """Each person's current unit and bed as columns of the same query (no query per row)."""
    current = Placement.objects.current().filter(episode__person=OuterRef("pk"))
    part2 = Placement.objects.filter(
        episode__person=OuterRef("pk"), unit__is_substance_use_program=True
    )
    return qs.annotate(
        ever_part2=Exists(part2),
        current_unit_name=Subquery(current.values("unit__name")[:1]),
        current_unit_public_id=Subquery(current.values("unit__public_id")[:1]),
        current_room=Subquery(current.values("bed__room__name")[:1]),
        current_bed=Subquery(current.values("bed__label")[:1]),
    )


def occupied_counts(units: list[Unit], moment: datetime | None = None) -> dict[int, int]:
    """How many persons served were on each unit at a moment (now by default)."""
    rows = (
        Placement.objects.at(moment or clock.now())
        .filter(unit__in=units)
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    return {row["unit_id"]: row["n"] for row in rows}


def beds_of(unit: Unit) -> QuerySet[Bed]:
    return (
        Bed.objects.filter(room__unit=unit).select_related("room").order_by("room__name", "label")
    )


def free_beds(units: list[Unit]) -> QuerySet[Bed]:
    """Active beds nobody occupies now, on the given units."""
    taken = Placement.objects.current().filter(bed=OuterRef("pk"))
    return (
        Bed.objects.filter(room__unit__in=units, is_active=True)
        .exclude(Exists(taken))
        .select_related("room__unit")
        .order_by("room__unit__name", "room__name", "label")
    )


def admitting_units(user: Any, action: str = "people.admit") -> list[Unit]:
    """Units the user may admit to or transfer into: visible, active, and the action is theirs."""
    if not policy.can(user, action):
        return []
    return list(units_visible_to(user).filter(is_active=True).order_by("name"))


def transfer_units(user: Any) -> list[Unit]:
    """Any active unit of the user's organization can receive a transfer: the sending unit
    decides, and the person then leaves the sender's scope (the receiving unit's staff see
    them). Another organization's units are not there (people.tenancy)."""
    units = in_organization(Unit.objects.filter(is_active=True), user)
    return list(units.select_related("site").order_by("name"))


def local_day_bounds(unit: Unit, moment: datetime | None = None) -> tuple[datetime, datetime]:
    """The start and end (UTC) of the unit's local calendar day containing the moment."""
    zone = ZoneInfo(unit.time_zone)
    day = clock.local(moment or clock.now(), zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def movements_today(units: list[Unit]) -> tuple[list[Placement], list[Placement]]:
    """Admissions and discharges on each unit during its own local today."""
    if not units:
        return [], []
    admitted, discharged = Q(pk__in=[]), Q(pk__in=[])
    for unit in units:
        start, end = local_day_bounds(unit)
        admitted |= Q(unit=unit, started_at__gte=start, started_at__lt=end)
        discharged |= Q(unit=unit, ended_at__gte=start, ended_at__lt=end)
    base = Placement.objects.select_related("episode__person", "unit", "bed__room")
    admissions = base.filter(admitted, started_at=F("episode__admitted_at")).order_by("started_at")
    discharges = base.filter(discharged, ended_at=F("episode__discharged_at")).order_by("ended_at")
    return list(admissions), list(discharges)


def active_caseload_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}started_on__lte": today}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": today})
    )


def caseload_for_staff(staff_id: int) -> QuerySet[CaseloadAssignment]:
    """A staff member's active caseload today, with each person's current placement."""
    today = clock.organization_today()
    return (
        CaseloadAssignment.objects.filter(active_caseload_q(today), staff_id=staff_id)
        .select_related("person")
        .order_by("person__legal_family_name", "person__legal_given_name")
    )


def team_of(user: Any, staff_id: int) -> QuerySet[Staff]:
    """A supervisor's supervisees (visible to them), each with today's active caseload count:
    the assignments the user may read (an assignment another program made stays with its
    team, 42 CFR Part 2; one opened by a grant or consent is logged as a disclosure)."""
    today = clock.organization_today()
    shown = policy.readable(
        CaseloadAssignment.objects.filter(active_caseload_q(today), staff__supervisor_id=staff_id),
        user,
    )
    labels.log_counted(shown)
    return (
        staff_visible_to(user)
        .filter(supervisor_id=staff_id)
        .annotate(
            caseload_count=Count(
                "caseload", filter=Q(caseload__in=shown.values("pk")), distinct=True
            )
        )
        .prefetch_related("roles")
    )


def staff_counts_by_role(user: Any) -> list[dict[str, Any]]:
    """The user's organization's staff employed today, counted by role (a person with two
    roles counts in both); roles are shared, the staff are each organization's own."""
    today = clock.organization_today()
    employed = (
        Q(staff__hired_on__lte=today)
        & (Q(staff__exited_on__isnull=True) | Q(staff__exited_on__gt=today))
        & Q(staff__organization_id=organization_for(user))
    )
    rows = (
        Role.objects.annotate(n=Count("staff", filter=employed, distinct=True))
        .order_by("name")
        .values("code", "name", "n")
    )
    return [dict(row) for row in rows]


def employed_q(today: date) -> Q:
    return Q(hired_on__lte=today) & (Q(exited_on__isnull=True) | Q(exited_on__gt=today))


# --- Single records ---------------------------------------------------------------------------


def open_episode(person: PersonServed) -> Episode | None:
    return Episode.objects.open().filter(person=person).first()


# --- Emergency access ("break the glass") -----------------------------------------------------


def find_person_for_emergency(user: Any, record_number: str) -> PersonServed | None:
    """Look up one person by exact record number across the organization, for a break-the-glass
    request; the lookup itself is audited, found or not. The caller shows only name and date of
    birth until a grant exists."""
    policy.require(user, "people.break_glass")
    number = record_number.strip()
    # Record numbers are each organization's own: the one the requester works for.
    found = in_organization(PersonServed.objects.filter(record_number__iexact=number), user)
    person = found.first() if number else None
    audit.record(
        actor=_user(user),
        action=Action.SEARCH,
        object_type="people.personserved",
        object_id="emergency lookup",
        person_id=person.public_id if person else None,
        outcome=Outcome.SUCCESS if person else Outcome.FAILED,
        purpose=Purpose.EMERGENCY,
        detail={"record_number": number[:32], "found": person is not None},
    )
    return person


def has_closed_part2(user: Any, person: PersonServed) -> bool:
    """Whether a substance-use program's records of this person are closed to the user (an
    emergency grant would open them; see people.labels)."""
    from pillars.people.labels import has_closed_part2 as closed

    return closed(policy.actor_for(user), person.pk)


def get_person_for_emergency(user: Any, public_id: Any) -> PersonServed:
    """The person a break-the-glass request names; any person of the requester's organization,
    but only for eligible roles."""
    policy.require(user, "people.break_glass")
    found = PersonServed.objects.filter(public_id=public_id_of(public_id))
    person = in_organization(found, user).first()
    if person is None:
        raise Http404("Not found")
    return person


def active_grant_for(user: Any, person: PersonServed) -> EmergencyAccess | None:
    """The user's emergency grant to this person that is in force now, if any."""
    actor = policy.actor_for(user)
    # The actor already holds the persons its grants in force name: no grant, no query.
    if actor.staff_id is None or person.pk not in actor.emergency_person_ids:
        return None
    now = clock.now()
    return (
        EmergencyAccess.objects.filter(
            staff_id=actor.staff_id, person=person, started_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )


def events_during(grant: EmergencyAccess) -> QuerySet[AuditEvent]:
    """What the staff member did while the grant was in force (the privacy officer's evidence).
    Their own wellbeing events are theirs, not evidence (DESIGN.md rule 5): left out, as the
    audit report withholds them (``audit.selectors.withheld_q``)."""
    return (
        AuditEvent.objects.filter(
            actor_id=grant.staff.user_id,
            occurred_at__gte=grant.started_at,
            occurred_at__lt=grant.expires_at,
        )
        .exclude(withheld_q())
        .order_by("seq")
    )


# --- Admission by record number (a returning person) -----------------------------------------


@dataclass(frozen=True)
class AdmissionLookup:
    """What an admission lookup found. Scope follows the unit, so a person with no open episode is
    in nobody's unit scope; the lookup finds them by exact record number for admission only.

    ``person`` is set only when they may be admitted (no open episode anywhere). A person admitted
    now is never handed out: ``already_yours`` names them only when the user may open their
    record anyway, and ``admitted_elsewhere`` says no more than that they are on some unit."""

    person: PersonServed | None = None
    already_yours: PersonServed | None = None
    admitted_elsewhere: bool = False
    event: AuditEvent | None = None


def audit_admission_lookup(
    user: Any, record_number: str, person: PersonServed | None, is_admitted: bool
) -> AuditEvent:
    """The lookup's audit event, found or not: who looked for which number, and whom it named."""
    return audit.record(
        actor=_user(user),
        action=Action.SEARCH,
        object_type="people.personserved",
        object_id="admission lookup",
        person_id=person.public_id if person else None,
        outcome=Outcome.SUCCESS,
        category=person_category(person) if person else Category.GENERAL,
        purpose=Purpose.TREATMENT,
        detail={
            "what": "admission lookup",
            "record_number": record_number[:32],
            "found": person is not None,
            "admitted_now": is_admitted,
        },
        durable=True,
    )


def lookup_for_admission(user: Any, record_number: str) -> AdmissionLookup:
    """Look up one person by exact record number (as stored: case counts) to admit them; no
    partial match and no list, so it cannot be used to browse discharged people. Needs
    ``people.admit``; the lookup is audited whether it finds anyone or not."""
    policy.require(user, "people.admit")
    number = record_number.strip()
    found = in_organization(PersonServed.objects.filter(record_number=number), user)
    person = found.first() if number else None
    is_admitted = person is not None and Episode.objects.open().filter(person=person).exists()
    event = audit_admission_lookup(user, number, person, is_admitted)
    if person is None:
        return AdmissionLookup(event=event)
    if not is_admitted:
        return AdmissionLookup(person=person, event=event)
    if policy.is_visible(user, person) and not is_emergency_read(user, person):
        return AdmissionLookup(already_yours=person, event=event)
    return AdmissionLookup(admitted_elsewhere=True, event=event)


def find_for_admission(user: Any, record_number: str) -> PersonServed | None:
    """The person with exactly this record number when they have no open episode anywhere, else
    None (nobody, or admitted now: callers that must not tell which use this)."""
    return lookup_for_admission(user, record_number).person


# --- Episodes by public id (the API's transfer and discharge) ---------------------------------


def get_episode_for(user: Any, public_id: Any, action: str = "people.view_person") -> Episode:
    """One episode of care, or 404 when its person is out of scope / 403 when not allowed."""
    return get_for(Episode.objects.select_related("person"), user, public_id, action)


def last_placement(episode: Episode) -> Placement | None:
    """The episode's current placement, or its last one once discharged."""
    return (
        Placement.objects.filter(episode=episode)
        .select_related("unit", "bed__room")
        .order_by("-started_at")
        .first()
    )


def person_zone(person: PersonServed) -> ZoneInfo:
    """The zone of the unit the person is on now, or was on last; the default otherwise (their
    local dates and times are read and shown in it)."""
    # The latest placement is the open one when there is one.
    placement = (
        Placement.objects.filter(episode__person=person)
        .select_related("unit")
        .order_by("-started_at", "-pk")
        .first()
    )
    return ZoneInfo(placement.unit.time_zone if placement else settings.PILLARS_DEFAULT_TIME_ZONE)


# --- Lookups the audit report uses (registered with audit.persons) ---------------------------


def person_id_for_record_number(term: str, user: Any) -> UUID | None:
    """The public id of the person served with this record number (exact, any case) in the
    user's organization (record numbers are each organization's own)."""
    found: UUID | None = (
        in_organization(PersonServed.objects.filter(record_number__iexact=term), user)
        .values_list("public_id", flat=True)
        .first()
    )
    return found


def record_numbers_for(person_ids: Iterable[UUID]) -> dict[str, str]:
    """Record numbers of the persons served named by public id (one query)."""
    return {
        str(pid): number
        for pid, number in PersonServed.objects.filter(public_id__in=set(person_ids)).values_list(
            "public_id", "record_number"
        )
    }

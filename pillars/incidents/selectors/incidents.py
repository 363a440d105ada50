"""Reads of incident reports, scoped to the user and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy, suppression
from pillars.core.entry import get_for
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode
from pillars.incidents.models import (
    Incident,
    IncidentPerson,
    IncidentStaff,
    Notification,
)
from pillars.incidents.models.incidents import IncidentStatus
from pillars.incidents.services.incidents import category_of
from pillars.people.models import PersonServed, Staff, Unit
from pillars.people.selectors import employed_q, part2_person_ids
from pillars.rounds.selectors.assignments import assignments_active_at

# DESIGN.md rule 5: leaders see aggregates only, and no group smaller than five.
MIN_GROUP = suppression.threshold("screen")


def _user(user: Any) -> Any:
    return user.user if isinstance(user, Actor) else user


def with_details(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    return qs.select_related("unit", "reported_by").prefetch_related(
        Prefetch("persons", IncidentPerson.objects.select_related("person")),
    )


def incidents_visible_to(
    user: Any, *, action: str = "incidents.view", unit: Unit | None = None
) -> QuerySet[Incident]:
    qs = policy.restrict(Incident.objects.all(), user, action)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs


def get_incident_for(
    user: Any, public_id: Any, action: str = "incidents.view", *, what: str = "incident"
) -> Incident:
    """One incident, 404 when out of scope, 403 when not allowed; the read is audited."""
    incident = get_for(
        Incident.objects.select_related("unit", "reported_by"), user, public_id, action
    )
    persons = list(incident.persons.values_list("person__public_id", flat=True))
    audit.record(
        _user(user),
        Action.VIEW,
        incident,
        person_id=persons[0] if len(persons) == 1 else None,
        category=category_of(incident),
        purpose=Purpose.TREATMENT,
        detail={"what": what, "person_ids": [str(p) for p in persons]},
    )
    return incident


def get_notification_for(user: Any, public_id: Any, action: str) -> Notification:
    return get_for(
        Notification.objects.select_related("incident__unit"),
        user,
        public_id,
        action,
        via=lambda found: found.incident,
    )


def record_incidents_read(user: Any, incidents: list[Incident], *, what: str) -> None:
    """One audit event for a list of incidents that named persons served."""
    if not incidents:
        return
    named = [ip.person for i in incidents for ip in i.persons.all() if ip.person_id]
    persons = {str(p.public_id) for p in named}
    # The category of one incident's read (category_of), for the whole list: substance use when
    # a listed incident was reported in a Part 2 program or names anyone ever placed in one.
    part2 = any(i.is_part2 for i in incidents) or bool(part2_person_ids({p.pk for p in named}))
    audit.record(
        actor=_user(user),
        action=Action.VIEW,
        object_type="incidents.incident",
        object_id=what,
        category=Category.SUBSTANCE_USE if part2 else Category.GENERAL,
        purpose=Purpose.TREATMENT,
        detail={
            "incident_ids": [str(i.public_id) for i in incidents],
            "person_ids": sorted(persons),
        },
    )


def my_drafts(user: Any) -> list[Incident]:
    actor = policy.actor_for(user)
    qs = incidents_visible_to(user, action="incidents.report").filter(
        status=IncidentStatus.DRAFT, reported_by_id=actor.staff_id
    )
    return list(with_details(qs).order_by("-recorded_at", "-pk"))


def unit_incidents(user: Any, unit: Unit, *, status: str = "") -> list[Incident]:
    qs = incidents_visible_to(user, action="incidents.list_unit", unit=unit).exclude(
        status=IncidentStatus.DRAFT
    )
    if status:
        qs = qs.filter(status=status)
    return list(with_details(qs)[:200])


def incidents_to_review(user: Any) -> list[Incident]:
    """The reviewer's queue: submitted and under-review reports on every unit the user may
    review, oldest first (the longest waiting at the top)."""
    qs = incidents_visible_to(user, action="incidents.review").filter(
        status__in=[IncidentStatus.SUBMITTED, IncidentStatus.UNDER_REVIEW]
    )
    return list(with_details(qs).order_by("recorded_at", "pk")[:200])


def person_incidents(user: Any, person: PersonServed) -> list[Incident]:
    qs = incidents_visible_to(user).filter(persons__person=person).distinct()
    return list(qs.select_related("unit").order_by("-occurred_at", "-pk")[:50])


def detail_of(incident: Incident) -> dict[str, Any]:
    """Everything the detail and print pages show, read in a fixed number of queries."""
    now = clock.now()
    notifications = list(incident.notifications.select_related("sent_by"))
    return {
        "persons": list(incident.persons.select_related("person")),
        "staff": list(IncidentStaff.objects.filter(incident=incident).select_related("staff")),
        "steps": list(incident.deescalation_steps.all()),
        "injuries": list(incident.injuries.select_related("person", "staff")),
        "notifications": [
            {"n": n, "status": n.status_at(now), "late": n.is_late_at(now)} for n in notifications
        ],
        "notes": list(incident.review_notes.select_related("written_by")),
        "addenda": list(incident.addenda.select_related("written_by")),
        "debriefs": list(incident.debriefs.select_related("recorded_by")),
    }


# --- Choices offered to a reporter ------------------------------------------------------------


def _missing(field: str, what: str) -> Exception:
    from pillars.core.errors import invalid

    return invalid(field, f"Unknown {what}, or not one you may name.")


def _by_public_id[M: (PersonServed, Staff)](
    model: type[M], user: Any, ids: list[UUID], action: str, field: str, what: str
) -> list[M]:
    """The records with these ids the user may ``action``, each once, in the order given; an
    unknown id, or one out of the user's scope, is refused."""
    wanted = list(dict.fromkeys(ids))
    found = {
        r.public_id: r
        for r in policy.restrict(model.objects.filter(public_id__in=wanted), user, action)
    }
    if len(found) != len(wanted):
        raise _missing(field, what)
    return [found[i] for i in wanted]


def persons_by_public_id(user: Any, ids: list[UUID], field: str = "persons") -> list[PersonServed]:
    """Persons served the reporter may see, in the order given; an unknown id is refused."""
    return _by_public_id(PersonServed, user, ids, "people.view_person", field, "person served")


def staff_by_public_id(user: Any, ids: list[UUID], field: str = "staff_involved") -> list[Staff]:
    return _by_public_id(Staff, user, ids, "people.view_staff", field, "staff member")


def unit_people(unit: Unit) -> list[PersonServed]:
    """The persons placed on a unit now (the reporter's pick list)."""
    return list(
        PersonServed.objects.filter(
            episodes__placements__unit=unit, episodes__placements__ended_at__isnull=True
        )
        .distinct()
        .order_by("legal_family_name", "legal_given_name", "pk")
    )


# Roles that keep the system rather than work the floor: on a unit's incident report they are
# listed only when they are on the unit's shift, not merely because a unit is their home.
OFF_FLOOR_ROLES = frozenset({RoleCode.ADMIN, RoleCode.PRIVACY})


@dataclass(frozen=True)
class StaffGroups:
    """The staff a reporter may name on a unit's incident report, in the order they are most
    likely to be wanted: on the unit's shift now, the unit's other staff, then others (staff
    of the site's other units, and anyone a draft already names)."""

    on_shift: list[Staff]
    this_unit: list[Staff]
    others: list[Staff]

    def labelled(self) -> list[tuple[str, list[Staff]]]:
        groups = [
            ("On shift now", self.on_shift),
            ("This unit", self.this_unit),
            ("Others", self.others),
        ]
        return [(label, staff) for label, staff in groups if staff]

    def all(self) -> list[Staff]:
        return self.on_shift + self.this_unit + self.others


def staff_for_report(unit: Unit, *, keep: list[Staff] | None = None) -> StaffGroups:
    """The staff pick list of an incident report on ``unit``, grouped (StaffGroups).

    On shift now: whoever has a part of the unit's shift at this moment (the same rule the
    escalation sweep uses to find the lead), whatever their role. This unit: employed staff
    whose home is the unit and who have a floor role. Others: floor staff of the site's other
    units. ``keep`` (the staff a draft already names) is always listed, so editing a draft
    never drops a name. Employment is judged in the unit's own calendar."""
    now = clock.now()
    employed = Staff.objects.filter(employed_q(clock.today_in(unit.time_zone)))
    floor = employed.filter(roles__code__in=[c for c in RoleCode if c not in OFF_FLOOR_ROLES])
    by_name = ("display_name", "pk")
    on_shift = list(
        employed.filter(
            pk__in=assignments_active_at(unit, now).order_by().values("staff_id")
        ).order_by(*by_name)
    )
    taken = {s.pk for s in on_shift}
    this_unit = [
        s for s in floor.filter(home_units=unit).distinct().order_by(*by_name) if s.pk not in taken
    ]
    taken |= {s.pk for s in this_unit}
    others = [
        s
        for s in floor.filter(home_units__site_id=unit.site_id)
        .exclude(home_units=unit)
        .distinct()
        .order_by(*by_name)
        if s.pk not in taken
    ]
    taken |= {s.pk for s in others}
    extra = [s for s in dict.fromkeys(keep or []) if s.pk not in taken]
    others = sorted([*others, *extra], key=lambda s: (s.display_name, s.pk))
    return StaffGroups(on_shift, this_unit, others)

"""Reads of observation orders, scoped to the user; reads of a person's orders are audited."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import policy
from pillars.core.entry import get_for, public_id_of
from pillars.core.policy import Actor
from pillars.people.models import PersonServed, Unit
from pillars.people.selectors import is_emergency_read, person_category, record_list_read
from pillars.rounds.models import Check, ObservationOrder

# The other rounds selectors read a public id through this name.
_uuid = public_id_of


def _orders() -> QuerySet[ObservationOrder]:
    return ObservationOrder.objects.select_related("person", "level")


def get_order_for(user: Any, public_id: Any, action: str = "rounds.view") -> ObservationOrder:
    """One order, 404 when its person is out of scope, 403 when the action is not allowed."""
    return get_for(_orders(), user, public_id, action)


def order_to_record(public_id: Any) -> ObservationOrder:
    """The order a check is about to be recorded on, unchecked: only for a caller that hands it
    straight to ``services.record_check``, whose first step is the same policy check as
    ``get_order_for`` (404 out of scope, 403 not allowed). The hot path of the check API pays
    for the scope query once, not twice."""
    order = _orders().filter(public_id=public_id_of(public_id)).first()
    if order is None:
        raise Http404("Not found")
    return order


def open_orders_on(user: Any, unit: Unit) -> list[ObservationOrder]:
    """The open orders of the persons placed on a unit now, most urgent first; one audited
    read naming the persons shown."""
    orders = list(
        policy.restrict(ObservationOrder.objects.all(), user, "rounds.view")
        .filter(
            ended_at__isnull=True,
            episode__placements__unit=unit,
            episode__placements__ended_at__isnull=True,
        )
        .select_related("person", "level")
        .order_by("due_at", "pk")
    )
    record_list_read(user, [o.person for o in orders], what=f"observation orders on {unit.code}")
    return orders


def orders_visible_to(user: Any) -> QuerySet[ObservationOrder]:
    return policy.restrict(ObservationOrder.objects.all(), user, "rounds.view")


def _record_read(user: Any, person: PersonServed, what: str, target: Any) -> None:
    """A read that shows one person served's observation record is an audited view."""
    audit.record(
        actor=user.user if isinstance(user, Actor) else user,
        action=Action.VIEW,
        target=target,
        person_id=person.public_id,
        category=person_category(person),
        purpose=Purpose.EMERGENCY if is_emergency_read(user, person) else Purpose.TREATMENT,
        detail={"what": what},
    )


def read_order_for(
    user: Any, public_id: Any, *, what: str = "observation order"
) -> ObservationOrder:
    """One order to show (level, precautions, who ordered, its checks count); the read is
    audited. 404 when out of scope, 403 when the user may not see orders."""
    order = get_order_for(user, public_id, "rounds.view")
    order = _with_history_columns(ObservationOrder.objects.filter(pk=order.pk)).get()
    _record_read(user, order.person, what, order)
    return order


def _with_history_columns(qs: QuerySet[ObservationOrder]) -> QuerySet[ObservationOrder]:
    # The stored count, not Count("checks"): the page must not grow with every check.
    return qs.select_related("person", "level", "ordered_by", "ended_by", "replaces").annotate(
        checks_count=F("check_count")
    )


def order_history(person: PersonServed, user: Any = None) -> list[ObservationOrder]:
    """Every order of a person (all episodes), the current one first, with its level version
    and its checks count. The caller has already fetched the person with ``get_person_for``,
    which checks scope and audits the read."""
    return list(
        _with_history_columns(
            policy.readable(ObservationOrder.objects.filter(person=person), user)
        ).order_by(F("ended_at").desc(nulls_first=True), "-started_at", "-pk")
    )


def current_order(person: PersonServed, user: Any = None) -> ObservationOrder | None:
    """The person's open order (there is at most one), for the person page; none when the
    order was made in a Part 2 program the user may not read (a new order replaces it)."""
    return (
        policy.readable(ObservationOrder.objects.all(), user)
        .filter(person=person, ended_at__isnull=True)
        .select_related("level", "ordered_by")
        .first()
    )


def recent_checks(
    orders: list[ObservationOrder], per_order: int = 20, user: Any = None
) -> dict[int, list[Check]]:
    """The latest checks of each order the user may read (newest first), with their addenda,
    in two queries."""
    if not orders:
        return {}
    ranked = (
        policy.readable(Check.objects.filter(order__in=orders), user)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("order_id")], order_by=F("observed_at").desc())
        )
        .filter(rank__lte=per_order)
        .select_related("observed_by")
        .prefetch_related("addenda__written_by")
        .order_by("order_id", "-observed_at")
    )
    out: dict[int, list[Check]] = {}
    for check in ranked:
        out.setdefault(check.order_id, []).append(check)
    return out


def get_check_for(
    user: Any, public_id: Any, action: str = "rounds.view", *, what: str = "check"
) -> Check:
    """One check with its order, person and addenda; 404 when out of scope, 403 when the
    action is not allowed. The read is audited (it shows a person served's observation)."""
    check = get_for(
        Check.objects.select_related("order__person", "order__level", "observed_by"),
        user,
        public_id,
        action,
        via=lambda found: found.order,
    )
    if not policy.is_visible(user, check):
        # A check keeps the label of the program it was made in, whatever its order's.
        raise Http404("Not found")
    _record_read(user, check.order.person, what, check)
    return check

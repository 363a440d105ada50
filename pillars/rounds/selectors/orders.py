"""Reads of observation orders, scoped to the user; reads of a person's orders are audited."""

from __future__ import annotations

from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from pillars.core import policy, prepared
from pillars.core.entry import get_for, public_id_of
from pillars.people import labels
from pillars.people.models import PersonServed, Placement, Unit
from pillars.people.policies import READ_ON_UNITS
from pillars.people.selectors import record_list_read, record_person_read
from pillars.rounds.models import Check, ObservationOrder

# The other rounds selectors read a public id through this name.
_uuid = public_id_of


def _orders() -> QuerySet[ObservationOrder]:
    return ObservationOrder.objects.select_related("person", "level")


def get_order_for(user: Any, public_id: Any, action: str = "rounds.view") -> ObservationOrder:
    """One order, 404 when its person is out of scope, 403 when the action is not allowed."""
    return get_for(_orders(), user, public_id, action)


def order_to_record(
    public_id: Any, *, user: Any, lock: bool = False
) -> tuple[ObservationOrder, list[Placement]]:
    """The order a check is about to be recorded on by ``user``, unchecked, and its person's
    placements (``labels.placements_of``): only for a caller that hands both straight to
    ``services.record_check``, whose first step is the same policy check as ``get_order_for``
    (404 out of scope, 403 not allowed). The hot path of the check API reads the placements
    once: they say whether the person is placed on one of the user's units now (the scope
    check's question, ``READ_ON_UNITS``), label the check and name its audit category. With
    ``lock`` (inside the caller's transaction) the order's row is locked as it is read, and
    ``record_check(locked=True, placements=...)`` reads neither again."""
    orders = _orders().select_for_update(of=("self",)) if lock else _orders()
    order = prepared.one(
        f"order to record{' locked' if lock else ''}",
        orders.filter(public_id=public_id_of(public_id)),
    )
    if order is None:
        raise Http404("Not found")
    placements = labels.placements_of(order.person_id)
    unit_ids = policy.actor_for(user).unit_ids
    if unit_ids:
        order.__dict__[READ_ON_UNITS] = any(
            p.ended_at is None and p.unit_id in unit_ids for p in placements
        )
    return order, placements


def orders_placed_on(unit_id: int) -> QuerySet[ObservationOrder]:
    """The open orders of the persons placed on a unit now (joined through their open
    placement), with person and level, whoever reads them: callers restrict them to the user."""
    return ObservationOrder.objects.filter(
        ended_at__isnull=True,
        episode__placements__unit_id=unit_id,
        episode__placements__ended_at__isnull=True,
    ).select_related("person", "level")


def open_orders_placed_on(user: Any, unit: Unit) -> QuerySet[ObservationOrder]:
    """The open orders the user may see of the persons placed on a unit now (joined through
    their open placement), with person and level."""
    return policy.restrict(orders_placed_on(unit.pk), user, "rounds.view")


def open_orders_on(user: Any, unit: Unit) -> list[ObservationOrder]:
    """The open orders of the persons placed on a unit now, most urgent first; one audited
    read naming the persons shown."""
    orders = list(open_orders_placed_on(user, unit).order_by("due_at", "pk"))
    record_list_read(user, [o.person for o in orders], what=f"observation orders on {unit.code}")
    return orders


def orders_visible_to(user: Any) -> QuerySet[ObservationOrder]:
    return policy.restrict(ObservationOrder.objects.all(), user, "rounds.view")


def read_order_for(
    user: Any, public_id: Any, *, what: str = "observation order"
) -> ObservationOrder:
    """One order to show (level, precautions, who ordered, its checks count); the read is
    audited. 404 when out of scope, 403 when the user may not see orders."""
    order = get_order_for(user, public_id, "rounds.view")
    order = _with_history_columns(ObservationOrder.objects.filter(pk=order.pk)).get()
    record_person_read(user, order, order.person, what=what)
    return order


def _with_history_columns(qs: QuerySet[ObservationOrder]) -> QuerySet[ObservationOrder]:
    # The stored count, not Count("checks"): the page must not grow with every check.
    return qs.select_related("person", "level", "ordered_by", "ended_by", "replaces").annotate(
        checks_count=F("check_count")
    )


def order_history_qs(person: PersonServed, user: Any = None) -> QuerySet[ObservationOrder]:
    """Every order of a person (all episodes) the user may read, the current one first, with
    its level version and its stored checks count, as a queryset a page can slice. The caller
    has already fetched the person with ``get_person_for``, which checks scope and audits the
    read."""
    return _with_history_columns(
        policy.readable(ObservationOrder.objects.filter(person=person), user)
    ).order_by(F("ended_at").desc(nulls_first=True), "-started_at", "-pk")


def order_history(person: PersonServed, user: Any = None) -> list[ObservationOrder]:
    """``order_history_qs``, every row."""
    return list(order_history_qs(person, user))


def current_order(person: PersonServed, user: Any = None) -> ObservationOrder | None:
    """The person's open order (there is at most one), for the person page; none when the
    order was made in a Part 2 program the user may not read (a new order replaces it)."""
    # At most one row (a constraint): the key order first() falls back to is cheaper to
    # compute than the model's ordering.
    return (
        policy.readable(ObservationOrder.objects.all(), user)
        .filter(person=person, ended_at__isnull=True)
        .select_related("level", "ordered_by")
        .order_by()
        .first()
    )


@prepared.stepwise
def current_order_summary(
    person: PersonServed, user: Any = None
) -> prepared.Steps[ObservationOrder | None]:
    """``current_order`` with what the person page's section shows: the order's own columns
    it shows and the Part 2 label columns (the label guard reads them on a row it logs), and
    the level's and the orderer's names as ``level_name`` and ``ordered_by_name``, not their
    rows. Built once per reader's labels (``policy.readable_rows``)."""

    def build(person_id: int) -> QuerySet[ObservationOrder]:
        return (
            policy.readable(ObservationOrder.objects.all(), user)
            .filter(person_id=person_id, ended_at__isnull=True)
            .only(*labels.LABEL_COLUMNS, "precautions", "instructions", "reason", "started_at")
            .annotate(level_name=F("level__name"), ordered_by_name=F("ordered_by__display_name"))
            .order_by()[:1]
        )

    found = yield policy.readable_later("current order summary", user, build, person.pk)
    return found[0] if found else None


def recent_checks(
    orders: list[ObservationOrder], per_order: int = 20, user: Any = None
) -> dict[int, list[Check]]:
    """The latest checks of each order the user may read (newest first), with their addenda,
    in three queries whose cost does not grow with the orders' checks: first the moment of each
    order's ``per_order``-th newest readable check (an index probe of ``per_order`` entries per
    order on ``(order, observed_at)``), then the checks at or after it (index ranges), then
    their addenda. Ranking every check of the orders (a window over all of them) would read a
    long stay's thousands of checks to show twenty."""
    if not orders:
        return {}
    floor = (
        policy.readable(Check.objects.filter(order=OuterRef("pk")), user)
        .order_by("-observed_at")
        .values("observed_at")[per_order - 1 : per_order]
    )
    floors = dict(
        ObservationOrder.objects.filter(pk__in=[o.pk for o in orders])
        .annotate(floor=Subquery(floor))
        .values_list("pk", "floor")
    )
    # An order with fewer checks than ``per_order`` has no floor: all of its checks.
    if not floors:
        return {}
    wanted = Q()
    for order_id, since in floors.items():
        wanted |= Q(order_id=order_id, **({"observed_at__gte": since} if since else {}))
    found = (
        policy.readable(Check.objects.filter(wanted), user)
        .select_related("observed_by")
        .prefetch_related("addenda__written_by")
        .order_by("order_id", "-observed_at", "-pk")
    )
    out: dict[int, list[Check]] = {}
    for check in found:
        kept = out.setdefault(check.order_id, [])
        if len(kept) < per_order:  # checks sharing the floor's moment
            kept.append(check)
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
    record_person_read(user, check, check.order.person, what=what)
    return check

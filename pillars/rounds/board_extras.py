"""What other apps add to the unit board: per-row links and flags, and unit panels.

Imports point down (incidents -> rounds), so rounds never imports the apps that extend the
board. An app registers a ``BoardExtension`` from its ``AppConfig.ready``:

- ``rows(request, unit, person_ids)`` answers, for the persons on the board, what to show on
  each row: ``RowExtra`` links (beside "Level history") and flags (under the name, for example
  a restraint timer). It is called once per board read with every person shown, so it must
  read in a constant number of queries whatever the census.
- ``panel`` is a template and a context function ``(request, unit)``; the board renders the
  template above the rows (it is refreshed with them), or nothing when the function answers
  ``None``. A panel that shows counts names them in ``panel_counts`` (``(request, unit)`` ->
  querysets by name, or counts made ready once per reader with ``policy.restricted_count``, or
  ``None``): the board counts every panel's counts together in one query before asking the
  panels, and each context function reads its own with ``counted``. A panel whose context
  reads rows of its own may name those reads in ``panel_reads`` (``(request, unit)`` -> a
  function that reads in steps and keeps what it read with ``shared``): when the board draws
  its panels, they are read with the rows' extras (one round trip for all), and the context
  function finds them there.

Flags carry their text and, where there is one, a moment (``at``) the template shows in the
unit's time; a tone (``""``, ``"warning"``, ``"danger"``) is shown with an icon and text,
never by colour alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest

from pillars.core import policy, prepared
from pillars.people.labels import log_counted, logs_disclosures, note_public_ids
from pillars.people.models import PersonServed, Unit


@dataclass(frozen=True)
class RowExtra:
    label: str
    url: str = ""
    kind: str = "link"  # "link": with the row's links; "flag": under the person's name
    tone: str = ""  # "", "warning" or "danger" (always with an icon and the label)
    icon: str = ""
    at: datetime | None = None  # a moment to show in the unit's time (a deadline, a start)
    # A state the person is in (seclusion, restraint) that the one-tap check must record
    # instead of the last check's place and activity, so one tap never copies a stale
    # "day room" forward. Blank: no opinion.
    location: str = ""
    activity: str = ""


# Or a function that reads in steps (``prepared.Steps``) and answers the same: the board runs
# its reads with the other extensions' (one round trip per step for them all).
type RowsAnswer = dict[int, list[RowExtra]] | prepared.Steps[dict[int, list[RowExtra]]]
RowsProvider = Callable[[HttpRequest, Unit, list[int]], RowsAnswer]
PanelContext = Callable[[HttpRequest, Unit], dict[str, Any] | None]
# A count is a queryset, or one made ready once per reader (``policy.restricted_count``).
type Countable = QuerySet[Any] | prepared.KeptCount
PanelCounts = Callable[[HttpRequest, Unit], dict[str, Countable] | None]
PanelReads = Callable[[HttpRequest, Unit], prepared.Steps[None]]


@dataclass(frozen=True)
class BoardExtension:
    key: str
    rows: RowsProvider | None = None
    panel_template: str = ""
    panel_context: PanelContext | None = None
    panel_counts: PanelCounts | None = None
    panel_reads: PanelReads | None = None
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict[str, Any]


_extensions: dict[str, BoardExtension] = {}


def register(extension: BoardExtension) -> None:
    _extensions[extension.key] = extension


def _ordered() -> list[BoardExtension]:
    return sorted(_extensions.values(), key=lambda e: (e.order, e.key))


def shared[T](request: HttpRequest, key: Hashable, read: Callable[[], T]) -> T:
    """A read that several extensions make on the same board (the unit's unsafe checks not yet
    acknowledged, say), done once per request however many extensions ask for it. The key
    names the read and its arguments."""
    cache: dict[Hashable, Any] = request.__dict__.setdefault("_board_extras_shared", {})
    if key not in cache:
        cache[key] = read()
    return cast(T, cache[key])


def shared_so_far(request: HttpRequest, key: Hashable) -> Any:
    """What ``shared`` holds under ``key`` for this request, or None when nothing has read it."""
    return request.__dict__.get("_board_extras_shared", {}).get(key)


def share_persons(request: HttpRequest, unit: Unit, persons: Iterable[PersonServed]) -> None:
    """The persons the board's rows show, as the board read them: the extensions link to them
    by their public ids with no join of their own (``public_ids``)."""
    shown = {person.pk: person.public_id for person in persons}
    shared(request, ("public-ids", unit.pk), lambda: shown)
    # A Part 2 disclosure naming one of them (a row read under a consent) reads no ids either.
    note_public_ids(policy.actor_for(getattr(request, "user", None)), shown)


def public_ids(request: HttpRequest, unit: Unit, person_ids: list[int]) -> dict[int, UUID]:
    """The public id of each of these persons: from the board's own read of its rows, or
    (asked outside one, or of someone the rows do not show) read here in one query."""
    shown: dict[int, UUID] = shared_so_far(request, ("public-ids", unit.pk)) or {}
    found = {pk: shown[pk] for pk in person_ids if pk in shown}
    missing = [pk for pk in person_ids if pk not in found]
    if missing:
        found.update(
            PersonServed.objects.filter(pk__in=missing).order_by().values_list("pk", "public_id")
        )
    return found


def placed_on(request: HttpRequest, unit: Unit) -> list[PersonServed]:
    """The persons placed on the unit now, by name, with the columns a panel shows of them
    (public id and names): read once per board read for every panel that asks (the persons
    with no order, the counts limited to the unit's persons). A panel still scopes what it
    shows of them to the user. It is built once per process for the unit and its SQL compiled
    once (``core.prepared``)."""
    return shared(request, ("placed-on", unit.pk), lambda: _placed_read(unit).rows())


def _placed_read(unit: Unit) -> prepared.Pending[PersonServed]:
    return prepared.rows_later(
        "persons placed on the board's unit",
        prepared.built("persons placed on a unit", unit.pk, lambda: _placed_on(unit.pk)),
    )


def _panel_reads(request: HttpRequest, unit: Unit) -> prepared.Steps[None]:
    """What the panels read besides their counts (``placed_on`` and each ``panel_reads``), as
    one function that reads in steps: the board runs it with the rows' extras."""
    steps = [e.panel_reads(request, unit) for e in _ordered() if e.panel_reads is not None]
    placed = yield from prepared.all_of(prepared.waited(_placed_read(unit)), *steps)
    shared(request, ("placed-on", unit.pk), lambda: placed[0])


def _placed_on(unit_id: int) -> QuerySet[PersonServed]:
    return (
        PersonServed.objects.filter(
            episodes__placements__unit_id=unit_id, episodes__placements__ended_at__isnull=True
        )
        .only("public_id", "preferred_name", "legal_given_name", "legal_family_name")
        .order_by("legal_family_name", "legal_given_name")
    )


def row_extras(
    request: HttpRequest, unit: Unit, person_ids: Iterable[int], *, panels: bool = False
) -> dict[int, list[RowExtra]]:
    """Every extension's extras for the persons shown, by person id; with ``panels``, what the
    panels read besides their counts is read with them (``panel_reads``)."""
    ids = list(person_ids)
    found: dict[int, list[RowExtra]] = {}
    if not ids:
        return found
    asked: dict[str, Any] = {
        extension.key: extension.rows(request, unit, ids)
        for extension in _ordered()
        if extension.rows is not None
    }
    answers = prepared.gather(
        {**asked, PANEL_READS: _panel_reads(request, unit)} if panels else asked
    )
    for key in asked:
        for person_id, extras in answers[key].items():
            found.setdefault(person_id, []).extend(extras)
    return found


# The key of the panels' reads among the extensions' answers (no extension's key has a space).
PANEL_READS = "panel reads"


def count_together(querysets: Mapping[Any, Countable]) -> dict[Any, int]:
    """The number of rows of each queryset, in one query (a scalar COUNT subquery each, read in
    one SELECT); a queryset that can have no row (``none()``, a refused action) is 0 without
    asking. A count of Part 2 records that a grant or consent opened is logged as a disclosure
    (``labels.log_counted``), as ``count()`` logs it. A count made ready once per reader
    (``prepared.KeptCount``) is read with the others. Call ``panels`` rather than this when
    drawing the board."""
    counts: dict[Hashable, int] = {}
    asked: dict[Hashable, prepared.KeptCount | QuerySet[Any]] = {}
    for key, qs in querysets.items():
        if isinstance(qs, prepared.KeptCount):
            if qs.sql is None:
                counts[key] = 0
            else:
                asked[key] = qs
        elif qs.query.is_empty():
            counts[key] = 0
        elif qs.query.distinct or qs.query.is_sliced:
            # A distinct or sliced queryset is counted as Django counts it, on its own.
            counts[key] = qs.count()
        else:
            asked[key] = qs
    if not asked:
        return counts
    # Each count is compiled on its own, once per process and shape (``core.prepared``), and
    # the SQL texts joined: no subquery expressions to resolve and relabel on an outer query,
    # which cost more than the database takes to count. They are read where the unit is read,
    # as when they were columns of the unit's row.
    using = Unit.objects.db
    columns: list[str] = []
    params: list[Any] = []
    keys: list[Hashable] = []
    for key, qs in asked.items():
        if isinstance(qs, prepared.KeptCount):
            sql, found = cast(str, qs.sql), list(qs.params)
        else:
            try:
                sql, found = prepared.count_sql(key, qs, using)
            except EmptyResultSet:
                counts[key] = 0
                continue
        columns.append(f"({sql})")
        params.extend(found)
        keys.append(key)
    if not keys:
        return counts
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        values = cursor.fetchone() or ()
    counts.update({key: int(value or 0) for key, value in zip(keys, values, strict=False)})
    # A count of Part 2 records a grant or consent opened is a disclosure, as reading them is.
    for key in keys:
        if counts[key]:
            counted_qs = asked[key]
            if not isinstance(counted_qs, prepared.KeptCount):
                log_counted(counted_qs)
            elif logs_disclosures(counted_qs.queryset):
                log_counted(counted_qs.fresh())
    return counts


def counted(request: HttpRequest, key: str) -> dict[str, int] | None:
    """The counts an extension named in ``panel_counts``, counted for this board read; None
    when the panel is asked outside a board read (it then counts on its own)."""
    found: dict[str, dict[str, int]] | None = request.__dict__.get("_board_extras_counts")
    return None if found is None else found.get(key, {})


def counts_of(
    request: HttpRequest,
    unit: Unit,
    key: str,
    panel_counts: PanelCounts,
) -> dict[str, int]:
    """The counts of extension ``key``'s panel: those of this board read, or, when the panel is
    asked outside one, each of ``panel_counts`` counted now."""
    counts = counted(request, key)
    if counts is None:
        wanted = panel_counts(request, unit) or {}
        counts = {cast(str, name): count for name, count in count_together(wanted).items()}
    return counts


def count_panel(
    request: HttpRequest,
    unit: Unit,
    key: str,
    panel_counts: PanelCounts,
    name: str,
    url: Callable[[], str],
) -> dict[str, Any] | None:
    """The context of a panel that shows one of extension ``key``'s counts (``name``) with a
    link to what it counts (``url``); None when the count is nothing, so the panel is hidden."""
    count = counts_of(request, unit, key, panel_counts).get(name)
    if not count:
        return None
    return {"count": count, "url": url()}


def _count_panels(request: HttpRequest, unit: Unit) -> None:
    wanted: dict[Hashable, Countable] = {}
    for extension in _ordered():
        if extension.panel_counts is None:
            continue
        for name, qs in (extension.panel_counts(request, unit) or {}).items():
            wanted[(extension.key, name)] = qs
    found: dict[str, dict[str, int]] = {}
    for asked, count in count_together(wanted).items():
        key, name = cast(tuple[str, str], asked)
        found.setdefault(key, {})[name] = count
    request.__dict__["_board_extras_counts"] = found


def panels(request: HttpRequest, unit: Unit) -> list[RenderedPanel]:
    _count_panels(request, unit)
    shown = []
    for extension in _ordered():
        if extension.panel_context is None or not extension.panel_template:
            continue
        context = extension.panel_context(request, unit)
        if context is not None:
            shown.append(RenderedPanel(extension.key, extension.panel_template, context))
    return shown

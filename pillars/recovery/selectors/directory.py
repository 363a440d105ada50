"""Reads of the resource directory: search by need, words, language, distance, open now, cost
and eligibility, each result saying why it matched; one service's page; a person's saved
resources.

Distance works the same on SQLite and PostgreSQL: a bounding box on latitude and longitude in
SQL narrows the candidates, then the haversine distance is computed in Python. It is measured
from a point, or from an address (``origin_of_address``): a directory location's own address
when the text is exactly that address, else the centre of the address's US ZIP code (offline
centroids from the ``zipcodes`` package; no address ever leaves the server to be geocoded),
and every result says which. "Open now" is
reasoned in the location's own IANA zone (the ``x_timezone`` extension), falling back to the
schedule's numeric UTC offset, then to the server's zone. A confidential location has no
coordinates, so it never takes part in a distance and no result says how far it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from uuid import UUID

import zipcodes
from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.entry import public_id_of
from pillars.core.errors import invalid
from pillars.people.models import PersonServed
from pillars.recovery.hsds.package import zone_or_none
from pillars.recovery.models import (
    Address,
    Attribute,
    CostOption,
    HsdsService,
    Language,
    SavedResource,
    Schedule,
    ServiceAtLocation,
    TaxonomyTerm,
    haversine_km,
)

KM_PER_DEGREE = 111.32
MAX_RESULTS = 50
MAX_RADIUS_KM = 500.0
# A five-digit US ZIP code, with or without its four-digit extension.
ZIP_CODE = re.compile(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)")


@dataclass(frozen=True)
class Origin:
    """Where distance is measured from when a search gives an address: a directory location's
    own address, or the centre of a ZIP code. ``label`` completes "12.3 km from ..."."""

    latitude: float
    longitude: float
    label: str
    kind: str  # "location" or "zip"
    zip_code: str = ""

    @property
    def is_zip_centre(self) -> bool:
        return self.kind == "zip"


def _normal(text: str) -> str:
    """An address compared without case, spacing around commas or repeated spaces."""
    return ", ".join(" ".join(part.split()) for part in text.casefold().split(",") if part.strip())


def origin_of_address(text: str, *, field: str = "address") -> Origin:
    """The point an address stands for. A directory location's own address, typed exactly
    (case and spacing aside), gives that location's coordinates; any other address gives the
    centre of its ZIP code. A confidential location's address is never stored, so it can never
    be an origin (and its coordinates never a distance). Raises a ValidationError on ``field``
    for an address without a ZIP code the offline table knows."""
    wanted = _normal(text)
    if not wanted:
        raise invalid(field, "Enter an address with its ZIP code.")
    first = wanted.split(",")[0]
    for address in Address.objects.filter(
        address_1__iexact=first,
        location__x_confidential=False,
        location__latitude__isnull=False,
        location__longitude__isnull=False,
    ).select_related("location")[:20]:
        if _normal(address.one_line()) == wanted:
            location = address.location
            assert location is not None
            assert location.latitude is not None
            assert location.longitude is not None
            return Origin(
                latitude=location.latitude,
                longitude=location.longitude,
                label=address.one_line(),
                kind="location",
                zip_code=address.postal_code,
            )
    found = ZIP_CODE.findall(text)
    if not found:
        raise invalid(
            field,
            "This address has no ZIP code. Add its five-digit ZIP code: distance is measured "
            "from the centre of the ZIP code.",
        )
    code = found[-1]  # a street number can have five digits too; the ZIP code comes last
    centre = next(
        (z for z in zipcodes.matching(code) if z.get("lat") and z.get("long")),
        None,
    )
    if centre is None:
        raise invalid(
            field,
            f"ZIP code {code} is not a US ZIP code we know, so we cannot tell how far "
            "services are. Check the ZIP code, or search without distance.",
        )
    return Origin(
        latitude=float(centre["lat"]),
        longitude=float(centre["long"]),
        label=f"the centre of ZIP code {code}",
        kind="zip",
        zip_code=code,
    )


@dataclass(frozen=True)
class DirectoryQuery:
    """What a search asks for; every part is optional."""

    need: str = ""  # a taxonomy term's id, code or name
    words: str = ""
    language: str = ""  # a language code (es) or name (Spanish)
    latitude: float | None = None
    longitude: float | None = None
    within_km: float = 25.0
    open_now: bool = False
    free: bool = False
    age: int | None = None
    origin: Origin | None = None  # how the point was found; None for a point given

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @classmethod
    def from_address(cls, address: str, **filters: Any) -> DirectoryQuery:
        """The query measuring distance from an address (see ``origin_of_address``)."""
        origin = origin_of_address(address)
        return cls(latitude=origin.latitude, longitude=origin.longitude, origin=origin, **filters)


@dataclass
class Result:
    """One service found, with the reasons it matched."""

    service: HsdsService
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None
    open_until: str | None = None


def terms() -> list[TaxonomyTerm]:
    return list(TaxonomyTerm.objects.order_by("name"))


def languages() -> list[tuple[str, str]]:
    """The languages services speak: (code, name), by name."""
    seen: dict[str, str] = {}
    for code, name in Language.objects.values_list("code", "name").distinct():
        if code and code not in seen:
            seen[code] = name or code
    return sorted(seen.items(), key=lambda item: item[1])


def _need_terms(need: str) -> list[TaxonomyTerm]:
    need = need.strip()
    if not need:
        return []
    try:
        found = list(TaxonomyTerm.objects.filter(public_id=UUID(need)))
    except ValueError:
        found = list(TaxonomyTerm.objects.filter(Q(code__iexact=need) | Q(name__iexact=need)))
    if found:
        # A broader need takes in its narrower terms (one level of ``parent_id``).
        found += list(TaxonomyTerm.objects.filter(parent_id__in=[t.public_id for t in found]))
    return found


def _language_q(language: str) -> Q:
    language = language.strip()
    match = Q(code__iexact=language) | Q(name__iexact=language)
    # Uncorrelated IN lists: both databases build each set once instead of probing per row.
    at_service = Language.objects.filter(match, service__isnull=False).values("service_id")
    at_place = ServiceAtLocation.objects.filter(
        location__in=Language.objects.filter(match, location__isnull=False).values("location_id")
    ).values("service_id")
    return Q(pk__in=at_service) | Q(pk__in=at_place)


def _box(q: DirectoryQuery) -> Q:
    assert q.latitude is not None
    assert q.longitude is not None
    radius = min(max(q.within_km, 0.1), MAX_RADIUS_KM)
    dlat = radius / KM_PER_DEGREE
    dlon = radius / (KM_PER_DEGREE * max(math.cos(math.radians(q.latitude)), 0.01))
    inside = ServiceAtLocation.objects.filter(
        location__x_confidential=False,
        location__latitude__range=(q.latitude - dlat, q.latitude + dlat),
        location__longitude__range=(q.longitude - dlon, q.longitude + dlon),
    ).values("service_id")
    return Q(pk__in=inside)


def candidates(q: DirectoryQuery) -> tuple[QuerySet[HsdsService], list[TaxonomyTerm]]:
    """The services that pass every filter SQL can decide, and the need's terms."""
    qs = HsdsService.objects.filter(status="active")
    need = _need_terms(q.need)
    if q.need.strip():
        links = Attribute.objects.filter(link_entity="service", taxonomy_term__in=need)
        qs = qs.filter(public_id__in=links.values("link_id"))
    for word in q.words.lower().split()[:8]:
        qs = qs.filter(search_text__contains=word)
    if q.language.strip():
        qs = qs.filter(_language_q(q.language))
    if q.free:
        qs = qs.filter(pk__in=CostOption.objects.filter(amount=0).values("service_id"))
    if q.age is not None:
        qs = qs.filter(
            Q(minimum_age__isnull=True) | Q(minimum_age__lte=q.age),
            Q(maximum_age__isnull=True) | Q(maximum_age__gte=q.age),
        )
    if q.has_point:
        qs = qs.filter(_box(q))
    return qs, need


def _with_details(qs: QuerySet[HsdsService]) -> QuerySet[HsdsService]:
    return qs.select_related("organization").prefetch_related(
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location"),
        ),
        "schedules",
        "service_at_locations__schedules",
        "languages",
        "cost_options",
    )


def _place_zone(service: HsdsService) -> tzinfo | None:
    """The IANA zone of the first of the service's places that names one."""
    for sal in service.service_at_locations.all():
        zone = zone_or_none(sal.location.x_timezone)
        if zone is not None:
            return zone
    return None


def open_until(service: HsdsService, now: datetime) -> str | None:
    """ "HH:MM" the service closes when it is open at ``now`` (local to it), else None."""
    schedules = list(service.schedules.all())
    for sal in service.service_at_locations.all():
        schedules += list(sal.schedules.all())
    return _closing(schedules, _place_zone(service), now) if schedules else None


def distance_km(service: HsdsService, lat: float, lon: float) -> float | None:
    distances = [
        haversine_km(lat, lon, sal.location.latitude, sal.location.longitude)
        for sal in service.service_at_locations.all()
        if not sal.location.x_confidential
        and sal.location.latitude is not None
        and sal.location.longitude is not None
    ]
    return min(distances) if distances else None


def is_confidential(service: HsdsService) -> bool:
    return service.x_confidential or any(
        sal.location.x_confidential for sal in service.service_at_locations.all()
    )


def _closing(schedules: list[Schedule], zone: tzinfo | None, now: datetime) -> str | None:
    """When the first of ``schedules`` that has the place open at ``now`` closes ("HH:MM",
    "midnight"), read in ``zone`` (else each schedule's own UTC offset, else the server's)."""
    for schedule in schedules:
        if zone is not None:
            local = now.astimezone(zone)
        elif schedule.timezone is not None:
            local = now.astimezone(timezone(timedelta(hours=schedule.timezone)))
        else:
            local = now.astimezone(zone_or_none(settings.TIME_ZONE) or UTC)
        closes = schedule.open_until(local)
        if closes is not None:
            return "midnight" if closes.hour == 23 and closes.minute == 59 else f"{closes:%H:%M}"
    return None


# Keys per IN list: SQLite refuses a statement with more than 32,766 parameters.
CHUNK = 10_000


def _each_chunk(ids: list[int], read: Callable[[list[int]], Iterable[Any]]) -> Iterator[Any]:
    """Every row ``read`` gives for the keys, a chunk of keys at a time."""
    for start in range(0, len(ids), CHUNK):
        yield from read(ids[start : start + CHUNK])


def _distances(ids: list[int], q: DirectoryQuery) -> dict[int, float]:
    """Each service's distance from the query's point: its nearest place that is not
    confidential and has coordinates (a confidential place has none stored)."""
    assert q.latitude is not None
    assert q.longitude is not None
    found: dict[int, float] = {}
    for service_id, lat, lon in _each_chunk(
        ids,
        lambda chunk: ServiceAtLocation.objects.filter(
            service_id__in=chunk,
            location__x_confidential=False,
            location__latitude__isnull=False,
            location__longitude__isnull=False,
        ).values_list("service_id", "location__latitude", "location__longitude"),
    ):
        if lat is None or lon is None:  # excluded above; says so to the type checker
            continue
        km = haversine_km(q.latitude, q.longitude, lat, lon)
        if km < found.get(service_id, math.inf):
            found[service_id] = km
    return found


def _open_until_many(ids: list[int], now: datetime) -> dict[int, str | None]:
    """``open_until`` for many services from two reads (their places' zones and their
    schedules), without loading the services themselves; the same order of schedules (the
    service's own, then its places'), the same zone rule."""
    zones: dict[int, tzinfo] = {}
    for service_id, name in _each_chunk(
        ids,
        lambda chunk: (
            ServiceAtLocation.objects.filter(service_id__in=chunk)
            .order_by("pk")
            .values_list("service_id", "location__x_timezone")
        ),
    ):
        zone = zone_or_none(name)
        if zone is not None and service_id not in zones:
            zones[service_id] = zone
    schedules: dict[int, list[tuple[int, int, Schedule]]] = {}
    for schedule in _each_chunk(ids, lambda chunk: Schedule.objects.filter(service_id__in=chunk)):
        assert schedule.service_id is not None
        schedules.setdefault(schedule.service_id, []).append((0, schedule.pk, schedule))
    for schedule in _each_chunk(
        ids,
        lambda chunk: Schedule.objects.filter(service_at_location__service_id__in=chunk).annotate(
            owner=F("service_at_location__service_id")
        ),
    ):
        schedules.setdefault(schedule.owner, []).append((1, schedule.pk, schedule))
    return {
        pk: _closing([s for *_, s in sorted(schedules.get(pk, []))], zones.get(pk), now)
        for pk in ids
    }


def search(user: Any, q: DirectoryQuery, *, limit: int = MAX_RESULTS) -> list[Result]:
    """The services matching ``q``, nearest first when a point is given (else by name), each
    with its reasons. The search is audited lightly: a SEARCH event naming no person.

    Distance and opening hours are decided on light rows (keys, coordinates, schedules) for
    every candidate; only the services shown are loaded with their details."""
    policy.require(user, "recovery.search_directory")
    now = clock.now()
    qs, need = candidates(q)
    ids = list(qs.order_by("name", "pk").values_list("pk", flat=True))
    distances: dict[int, float] = {}
    if q.has_point:
        distances = _distances(ids, q)
        ids = [pk for pk in ids if pk in distances and distances[pk] <= q.within_km]
    until: dict[int, str | None] = {}
    if q.open_now:
        until = {pk: closes for pk, closes in _open_until_many(ids, now).items() if closes}
        ids = [pk for pk in ids if pk in until]
    if q.has_point:
        ids.sort(key=lambda pk: distances[pk])  # stable: ties stay in name order
    ids = ids[:limit]
    if not q.open_now:
        until = _open_until_many(ids, now)
    shown = _with_details(HsdsService.objects.filter(pk__in=ids)).in_bulk()
    results = [
        Result(service=shown[pk], distance_km=distances.get(pk), open_until=until.get(pk))
        for pk in ids
    ]
    need_names = ", ".join(t.name for t in need[:1])
    language = q.language.strip()
    for result in results:
        result.reasons = _reasons(result, q, need_names, language)
    audit.record(
        actor=policy.actor_for(user).user,
        action=Action.SEARCH,
        object_type="recovery.directory",
        category=Category.NONE,
        purpose=Purpose.OPERATIONS,
        detail={
            "need": q.need[:100],
            "words": q.words[:100],
            "language": language[:40],
            "near": q.has_point,
            # How the origin was found, never the address typed (it may be the person's home).
            "origin": (q.origin.kind if q.origin else "point") if q.has_point else "",
            "open_now": q.open_now,
            "free": q.free,
            "age": q.age,
            "results": len(results),
        },
    )
    return results


def _reasons(result: Result, q: DirectoryQuery, need: str, language: str) -> list[str]:
    service = result.service
    reasons = []
    if result.open_until is not None:
        reasons.append(f"Open now until {result.open_until}")
    if need:
        reasons.append(f"Matches need: {need}")
    if q.words.strip():
        reasons.append(f"Mentions: {' '.join(q.words.split()[:8])}")
    if language:
        names = {lang.name for lang in service.languages.all()}
        spoken = next(
            (
                lang.name or lang.code
                for lang in service.languages.all()
                if language.lower() in (lang.code.lower(), lang.name.lower())
            ),
            language,
        )
        reasons.append(f"Speaks {spoken if spoken in names else language}")
    if result.distance_km is not None:
        if q.origin is not None:
            reasons.append(f"{result.distance_km:.1f} km from {q.origin.label}")
        else:
            reasons.append(f"{result.distance_km:.1f} km away")
    if q.free:
        reasons.append("Free")
    if q.age is not None:
        reasons.append(f"Serves age {q.age}")
    if is_confidential(service):
        reasons.append("Confidential location: reach it through its hotline")
    return reasons


def get_service_for(user: Any, public_id: Any) -> HsdsService:
    """One service with its details; 404 when there is none."""
    policy.require(user, "recovery.search_directory")
    service = (
        _with_details(HsdsService.objects.filter(public_id=public_id_of(public_id)))
        .prefetch_related("phones", "service_at_locations__location__addresses")
        .first()
    )
    if service is None:
        raise Http404("Not found")
    policy.require(user, "recovery.search_directory", service)
    return service


def needs_of(service: HsdsService) -> list[TaxonomyTerm]:
    return list(
        TaxonomyTerm.objects.filter(
            attributes__link_entity="service", attributes__link_id=service.public_id
        ).distinct()
    )


def saved_for(person: PersonServed, user: Any) -> QuerySet[SavedResource]:
    """The resources saved for a person the caller has already found visible (the person page
    audits that read)."""
    qs = SavedResource.objects.filter(person=person).select_related("service", "saved_by")
    return policy.restrict(qs, user, "recovery.view_saved_resources")

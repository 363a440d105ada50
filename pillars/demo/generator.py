"""The demo organization: planned in memory from a seed, then loaded through the services.

``plan`` is pure: the same seed, scale and base day give the same names, record numbers, staff,
beds and histories. ``load`` replays the plan through ``pillars.people.services`` in time order,
acting as the staff member who would have done each step (a unit nurse admits, transfers and
discharges; an administrator creates staff; staff set their own PINs and lived-experience
sharing), so every row is validated and audited like real data. Only the very first
administrator is created directly, because the services need someone to act as; that bootstrap
is audited too.

Times: everything is reasoned backwards from ``base``, today's midnight UTC. Admissions are
backdated (the services accept past moments); ``recorded_at`` and the audit log say truthfully
that the demo entered them now.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database
from pillars.core import clock, policy
from pillars.core.roles import RoleCode
from pillars.demo import incidents as incidents_demo
from pillars.demo import names, steps
from pillars.demo import recovery as recovery_demo
from pillars.demo import workforce as workforce_demo
from pillars.demo.accounts import (
    DEMO_BADGES,
    DEMO_PASSWORD,
    DEMO_PIN,
    DEMO_PIN_USERS,
    DEMO_SIGN_INS,
    SYSTEM_USERNAME,
    demo_totp_key,
)
from pillars.demo.handoffs import HandoffLoader
from pillars.demo.incidents.context import DemoContext
from pillars.demo.rounds import RoundsLoader, RoundsSummary, weighted
from pillars.demo.steps import Step, by_day, no_steps
from pillars.people import services
from pillars.people.choices import CaseloadKind, Disposition, ExitReason, UnitKind
from pillars.people.models import (
    Bed,
    CaseloadAssignment,
    Episode,
    Organization,
    PersonServed,
    Placement,
    Program,
    Room,
    Site,
    Staff,
    Unit,
)
from pillars.rounds.models import Check, Coverage, ObservationOrder

# --- The shape of the organization -------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlan:
    """One of the four unit types every campus has."""

    key: str
    name: str
    kind: str
    beds: int
    site: int  # 0: the hospital site, 1: the recovery center
    part2: bool
    stay_days: tuple[float, float]  # typical length of stay
    ages: tuple[int, int]  # age at first admission
    room_prefix: str
    single_rooms: int  # beds in single rooms; the rest are in rooms of two


UNIT_PLANS: tuple[UnitPlan, ...] = (
    UnitPlan("adult", "Adult Acute", UnitKind.ACUTE_ADULT, 20, 0, False, (2, 21), (18, 74), "A", 4),
    UnitPlan(
        "adolescent", "Adolescent Acute", UnitKind.ADOLESCENT, 14, 0, False, (3, 18), (12, 16),
        "Y", 2,
    ),
    UnitPlan("crisis", "Crisis Stabilization", UnitKind.CRISIS, 16, 1, False, (0.5, 5), (18, 70),
             "C", 8),
    # 42 CFR Part 2: a residential substance-use disorder program.
    UnitPlan(
        "residential", "Residential Recovery", UnitKind.RESIDENTIAL, 24, 1, True, (14, 90),
        (18, 66), "R", 0,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    campuses: int
    persons: int


SCALES: dict[str, Scale] = {"small": Scale(campuses=1, persons=70), "large": Scale(5, 1000)}

# Active staff per campus by role and unit key; BHTs are the largest group (DESIGN.md).
STAFF_PER_UNIT: dict[str, dict[str, int]] = {
    RoleCode.BHT: {"adult": 8, "adolescent": 6, "crisis": 4, "residential": 6},
    RoleCode.NURSE: {"adult": 3, "adolescent": 3, "crisis": 2, "residential": 2},
    RoleCode.CLINICIAN: {"adult": 2, "adolescent": 2, "crisis": 2, "residential": 2},
    RoleCode.PEER: {"adult": 2, "adolescent": 1, "crisis": 2, "residential": 4},
    RoleCode.SUPERVISOR: {"adult": 1, "adolescent": 1, "crisis": 1, "residential": 1},
}
# Staff who have left, per campus: direct-care roles turn over most.
EXITS_PER_CAMPUS: dict[str, int] = {
    RoleCode.BHT: 8,
    RoleCode.PEER: 3,
    RoleCode.NURSE: 2,
    RoleCode.CLINICIAN: 2,
}
EXIT_REASONS: tuple[tuple[str, int], ...] = (
    (ExitReason.RESIGNED_BURNOUT, 26),
    (ExitReason.RESIGNED_PAY, 22),
    (ExitReason.RESIGNED_SCHEDULE, 12),
    (ExitReason.RESIGNED_CAREER, 14),
    (ExitReason.RELOCATED, 8),
    (ExitReason.TERMINATED, 8),
    (ExitReason.RESIGNED_OTHER, 6),
    (ExitReason.END_OF_CONTRACT, 4),
)
DISPOSITIONS: dict[str, tuple[tuple[str, int], ...]] = {
    "adult": (
        (Disposition.HOME, 60),
        (Disposition.STEP_DOWN, 20),
        (Disposition.OTHER_FACILITY, 8),
        (Disposition.AGAINST_ADVICE, 8),
        (Disposition.OTHER, 4),
    ),
    "adolescent": (
        (Disposition.HOME, 85),
        (Disposition.OTHER_FACILITY, 10),
        (Disposition.STEP_DOWN, 5),
    ),
    "crisis": (
        (Disposition.HOME, 45),
        (Disposition.STEP_DOWN, 40),
        (Disposition.OTHER_FACILITY, 10),
        (Disposition.AGAINST_ADVICE, 5),
    ),
    "residential": (
        (Disposition.HOME, 70),
        (Disposition.AGAINST_ADVICE, 20),
        (Disposition.OTHER, 10),
    ),
}
# Share of stays on each unit type that get a peer support specialist (residential: all).
PEER_SHARE = {"adult": 0.35, "adolescent": 0.25, "crisis": 0.3, "residential": 1.0}

OCCUPANCY = 0.8
HISTORY_DAYS = 180  # past episodes end within the last six months
EARLIEST_DAYS = 240  # no stay starts before this (long residential stays end within 180)
ANCHOR_DAYS = 260  # the first nurse, clinician, peer and BHT of a unit were hired before this
HIRE_YEARS = 6
COMMUNITY_PARTICIPANTS = 4  # enrolled at the recovery community center, no beds
PEER_CAP = 15  # one payer's cap on a peer specialist's caseload (DESIGN.md)
SUPERVISOR_PEER_CAP = 8  # and on the peers one supervisor supervises
BED_GAP = timedelta(hours=2)  # cleaning time between two stays in one bed
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class PlanError(RuntimeError):
    """The plan could not be built (a bug: the demo's shape guarantees it can)."""


# --- The plan ----------------------------------------------------------------------------------


@dataclass
class BedSlot:
    unit_code: str
    room: str
    label: str
    busy: list[tuple[datetime, datetime | None]] = field(default_factory=list)

    def is_free(self, start: datetime, end: datetime | None) -> bool:
        until = end or FAR_FUTURE
        return all(
            not (start < (e or FAR_FUTURE) + BED_GAP and s < until + BED_GAP) for s, e in self.busy
        )


@dataclass
class UnitSpec:
    code: str
    name: str
    plan: UnitPlan
    campus: int
    site_name: str
    beds: list[BedSlot]


@dataclass
class StaffSpec:
    username: str
    display_name: str
    role: str
    units: list[str]
    job_title: str
    badge: str
    hired_on: date
    campus: int
    exited_on: date | None = None
    exit_reason: str = ""
    supervisor: str | None = None
    languages: list[str] = field(default_factory=list)
    lived: list[str] = field(default_factory=list)
    shares: bool = False
    in_program: bool = False
    is_demo: bool = False

    def employed_through(self, start: date, end: date | None) -> bool:
        """Employed from ``start`` to ``end`` (None: to this day and on)."""
        if self.hired_on > start:
            return False
        if self.exited_on is None:
            return True
        return end is not None and self.exited_on > end


@dataclass
class Segment:
    """Part of an episode on one unit and bed, with who did what."""

    unit: UnitSpec
    bed: BedSlot
    start: datetime
    end: datetime | None
    reason: str
    actor: str = ""  # the nurse who admits or receives the person
    handover_actor: str = ""  # the nurse of this unit who transfers them out (if they move)
    clinician: str | None = None
    peer: str | None = None


@dataclass
class EpisodeSpec:
    segments: list[Segment]
    disposition: str = ""
    discharge_actor: str = ""

    @property
    def start(self) -> datetime:
        return self.segments[0].start

    @property
    def end(self) -> datetime | None:
        return self.segments[-1].end


@dataclass
class PersonSpec:
    given: str
    family: str
    preferred: str
    pronouns: str
    episodes: list[EpisodeSpec]
    date_of_birth: date = date(2000, 1, 1)
    record_number: str = ""


@dataclass
class Plan:
    seed: int
    scale: str
    base: datetime
    org_name: str
    sites: list[str]
    units: list[UnitSpec]
    program_units: list[str]
    staff: list[StaffSpec]
    persons: list[PersonSpec]


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)).date()


def _caseload_staff(seg: Segment) -> list[tuple[str, str]]:
    """Who carries the person on a caseload during the segment, with the kind of caseload."""
    named = ((seg.clinician, CaseloadKind.CLINICIAN), (seg.peer, CaseloadKind.PEER))
    return [(username, kind) for username, kind in named if username is not None]


def _minutes(days: float) -> timedelta:
    """Whole minutes: demo times look like times people write down."""
    return timedelta(minutes=round(days * 1440))


class Planner:
    """Builds a Plan; every random choice comes from one seeded generator, in a fixed order."""

    def __init__(self, seed: int, scale: str, base: datetime) -> None:
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}")
        self.rng = random.Random(seed)
        self.seed, self.scale_name, self.scale = seed, scale, SCALES[scale]
        self.base = base
        self.today = base.date()
        self.units: list[UnitSpec] = []
        self.staff: list[StaffSpec] = []
        self.persons: list[PersonSpec] = []
        self.usernames: set[str] = set()
        self.person_names: set[tuple[str, str]] = set()
        self.peer_load: dict[str, list[tuple[datetime, datetime | None]]] = {}
        self.badges = iter(self.rng.sample(range(2000, 10000), 8000))

    # -- structure --

    def build(self) -> Plan:
        sites: list[str] = []
        for campus in range(self.scale.campuses):
            hospital, center = names.CAMPUSES[campus % len(names.CAMPUSES)]
            site_names = (f"{hospital} Hospital", f"{center} Recovery Center")
            sites.extend(site_names)
            for plan in UNIT_PLANS:
                self.units.append(self._unit(plan, campus, site_names[plan.site]))
        self._plan_staff()
        self._plan_persons()
        return Plan(
            seed=self.seed,
            scale=self.scale_name,
            base=self.base,
            org_name=names.ORGANIZATION_NAME,
            sites=sites,
            units=self.units,
            program_units=[u.code for u in self.units if u.plan.key in ("crisis", "residential")],
            staff=self.staff,
            persons=self.persons,
        )

    def _unit(self, plan: UnitPlan, campus: int, site_name: str) -> UnitSpec:
        suffix = "" if campus == 0 else f"-{campus + 1}"
        code = f"{plan.key}{suffix}"
        name = plan.name if campus == 0 else f"{plan.name} ({site_name.split()[0]})"
        beds, room_no = [], 1
        prefix = f"{plan.room_prefix}{campus + 1}" if campus else plan.room_prefix
        for n in range(plan.beds):
            if n < plan.single_rooms:
                beds.append(BedSlot(code, f"{prefix}{100 + room_no}", "A"))
                room_no += 1
            else:
                pair = n - plan.single_rooms
                beds.append(BedSlot(code, f"{prefix}{100 + room_no}", "AB"[pair % 2]))
                if pair % 2 == 1:
                    room_no += 1
        return UnitSpec(code, name, plan, campus, site_name, beds)

    # -- staff --

    def _name(self) -> tuple[str, str]:
        return self.rng.choice(names.GIVEN_NAMES), self.rng.choice(names.FAMILY_NAMES)

    def _username(self, given: str, family: str) -> str:
        stem = (given[0] + family).lower()
        candidate, n = stem, 1
        while candidate in self.usernames:
            n += 1
            candidate = f"{stem}{n}"
        self.usernames.add(candidate)
        return candidate

    def _languages(self) -> list[str]:
        spoken = ["English"]
        for language, percent in names.OTHER_LANGUAGES:
            if self.rng.random() * 100 < percent:
                spoken.append(language)
        return spoken

    def _lived(self, role: str) -> tuple[list[str], bool]:
        # Peers are hired for their lived experience and most share it; others sometimes.
        has = role == RoleCode.PEER or self.rng.random() < 0.3
        if not has:
            return [], False
        count = self.rng.choice((1, 1, 2, 2, 3)) if role == RoleCode.PEER else 1
        lived = self.rng.sample(names.LIVED_EXPERIENCE, count)
        share_rate = 0.8 if role == RoleCode.PEER else 0.35
        shares = self.rng.random() < share_rate
        return lived, shares

    def _hired_days_ago(self, role: str, anchor: bool) -> int:
        if anchor:
            return self.rng.randrange(ANCHOR_DAYS, HIRE_YEARS * 365)
        # Direct-care roles skew recent (turnover); leaders skew long.
        power = 1.6 if role in (RoleCode.BHT, RoleCode.PEER) else 1.0
        return 14 + int((HIRE_YEARS * 365 - 14) * self.rng.random() ** power)

    def _title(self, role: str, unit_key: str | None) -> str:
        key = "youth_peer" if role == RoleCode.PEER and unit_key == "adolescent" else str(role)
        return self.rng.choice(names.JOB_TITLES[key])

    def _add_staff(
        self,
        role: str,
        units: list[UnitSpec],
        campus: int,
        *,
        anchor: bool = False,
        username: str = "",
        display_name: str = "",
        exited: bool = False,
    ) -> StaffSpec:
        given, family = self._name()
        is_demo = bool(username)
        if not is_demo:
            username = self._username(given, family)
            display_name = f"{given} {family}"
        else:
            self.usernames.add(username)
        unit_key = units[0].plan.key if units else None
        days = self._hired_days_ago(role, anchor or is_demo)
        lived, shares = self._lived(role)
        spec = StaffSpec(
            username=username,
            display_name=display_name,
            role=str(role),
            units=[u.code for u in units],
            job_title=self._title(role, unit_key),
            badge=DEMO_BADGES[username] if is_demo else str(next(self.badges)),
            hired_on=self.today - timedelta(days=days),
            campus=campus,
            languages=self._languages(),
            lived=lived,
            shares=shares,
            in_program=role == RoleCode.PEER,
            is_demo=is_demo,
        )
        if exited:
            self._exit(spec)
        self.staff.append(spec)
        return spec

    def _exit(self, spec: StaffSpec) -> None:
        # About a third leave within 90 days of hire (what 90-day retention measures).
        early = self.rng.random() < 0.3
        tenure = self.rng.randrange(14, 90) if early else self.rng.randrange(90, 1500)
        span = (self.today - spec.hired_on).days  # at least 14: see _hired_days_ago
        if tenure >= span:
            tenure = self.rng.randrange(1, span)
        spec.exited_on = spec.hired_on + timedelta(days=tenure)
        spec.exit_reason = weighted(self.rng, EXIT_REASONS)

    def _plan_staff(self) -> None:
        first_units = {u.plan.key: u for u in self.units if u.campus == 0}
        adult = first_units["adult"]
        demo = {
            "director": self._add_staff(
                RoleCode.DIRECTOR, [adult], 0, username="demo-director",
                display_name="Dana Whitfield (demo director)",
            ),
            "privacy": self._add_staff(
                RoleCode.PRIVACY, [adult], 0, username="demo-privacy",
                display_name="Priya Raman (demo privacy officer)",
            ),
            "admin": self._add_staff(
                RoleCode.ADMIN, [adult], 0, username="demo-admin",
                display_name="Alex Moreno (demo administrator)",
            ),
        }  # fmt: skip
        director2 = self._add_staff(RoleCode.DIRECTOR, [], 0, anchor=True)
        self._add_staff(RoleCode.ADMIN, [], 0, anchor=True)
        demo_named = {
            (RoleCode.SUPERVISOR, "adult"): ("demo-supervisor", "Sam Okoye (demo supervisor)"),
            (RoleCode.BHT, "adult"): ("demo-bht", "Jordan Ellis (demo BHT)"),
            (RoleCode.NURSE, "adult"): ("demo-nurse", "Morgan Reyes (demo nurse)"),
            (RoleCode.CLINICIAN, "adult"): ("demo-clinician", "Casey Lin (demo clinician)"),
            (RoleCode.PEER, "residential"): ("demo-peer", "Riley Brooks (demo peer specialist)"),
        }
        for campus in range(self.scale.campuses):
            units = {u.plan.key: u for u in self.units if u.campus == campus}
            director = demo["director"] if campus == 0 else director2
            supervisors: dict[str, StaffSpec] = {}
            for key, unit in units.items():
                login, shown = demo_named.get((RoleCode.SUPERVISOR, key), ("", ""))
                spec = self._add_staff(
                    RoleCode.SUPERVISOR, [unit], campus, anchor=True,
                    username=login if campus == 0 else "", display_name=shown,
                )  # fmt: skip
                spec.supervisor = director.username
                supervisors[key] = spec
            peer_counts = dict.fromkeys(supervisors, 0)
            for role in (RoleCode.NURSE, RoleCode.CLINICIAN, RoleCode.BHT, RoleCode.PEER):
                for key, count in STAFF_PER_UNIT[role].items():
                    unit = units[key]
                    for n in range(count):
                        login, shown = ("", "")
                        if campus == 0 and n == 0:
                            login, shown = demo_named.get((role, key), ("", ""))
                        home = [unit]
                        # Some BHTs float to the other unit of their site.
                        if role == RoleCode.BHT and not login and self.rng.random() < 0.15:
                            sibling = [
                                u for u in units.values()
                                if u.plan.site == unit.plan.site and u is not unit
                            ]  # fmt: skip
                            home.append(sibling[0])
                        spec = self._add_staff(
                            role, home, campus, anchor=n == 0, username=login,
                            display_name=shown,
                        )  # fmt: skip
                        self._assign_supervisor(spec, key, supervisors, peer_counts)
            for leaver_role, count in EXITS_PER_CAMPUS.items():
                for _ in range(count):
                    key = self.rng.choice(list(STAFF_PER_UNIT[leaver_role]))
                    spec = self._add_staff(leaver_role, [units[key]], campus, exited=True)
                    self._assign_supervisor(spec, key, supervisors, peer_counts)

    def _assign_supervisor(
        self,
        spec: StaffSpec,
        unit_key: str,
        supervisors: dict[str, StaffSpec],
        peer_counts: dict[str, int],
    ) -> None:
        if spec.role == RoleCode.BHT:
            spec.supervisor = supervisors[unit_key].username
        elif spec.role == RoleCode.PEER:
            # The demo peer reports to the demo supervisor; others to their unit's supervisor
            # while that supervisor has room under the cap, else to the one with most room.
            if spec.username == "demo-peer":
                key = "adult"
            elif peer_counts[unit_key] < SUPERVISOR_PEER_CAP:
                key = unit_key
            else:
                key = min(peer_counts, key=lambda k: (peer_counts[k], k))
            if peer_counts[key] >= SUPERVISOR_PEER_CAP:
                raise PlanError("more peers than supervisors can take")
            peer_counts[key] += 1
            spec.supervisor = supervisors[key].username

    # -- persons served and their stays --

    def _stay(self, plan: UnitPlan) -> timedelta:
        low, high = plan.stay_days
        return _minutes(self.rng.uniform(low, high))

    def _free_bed(self, unit: UnitSpec, start: datetime, end: datetime | None) -> BedSlot | None:
        beds = list(unit.beds)
        self.rng.shuffle(beds)
        return next((b for b in beds if b.is_free(start, end)), None)

    def _sibling(self, unit: UnitSpec, key: str) -> UnitSpec:
        return next(u for u in self.units if u.campus == unit.campus and u.plan.key == key)

    def _new_person(self, episodes: list[EpisodeSpec]) -> PersonSpec:
        while True:
            given, family = self._name()
            if (given, family) not in self.person_names:
                break
        self.person_names.add((given, family))
        preferred = self.rng.choice(names.PREFERRED_NAMES) if self.rng.random() < 0.12 else ""
        pronouns = weighted(self.rng, names.PRONOUNS)
        person = PersonSpec(given, family, preferred, pronouns, episodes)
        self.persons.append(person)
        return person

    def _reserve(self, episode: EpisodeSpec) -> None:
        for seg in episode.segments:
            seg.bed.busy.append((seg.start, seg.end))

    def _current_episode(self, unit: UnitSpec, bed: BedSlot) -> EpisodeSpec:
        low, high = unit.plan.stay_days
        arrived = self.base - _minutes(self.rng.uniform(min(0.15, low), high * 0.9))
        episode = EpisodeSpec([Segment(unit, bed, arrived, None, "admission")])
        self._reserve(episode)
        return episode

    def _transfer_in(self, episode: EpisodeSpec) -> None:
        """Some of today's persons served arrived by transfer: from crisis stabilization to
        adult acute, or from adult acute to residential treatment. Planned once every current
        bed is taken, so the earlier bed is checked against all of them."""
        stay = episode.segments[0]
        source_key = {"adult": "crisis", "residential": "adult"}.get(stay.unit.plan.key)
        chance = {"adult": 0.25, "residential": 0.15}.get(stay.unit.plan.key, 0.0)
        if not source_key or self.rng.random() >= chance:
            return
        source = self._sibling(stay.unit, source_key)
        days = (0.5, 3.0) if source_key == "crisis" else (3.0, 12.0)
        start = stay.start - _minutes(self.rng.uniform(*days))
        prior = self._free_bed(source, start, stay.start)
        if prior is None or start < self.base - timedelta(days=EARLIEST_DAYS):
            return
        first = Segment(source, prior, start, stay.start, "admission")
        prior.busy.append((first.start, first.end))
        stay.reason = names.TRANSFER_REASONS[(source_key, stay.unit.plan.key)]
        episode.segments.insert(0, first)

    def _past_episode(self, units: list[UnitSpec], latest_end: datetime) -> EpisodeSpec | None:
        earliest = self.base - timedelta(days=EARLIEST_DAYS)
        for _ in range(25):
            lengths = [self._stay(u.plan) for u in units]
            total = sum(lengths, timedelta())
            low = max(earliest, self.base - timedelta(days=HISTORY_DAYS) - total)
            high = latest_end - total
            if high <= low:
                return None
            start = low + _minutes(self.rng.uniform(0, (high - low).total_seconds() / 86400))
            segments, moment = [], start
            for n, (unit, length) in enumerate(zip(units, lengths, strict=True)):
                bed = self._free_bed(unit, moment, moment + length)
                if bed is None:
                    break
                reason = "admission"
                if n:
                    reason = names.TRANSFER_REASONS[(units[n - 1].plan.key, unit.plan.key)]
                segments.append(Segment(unit, bed, moment, moment + length, reason))
                moment += length
            else:
                last = units[-1].plan.key
                episode = EpisodeSpec(segments, disposition=weighted(self.rng, DISPOSITIONS[last]))
                self._reserve(episode)
                return episode
        return None

    def _past_units(self, family_of: UnitSpec | None) -> list[UnitSpec]:
        """The unit(s) of a past stay: adolescents stay adolescent; adults may move between
        crisis, adult acute and residential care."""
        if family_of is not None and family_of.plan.key == "adolescent":
            return [family_of]
        if family_of is None:
            campus = self.rng.randrange(self.scale.campuses)
            choices = [u for u in self.units if u.campus == campus]
        else:
            choices = [
                u for u in self.units
                if u.campus == family_of.campus and u.plan.key != "adolescent"
            ]  # fmt: skip
        unit = self.rng.choices(choices, weights=[u.plan.beds for u in choices])[0]
        if unit.plan.key == "crisis" and self.rng.random() < 0.2:
            onward = self._sibling(unit, self.rng.choice(("adult", "residential")))
            return [unit, onward]
        return [unit]

    def _plan_persons(self) -> None:
        current: list[PersonSpec] = []
        for unit in self.units:
            occupied = round(len(unit.beds) * OCCUPANCY)
            for bed in self.rng.sample(unit.beds, occupied):
                current.append(self._new_person([self._current_episode(unit, bed)]))
        for person in current:
            self._transfer_in(person.episodes[0])
        # Some of today's persons served were here before.
        for person in current:
            if self.rng.random() < 0.15:
                first = person.episodes[0]
                latest = first.start - _minutes(self.rng.uniform(5, 45))
                earlier = self._past_episode(self._past_units(first.segments[0].unit), latest)
                if earlier is not None:
                    person.episodes.insert(0, earlier)
        # Persons served who were discharged in the last six months, a few of them twice.
        wanted = max(self.scale.persons - len(current), self.scale.persons // 6)
        misses = 0
        while len(self.persons) - len(current) < wanted:
            latest = self.base - _minutes(self.rng.uniform(0.5, 3))
            episode = self._past_episode(self._past_units(None), latest)
            if episode is None:
                misses += 1
                if misses > wanted * 10:
                    raise PlanError("no room for the past stays")
                continue
            episodes = [episode]
            if self.rng.random() < 0.2:
                latest = episode.start - _minutes(self.rng.uniform(7, 60))
                unit = episode.segments[0].unit
                earlier = self._past_episode(self._past_units(unit), latest)
                if earlier is not None:
                    episodes.insert(0, earlier)
            self._new_person(episodes)
        self._number_and_age()
        self._plan_care_team()

    def _number_and_age(self) -> None:
        # Record numbers are handed out at registration, so they follow the first admission.
        self.persons.sort(key=lambda p: (p.episodes[0].start, p.family, p.given))
        number = 480_000 + self.rng.randrange(10_000)
        for person in self.persons:
            number += self.rng.randint(1, 40)  # other programs register people in between
            person.record_number = f"RB{number:07d}"
            first = person.episodes[0]
            low, high = first.segments[0].unit.plan.ages
            age = self.rng.randint(low, high)
            admitted = _local_day(first.start)
            # 1 March stands in for 29 February in a year without one.
            born = date(admitted.year - age, admitted.month, 1) + timedelta(days=admitted.day - 1)
            person.date_of_birth = born - timedelta(days=self.rng.randrange(1, 365))

    # -- who did what --

    def _staff_on(self, unit: UnitSpec, role: str) -> list[StaffSpec]:
        return [s for s in self.staff if s.role == role and unit.code in s.units]

    def _nurse(self, unit: UnitSpec, moment: datetime) -> str:
        day = _local_day(moment)
        for role in (RoleCode.NURSE, RoleCode.CLINICIAN):
            found = [s for s in self._staff_on(unit, role) if s.employed_through(day, day)]
            if found:
                return self.rng.choice(found).username
        raise PlanError(f"nobody on {unit.code} could act on {day}")

    def _overlapping(self, username: str, start: datetime, end: datetime | None) -> int:
        until = end or FAR_FUTURE
        return sum(
            1
            for s, e in self.peer_load.get(username, [])
            if s < until and start < (e or FAR_FUTURE)
        )

    def _plan_care_team(self) -> None:
        for person in self.persons:
            for episode in person.episodes:
                for n, seg in enumerate(episode.segments):
                    seg.actor = self._nurse(seg.unit, seg.start)
                    if seg.end is not None and n + 1 < len(episode.segments):
                        seg.handover_actor = self._nurse(seg.unit, seg.end)
                    start_day = _local_day(seg.start)
                    end_day = _local_day(seg.end) if seg.end else None
                    clinicians = [
                        s for s in self._staff_on(seg.unit, RoleCode.CLINICIAN)
                        if s.employed_through(start_day, end_day)
                    ]  # fmt: skip
                    if clinicians:
                        seg.clinician = self.rng.choice(clinicians).username
                    if self.rng.random() < PEER_SHARE[seg.unit.plan.key]:
                        seg.peer = self._peer_for(seg, start_day, end_day)
                if episode.end is not None:
                    episode.discharge_actor = self._nurse(episode.segments[-1].unit, episode.end)

    def _peer_for(self, seg: Segment, start_day: date, end_day: date | None) -> str | None:
        peers = [
            s for s in self._staff_on(seg.unit, RoleCode.PEER)
            if s.employed_through(start_day, end_day)
            and self._overlapping(s.username, seg.start, seg.end) < PEER_CAP
        ]  # fmt: skip
        if not peers:
            return None
        lightest = min(self._overlapping(s.username, seg.start, seg.end) for s in peers)
        chosen = self.rng.choice(
            [s for s in peers if self._overlapping(s.username, seg.start, seg.end) == lightest]
        )
        self.peer_load.setdefault(chosen.username, []).append((seg.start, seg.end))
        return chosen.username


def base_moment() -> datetime:
    """Today's midnight UTC: the demo's fixed point, so a seed gives the same data all day."""
    return clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def plan(seed: int = 2026, scale: str = "small", base: datetime | None = None) -> Plan:
    """The demo organization for a seed, in memory (no database)."""
    return Planner(seed, scale, base or base_moment()).build()


# --- Loading the plan through the services -----------------------------------------------------


class AlreadyLoaded(RuntimeError):
    """Demo data (or any organization) is already in the database."""


@dataclass
class Summary:
    seed: int
    scale: str
    seconds: float
    counts: dict[str, int]
    census: dict[str, tuple[int, int]]  # unit name -> (occupied, beds)
    audit_events: int
    chain_ok: bool

    def lines(self) -> list[str]:
        c = self.counts
        out = [
            f"Demo data loaded (seed {self.seed}, scale {self.scale}) in {self.seconds:.1f} s.",
            f"  Organization: 1, sites: {c['sites']}, units: {c['units']}, rooms: {c['rooms']}, "
            f"beds: {c['beds']}, programs: {c['programs']}",
            f"  Staff: {c['staff_active']} working, {c['staff_exited']} who have left "
            f"(plus the demo-system setup account)",
        ]
        roles = ", ".join(f"{code}: {c['role_' + code]}" for code in RoleCode)
        out.append(f"  Working staff by role: {roles}")
        out.append(
            f"  Persons served: {c['persons']}, episodes: {c['episodes']} "
            f"({c['episodes_open']} open), transfers: {c['transfers']}"
        )
        out.append(
            f"  Caseload assignments: {c['caseload']} ({c['caseload_open']} open: "
            f"{c['caseload_peer_open']} peer, {c['caseload_clinician_open']} clinician)"
        )
        out.append(
            f"  Rounds: {c['orders_open']} persons on observation, {c['checks']} checks "
            f"({c['late_entries']} late entries), {c['coverage_open']} on 1:1 or 2:1 now"
        )
        for unit, (occupied, beds) in self.census.items():
            # A community program has participants, not beds.
            held = f"{occupied} of {beds} beds" if beds else f"{occupied} enrolled (no beds)"
            out.append(f"  Census {unit}: {held}")
        out.append(
            f"  Audit events written: {self.audit_events}; chain "
            + ("verified" if self.chain_ok else "BROKEN")
        )
        out.append("")
        out.append(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, role in DEMO_SIGN_INS:
            out.append(f"  {username:<16} {role}")
        out.append(
            f"Tablet quick switch: badge {DEMO_BADGES['demo-bht']} (demo-bht) or "
            f"{DEMO_BADGES['demo-nurse']} (demo-nurse) with PIN {DEMO_PIN}, on a registered tablet."
        )
        out.append("Two-step sign-in code: pillars demo-code demo-director (or demo-privacy, ...)")
        return out


class Loader:
    """Replays a plan through the services, acting as the right person for each step."""

    def __init__(
        self,
        plan: Plan,
        progress: Callable[[str], None] | None = None,
        rounds_days: int | None = None,
        step: Step = no_steps,
    ) -> None:
        self.plan = plan
        self.rounds_days = rounds_days
        self.progress = progress or (lambda _: None)
        self.step = step
        self.units: dict[str, Unit] = {}
        self.beds: dict[tuple[str, str, str], Bed] = {}
        self.staff: dict[str, Staff] = {}
        self.persons: dict[int, PersonServed] = {}
        self.episodes: dict[int, Episode] = {}
        self.open_caseload: dict[tuple[int, str], CaseloadAssignment] = {}

    def user(self, username: str) -> Any:
        return self.staff[username].user

    def run(self) -> None:
        with self.step("structure"):
            system = self._bootstrap()
            self.admin = system.user
            self._structure()
        self.progress("structure")
        with self.step("staff"):
            self._staff()
        self.progress("staff")
        self._history()
        self.progress("history")
        with self.step("staff exits"):
            self._exits()
        self.progress("staff exits")
        self.rounds = self._rounds()
        self.progress("rounds")
        for name, area in (
            ("incidents", self._incidents),
            ("handoffs", self._handoffs),
            ("recovery", self._recovery),
            ("community", self._community),
            ("workforce", self._workforce),
        ):
            with self.step(name):
                area()

    def _staff_by_unit(self) -> dict[str, dict[str, list[Staff]]]:
        """The staff still employed, by unit code and role (what the area loaders staff with)."""
        by_unit: dict[str, dict[str, list[Staff]]] = {code: {} for code in self.units}
        for spec in self.plan.staff:
            if spec.exited_on is not None:
                continue
            for code in spec.units:
                by_unit[code].setdefault(spec.role, []).append(self.staff[spec.username])
        return by_unit

    def _rounds(self) -> RoundsSummary:
        """Live rounds on every unit, weeks of checks and a few back-filled stretches."""
        loader = RoundsLoader(
            seed=self.plan.seed,
            scale=self.plan.scale,
            days=self.rounds_days,
            staff_by_unit=self._staff_by_unit(),
            units=self.units.values(),
            demo_bht=self.staff.get("demo-bht"),
            step=self.step,
        )
        return loader.run()

    def _area_context(self) -> DemoContext:
        """What the incidents and recovery loaders get: units, employed staff by unit and role."""
        return DemoContext(
            seed=self.plan.seed,
            scale=self.plan.scale,
            now=clock.now(),
            units=list(self.units.values()),
            staff_by_unit=self._staff_by_unit(),
            demo_staff={k: v for k, v in self.staff.items() if k.startswith("demo-")},
            progress=self.progress,
        )

    def _incidents(self) -> None:
        """Behavior data, incidents, restraint and seclusion episodes and safety plans."""
        incidents_demo.load_all(self._area_context())

    def _workforce(self) -> None:
        """A year of workforce history: credentials and trainings, supervision, drift,
        caseloads, private check-ins, recognition, the career ladder, hires and exits."""
        workforce_demo.load_all(self._area_context())

    def _recovery(self) -> None:
        """Peer encounters, wellness plans and goals, recovery capital, the resource directory
        and its referrals, peer matches."""
        recovery_demo.load_all(self._area_context())

    def _community(self) -> None:
        """A recovery community center: a community program with no beds, whose participants
        are enrolled (not admitted to a bed) and seen by peers; a few are on demo-peer's
        caseload, as far as the peer caseload cap leaves room. Loaded after the other areas, so
        their demo data stays as it was."""
        peer = self.staff.get("demo-peer")
        home = next((u for u in self.units.values() if u.kind == UnitKind.RESIDENTIAL), None)
        if peer is None or home is None:
            return
        save = services.save_reference
        unit = save(
            Unit(
                site=home.site,
                name="Recovery Community Center",
                code="rcc",
                kind=UnitKind.COMMUNITY,
                time_zone=home.time_zone,
                bed_count=0,
            ),
            actor=self.admin,
        )
        assert isinstance(unit, Unit)
        self.units[unit.code] = unit
        program = save(
            Program(organization=self.program.organization, name="Recovery community center"),
            actor=self.admin,
            m2m={"units": [unit]},
        )
        # The center's team: demo-peer through the program, and the residential unit's first
        # clinician, who enrols participants.
        enroller = next(
            self.staff[s.username]
            for s in sorted(self.plan.staff, key=lambda s: s.username)
            if s.role == RoleCode.CLINICIAN and home.code in s.units and s.exited_on is None
        )
        services.update_staff(peer, actor=self.admin, programs=[*peer.programs.all(), program])
        services.update_staff(
            enroller, actor=self.admin, home_units=[*enroller.home_units.all(), unit]
        )
        # Their scope changed: the actors cached on these user objects are stale.
        policy.forget(enroller.user)
        policy.forget(peer.user)
        rng = random.Random(f"{self.plan.seed}:community")
        today = clock.organization_today()
        carrying = CaseloadAssignment.objects.filter(
            staff=peer, kind=CaseloadKind.PEER, ended_on__isnull=True, started_on__lte=today
        ).count()
        for n in range(COMMUNITY_PARTICIPANTS):
            moment = clock.now() - timedelta(days=rng.randint(3, 60), minutes=rng.randint(0, 600))
            person = services.create_person(
                actor=enroller.user,
                record_number=f"RC{n + 1:07d}",
                legal_given_name=rng.choice(names.GIVEN_NAMES),
                legal_family_name=rng.choice(names.FAMILY_NAMES),
                date_of_birth=date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                unit=unit,
                bed=None,
                admitted_at=moment,
            )
            if carrying < PEER_CAP:
                services.assign_caseload(
                    actor=enroller.user,
                    staff=peer,
                    person=person,
                    kind=CaseloadKind.PEER,
                    started_on=_local_day(moment),
                )
                carrying += 1

    def _handoffs(self) -> None:
        """Signed handoffs of the last shifts on each inpatient unit, and the one under way."""
        HandoffLoader(
            seed=self.plan.seed, units=self.units.values(), staff_by_unit=self._staff_by_unit()
        ).run()

    def _bootstrap(self) -> Staff:
        """The setup account the demo acts as: the first administrator, who cannot sign in."""
        staff = services.bootstrap_administrator(
            username=SYSTEM_USERNAME,
            display_name="Demo setup (system account)",
            password=None,
            label="pillars demo (bootstrap)",
            hired_on=self.plan.base.date() - timedelta(days=HIRE_YEARS * 365),
            job_title="Loads the demo data; cannot sign in",
            organization=self.plan.org_name,
        )
        self.staff[SYSTEM_USERNAME] = staff
        return staff

    def _structure(self) -> None:
        save = services.save_reference
        org = self.staff[SYSTEM_USERNAME].organization  # made with the setup account
        sites: dict[str, Site] = {}
        for name in self.plan.sites:
            site = save(Site(organization=org, name=name), actor=self.admin)
            assert isinstance(site, Site)
            sites[name] = site
        zone = settings.PILLARS_DEFAULT_TIME_ZONE
        for spec in self.plan.units:
            unit = save(
                Unit(
                    site=sites[spec.site_name],
                    name=spec.name,
                    code=spec.code,
                    kind=spec.plan.kind,
                    time_zone=zone,
                    bed_count=len(spec.beds),
                    is_substance_use_program=spec.plan.part2,
                ),
                actor=self.admin,
            )
            assert isinstance(unit, Unit)
            self.units[spec.code] = unit
            rooms: dict[str, Room] = {}
            for slot in spec.beds:
                if slot.room not in rooms:
                    room = save(Room(unit=unit, name=slot.room), actor=self.admin)
                    assert isinstance(room, Room)
                    rooms[slot.room] = room
                bed = save(Bed(room=rooms[slot.room], label=slot.label), actor=self.admin)
                assert isinstance(bed, Bed)
                self.beds[(spec.code, slot.room, slot.label)] = bed
        program = save(
            Program(organization=org, name="Peer recovery services"),
            actor=self.admin,
            m2m={"units": [self.units[c] for c in self.plan.program_units]},
        )
        assert isinstance(program, Program)
        self.program = program

    def _staff(self) -> None:
        # Supervisors before the people they supervise.
        order = {RoleCode.DIRECTOR: 0, RoleCode.SUPERVISOR: 1}
        for spec in sorted(self.plan.staff, key=lambda s: order.get(RoleCode(s.role), 2)):
            self.staff[spec.username] = services.create_staff(
                actor=self.admin,
                username=spec.username,
                display_name=spec.display_name,
                hired_on=spec.hired_on,
                roles=[spec.role],
                home_units=[self.units[c] for c in spec.units],
                email=f"{spec.username}@riverbend.example",
                password=DEMO_PASSWORD if spec.is_demo else None,
                job_title=spec.job_title,
                badge_number=spec.badge,
                supervisor=self.staff[spec.supervisor] if spec.supervisor else None,
                languages=spec.languages,
                programs=[self.program] if spec.in_program else [],
            )
        for spec in self.plan.staff:
            staff = self.staff[spec.username]
            if spec.lived:
                # Disclosure is the staff member's own choice: they record it themselves.
                services.update_own_profile(
                    staff,
                    actor=staff.user,
                    languages=spec.languages,
                    lived_experience=spec.lived,
                    shares_lived_experience=spec.shares,
                )
        for username in DEMO_PIN_USERS:
            staff = self.staff[username]
            services.set_pin(staff, actor=staff.user, pin=DEMO_PIN)
        self._demo_devices()
        self._demo_admin_site()

    def _demo_devices(self) -> None:
        """A confirmed authenticator with a fixed key for each two-step demo account."""
        for spec in self.plan.staff:
            if not spec.is_demo or spec.role not in (
                RoleCode.DIRECTOR,
                RoleCode.PRIVACY,
                RoleCode.ADMIN,
            ):
                continue
            staff = self.staff[spec.username]
            with transaction.atomic():
                TOTPDevice.objects.create(
                    user=staff.user,
                    name="Demo authenticator",
                    confirmed=True,
                    key=demo_totp_key(spec.username),
                )
                audit.record(
                    self.admin,
                    Action.TWO_FACTOR,
                    staff,
                    purpose=Purpose.SECURITY,
                    detail={"step": "demo authenticator enrolled", "username": spec.username},
                )

    def _demo_admin_site(self) -> None:
        """demo-admin may open the Django admin (reference data)."""
        user = self.user("demo-admin")
        with transaction.atomic():
            type(user).objects.filter(pk=user.pk).update(is_staff=True)
            user.is_staff = True
            audit.record(
                self.admin,
                Action.PRIVILEGE_CHANGE,
                self.staff["demo-admin"],
                purpose=Purpose.ADMINISTRATION,
                detail=audit.changes({"is_staff": False}, {"is_staff": True}),
            )

    # -- the stays, in time order --

    def _history(self) -> None:
        events: list[tuple[datetime, int, int, str, PersonSpec, EpisodeSpec, int]] = []
        counter = 0
        for person in self.plan.persons:
            for episode in person.episodes:
                for n, seg in enumerate(episode.segments):
                    kind = "admit" if n == 0 else "transfer"
                    # At one moment: discharges free beds before transfers and admissions use them.
                    events.append(
                        (seg.start, 2 if n == 0 else 1, counter, kind, person, episode, n)
                    )
                    counter += 1
                if episode.end is not None:
                    events.append((episode.end, 0, counter, "discharge", person, episode, -1))
                    counter += 1
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        for day, todays in by_day(events, lambda e: e[0].date()):
            with self.step(f"history {day}"):
                for moment, _, _, kind, person, episode, n in todays:
                    if kind == "admit":
                        self._admit(person, episode, moment)
                    elif kind == "transfer":
                        self._transfer(person, episode, n, moment)
                    else:
                        self._discharge(person, episode, moment)

    def _admit(self, person: PersonSpec, episode: EpisodeSpec, moment: datetime) -> None:
        seg = episode.segments[0]
        actor = self.user(seg.actor)
        unit = self.units[seg.unit.code]
        bed = self.beds[(seg.unit.code, seg.bed.room, seg.bed.label)]
        key = id(person)
        if key not in self.persons:
            self.persons[key] = services.create_person(
                actor=actor,
                record_number=person.record_number,
                legal_given_name=person.given,
                legal_family_name=person.family,
                date_of_birth=person.date_of_birth,
                preferred_name=person.preferred,
                pronouns=person.pronouns,
                unit=unit,
                bed=bed,
                admitted_at=moment,
            )
            found = Episode.objects.open().get(person=self.persons[key])
        else:
            found = services.admit_person(
                self.persons[key], actor=actor, unit=unit, bed=bed, admitted_at=moment
            )
        self.episodes[id(episode)] = found
        self._assign(person, seg, actor)

    def _assign(self, person: PersonSpec, seg: Segment, actor: Any) -> None:
        day = _local_day(seg.start)
        for username, kind in _caseload_staff(seg):
            self.open_caseload[(id(person), f"{kind}:{username}")] = services.assign_caseload(
                actor=actor,
                staff=self.staff[username],
                person=self.persons[id(person)],
                kind=kind,
                started_on=day,
            )

    def _end_caseload(self, person: PersonSpec, seg: Segment, actor: Any, moment: datetime) -> None:
        day = _local_day(moment)
        for username, kind in _caseload_staff(seg):
            assignment = self.open_caseload.pop((id(person), f"{kind}:{username}"))
            services.end_caseload(assignment, actor=actor, ended_on=day)

    def _transfer(self, person: PersonSpec, episode: EpisodeSpec, n: int, moment: datetime) -> None:
        before, seg = episode.segments[n - 1], episode.segments[n]
        leaving = self.user(before.handover_actor)
        self._end_caseload(person, before, leaving, moment)
        services.transfer_person(
            self.episodes[id(episode)],
            actor=leaving,
            unit=self.units[seg.unit.code],
            bed=self.beds[(seg.unit.code, seg.bed.room, seg.bed.label)],
            moved_at=moment,
            reason=seg.reason,
        )
        self._assign(person, seg, self.user(seg.actor))

    def _discharge(self, person: PersonSpec, episode: EpisodeSpec, moment: datetime) -> None:
        actor = self.user(episode.discharge_actor)
        self._end_caseload(person, episode.segments[-1], actor, moment)
        services.discharge_person(
            self.episodes[id(episode)],
            actor=actor,
            disposition=episode.disposition,
            discharged_at=moment,
        )

    def _exits(self) -> None:
        for spec in self.plan.staff:
            if spec.exited_on is not None:
                services.exit_staff(
                    self.staff[spec.username],
                    actor=self.admin,
                    exited_on=spec.exited_on,
                    exit_reason=spec.exit_reason,
                )


def is_loaded() -> bool:
    return Organization.objects.exists()


def generate(
    *,
    seed: int = 2026,
    scale: str = "small",
    progress: Callable[[str], None] | None = None,
    rounds_days: int | None = None,
) -> Summary:
    """Plan and load the demo, committing step by step (``pillars.demo.steps``): a day of
    stays, a unit's day of rounds, an area at a time. ``rounds_days`` shortens the replayed
    rounds history (default: 30 days small, 1 day large).

    Refuses (AlreadyLoaded) when any organization exists or another load claimed the database
    (the claim is committed first, so two starts at once cannot both load). A load that stops
    half-way stays marked unfinished (``steps.interrupted``); one that fails before its first
    step leaves the database as it was.
    """
    if not settings.DEMO_MODE:
        raise PermissionError("The demo generator runs only in demo mode (PILLARS_DEMO).")
    started = time.monotonic()
    first_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    users = get_user_model().objects
    last_user = users.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        load = steps.claim(seed=seed, scale=scale, taken=is_loaded)
    except steps.Claimed:
        raise AlreadyLoaded("demo data already loaded") from None
    # Every account the demo makes is marked in the step that made it: production refuses to
    # start while one is active (pillars.core.demo_guard), whatever its name.
    stepper = steps.Steps(load, last_user)
    try:
        the_plan = plan(seed, scale)
        Loader(the_plan, progress, rounds_days, step=stepper.step).run()
        with stepper.step("part 2 story"):
            part2_story(seed)
    except BaseException:
        stepper.abandon_if_empty()
        raise
    stepper.finish()
    with transaction.atomic():
        written = AuditEvent.objects.filter(seq__gt=first_seq).count()
    broken, _ = verify_database()
    return Summary(
        seed=seed,
        scale=scale,
        seconds=time.monotonic() - started,
        counts=counts(),
        census=census(),
        audit_events=written,
        chain_ok=broken is None,
    )


def counts() -> dict[str, int]:
    today = clock.organization_today()
    working = Staff.objects.exclude(user__username=SYSTEM_USERNAME).exclude(exited_on__lte=today)
    out = {
        "sites": Site.objects.count(),
        "units": Unit.objects.count(),
        "rooms": Room.objects.count(),
        "beds": Bed.objects.count(),
        "programs": Program.objects.count(),
        "staff_active": working.count(),
        "staff_exited": Staff.objects.filter(exited_on__lte=today).count(),
        "persons": PersonServed.objects.count(),
        "episodes": Episode.objects.count(),
        "episodes_open": Episode.objects.open().count(),
        "transfers": Placement.objects.exclude(reason="admission").count(),
        "caseload": CaseloadAssignment.objects.count(),
        "caseload_open": CaseloadAssignment.objects.filter(ended_on__isnull=True).count(),
        "caseload_peer_open": CaseloadAssignment.objects.filter(
            ended_on__isnull=True, kind=CaseloadKind.PEER
        ).count(),
        "caseload_clinician_open": CaseloadAssignment.objects.filter(
            ended_on__isnull=True, kind=CaseloadKind.CLINICIAN
        ).count(),
    }
    out["orders_open"] = ObservationOrder.objects.filter(ended_at__isnull=True).count()
    out["checks"] = Check.objects.count()
    out["late_entries"] = Check.objects.filter(is_late_entry=True).count()
    out["coverage_open"] = Coverage.objects.filter(ended_at__isnull=True).count()
    for code in RoleCode:
        out[f"role_{code}"] = working.filter(roles__code=code).count()
    return out


def census() -> dict[str, tuple[int, int]]:
    occupied = {
        row["unit__name"]: row["n"]
        for row in Placement.objects.current().values("unit__name").annotate(n=Count("id"))
    }
    return {unit.name: (occupied.get(unit.name, 0), unit.bed_count) for unit in Unit.objects.all()}


def part2_story(seed: int) -> None:
    """42 CFR Part 2 made visible: the first person on the residential (Part 2) program moves
    to the adult unit (and one adult patient the other way, so every unit keeps its census),
    taking their program's records' label with them; the adult nurse orders observation anew.
    The person has consents in every state (active, expired, revoked) and the active one lets
    the adult nurse read the program's records: those reads (and a printed safety plan, when
    there is one) are the disclosures the privacy officer's accounting lists."""
    import uuid

    from pillars.core import policy
    from pillars.incidents import safety_pdf
    from pillars.incidents.selectors import safety as safety_selectors
    from pillars.people import consents
    from pillars.rounds.models import ObservationLevel
    from pillars.rounds.selectors import orders as order_selectors
    from pillars.rounds.services import orders as order_services

    rng = random.Random(f"part2-{seed}")
    users = get_user_model().objects
    nurse = users.get(username="demo-nurse")
    privacy = users.get(username="demo-privacy")
    adult = nurse.staff.home_units.get()
    residential = Unit.objects.filter(is_substance_use_program=True).order_by("pk").first()
    if residential is None:
        return
    current = Placement.objects.current().select_related("episode__person")
    leaving = current.filter(unit=residential).order_by("episode__person__record_number").first()
    arriving = current.filter(unit=adult).order_by("episode__person__record_number").first()
    program_nurse = (
        Staff.objects.filter(home_units=residential, roles__code=RoleCode.NURSE, exited_on=None)
        .order_by("pk")
        .first()
    )
    if leaving is None or arriving is None or program_nurse is None:
        return
    person = leaving.episode.person
    moment = clock.now().replace(microsecond=0) - timedelta(minutes=5)
    to_adult = (
        Bed.objects.filter(room__unit=adult)
        .exclude(placements__ended_at__isnull=True)
        .order_by("room__name", "label")
        .first()
    )
    services.transfer_person(
        leaving.episode,
        actor=program_nurse.user,
        unit=adult,
        bed=to_adult,
        moved_at=moment,
        reason="Medical stabilization on the adult unit",
    )
    services.transfer_person(
        arriving.episode,
        actor=nurse,
        unit=residential,
        bed=leaving.bed,
        moved_at=moment,
        reason="Stepped down to residential recovery",
    )
    # The program's order stays with the program; the adult unit orders its own. It starts on
    # the next whole second (checks are kept to the second, and a check never falls before its
    # order began, nor a new order before the one it follows).
    now = clock.now()
    arrived = now.replace(microsecond=0) + timedelta(seconds=1 if now.microsecond else 0)
    order = order_services.order_observation(
        person,
        actor=nurse,
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Arrived from residential recovery; standard checks while stabilizing",
        started_at=arrived,
    )
    order_services.record_check(
        order,
        actor=nurse,
        observed_at=arrived,
        location="dayroom",
        activity="talking",
        safety_status="safe",
        client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        no_code_reason="Met the person at the unit door on arrival",
    )
    today = clock.today_in(residential.time_zone)
    common: dict[str, Any] = {
        "programs": [residential],
        "signed_by": "person",
        "signer_name": person.display_name,
    }
    consents.record_consent(
        person,
        actor=privacy,
        information_kinds=["rounds", "behavior", "safety_plan", "incidents"],
        information_description="Observation records, behavior data, safety plan and incident "
        "reports from residential recovery.",
        purposes=["tpo"],
        recipients=[{"kind": "staff", "staff": nurse.staff}],
        expires_on=today + timedelta(days=180),
        signed_on=today - timedelta(days=20),
        **common,
    )
    consents.record_consent(
        person,
        actor=privacy,
        information_kinds=["rounds"],
        information_description="Dates of residential treatment, for a benefits claim.",
        purposes=["payment"],
        recipients=[{"kind": "entity", "name": "County Behavioral Health Plan"}],
        expires_on=today - timedelta(days=20),
        signed_on=today - timedelta(days=200),
        **common,
    )
    revoked = consents.record_consent(
        person,
        actor=privacy,
        information_kinds=["safety_plan"],
        information_description="The safety plan, for the outpatient clinic.",
        purposes=["treatment"],
        recipients=[{"kind": "entity", "name": "Riverside Outpatient Clinic"}],
        expiry_event="Discharge from outpatient care",
        signed_on=today - timedelta(days=60),
        **common,
    )
    consents.revoke_consent(
        revoked, actor=privacy, received_as="letter", note="Signed letter handed to the nurse"
    )
    # The adult nurse reads the program's records under the active consent: disclosures.
    policy.forget(nurse)
    list(order_selectors.order_history(person, nurse))
    plan = safety_selectors.current_plan(person, nurse)
    if plan is not None and plan.is_part2:
        safety_pdf.export(nurse, plan, channel="page")

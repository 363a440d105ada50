"""Privacy audit of wellbeing (DESIGN.md rule 5, "Small cells"): a staff member's exposures and
check-ins can be neither seen nor worked out by subtracting one page from another, whether the
pages are two viewers' or one viewer's on two days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from pillars.incidents.models.incidents import ExposureKind
from pillars.people.models import Staff, Unit
from pillars.people.testing import World, make_staff, make_unit
from pillars.workforce.models.wellbeing import CheckIn, CheckInInstrument
from pillars.workforce.selectors import wellbeing as sel
from pillars.workforce.services import wellbeing as svc

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 12, 17, 0, tzinfo=UTC)
LAST_QUARTER = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)  # 2026-Q1, ended before NOON
NONE = dict.fromkeys(ExposureKind.values, 0)


def _staff_of(unit: Unit, code: str, size: int) -> list[Staff]:
    return [make_staff(f"t-{code}{n}", ["bht"], [unit]) for n in range(size)]


def _exposed(world: World, staff: list[Staff], kind: str, when: datetime) -> None:
    for member in staff:
        svc.record_exposure(member.pk, kind, when, world.person_a, None)


def _counts(groups: list[sel.ExposureGroup]) -> dict[str, dict[str, int] | None]:
    return {g.label: g.counts for g in groups}


def _minus(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if a is None or b is None:
        return None
    return {k: a[k] - b[k] for k in a}


def test_two_supervisors_pages_never_give_a_small_unit_back(world: World) -> None:
    """A supervisor of units C and D sees a line over their units; one of unit C alone sees C.
    Suppressed page by page, the first's line minus the second's C was D's three staff's own
    exposures. Every viewer's figures must be cut from the one release the director sees."""
    unit_c, _ = make_unit(world.site, "c")
    unit_d, _ = make_unit(world.site, "d")
    _exposed(world, _staff_of(unit_c, "c", 6), "restraint", LAST_QUARTER)
    _exposed(world, _staff_of(unit_d, "d", 3), "assault", LAST_QUARTER)
    _exposed(world, [world.staff["outsider"]], "injury", LAST_QUARTER)  # unit B: one staff
    both = make_staff("t-lead-cd", ["supervisor"], [unit_c, unit_d])
    one = make_staff("t-lead-c", ["supervisor"], [unit_c])
    with time_machine.travel(NOON, tick=False):
        wide = sel.exposure_aggregates(both.user)
        narrow = sel.exposure_aggregates(one.user)
        release = sel.exposure_aggregates(world.user("director"))
    assert _counts(wide)["Unit D"] is None  # three staff: hidden
    # The attack: the wide page's line minus the narrow page's unit C.
    assert _minus(wide[-1].counts, _counts(narrow)["Unit C"]) != {**NONE, "assault": 3}
    # One release: each unit as the director sees it, and the same line for everyone.
    by_label = {g.label: g for g in release[:-1]}
    for page in (wide, narrow):
        for group in page[:-1]:
            assert group == by_label[group.label]
        assert page[-1].counts == release[-1].counts
        assert page[-1].hidden == release[-1].hidden


def test_a_leaver_exposures_are_not_the_difference_between_two_days(world: World) -> None:
    """Unit C's six staff on one day, five the next (one left): the difference of the two
    pages must not be the leaver's own exposure ledger."""
    unit_c, _ = make_unit(world.site, "c")
    staff = _staff_of(unit_c, "c", 6)
    _exposed(world, staff[1:], "restraint", LAST_QUARTER)
    leaver = staff[0]
    _exposed(world, [leaver], "assault", LAST_QUARTER)
    _exposed(world, [leaver], "injury", LAST_QUARTER + timedelta(hours=1))
    director = world.user("director")
    with time_machine.travel(NOON, tick=False):
        before = _counts(sel.exposure_aggregates(director))
        Staff.objects.filter(pk=leaver.pk).update(
            exited_on=NOON.date() + timedelta(days=1), exit_reason="relocated"
        )
    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        after = _counts(sel.exposure_aggregates(director))
    ledger = {**NONE, "assault": 1, "injury": 1}
    for label in before:
        assert _minus(before[label], after.get(label)) != ledger, label


def _answered(staff: list[Staff], score: float) -> None:
    instrument = CheckInInstrument.objects.get(code="cbi-work-client")
    for member in staff:
        CheckIn.objects.create(
            staff=member,
            instrument=instrument,
            answered_at=LAST_QUARTER,
            answers={},
            scores={"work": score, "client": score},
            unit=member.home_units.first(),
            supervisor=member.supervisor,
        )


def test_a_small_team_is_not_its_unit_minus_the_teams_shown(world: World) -> None:
    """Unit C holds team X (six) and team Y (three); unit D holds team Z (five). The team page
    hides Y, and Z as its complement, but shows X; the unit page shows C. C minus X was Y: its
    three staff's mean, from two pages of the same quarter."""
    unit_c, _ = make_unit(world.site, "c")
    unit_d, _ = make_unit(world.site, "d")
    lead_x = make_staff("t-lead-x", ["supervisor"], [unit_c])
    lead_y = make_staff("t-lead-y", ["supervisor"], [unit_c])
    lead_z = make_staff("t-lead-z", ["supervisor"], [unit_d])

    def team(code: str, unit: Unit, lead: Staff, size: int) -> list[Staff]:
        return [make_staff(f"t-{code}{n}", ["bht"], [unit], supervisor=lead) for n in range(size)]

    _answered(team("x", unit_c, lead_x, 6), 40.0)
    _answered(team("y", unit_c, lead_y, 3), 90.0)
    _answered(team("z", unit_d, lead_z, 5), 50.0)
    director = world.user("director")
    with time_machine.travel(NOON, tick=False):
        teams = {g.label: g for g in sel.check_in_aggregates(director, level="team").groups}
        units = {g.label: g for g in sel.check_in_aggregates(director, level="unit").groups}
    assert teams["Team of T Lead Y"].is_suppressed
    c, x = units["Unit C"], teams["Team of T Lead X"]
    if c.means and x.means:
        rest = c.check_ins - x.check_ins
        derived = (c.means["work"] * c.check_ins - x.means["work"] * x.check_ins) / rest
        # Means are shown to one decimal: the difference gives Y's back to within 0.15.
        assert abs(derived - 90.0) > 1, "team Y's mean is unit C minus team X"

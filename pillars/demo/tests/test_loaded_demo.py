"""The loaded small demo: its shape, its sign-ins, its audit trail and the demo codes.

One demo is loaded for the whole module and rolled back at its end (the tests only read)."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database
from pillars.core.roles import RoleCode
from pillars.demo import generator
from pillars.demo.accounts import (
    DEMO_BADGES,
    DEMO_PASSWORD,
    DEMO_PIN,
    DEMO_SIGN_INS,
    SYSTEM_USERNAME,
)
from pillars.people.choices import CaseloadKind, UnitKind
from pillars.people.models import (
    Bed,
    CaseloadAssignment,
    Consent,
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
from pillars.people.services import check_pin

# Each loads the demo: one worker runs them all (so the module's demo loads once), and only in
# the SQLite stage of bin/test, the database `make run` loads the demo into.
pytestmark = [pytest.mark.django_db, pytest.mark.demo, pytest.mark.xdist_group("demo")]

MOMENT = datetime(2026, 5, 14, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[generator.Summary]:
    """One small demo shared by the read-only tests of this module, rolled back at its end
    (each test's own changes roll back to it through a savepoint)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(MOMENT, tick=False):
                # Two days of rounds keep the module quick; the back-filled nights are last night.
                yield generator.generate(seed=2026, rounds_days=2)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_demo_rounds_are_live_and_the_back_fill_is_caught(loaded: generator.Summary) -> None:
    from pillars.core import clock
    from pillars.rounds.integrity import Kind
    from pillars.rounds.models import (
        Check,
        Coverage,
        MonitoringException,
        ObservationOrder,
        ShiftAssignment,
        WorkOrder,
    )
    from pillars.rounds.selectors.integrity import integrity_report, shift_period

    now = clock.now()
    orders = list(ObservationOrder.objects.filter(ended_at__isnull=True).select_related("level"))
    # Everyone on an inpatient or residential unit is on observation (a community program's
    # participants are enrolled, never rounded), and the board shows a real mix.
    rounded = Placement.objects.current().exclude(unit__kind=UnitKind.COMMUNITY)
    assert len(orders) == rounded.count()
    assert Placement.objects.current().filter(unit__kind=UnitKind.COMMUNITY).exists()
    statuses = Counter(order.status_at(now) for order in orders)
    assert statuses["upcoming"] >= len(orders) // 3
    assert statuses["late"]
    assert statuses["missed"]
    assert statuses["paused"]
    assert Check.objects.filter(is_late_entry=False).count() > 1000
    assert MonitoringException.objects.filter(ended_at__isnull=True).exists()
    # The shift is assigned (demo-bht has persons of their own), 1:1s are covered.
    bht = Staff.objects.get(user__username="demo-bht")
    assert ShiftAssignment.objects.filter(staff=bht, kind="person").exists()
    continuous = [o for o in orders if o.level.staff_ratio]
    assert continuous
    assert Coverage.objects.filter(order__in=continuous, ended_at__isnull=True).count() == len(
        continuous
    )
    assert WorkOrder.objects.filter(is_ligature=True, closed_at__isnull=True).exists()
    # Last night's stretch on the adult unit, typed in at dawn, is flagged, with its checks.
    adult = Unit.objects.filter(kind="acute_adult").order_by("pk").first()
    assert adult is not None
    director = get_user_model().objects.get(username="demo-director")
    night = clock.local(now, adult.time_zone).date() - timedelta(days=2)
    report = integrity_report(director, adult, shift_period(adult, night, "night"))
    kinds = {flag.kind for flag in report.flags}
    assert {Kind.BURST, Kind.EVEN_SPACING, Kind.LARGE_GAP} <= kinds
    backfilled = set(Check.objects.filter(is_late_entry=True).values_list("public_id", flat=True))
    assert len(backfilled) >= 12  # three hours of q15 for at least one person
    in_bursts = {cid for flag in report.flags if flag.kind == Kind.BURST for cid in flag.check_ids}
    # Only the typed-in stretch is a burst: the honest rounds around it are not.
    assert in_bursts
    assert in_bursts <= backfilled


def test_demo_inpatient_units_have_handed_over_their_last_shifts(
    loaded: generator.Summary,
) -> None:
    from pillars.core import clock
    from pillars.demo.handoffs import PAST_SHIFTS, current_shift, shifts_before
    from pillars.rounds.models import Handoff

    now = clock.now()
    for unit in Unit.objects.order_by("code"):
        made = list(Handoff.objects.filter(unit=unit).order_by("starts_at"))
        if unit.kind in ("residential", "community"):
            assert made == [], unit.name
            continue
        shift = current_shift(unit, now)
        expected = [*shifts_before(unit, shift, PAST_SHIFTS), shift]
        assert [(h.starts_at, h.ends_at) for h in made] == [
            (s.starts_at, s.ends_at) for s in expected
        ], unit.name
        *signed, under_way = made
        for handoff in signed:
            assert handoff.is_signed
            assert handoff.outgoing_staff_id != handoff.incoming_staff_id
            assert handoff.outgoing_signed_at is not None
            assert handoff.outgoing_signed_at <= handoff.ends_at
            assert handoff.snapshot["persons"]
            notes = list(handoff.notes.all())
            assert 1 <= len(notes) <= 2
            assert not any(n.is_addendum for n in notes)
            assert notes[0].person is not None
        # Each shift's incoming lead is the next shift's outgoing one (the current lead last).
        assert signed[-1].incoming_staff_id == under_way.compiled_by_id
        assert under_way.outgoing_signed_at is None
        assert under_way.incoming_signed_at is None
        assert under_way.notes.count() == 1
    adult = Unit.objects.get(kind="acute_adult")
    current = Handoff.objects.get(unit=adult, outgoing_signed_at__isnull=True)
    assert current.compiled_by.user.username == "demo-nurse"
    # Every handoff, note and signature is on the audit record.
    for handoff in Handoff.objects.all():
        assert AuditEvent.objects.filter(
            object_type="rounds.handoff", object_id=str(handoff.public_id), action=Action.CREATE
        ).exists()


def test_a_finished_load_is_marked_finished(loaded: generator.Summary) -> None:
    from pillars.demo import steps
    from pillars.demo.models import DemoLoad

    load = DemoLoad.objects.get()
    assert load.finished_at is not None
    assert load.step == "part 2 story"
    assert steps.interrupted() is None


def test_small_demo_has_the_promised_shape(loaded: generator.Summary) -> None:
    assert Organization.objects.count() == 1
    assert Site.objects.count() == 2
    units = {u.kind: u for u in Unit.objects.all()}
    assert {k: u.bed_count for k, u in units.items()} == {
        "acute_adult": 20,
        "adolescent": 14,
        "crisis": 16,
        "residential": 24,
        "community": 0,
    }
    assert [u.kind for u in Unit.objects.filter(is_substance_use_program=True)] == ["residential"]
    for unit in units.values():
        assert Bed.objects.filter(room__unit=unit).count() == unit.bed_count
        occupied = Placement.objects.current().filter(unit=unit).count()
        if unit.kind == "community":
            # Participants enrolled at the recovery community center, none in a bed.
            assert occupied == generator.COMMUNITY_PARTICIPANTS
            continue
        assert occupied == round(unit.bed_count * 0.8), unit.name
    assert Room.objects.exists()
    assert Program.objects.filter(name="Peer recovery services").exists()

    working = Staff.objects.exclude(user__username=SYSTEM_USERNAME).filter(exited_on__isnull=True)
    assert 55 <= working.count() <= 65
    by_role = Counter(code for s in working for code in s.role_codes())
    assert by_role[RoleCode.BHT] == max(by_role.values())
    assert by_role[RoleCode.DIRECTOR] == 2
    assert by_role[RoleCode.PRIVACY] == 1
    assert by_role[RoleCode.ADMIN] == 2
    assert all(by_role[code] for code in RoleCode)
    left = Staff.objects.filter(exited_on__isnull=False)
    assert 12 <= left.count() <= 18
    assert all(s.exit_reason for s in left)
    assert not any(s.user.is_active for s in left)
    everyone = list(Staff.objects.exclude(user__username=SYSTEM_USERNAME))
    assert all("English" in s.languages for s in everyone)
    assert all(s.badge_number for s in everyone)
    with_lived = [s for s in everyone if s.lived_experience]
    share = sum(s.shares_lived_experience for s in with_lived) / len(with_lived)
    assert 0.3 <= share <= 0.75
    hires = sorted(s.hired_on for s in everyone)
    assert (hires[-1] - hires[0]).days > 4 * 365

    for supervisor in working.filter(roles__code=RoleCode.SUPERVISOR):
        peers = supervisor.supervisees.filter(roles__code=RoleCode.PEER).count()
        assert peers <= 8
    open_peer = Counter(
        CaseloadAssignment.objects.filter(
            kind=CaseloadKind.PEER, ended_on__isnull=True
        ).values_list("staff_id", flat=True)
    )
    assert open_peer
    assert max(open_peer.values()) <= 15
    assert CaseloadAssignment.objects.filter(kind=CaseloadKind.CLINICIAN).exists()

    assert 65 <= PersonServed.objects.count() <= 75
    past = Episode.objects.filter(discharged_at__isnull=False)
    assert past.exists()
    assert all(e.discharged_at and (MOMENT - e.discharged_at).days <= 181 for e in past)
    assert Placement.objects.exclude(reason="admission").exists()  # a few transfers
    adolescents = Placement.objects.current().filter(unit__kind="adolescent")
    for placement in adolescents.select_related("episode__person"):
        assert 12 <= placement.episode.person.age_on(MOMENT.date()) <= 17
    assert loaded.chain_ok
    assert "Demo data loaded" in loaded.lines()[0]


def test_demo_sign_ins(loaded: generator.Summary) -> None:
    staff = {
        s.user.username: s
        for s in Staff.objects.select_related("user").filter(
            user__username__in=[u for u, _ in DEMO_SIGN_INS]
        )
    }
    assert set(staff) == {u for u, _ in DEMO_SIGN_INS}
    for username, member in staff.items():
        assert member.user.check_password(DEMO_PASSWORD), username
        assert member.badge_number == DEMO_BADGES[username]
        units = {u.kind for u in member.home_units.all()}
        expected = "residential" if username == "demo-peer" else "acute_adult"
        assert units == {expected}, username
    assert staff["demo-peer"].supervisor == staff["demo-supervisor"]
    assert CaseloadAssignment.objects.filter(
        staff=staff["demo-peer"], kind=CaseloadKind.PEER, ended_on__isnull=True
    ).exists()
    assert staff["demo-admin"].user.is_staff
    assert not any(s.user.is_staff for u, s in staff.items() if u != "demo-admin")
    for username in ("demo-director", "demo-privacy", "demo-admin"):
        assert TOTPDevice.objects.filter(user=staff[username].user, confirmed=True).count() == 1
    assert not TOTPDevice.objects.filter(user=staff["demo-bht"].user).exists()
    for username in ("demo-bht", "demo-nurse"):
        assert check_pin(staff[username], DEMO_PIN)
    assert not check_pin(staff["demo-clinician"], DEMO_PIN)
    system = get_user_model().objects.get(username=SYSTEM_USERNAME)
    assert not system.has_usable_password()


def test_everything_created_is_audited(loaded: generator.Summary) -> None:
    def created(label: str) -> set[str]:
        return set(
            AuditEvent.objects.filter(action=Action.CREATE, object_type=label).values_list(
                "object_id", flat=True
            )
        )

    for model in (
        Organization,
        Site,
        Unit,
        Room,
        Bed,
        Program,
        Staff,
        PersonServed,
        Episode,
        CaseloadAssignment,
    ):
        ids = {str(pid) for pid in model.objects.values_list("public_id", flat=True)}
        missing = ids - created(model._meta.label_lower)
        assert not missing, f"{model.__name__}: {len(missing)} created without an audit event"
    transfers = AuditEvent.objects.filter(action=Action.UPDATE, detail__event="transfer")
    assert transfers.count() == Placement.objects.exclude(reason="admission").count()
    discharges = AuditEvent.objects.filter(action=Action.UPDATE, detail__event="discharge")
    assert discharges.count() == Episode.objects.filter(discharged_at__isnull=False).count()
    exits = AuditEvent.objects.filter(
        action=Action.PRIVILEGE_CHANGE, detail__changes__exit_reason__isnull=False
    )
    assert exits.count() == Staff.objects.filter(exited_on__isnull=False).count()
    bootstrap = AuditEvent.objects.filter(detail__bootstrap=True).order_by("occurred_at", "seq")
    assert list(bootstrap.values_list("object_type", flat=True)) == [
        "people.organization",
        "people.staff",
    ]
    # Everyone else's rows name the person who acted: nurses admit, the admin creates staff.
    admits = AuditEvent.objects.filter(object_type="people.episode", action=Action.CREATE)
    assert set(admits.values_list("actor__staff__roles__code", flat=True)) <= {
        RoleCode.NURSE,
        RoleCode.CLINICIAN,
    }
    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR).count() == 3
    assert loaded.audit_events == AuditEvent.objects.count()
    assert verify_database()[0] is None


def test_demo_code_prints_a_code_that_verifies(loaded: generator.Summary) -> None:
    out = io.StringIO()
    call_command("demo-code", "demo-director", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    device = TOTPDevice.objects.get(user__username="demo-director")
    assert device.verify_token(code)
    other = TOTPDevice.objects.get(user__username="demo-privacy")
    out = io.StringIO()
    call_command("demo_code", "demo-privacy", stdout=out)
    assert other.verify_token(out.getvalue().strip())
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo-code", "demo-bht", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a demo sign-in"):
        call_command("demo-code", "someone-else", stdout=io.StringIO())


FIRST_JOB = {
    "demo-bht": "Your units now",
    "demo-nurse": "Admissions and discharges today",
    "demo-clinician": "Your caseload",
    "demo-peer": "Your caseload",
    "demo-supervisor": "Your team",
    "demo-director": "Census across the organization",
    "demo-privacy": "Emergency access awaiting review",
    "demo-admin": "Units, staff and reference data",
}


@pytest.mark.parametrize("username", [u for u, _ in DEMO_SIGN_INS])
def test_each_demo_role_signs_in_and_lands_on_its_home_page(
    loaded: generator.Summary, username: str
) -> None:
    """Through the real sign-in form (and the two-step page where the role needs it)."""
    from django.test import Client
    from django_otp.oath import totp

    client = Client()
    with time_machine.travel(MOMENT, tick=False):
        response = client.post(
            "/account/sign-in/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        home = client.get("/")
        two_step = username in ("demo-director", "demo-privacy", "demo-admin")
        assert (home.status_code == 302) == two_step, username
        if two_step:
            # Roles that need a second step are sent to it before anything else.
            assert home["Location"].startswith("/account/two-factor/"), username
            device = TOTPDevice.objects.get(user__username=username, confirmed=True)
            code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"
            assert client.post(home["Location"], {"code": code}).status_code == 302
            home = client.get("/")
    assert home.status_code == 200, username
    assert FIRST_JOB[username] in home.content.decode(), username


def test_old_overdue_notifications_were_alerted_and_a_sweep_adds_only_recent_ones(
    loaded: generator.Summary,
) -> None:
    from pillars.incidents.models import Notification
    from pillars.incidents.services.incidents import sweep_notifications

    unsent = Notification.objects.filter(sent_at__isnull=True, due_at__lt=MOMENT)
    assert unsent.exists()  # a few were never sent, as on any unit
    old = unsent.filter(due_at__lt=MOMENT - timedelta(days=1))
    assert not old.filter(alerted_at__isnull=True).exists()
    waiting = unsent.filter(alerted_at__isnull=True).count()
    with time_machine.travel(MOMENT, tick=False):
        result = sweep_notifications(MOMENT)
    assert result.claimed == waiting
    assert result.failed == 0


def test_demo_restraint_episodes(loaded: generator.Summary) -> None:
    """Months of episodes across types, a couple of late face-to-faces, one active now on the
    demo nurse's unit, all through the services (so all audited)."""
    from pillars.incidents.models import (
        RestraintEpisode,
        RestraintStaff,
        ViolationKind,
    )
    from pillars.incidents.models.incidents import ExposureKind
    from pillars.workforce.models import ExposureEvent

    episodes = list(RestraintEpisode.objects.prefetch_related("orders", "checks", "face_to_faces"))
    assert len(episodes) >= 12
    assert len({e.kind for e in episodes}) >= 3
    months = {(e.started_at.year, e.started_at.month) for e in episodes}
    assert len(months) >= 3
    late = [
        e
        for e in episodes
        if not e.is_active
        and ViolationKind.LATE_FACE_TO_FACE in [v.kind for v in e.violations_at(MOMENT)]
    ]
    assert len(late) >= 2
    [active] = [e for e in episodes if e.is_active]
    nurse = Staff.objects.get(user__username="demo-nurse")
    assert active.unit in nurse.home_units.all()
    assert active.monitoring_due_at() is not None
    assert AuditEvent.objects.filter(object_id=str(active.public_id)).exists()
    # Every episode names the staff who took part, and each has one restraint row in the
    # exposure ledger per episode.
    involved = RestraintStaff.objects.count()
    assert all(e.staff_roles.exists() for e in episodes)
    assert involved >= len(episodes)
    assert ExposureEvent.objects.filter(kind=ExposureKind.RESTRAINT).count() == involved


def test_every_demo_account_is_marked_and_disable_demo_switches_them_off(
    loaded: generator.Summary, settings: Any
) -> None:
    from pillars.core.demo_guard import demo_accounts_in_production
    from pillars.core.models import ApiToken
    from pillars.core.tokens import create_token

    users = get_user_model().objects
    assert not users.filter(is_demo=False).exists()
    nurse = users.get(username="demo-nurse")
    create_token(nurse, name="tablet", scopes=["read"], days=1)
    settings.PRODUCTION = True
    [error] = demo_accounts_in_production()
    assert error.id == "pillars.E001"
    assert "pillars disable-demo" in error.msg
    with pytest.raises(CommandError, match="--yes"):
        call_command("disable-demo", stdout=io.StringIO())
    assert users.filter(is_active=True, is_demo=True).exists()
    out = io.StringIO()
    call_command("disable-demo", "--yes", stdout=out)
    assert "Disabled" in out.getvalue()
    assert demo_accounts_in_production() == []
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert not nurse.has_usable_password()
    assert not TOTPDevice.objects.filter(user__is_demo=True).exists()
    assert not ApiToken.objects.filter(user=nurse, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(detail__event="demo account disabled").count() == users.count()
    assert verify_database()[0] is None


def test_demo_shows_part2_records_keeping_their_label(loaded: generator.Summary) -> None:
    """The person moved out of residential recovery keeps its records' label: the adult
    unit's technician does not see them, the nurse named by the active consent does (and those
    reads are the disclosures the privacy officer accounts for)."""
    from pillars.core import clock
    from pillars.people import consents
    from pillars.rounds.selectors import orders as order_selectors

    users = get_user_model().objects
    consent_rows = list(Consent.objects.select_related("person"))
    person = consent_rows[0].person
    placement = Placement.objects.current().get(episode__person=person)
    assert not placement.unit.is_substance_use_program
    states = {c.state_on(clock.now(), consents.consent_today(c)) for c in consent_rows}
    assert states == {"active", "expired", "revoked"}
    bht, nurse = users.get(username="demo-bht"), users.get(username="demo-nurse")
    seen_by_bht = order_selectors.order_history(person, bht)
    assert seen_by_bht
    assert not any(o.is_part2 for o in seen_by_bht)
    assert any(o.is_part2 for o in order_selectors.order_history(person, nurse))
    rows = consents.disclosures_of(users.get(username="demo-privacy"), person)
    assert rows
    assert {r.basis for r in rows} == {"consent"}


def test_demo_recovery_work(loaded: generator.Summary) -> None:
    """The peer's year: a directory imported through the real import, encounters, goals, a
    wellness plan, BARC-10 histories, referrals in several states, peer matching with varied
    sharing and one chosen match, and the recovery community center's participants (enrolled,
    no beds, some on demo-peer's caseload)."""
    from pillars.recovery.models import (
        Assessment,
        Encounter,
        Goal,
        HsdsService,
        MatchRequest,
        MatchStatus,
        PeerProfile,
        Referral,
        ReferralStatus,
        WellnessPlanVersion,
    )

    assert HsdsService.objects.count() >= 200
    imports = AuditEvent.objects.filter(action=Action.IMPORT, object_type="recovery.directory")
    assert imports.exists()
    peer = Staff.objects.get(user__username="demo-peer")
    assert Encounter.objects.filter(written_by=peer).count() >= 10
    assert Goal.objects.exists()
    assert WellnessPlanVersion.objects.filter(signed_at__isnull=False).exists()
    barc = Assessment.objects.filter(instrument__code="barc-10")
    assert barc.count() >= 8
    assert len({a.total for a in barc}) > 3  # histories that rise and fall
    # Every state a referral reaches through the services (a draft is never stored).
    assert set(Referral.objects.values_list("status", flat=True)) == {
        s for s in ReferralStatus.values if s != ReferralStatus.DRAFT
    }
    profiles = list(PeerProfile.objects.all())
    assert profiles
    assert all("languages" in p.shared() for p in profiles)
    # Varied: not every peer shares the same attributes.
    assert len({tuple(sorted(p.shared())) for p in profiles}) > 1
    statuses = list(MatchRequest.objects.values_list("status", flat=True))
    assert statuses.count(MatchStatus.CHOSEN) == 1
    assert len([s for s in statuses if s in (MatchStatus.OPEN, MatchStatus.OFFERED)]) == 2
    chosen = MatchRequest.objects.get(status=MatchStatus.CHOSEN)
    assert chosen.assignment is not None
    assert chosen.assignment.staff == chosen.chosen_peer
    center = Unit.objects.get(code="rcc")
    assert (center.kind, center.bed_count) == (UnitKind.COMMUNITY, 0)
    enrolled = list(Placement.objects.current().filter(unit=center))
    assert len(enrolled) == 4
    assert all(p.bed_id is None for p in enrolled)
    assert CaseloadAssignment.objects.filter(
        staff=peer,
        kind=CaseloadKind.PEER,
        ended_on__isnull=True,
        person__episodes__placements__unit=center,
    ).exists()


def test_demo_credentials_lapse_and_block_the_demo_bht_on_a_one_to_one(
    loaded: generator.Summary,
) -> None:
    from pillars.core import clock
    from pillars.core.errors import ValidationError
    from pillars.rounds.models import Coverage, ObservationOrder
    from pillars.rounds.services.coverage import start_coverage
    from pillars.workforce.models.credentials import Credential
    from pillars.workforce.selectors.credentials import EXPIRING, LAPSED, compliance_for

    with time_machine.travel(MOMENT, tick=False):
        today = clock.organization_today()
        ends = list(Credential.objects.values_list("expires_on", flat=True))
        assert any(e is not None and e < today for e in ends)
        assert any(e is not None and today <= e <= today + timedelta(days=90) for e in ends)
        director = Staff.objects.get(user__username="demo-director").user
        statuses = Counter(line.status for line in compliance_for(director))
        assert statuses[LAPSED]
        assert statuses[EXPIRING]
        bht = Staff.objects.get(user__username="demo-bht")
        nurse = Staff.objects.get(user__username="demo-nurse")
        order = (
            ObservationOrder.objects.filter(
                ended_at__isnull=True,
                level__staff_ratio__gt=0,
                episode__placements__unit__in=bht.home_units.all(),
                episode__placements__ended_at__isnull=True,
            )
            .select_related("level")
            .first()
        )
        assert order is not None
        Coverage.objects.filter(staff=bht, ended_at__isnull=True).update(ended_at=clock.now())
        with pytest.raises(ValidationError, match="crisis intervention expired on"):
            start_coverage(order, actor=nurse.user, staff=bht)


def test_demo_workforce_wellbeing_recognition_ladder_retention(
    loaded: generator.Summary,
) -> None:
    """Check-ins (answered, declined, one waiting for the demo technician), enough answers in a
    closed quarter for a unit's aggregate to show, recognitions, ladder steps, exit interviews
    with one internal transfer, and a year of exits in the turnover table."""
    from pillars.people.models import Staff
    from pillars.workforce.models import (
        CheckIn,
        ExitInterview,
        Invitation,
        LadderPlacement,
        Recognition,
    )
    from pillars.workforce.selectors import retention, wellbeing

    assert Invitation.objects.filter(status="answered").exists()
    assert Invitation.objects.filter(status="declined").exists()
    assert CheckIn.objects.count() >= 20
    director = Staff.objects.get(user__username="demo-director").user
    release = wellbeing.check_in_aggregates(director, level="unit")
    assert any(not g.is_suppressed for g in release.groups)
    assert Recognition.objects.count() >= 10
    assert LadderPlacement.objects.exists()
    assert ExitInterview.objects.filter(reason__code="internal_transfer").count() == 1
    view = retention.workforce_view(director, by="role")
    org = [t for t in view.turnover if t.group == "The whole organization"]
    assert sum(t.separations for t in org) > 0
    assert any(r.hired for r in view.retention)


def test_every_demo_row_belongs_to_its_parents_organization(loaded: generator.Summary) -> None:
    """Rows written every way the demo writes them (services, bulk inserts, the tablets' batch
    path) carry their parent's organization (people.tenancy)."""
    from django.apps import apps

    from pillars.people.tenancy import OrganizationOwned, strays

    org = Organization.objects.get()
    checked = 0
    for model in apps.get_models():
        if issubclass(model, OrganizationOwned):
            assert not strays(model).exists(), model._meta.label
            assert not model._default_manager.exclude(organization=org).exists()
            checked += model._default_manager.count()
    assert checked > 10_000


LINK = re.compile(r'href="(/[^"#]*)"')
# Files, printouts and exports are pages of their own kind (their routes are in the matrix);
# the crawl follows the pages a person clicks through.
NOT_CRAWLED = re.compile(r"^/(static|media|api|admin)/|/(print|pdf|csv|export)/?$|\.(pdf|csv)$")
CRAWL_LIMIT = 400
# Home, a menu page, a record or report it lists, and what that links to.
CRAWL_DEPTH = 3


def _path_kind(path: str) -> str:
    """A path with its ids and numbers folded, so the crawl opens one page of each kind."""
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", path)
    return re.sub(r"\d+", "<n>", path)


def _demo_client(username: str) -> Any:
    """A test client signed in as a demo account (its second step passed where it has one)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client(raise_request_exception=False)
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _crawl(client: Any) -> Iterator[tuple[str, str, Any]]:
    """One page of each kind the client is shown a link to, ``CRAWL_DEPTH`` clicks from home:
    (its path, the page that linked to it, the answer)."""
    queue: list[tuple[str, str, int]] = [("/", "", 0)]
    opened: set[str] = set()
    kinds: set[str] = set()
    while queue and len(opened) < CRAWL_LIMIT:
        path, found_on, depth = queue.pop(0)
        kind = _path_kind(path)
        if path in opened or kind in kinds or NOT_CRAWLED.search(path):
            continue
        opened.add(path)
        kinds.add(kind)
        response = client.get(path)
        yield path, found_on, response
        if depth < CRAWL_DEPTH and "html" in response.get("Content-Type", ""):
            for link in LINK.findall(response.content.decode()):
                if "sign-out" not in link:
                    queue.append((link.replace("&amp;", "&"), path, depth + 1))


@pytest.mark.parametrize(
    "username",
    [
        "demo-director",
        "demo-supervisor",
        "demo-privacy",
        "demo-nurse",
        "demo-clinician",
        "demo-bht",
        "demo-peer",
    ],
)
def test_every_link_a_demo_role_is_shown_opens_for_them(
    loaded: generator.Summary, username: str
) -> None:
    """A new user clicks what they see: from each role's home page, one page of each kind its
    links lead to is opened, and none answers with a refusal, a missing page or an error. A
    link the viewer may not follow (a report their role does not open, a person since moved
    off their unit) is not drawn as a link."""
    with time_machine.travel(MOMENT, tick=False):
        answers = list(_crawl(_demo_client(username)))
    broken = [
        f"{path} answers {response.status_code} (linked on {found_on})"
        for path, found_on, response in answers
        if response.status_code >= 400
    ]
    assert len(answers) > 20, answers
    assert broken == [], broken


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
FIELD_NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# What a tampered request carries: no address, a number past any column, symbols, a NUL.
JUNK = ("%", "9" * 400, "x'\"<>[]", "a\x00b")


@pytest.mark.parametrize("username", ["demo-supervisor", "demo-nurse", "demo-peer", "demo-privacy"])
def test_no_page_or_form_answers_junk_with_an_error(
    loaded: generator.Summary, username: str
) -> None:
    """An attacker's view of the same pages: each is asked again with junk in every query
    value it names, and each form it holds is posted once with junk in every field. A refusal
    or the form with its errors is the answer, never a server error (two once were: a typed
    room code that was no code, a tampered record key on the consent form)."""
    client = _demo_client(username)
    errors: list[str] = []
    posted: set[str] = set()
    with time_machine.travel(MOMENT, tick=False):
        for n, (path, _, response) in enumerate(list(_crawl(client))):
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            body = response.content.decode()
            junk = JUNK[n % len(JUNK)]
            names = set(FIELD_NAME.findall(body)) - {"csrfmiddlewaretoken"}
            asked = client.get(path, dict.fromkeys(names | {"page", "next"}, junk))
            if asked.status_code >= 500:
                errors.append(f"GET {path} with {junk[:12]!r}: {asked.status_code}")
            for attributes, inner in FORM.findall(body):
                action = re.search(r'action="([^"]*)"', attributes)
                target = (action.group(1) if action else path).replace("&amp;", "&")
                if 'method="post"' not in attributes or "sign-out" in target:
                    continue
                if _path_kind(target) in posted:
                    continue
                posted.add(_path_kind(target))
                token = CSRF.search(inner)
                data = dict.fromkeys(set(FIELD_NAME.findall(inner)), junk)
                data["csrfmiddlewaretoken"] = token.group(1) if token else ""
                sent = client.post(target, data)
                if sent.status_code >= 500:
                    errors.append(f"POST {target} with {junk[:12]!r}: {sent.status_code}")
    assert posted, "no form was posted"
    assert errors == [], errors

"""Supervision, drift and caseload rules: cadence (weekly, monthly, face-to-face minutes), the
overdue sweep and its dedupe, the ledger against both NCPS rules, the letter, who may
supervise whom and the load limit, drift thresholds to the agenda, bulk reassignment all or
nothing, and permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.core.errors import ValidationError
from pillars.people import services as people_services
from pillars.people.models import Alert, CaseloadAssignment, Role, Staff
from pillars.people.testing import World, make_person, make_staff
from pillars.recovery.models import Encounter, EncounterFlag
from pillars.workforce import supervision_pdf
from pillars.workforce.models import (
    ActionItem,
    AgendaItem,
    CadenceRule,
    CertificationRule,
    Handover,
    SupervisionProfile,
    SupervisorLoadLimit,
)
from pillars.workforce.selectors import supervision as selectors
from pillars.workforce.selectors.drift import drift_months
from pillars.workforce.services import caseloads as caseload_services
from pillars.workforce.services import drift as drift_services
from pillars.workforce.services import supervision as services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


def _session(world: World, when: datetime, minutes: int = 60, face: bool = True, sign=True):
    with time_machine.travel(when, tick=False):
        session = services.record_session(
            actor=world.user("supervisor"),
            supervisees=[world.staff["peer"]],
            kind="supportive",
            started_at=when - timedelta(minutes=minutes),
            minutes=minutes,
            is_face_to_face=face,
            sign=True,
        )
        if sign:
            session = services.sign_session(session, actor=world.user("peer"))
    return session


# --- Cadence ---------------------------------------------------------------------------------


def test_weekly_cadence_during_initial_certification(world: World) -> None:
    peer = world.staff["peer"]
    rule = services.cadence_rule_for(peer)
    assert rule is not None
    assert rule.code == "peer-initial-weekly"
    s = _session(world, NOW)
    due = s.started_at + timedelta(days=7)
    assert services.cadence_state(peer, due - timedelta(seconds=1)).status == "due_soon"
    assert services.cadence_state(peer, due - timedelta(days=3)).status == "on_cadence"
    assert services.cadence_state(peer, due).status == "overdue"


def test_certified_peers_are_monthly(world: World) -> None:
    peer = world.staff["peer"]
    SupervisionProfile.objects.create(staff=peer, status="certified")
    rule = services.cadence_rule_for(peer)
    assert rule is not None
    assert rule.code == "peer-certified-monthly"
    s = _session(world, NOW)
    assert services.cadence_state(peer, s.started_at + timedelta(days=20)).status == "on_cadence"
    assert services.cadence_state(peer, s.started_at + timedelta(days=30)).status == "overdue"


def test_an_unsigned_session_does_not_count(world: World) -> None:
    peer = world.staff["peer"]
    _session(world, NOW, sign=False)
    state = services.cadence_state(peer, at(1))
    assert state.last_session_at is None
    assert state.status == "overdue"


def test_face_to_face_minutes_rule(world: World) -> None:
    peer = world.staff["peer"]
    rule = CadenceRule.objects.get(code="peer-weekly-hour-face")
    SupervisionProfile.objects.create(staff=peer, cadence_rule=rule)
    _session(world, at(-2), minutes=30, face=True)
    _session(world, at(-1), minutes=90, face=False)
    # 30 face-to-face minutes in the week: not enough, whatever the remote minutes.
    assert services.cadence_state(peer, NOW).status == "overdue"
    _session(world, NOW, minutes=30, face=True)
    state = services.cadence_state(peer, at(1))
    assert state.face_to_face_minutes_in_window == 60
    # The older 30 minutes leave the window first: due 7 days after they were held.
    assert state.due_at == at(-2) - timedelta(minutes=30) + timedelta(days=7)
    assert services.cadence_state(peer, state.due_at).status == "overdue"


def test_overdue_sweep_alerts_supervisor_and_supervisee_once(world: World) -> None:
    _session(world, at(-10))
    first = services.sweep_overdue(NOW)
    again = services.sweep_overdue(NOW + timedelta(hours=1))
    recipients = sorted(
        Alert.objects.filter(subject_kind="workforce.supervision").values_list(
            "recipient__user__username", flat=True
        )
    )
    # The peer and the bht have the supervisor: each alerts themselves and the supervisor.
    assert first.alerts == 4
    assert again.alerts == 0
    assert recipients.count("t-supervisor") == 2
    assert "t-peer" in recipients
    _session(world, at(1))  # back on cadence, then overdue again: a new due moment alerts
    # the peer and the supervisor; the technician's due moment has not moved: no repeat.
    assert services.sweep_overdue(at(9)).alerts == 2


# --- Ledger and letter -----------------------------------------------------------------------


def test_ledger_counts_signed_sessions_and_work_hours_within_each_window(world: World) -> None:
    peer = world.staff["peer"]
    _session(world, NOW, minutes=90)
    _session(world, at(-1), minutes=30, sign=False)  # not signed by the peer: not counted
    with time_machine.travel(NOW, tick=False):
        services.record_work_hours(
            peer,
            actor=world.user("supervisor"),
            period_start=date(2024, 1, 1),
            period_end=date(2025, 12, 31),
            hours=Decimal("1999"),
        )
        lines = {line.rule.code: line for line in selectors.ledger(peer, NOW.date())}
    ncps, legacy = lines["ncps"], lines["ncps-legacy"]
    assert ncps.session_hours == Decimal("1.50")
    assert ncps.work_hours == Decimal("1999")
    assert ncps.total == Decimal("2000.50")
    assert ncps.hours_met
    assert not ncps.letters_met
    assert not legacy.hours_met
    assert legacy.hours_left == Decimal("999.50")
    assert ncps.window_start == date(2021, 3, 18)
    assert legacy.window_start == date(2020, 3, 18)
    # Three letters are three supervisors vouching: the same one signing again is not a letter
    # more. The peer's supervisor changed twice over the years.
    signers = [world.staff["supervisor"]] + [
        make_staff(f"sup-{n}", ["supervisor"], [world.unit_a]) for n in (2, 3)
    ]
    for n, signer in enumerate(signers):
        Staff.objects.filter(pk=peer.pk).update(supervisor=signer)
        with time_machine.travel(NOW + timedelta(minutes=n), tick=False):
            services.sign_letter(
                peer,
                actor=signer.user,
                rule=ncps.rule,
                period_start=date(2024, 1, 1),
                period_end=NOW.date(),
                credential="LCSW",
            )
            if n == 0:
                services.sign_letter(
                    peer,
                    actor=signer.user,
                    rule=ncps.rule,
                    period_start=date(2024, 1, 1),
                    period_end=NOW.date(),
                    credential="LCSW",
                )
                assert selectors.ledger(peer, NOW.date(), [ncps.rule])[0].letters == 1
    assert selectors.ledger(peer, NOW.date(), [ncps.rule])[0].met
    # Hours older than the window drop out.
    later = date(2031, 1, 1)
    assert selectors.ledger(peer, later, [ncps.rule])[0].work_hours == 0


def test_a_state_rule_is_data(world: World) -> None:
    rule = CertificationRule.objects.create(
        code="state-initial", name="State initial", hours_required=Decimal("1"), within_years=None
    )
    _session(world, NOW, minutes=60)
    line = selectors.ledger(world.staff["peer"], NOW.date(), [rule])[0]
    assert line.window_start is None
    assert line.met
    assert line.percent == 100


def test_work_hours_refuse_bad_input(world: World) -> None:
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as exc:
        services.record_work_hours(
            world.staff["peer"],
            actor=world.user("supervisor"),
            period_start=date(2026, 3, 10),
            period_end=date(2026, 3, 11),
            hours=Decimal("49"),
        )
    assert "hours" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.record_work_hours(
            world.staff["peer"],
            actor=world.user("peer"),
            period_start=date(2026, 3, 10),
            period_end=date(2026, 3, 11),
            hours=Decimal("4"),
        )


def test_letter_pdf_is_signed_by_the_supervisor_and_exported_through_the_door(
    world: World,
) -> None:
    _session(world, NOW, minutes=60)
    with time_machine.travel(at(1), tick=False):
        letter = services.sign_letter(
            world.staff["peer"],
            actor=world.user("supervisor"),
            rule=CertificationRule.objects.get(code="ncps"),
            period_start=date(2026, 1, 1),
            period_end=NOW.date(),
            credential="LCSW",
        )
        data = supervision_pdf.export(world.user("peer"), letter)
    assert data.startswith(b"%PDF")
    assert len(data) > 1000
    assert letter.total_hours == Decimal("1.00")
    assert "T Supervisor (LCSW)" in letter.statement
    assert AuditEvent.objects.filter(action="export", object_id=str(letter.public_id)).exists()
    with pytest.raises(Http404):
        supervision_pdf.export(world.user("outsider"), letter)
    with pytest.raises(ValidationError):  # no hours in an empty period
        services.sign_letter(
            world.staff["peer"],
            actor=world.user("supervisor"),
            rule=letter.rule,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 1, 2),
            credential="LCSW",
        )


# --- Sessions: signing, addenda, carried items --------------------------------------------------


def test_signed_by_both_then_only_an_addendum(world: World) -> None:
    s = _session(world, NOW, sign=False)
    assert not s.is_signed
    s = services.sign_session(s, actor=world.user("peer"))
    assert s.is_signed
    with pytest.raises(PermissionDenied):
        services.sign_session(s, actor=world.user("peer"))
    addendum = services.add_session_addendum(
        s, actor=world.user("peer"), reason="Wrong length", text="It was 50 minutes."
    )
    assert addendum.session == s
    with pytest.raises(Http404):
        selectors.get_session_for(world.user("bht"), s.public_id, what="test")


def test_action_items_carry_to_the_next_session_until_closed(world: World) -> None:
    peer = world.staff["peer"]
    with time_machine.travel(NOW, tick=False):
        first = services.record_session(
            actor=world.user("supervisor"),
            supervisees=[peer],
            kind="administrative",
            started_at=NOW - timedelta(hours=1),
            minutes=30,
            action_items=[services.NewActionItem(peer, "Finish the ethics course")],
        )
    [item] = selectors.open_items([peer.pk])
    assert item.raised_in == first
    with time_machine.travel(at(7), tick=False):
        services.record_session(
            actor=world.user("supervisor"),
            supervisees=[peer],
            kind="supportive",
            started_at=at(7) - timedelta(hours=1),
            minutes=30,
        )
    assert list(selectors.open_items([peer.pk])) == [item]  # still on the agenda
    with time_machine.travel(at(14), tick=False):
        third = services.record_session(
            actor=world.user("supervisor"),
            supervisees=[peer],
            kind="supportive",
            started_at=at(14) - timedelta(hours=1),
            minutes=30,
            close_items=[item],
        )
    item.refresh_from_db()
    assert item.closed_in == third
    assert not selectors.open_items([peer.pk]).exists()


def test_only_ones_own_supervisees_and_nothing_half_stored(world: World) -> None:
    before = ActionItem.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.record_session(
            actor=world.user("supervisor"),
            supervisees=[world.staff["peer"], world.staff["nurse"]],
            kind="clinical",
            started_at=NOW,
            minutes=0,
        )
    assert {"supervisees", "minutes"} <= set(exc.value.message_dict)
    assert ActionItem.objects.count() == before
    with pytest.raises(PermissionDenied):
        services.record_session(
            actor=world.user("peer"),
            supervisees=[world.staff["bht"]],
            kind="clinical",
            started_at=NOW,
            minutes=30,
        )


# --- Who may supervise whom, load limits (through people's hook) --------------------------------


def test_who_may_supervise_whom(world: World) -> None:
    admin = world.user("admin")
    bht = world.staff["bht"]
    with pytest.raises(ValidationError) as exc:
        people_services.update_staff(bht, actor=admin, supervisor=world.staff["peer"])
    assert "may supervise" in exc.value.message_dict["supervisor"][0]
    people_services.update_staff(bht, actor=admin, supervisor=world.staff["clinician"])
    # A peer may supervise peers when certified with 2 years in the role.
    senior = make_staff("senior-peer", ["peer"], [world.unit_a])
    new_peer = make_staff("new-peer", ["peer"], [world.unit_a])
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as exc:
            people_services.update_staff(new_peer, actor=admin, supervisor=senior)
        assert "must be certified" in exc.value.message_dict["supervisor"][0]
        SupervisionProfile.objects.create(staff=senior, status="certified")
        people_services.update_staff(new_peer, actor=admin, supervisor=senior)
    new_peer.refresh_from_db()
    assert new_peer.supervisor == senior


def test_supervisor_load_limit(world: World) -> None:
    admin = world.user("admin")
    SupervisorLoadLimit.objects.filter(supervisee_role="peer").update(max_supervisees=2)
    sup = world.staff["supervisor"]  # already supervises the world's peer
    second = make_staff("peer-two", ["peer"], [world.unit_a])
    people_services.update_staff(second, actor=admin, supervisor=sup)
    third = make_staff("peer-three", ["peer"], [world.unit_a])
    with pytest.raises(ValidationError) as exc:
        people_services.update_staff(third, actor=admin, supervisor=sup)
    assert "already supervises 2 peers, the most allowed (2)" in exc.value.messages[0]
    third.refresh_from_db()
    assert third.supervisor is None
    # A technician is not counted against the peer limit.
    tech = make_staff("tech-two", ["bht"], [world.unit_a])
    people_services.update_staff(tech, actor=admin, supervisor=sup)
    # ... until a role change would make them the third peer: the same limit refuses it, and
    # nothing changes; a role the supervisor has room for is given.
    with pytest.raises(ValidationError) as exc:
        people_services.set_roles(tech, actor=admin, roles=["bht", "peer"])
    assert "already supervises 2 peers, the most allowed (2)" in exc.value.message_dict["roles"][0]
    assert tech.role_codes() == ["bht"]
    people_services.set_roles(tech, actor=admin, roles=["bht", "nurse"])
    assert sorted(tech.role_codes()) == ["bht", "nurse"]


# --- Drift ------------------------------------------------------------------------------------


def _encounter(world: World, when: datetime, flags: int = 0) -> Encounter:
    enc = Encounter.objects.create(
        person=world.person_a,
        modality="in_person",
        setting="unit",
        started_at=when,
        minutes=60,
        what_was_done="Walked to the library.",
        written_by=world.staff["peer"],
        signed_at=when,
        signer_credential="CPS",
        recorded_at=when,
    )
    for _n in range(flags):
        EncounterFlag.objects.create(
            encounter=enc,
            field="what_was_done",
            term="patient",
            matched="patient",
            category="clinical_label",
            suggestion="person",
        )
    return enc


def test_drift_thresholds_put_one_item_on_the_next_agenda(world: World) -> None:
    peer = world.staff["peer"]
    for n in range(5):
        _encounter(world, datetime(2026, 3, 2 + n, 15, tzinfo=UTC), flags=1 if n < 2 else 0)
    with time_machine.travel(NOW, tick=False):
        drift_services.log_time(
            actor=world.user("peer"), worked_on=date(2026, 3, 10), task="transport", minutes=100
        )
    [march] = drift_months([peer.pk], date(2026, 3, 1), date(2026, 3, 1))
    # 300 encounter minutes + 100 logged: 25.0%, not above the 25% line; 2 flags in 5 notes: 4.
    assert march.non_peer_share == Decimal("25.0")
    assert march.flags_per_10_notes == Decimal("4.0")
    assert march.crossed == ["More than 3 scope-guard flags per 10 notes in a month"]
    with time_machine.travel(NOW, tick=False):
        drift_services.log_time(
            actor=world.user("peer"), worked_on=date(2026, 3, 11), task="floor_coverage", minutes=5
        )
    first = drift_services.review_drift(NOW)
    again = drift_services.review_drift(NOW + timedelta(hours=2))
    assert first.alerts == 2
    assert again.alerts == 0
    items = AgendaItem.objects.filter(supervisee=peer, addressed_in__isnull=True)
    assert {i.detail["threshold"] for i in items} == {"non-peer-time", "clinical-language"}
    session = _session(world, at(1))
    assert set(session.agenda.all()) == set(items.model.objects.filter(supervisee=peer))


def test_time_log_is_ones_own_and_checked(world: World) -> None:
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as exc:
        drift_services.log_time(
            actor=world.user("peer"), worked_on=date(2026, 3, 19), task="nap", minutes=0
        )
    assert {"worked_on", "task", "minutes"} <= set(exc.value.message_dict)


# --- Bulk reassignment ------------------------------------------------------------------------


def _carry(staff: Staff, n: int, tag: str) -> list[CaseloadAssignment]:
    return [
        CaseloadAssignment.objects.create(
            staff=staff,
            person=make_person(f"MRN-{tag}{i}", f"Family{tag}{i}"),
            kind="peer",
            started_on=date(2026, 1, 5),
        )
        for i in range(n)
    ]


def test_bulk_reassignment_all_or_nothing_with_limits(world: World) -> None:
    sup = world.user("supervisor")
    leaving = world.staff["peer"]
    other = make_staff("peer-other", ["peer"], [world.unit_a], supervisor=world.staff["supervisor"])
    moving = _carry(leaving, 3, "L")
    _carry(other, 13, "O")  # room for 2 under the default 15
    before = Handover.objects.count()
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as exc:
            caseload_services.reassign_caseload(
                leaving,
                actor=sup,
                moves=[(a, other) for a in moving],
                reason="leaving",
                note="Each person prefers mornings.",
            )
        assert "carries 13 of 15; 3 more would be over the limit" in exc.value.messages[0]
        assert Handover.objects.count() == before
        assert all(a.staff == leaving and a.ended_on is None for a in moving)
        for a in moving:
            a.refresh_from_db()
            assert a.ended_on is None
        handover = caseload_services.reassign_caseload(
            leaving,
            actor=sup,
            moves=[(moving[0], other), (moving[1], other)],
            reason="leave",
            note="Each person prefers mornings.",
        )
    assert handover.receivers.get() == other
    assert CaseloadAssignment.objects.filter(staff=other, ended_on__isnull=True).count() == 15
    moving[0].refresh_from_db()
    assert moving[0].ended_on == date(2026, 3, 17)
    other.user.refresh_from_db()
    from pillars.workforce.selectors.caseloads import handovers_for

    assert list(handovers_for(other.user)) == [handover]
    assert not handovers_for(world.user("bht")).exists()
    assert AuditEvent.objects.filter(object_id=str(handover.public_id), action="create").exists()


def test_reassignment_refuses_strangers_and_other_roles(world: World) -> None:
    [a] = _carry(world.staff["peer"], 1, "X")
    with pytest.raises(PermissionDenied):
        caseload_services.reassign_caseload(
            world.staff["peer"],
            actor=world.user("nurse"),
            moves=[(a, world.staff["bht"])],
            reason="leave",
            note="n",
        )
    with pytest.raises(ValidationError) as exc:
        caseload_services.reassign_caseload(
            world.staff["peer"],
            actor=world.user("supervisor"),
            moves=[(a, world.staff["outsider"])],
            reason="leave",
            note="",
        )
    assert {"note", "moves"} <= set(exc.value.message_dict)


def test_roles_exist_for_the_hook() -> None:
    assert Role.objects.filter(code="peer").exists()

"""Every write in the behavior area: plans (each change a new version, and their end), phase
changes, contracts and their signatures, ABC records (replay-safe) and their corrections.

DESIGN.md rules 2, 3 and 7: a signed record is never edited, each write checks permission and
audits in one transaction, and a device's client id makes a replay harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NotRequired, TypedDict, Unpack
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.writes import atomic_or_conflict, replayed
from pillars.incidents.models import (
    BehaviorContract,
    BehaviorPlan,
    BehaviorRecord,
    BehaviorRecordAddendum,
    ContractStatus,
    Measure,
    PlanPhase,
    PlanStatus,
    TargetBehavior,
)
from pillars.people.addendum_writes import adding
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone, record_person_event

# The end of a plan: its reason is kept with the ended version (as a change's reason is).
MAX_END_REASON = 500

# An ABC entry made more than this long after the behavior needs a reason and is flagged, as a
# late observation check is (rounds.services.orders.LATE_ENTRY_AFTER).
LATE_ENTRY_AFTER = timedelta(minutes=10)
# Device clocks drift; an observation this far ahead of the server is refused as impossible.
CLOCK_SKEW = timedelta(minutes=2)
MAX_COUNT = 500
MAX_DURATION_SECONDS = 24 * 3600
MAX_LIST = 30
MAX_TARGETS = 12

PLAN_TEXT_FIELDS = (
    "summary",
    "replacement_behaviors",
    "antecedent_strategies",
    "reinforcement_schedule",
)
REPLAY_CONFLICT = "This behavior record was already saved with different details."
OTHER_PERSON = "This record id belongs to another person's behavior record."


def _audit(actor: Any, action: str, target: Any, person: PersonServed, detail: dict) -> None:
    record_person_event(person, actor=actor, action=action, target=target, detail=detail)


def _clean_list(name: str, values: Iterable[str], errors: dict[str, list[str]]) -> list[str]:
    items = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if len(items) > MAX_LIST:
        errors[name] = [f"At most {MAX_LIST} choices."]
    elif any(len(v) > 120 for v in items):
        errors[name] = ["Each choice is at most 120 characters."]
    return items


def _clean_targets(
    targets: Iterable[Mapping[str, Any]], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    problems: list[str] = []
    for n, raw in enumerate(targets, start=1):
        name = str(raw.get("name") or "").strip()
        definition = str(raw.get("definition") or "").strip()
        measure = str(raw.get("measure") or "")
        key = slugify(str(raw.get("key") or name))[:60]
        if not name:
            problems.append(f"Target {n}: give it a name.")
        elif len(name) > 120:
            problems.append(f"Target {n}: a name is at most 120 characters.")
        if not definition:
            problems.append(
                f"Target {n}: define it so that any two staff would count it the same way."
            )
        if measure not in Measure.values:
            problems.append(f"Target {n}: choose frequency, duration or intensity.")
        if name and not key:
            problems.append(f"Target {n}: the name needs letters or digits.")
        cleaned.append({"key": key, "name": name, "definition": definition, "measure": measure})
    keys = [t["key"] for t in cleaned if t["key"]]
    if len(keys) != len(set(keys)):
        problems.append("Two targets have the same name.")
    if not cleaned:
        problems.append("A plan needs at least one target behavior.")
    elif len(cleaned) > MAX_TARGETS:
        problems.append(f"At most {MAX_TARGETS} target behaviors.")
    if problems:
        errors["targets"] = problems
    return cleaned


def write_plan(
    person: PersonServed,
    *,
    actor: Any,
    effective_on: date,
    targets: Iterable[Mapping[str, Any]],
    antecedents: Iterable[str] = (),
    consequences: Iterable[str] = (),
    summary: str = "",
    replacement_behaviors: str = "",
    antecedent_strategies: str = "",
    reinforcement_schedule: str = "",
    reinforcement_interval_minutes: int | None = None,
    change_reason: str = "",
) -> BehaviorPlan:
    """Write a person's behavior plan, or change it by making its next version: the old
    version is retired and stays readable with its targets; records made under it keep
    pointing at its targets (whose ``key`` the new version's targets share). After a plan has
    ended, a plan written later is its next version (in force again from ``effective_on``,
    not before the day the last one ended)."""
    acting = policy.require(actor, "incidents.write_behavior_plan", person)
    errors: dict[str, list[str]] = {}
    texts = {
        "summary": summary.strip(),
        "replacement_behaviors": replacement_behaviors.strip(),
        "antecedent_strategies": antecedent_strategies.strip(),
        "reinforcement_schedule": reinforcement_schedule.strip(),
    }
    for name, value in texts.items():
        if len(value) > 5000:
            errors[name] = ["At most 5000 characters."]
    cleaned = _clean_targets(targets, errors)
    picks_a = _clean_list("antecedents", antecedents, errors)
    picks_c = _clean_list("consequences", consequences, errors)
    if reinforcement_interval_minutes is not None and not (
        1 <= reinforcement_interval_minutes <= 7 * 24 * 60
    ):
        errors["reinforcement_interval_minutes"] = ["Between 1 minute and 7 days."]
    if texts["reinforcement_schedule"] == "" and reinforcement_interval_minutes is not None:
        errors["reinforcement_schedule"] = ["Say what reinforcement is given at this interval."]
    change_reason = change_reason.strip()
    if len(change_reason) > 500:
        errors["change_reason"] = ["At most 500 characters."]
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    with atomic_or_conflict("Someone changed this plan a moment ago; reload."):
        # Lock the person so that two clinicians' changes make two versions in order.
        PersonServed.objects.select_for_update().filter(pk=person.pk).first()
        current = BehaviorPlan.objects.filter(person=person, is_current=True).first()
        last = current or BehaviorPlan.objects.filter(person=person).order_by("-version").first()
        if last is not None and last.ended_on is not None and effective_on < last.ended_on:
            raise invalid(
                "effective_on",
                f"The last plan ended on {last.ended_on:%Y-%m-%d}; "
                "a new plan takes effect on or after that day.",
            )
        if current is not None and not change_reason:
            raise invalid("change_reason", "Say why the plan changes.")
        if current is not None and effective_on < current.effective_on:
            raise invalid(
                "effective_on", "The new version cannot take effect before the current one."
            )
        if current is not None:
            BehaviorPlan.objects.filter(pk=current.pk).update(is_current=False)
        plan = BehaviorPlan.objects.create(
            person=person,
            version=(last.version + 1) if last else 1,
            effective_on=effective_on,
            written_by_id=acting.staff_pk,
            written_at=now,
            change_reason=change_reason,
            replaces=last,
            reinforcement_interval_minutes=reinforcement_interval_minutes,
            antecedents=picks_a,
            consequences=picks_c,
            **texts,
        )
        TargetBehavior.objects.bulk_create(
            TargetBehavior(plan=plan, sort_order=n, **t) for n, t in enumerate(cleaned)
        )
        _audit(
            actor,
            Action.CREATE if current is None else Action.UPDATE,
            plan,
            person,
            {
                "version": plan.version,
                "effective_on": effective_on.isoformat(),
                "targets": [t["key"] for t in cleaned],
                "replaces": str(last.public_id) if last else None,
                "reason": change_reason,
            },
        )
    return plan


def _plan_in_force(person: PersonServed, refusal: str) -> BehaviorPlan:
    """The person's plan in force, read after locking the person (so writes to their plan
    queue behind each other); ``refusal`` when there is none. Call inside a transaction."""
    PersonServed.objects.select_for_update().filter(pk=person.pk).first()
    plan = BehaviorPlan.objects.filter(person=person, is_current=True).first()
    if plan is None:
        raise invalid(None, refusal)
    return plan


def end_plan(
    person: PersonServed,
    *,
    actor: Any,
    ended_on: date,
    reason: str,
    version: int | None = None,
) -> BehaviorPlan:
    """End the person's current behavior plan: from then on nothing is recorded against it and
    its open contracts (awaiting signatures or signed) end with it. The ended version keeps its
    history, records and chart; a plan written later is its next version.

    ``ended_on`` is a date in the unit's zone: not before the plan took effect, not after today
    there, and not before the last day behavior was recorded under this version (the chart
    would show behavior after the plan's end). ``version``, when given, is the version the
    clinician saw: another version in force by now is a conflict."""
    acting = policy.require(actor, "incidents.write_behavior_plan", person)
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "Say why the plan ends.")
    if len(reason) > MAX_END_REASON:
        raise invalid("reason", f"At most {MAX_END_REASON} characters.")
    zone = person_zone(person)
    today = clock.today_in(zone)
    if ended_on > today:
        raise invalid("ended_on", f"A plan cannot end in the future: today is {today:%Y-%m-%d}.")
    now = clock.now()
    with transaction.atomic():
        plan = _plan_in_force(person, "There is no behavior plan in force to end.")
        if version is not None and version != plan.version:
            raise Conflict(
                f"The plan is now at version {plan.version}; reload and check it before ending it."
            )
        if ended_on < plan.effective_on:
            raise invalid(
                "ended_on",
                f"This version took effect on {plan.effective_on:%Y-%m-%d}; "
                "it cannot end before that.",
            )
        last_seen = (
            BehaviorRecord.objects.filter(target__plan=plan)
            .order_by("-observed_at")
            .values_list("observed_at", flat=True)
            .first()
        )
        if last_seen is not None and clock.local(last_seen, zone).date() > ended_on:
            raise invalid(
                "ended_on",
                "Behavior was recorded under this plan on "
                f"{clock.local(last_seen, zone):%Y-%m-%d}; end it on or after that day.",
            )
        open_contracts = list(
            BehaviorContract.objects.select_for_update()
            .filter(person=person, status__in=[ContractStatus.AWAITING, ContractStatus.SIGNED])
            .order_by("written_at")
        )
        BehaviorContract.objects.filter(pk__in=[c.pk for c in open_contracts]).update(
            status=ContractStatus.ENDED
        )
        plan.status = PlanStatus.ENDED
        plan.is_current = False
        plan.ended_on = ended_on
        plan.ended_at = now
        plan.ended_by_id = acting.staff_pk
        plan.end_reason = reason
        plan.save(
            update_fields=["status", "is_current", "ended_on", "ended_at", "ended_by", "end_reason"]
        )
        _audit(
            actor,
            Action.UPDATE,
            plan,
            person,
            {
                "event": "end",
                "version": plan.version,
                "old": {"status": PlanStatus.ACTIVE, "is_current": True},
                "new": {"status": PlanStatus.ENDED, "is_current": False},
                "ended_on": ended_on.isoformat(),
                "reason": reason,
                "contracts_ended": [
                    {"contract": str(c.public_id), "was": c.status} for c in open_contracts
                ],
            },
        )
    return plan


def change_phase(
    person: PersonServed, *, actor: Any, name: str, started_on: date, note: str = ""
) -> PlanPhase:
    """Start a phase of the person's plan (baseline, intervention, ...) on a date. Phases follow
    each other; a change is never back-dated before the phase in force."""
    acting = policy.require(actor, "incidents.write_behavior_plan", person)
    name, note = name.strip(), note.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Name the phase (for example baseline or intervention)."]
    elif len(name) > 80:
        errors["name"] = ["At most 80 characters."]
    if len(note) > 500:
        errors["note"] = ["At most 500 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _plan_in_force(person, "Write a behavior plan first.")
        last = PlanPhase.objects.filter(person=person).order_by("-started_on").first()
        if last is not None and started_on <= last.started_on:
            raise invalid(
                "started_on", f"The phase in force began on {last.started_on}; start after it."
            )
        phase = PlanPhase.objects.create(
            person=person,
            name=name,
            started_on=started_on,
            note=note,
            set_by_id=acting.staff_pk,
            recorded_at=clock.now(),
        )
        _audit(
            actor,
            Action.CREATE,
            phase,
            person,
            {"phase": name, "started_on": started_on.isoformat()},
        )
    return phase


def write_contract(
    person: PersonServed, *, actor: Any, terms: str, rewards: str, review_on: date
) -> BehaviorContract:
    """Write a behavior contract under the current plan. It is in force once the person served
    and a staff member have both signed; until then an unsigned draft may be replaced by a new
    one."""
    acting = policy.require(actor, "incidents.write_behavior_plan", person)
    terms, rewards = terms.strip(), rewards.strip()
    errors: dict[str, list[str]] = {}
    if not terms:
        errors["terms"] = ["Write the terms agreed."]
    elif len(terms) > 5000:
        errors["terms"] = ["At most 5000 characters."]
    if not rewards:
        errors["rewards"] = ["Write the rewards agreed."]
    elif len(rewards) > 5000:
        errors["rewards"] = ["At most 5000 characters."]
    now = clock.now()
    # "Today" is the person's unit's calendar day, as the review flag reads it.
    if review_on <= clock.today_in(person_zone(person)):
        errors["review_on"] = ["The review date is after today."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = _plan_in_force(person, "Write a behavior plan first.")
        # An unsigned draft is simply superseded; a signed contract stays in force until the
        # new one is signed (sign_contract replaces it then).
        drafts = BehaviorContract.objects.filter(person=person, status=ContractStatus.AWAITING)
        drafts.update(status=ContractStatus.REPLACED)
        contract = BehaviorContract.objects.create(
            person=person,
            plan=plan,
            terms=terms,
            rewards=rewards,
            review_on=review_on,
            written_by_id=acting.staff_pk,
            written_at=now,
        )
        _audit(
            actor,
            Action.CREATE,
            contract,
            person,
            {"plan_version": plan.version, "review_on": review_on.isoformat()},
        )
    return contract


PERSON, STAFF = "person", "staff"


def sign_contract(
    contract: BehaviorContract, *, actor: Any, signer: str, signed_name: str = ""
) -> BehaviorContract:
    """Record a signature: the person served's (typed name, witnessed by the acting staff
    member) or the acting staff member's own. With both, the contract is signed: from then on
    it is never edited, and the contract it replaces is marked replaced."""
    acting = policy.require(actor, "incidents.write_behavior_plan", contract)
    signed_name = signed_name.strip()
    if signer not in (PERSON, STAFF):
        raise invalid("signer", "Say who signs: the person served or staff.")
    if signer == PERSON and not signed_name:
        raise invalid("signed_name", "The person served signs with their name.")
    if len(signed_name) > 200:
        raise invalid("signed_name", "At most 200 characters.")
    now = clock.now()
    with transaction.atomic():
        locked = BehaviorContract.objects.select_for_update().get(pk=contract.pk)
        if locked.status == ContractStatus.ENDED:
            raise Conflict(
                "The behavior plan has ended, and this contract with it: it is not signed."
            )
        if locked.status != ContractStatus.AWAITING:
            raise Conflict("This contract is no longer open for signatures.")
        if signer == PERSON:
            if locked.person_signed_at is not None:
                raise invalid("signer", "The person served has already signed.")
            locked.person_signed_name = signed_name
            locked.person_signed_at = now
            locked.person_witnessed_by_id = acting.staff_pk
        else:
            if locked.staff_signed_at is not None:
                raise invalid("signer", "Staff have already signed.")
            locked.staff_signed_by_id = acting.staff_pk
            locked.staff_signed_at = now
        replaced = None
        if locked.is_signed:
            locked.status = ContractStatus.SIGNED
            replaced = (
                BehaviorContract.objects.select_for_update()
                .filter(person_id=locked.person_id, status=ContractStatus.SIGNED)
                .exclude(pk=locked.pk)
                .first()
            )
            if replaced is not None:
                replaced.status = ContractStatus.REPLACED
                replaced.save(update_fields=["status"])
                locked.replaces = replaced
        locked.save()
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.person,
            {
                "event": "sign",
                "signer": signer,
                "signed": locked.is_signed,
                "replaces": str(replaced.public_id) if replaced else None,
            },
        )
    return locked


RECORD_FIELDS = (
    "observed_at",
    "antecedent",
    "behavior",
    "consequence",
    "count",
    "duration_seconds",
    "intensity",
    "setting",
)


def ended_message(ended_on: date | None) -> str:
    """The refusal of a record against an ended plan (pages and API say the same)."""
    when = f" on {ended_on:%Y-%m-%d}" if ended_on else ""
    return (
        f"The behavior plan ended{when}: behavior is no longer recorded against it. "
        "A clinician writes a new plan to record again."
    )


class BehaviorEntry(TypedDict):
    """What one ABC entry says, as ``record_details`` takes it."""

    observed_at: datetime
    antecedent: str
    consequence: str
    behavior: NotRequired[str]
    count: NotRequired[int]
    duration_seconds: NotRequired[int | None]
    intensity: NotRequired[int | None]
    setting: NotRequired[str]


def record_details(
    *,
    observed_at: datetime,
    antecedent: str,
    consequence: str,
    behavior: str = "",
    count: int = 1,
    duration_seconds: int | None = None,
    intensity: int | None = None,
    setting: str = "",
) -> dict[str, Any]:
    """The details a replay is compared on (RECORD_FIELDS)."""
    return {
        "observed_at": observed_at,
        "antecedent": antecedent.strip(),
        "behavior": behavior.strip(),
        "consequence": consequence.strip(),
        "count": count,
        "duration_seconds": duration_seconds,
        "intensity": intensity,
        "setting": setting.strip(),
    }


def _same_record(existing: BehaviorRecord, target: TargetBehavior, values: dict) -> BehaviorRecord:
    same = existing.target.key == target.key and all(
        getattr(existing, name) == values[name] for name in RECORD_FIELDS
    )
    if not same:
        raise Conflict(REPLAY_CONFLICT)
    return existing


def validate_record(
    target: TargetBehavior, *, now: datetime, late_reason: str, **values: Any
) -> dict[str, Any]:
    """Every rule a new ABC record meets; raises ValidationError naming every bad field."""
    errors: dict[str, list[str]] = {}
    observed_at: datetime = values["observed_at"]
    if observed_at.tzinfo is None:
        errors["observed_at"] = ["The time must include a time zone."]
    elif observed_at > now + CLOCK_SKEW:
        errors["observed_at"] = ["Behavior cannot be observed in the future."]
    elif now - observed_at > timedelta(days=30):
        errors["observed_at"] = ["Behavior more than 30 days ago is not entered here."]
    if not values["antecedent"]:
        errors["antecedent"] = ["Say what happened just before."]
    elif len(values["antecedent"]) > 300:
        errors["antecedent"] = ["At most 300 characters."]
    if not values["consequence"]:
        errors["consequence"] = ["Say what happened right after."]
    elif len(values["consequence"]) > 300:
        errors["consequence"] = ["At most 300 characters."]
    if len(values["behavior"]) > 500:
        errors["behavior"] = ["At most 500 characters."]
    if len(values["setting"]) > 120:
        errors["setting"] = ["At most 120 characters."]
    count = values["count"]
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        errors["count"] = [f"Count between 1 and {MAX_COUNT}."]
    duration = values["duration_seconds"]
    if duration is not None and not 0 <= duration <= MAX_DURATION_SECONDS:
        errors["duration_seconds"] = ["A duration between 0 seconds and 24 hours."]
    intensity = values["intensity"]
    if intensity is not None and not 1 <= intensity <= 5:
        errors["intensity"] = ["Intensity from 1 (mild) to 5 (severe)."]
    if target.measure == Measure.DURATION and duration is None:
        errors.setdefault("duration_seconds", ["This target is measured by how long it lasted."])
    if target.measure == Measure.INTENSITY and intensity is None:
        errors.setdefault("intensity", ["This target is measured by intensity: choose 1 to 5."])
    late_reason = late_reason.strip()
    is_late = "observed_at" not in errors and now - observed_at > LATE_ENTRY_AFTER
    if is_late and not late_reason:
        minutes = int(LATE_ENTRY_AFTER.total_seconds() // 60)
        errors["late_reason"] = [
            f"This entry is made more than {minutes} minutes after the behavior: say why. "
            "It will be shown as a late entry."
        ]
    elif len(late_reason) > 300:
        errors["late_reason"] = ["At most 300 characters."]
    if errors:
        raise ValidationError(errors)
    return {**values, "is_late_entry": is_late, "late_reason": late_reason if is_late else ""}


def record_behavior(
    person: PersonServed,
    *,
    actor: Any,
    target: TargetBehavior,
    client_id: UUID,
    late_reason: str = "",
    **entry: Unpack[BehaviorEntry],
) -> BehaviorRecord:
    """Record one ABC entry against a target of the person's current plan; a replayed
    ``client_id`` returns the first record, and the same id with other details is a conflict.

    Antecedent and consequence are usually picked from the plan's lists; free text is allowed.
    An entry made more than LATE_ENTRY_AFTER after the behavior needs a reason and is flagged.
    """
    acting = policy.require(actor, "incidents.record_behavior", person)
    details = record_details(**entry)
    if existing := _replayed_record(client_id, person):
        return _same_record(existing, target, details)
    # Read afresh: a form opened before the plan changed holds a target of the old version.
    plan = (
        BehaviorPlan.objects.filter(pk=target.plan_id)
        .values("person_id", "is_current", "status", "ended_on")
        .first()
    )
    if plan is None or plan["person_id"] != person.pk:
        raise invalid("target", "This target behavior is not in this person's plan.")
    if plan["status"] == PlanStatus.ENDED:
        raise invalid("target", ended_message(plan["ended_on"]))
    if not plan["is_current"]:
        raise invalid("target", "The plan has changed since this form was opened; reload.")
    now = clock.now()
    values = validate_record(target, now=now, late_reason=late_reason, **details)
    try:
        with transaction.atomic():
            record = BehaviorRecord.objects.create(
                person=person,
                target=target,
                recorded_at=now,
                recorded_by_id=acting.staff_pk,
                client_id=client_id,
                **values,
            )
            _audit(
                actor,
                Action.CREATE,
                record,
                person,
                {
                    "target": target.key,
                    "observed_at": details["observed_at"].isoformat(),
                    "count": record.count,
                    "intensity": record.intensity,
                    "duration_seconds": record.duration_seconds,
                    "late_entry": record.is_late_entry,
                },
            )
    except IntegrityError:
        # The same client id arrived twice at once: the other request won; answer as a replay
        # (of this person's record only, as above).
        existing = _replayed_record(client_id, person)
        if existing is None:
            raise
        return _same_record(existing, target, details)
    return record


def _replayed_record(client_id: UUID | None, person: PersonServed) -> BehaviorRecord | None:
    """The record stored under ``client_id`` when this write replays it; another person's
    record under the same key is a conflict."""
    return replayed(
        BehaviorRecord.objects.select_related("target"),
        client_id,
        {"person_id": person.pk},
        OTHER_PERSON,
    )


def add_record_addendum(
    record: BehaviorRecord, *, actor: Any, reason: str, text: str
) -> BehaviorRecordAddendum:
    """Correct an ABC record: the record is never edited; the addendum names author and reason."""
    acting = policy.require(actor, "incidents.record_behavior", record)
    reason, text = BehaviorRecordAddendum.cleaned(reason, text, about="the record", max_text=2000)
    with adding(
        BehaviorRecordAddendum, reason, text, record=record, written_by_id=acting.staff_pk
    ) as addendum:
        _audit(
            actor,
            Action.CREATE,
            addendum,
            record.person,
            {"record": str(record.public_id), "reason": reason},
        )
    return addendum

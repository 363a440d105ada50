"""From Pillars' records to FHIR R4 resources (as plain dicts, validated by ``export``).

One function per source, each a generator of resource dicts over the export's ``Context``:
it reads in batches (``select_related`` / ``prefetch_related``, never a query per row), skips
what the requester may not take (``Context.labelled``: Part 2 records without a consent), and
refers only to resources the export holds (``Context.refer``), so every reference resolves
inside the export. ``SOURCES`` maps each resource type to its sources, in the order the types
are written: supporting types last, because at the patient and group levels they hold only
what the records before them referenced.

Codes of the project's own lists use ``urn:pillars:codesystem:<list>``; the record number is
the person's identifier under ``urn:pillars:identifier:record-number``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Prefetch

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.incidents.models import BehaviorPlan, BehaviorRecord, SafetyPlanVersion
from pillars.insights.fhir.context import (
    ACT_CODE,
    IDS,
    Context,
    concept,
    day,
    instant,
    meta,
)
from pillars.people.consent_models import Consent
from pillars.people.consents import consent_today
from pillars.people.models import (
    Episode,
    Organization,
    PersonServed,
    Placement,
    Site,
    Staff,
    Unit,
)
from pillars.recovery.models import (
    Assessment,
    Goal,
    Referral,
    WellnessPlanVersion,
)
from pillars.recovery.models import Encounter as PeerEncounter
from pillars.recovery.models.directory import HsdsOrganization, HsdsService
from pillars.recovery.models.directory import Location as DirectoryLocation
from pillars.rounds.models import Check, ObservationOrder

Resource = dict[str, Any]
Source = Callable[[Context], Iterator[Resource]]

ACTION = "insights.bulk_export"
# A stable id for a resource that is one part of a record (a precaution of an order, the task
# of a referral): a name-based UUID under this namespace.
PART_IDS = uuid.UUID("5b0f4a57-3e0c-4b8e-9a0e-1f6c2e0a7d41")


def part_id(public_id: Any, part: str) -> str:
    return str(uuid.uuid5(PART_IDS, f"{public_id}:{part}"))


def _practitioner(ctx: Context, staff: Staff | None) -> dict[str, Any] | None:
    if staff is None:
        return None
    return ctx.refer("Practitioner", staff.public_id, staff.display_name)


def _patient(ctx: Context, person: PersonServed) -> dict[str, Any]:
    return ctx.refer("Patient", person.public_id)


# --- Patient -----------------------------------------------------------------------------


def patients(ctx: Context) -> Iterator[Resource]:
    qs = ctx.changed(ctx.read(ctx.persons), "created_at").order_by("pk")
    for person in ctx.rows(qs):
        names: list[dict[str, Any]] = [
            {
                "use": "official",
                "family": person.legal_family_name,
                "given": [person.legal_given_name],
            }
        ]
        if person.preferred_name:
            names.append({"use": "usual", "given": [person.preferred_name]})
        yield {
            "resourceType": "Patient",
            "id": str(person.public_id),
            "identifier": [{"system": IDS + "record-number", "value": person.record_number}],
            "active": True,
            "name": names,
            "birthDate": day(person.date_of_birth),
        }


# --- Encounter ---------------------------------------------------------------------------


def episodes(ctx: Context) -> Iterator[Resource]:
    """Each episode of care (admission to discharge), with the units of its stays. A stay on a
    substance-use program's unit is named only under a consent (the stay itself is Part 2
    information); otherwise it is left out and counted as withheld."""
    qs = ctx.changed(ctx.of_persons(Episode.objects.all()), "recorded_at", "discharged_at")
    qs = qs.select_related("person").prefetch_related(
        Prefetch(
            "placements",
            queryset=Placement.objects.select_related("unit__site__organization").order_by(
                "started_at"
            ),
        )
    )
    for episode in ctx.rows(qs.order_by("pk")):
        locations = []
        provider = None
        stays = list(episode.placements.all())
        for stay in stays:
            if not ctx.unit_open(episode.person_id, stay.unit):
                continue
            locations.append(
                {
                    "location": ctx.refer("Location", stay.unit.public_id, stay.unit.name),
                    "status": "completed" if stay.ended_at else "active",
                    "period": {"start": instant(stay.started_at), "end": instant(stay.ended_at)},
                }
            )
            provider = ctx.refer("Organization", stay.unit.site.organization.public_id)
        if stays and not locations:
            # Every stay of the episode was in a substance-use program: the episode itself
            # says so, and stays inside.
            ctx.withheld["Encounter"] += 1
            continue
        yield {
            "resourceType": "Encounter",
            "id": str(episode.public_id),
            "status": "finished" if episode.discharged_at else "in-progress",
            "class": {"system": ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
            "type": [concept("encounter", "episode", "Episode of care")],
            "subject": _patient(ctx, episode.person),
            "period": {
                "start": instant(episode.admitted_at),
                "end": instant(episode.discharged_at),
            },
            "hospitalization": (
                {"dischargeDisposition": concept("disposition", episode.disposition)}
                if episode.disposition
                else None
            ),
            "location": locations,
            "serviceProvider": provider,
        }


PEER_CLASS = {"virtual": "VR", "home": "HH", "community": "FLD", "unit": "AMB"}


def peer_encounters(ctx: Context) -> Iterator[Resource]:
    qs = ctx.changed(ctx.of_persons(PeerEncounter.objects.all()), "recorded_at", "voided_at")
    qs = qs.select_related("person", "written_by", "unit").order_by("pk")
    for enc, part2 in ctx.labelled("Encounter", ctx.rows(qs)):
        code = PEER_CLASS.get(enc.setting, "AMB")
        yield {
            "resourceType": "Encounter",
            "id": str(enc.public_id),
            "meta": meta(part2),
            "status": "entered-in-error" if enc.status == "void" else "finished",
            "class": {"system": ACT_CODE, "code": code},
            "type": [concept("encounter", "peer-support", "Peer support encounter")],
            "serviceType": concept("peer-service", enc.service_code) if enc.service_code else None,
            "subject": _patient(ctx, enc.person),
            "participant": [{"individual": _practitioner(ctx, enc.written_by)}],
            "period": {"start": instant(enc.started_at)},
            "length": {
                "value": enc.minutes,
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            },
            "location": (
                [{"location": ctx.refer("Location", enc.unit.public_id, enc.unit.name)}]
                if enc.unit is not None and ctx.unit_open(enc.person_id, enc.unit)
                else None
            ),
        }


# --- Observation -------------------------------------------------------------------------


def _observation(
    ctx: Context,
    record: Any,
    part2: bool,
    person: PersonServed,
    *,
    category: dict[str, Any],
    code: dict[str, Any],
    status: str = "final",
) -> Resource:
    """What every Observation starts with: the record, its kind and whom it is about."""
    return {
        "resourceType": "Observation",
        "id": str(record.public_id),
        "meta": meta(part2),
        "status": status,
        "category": [category],
        "code": code,
        "subject": _patient(ctx, person),
    }


def checks(ctx: Context) -> Iterator[Resource]:
    """Observation checks (safety rounds): what was seen, where, doing what, by whom."""
    qs = ctx.changed(ctx.of_persons(Check.objects.all(), "order__person"), "recorded_at")
    qs = qs.select_related("order__person", "order__episode", "observed_by").order_by("pk")
    rows = ctx.labelled("Observation", ctx.rows(qs), lambda c: c.order.person_id)
    for check, part2 in rows:
        yield {
            **_observation(
                ctx,
                check,
                part2,
                check.order.person,
                category=concept("observation-category", "safety-round", "Safety round"),
                code=concept("observation", "observation-check", "Observation check"),
            ),
            "encounter": ctx.refer("Encounter", check.order.episode.public_id),
            "effectiveDateTime": instant(check.observed_at),
            "issued": instant(check.recorded_at),
            "performer": [_practitioner(ctx, check.observed_by)],
            "valueCodeableConcept": concept("safety-status", check.safety_status),
            "component": [
                {
                    "code": concept("observation", "location", "Where the person was"),
                    "valueCodeableConcept": concept("check-location", check.location),
                },
                {
                    "code": concept("observation", "activity", "What the person was doing"),
                    "valueCodeableConcept": concept("check-activity", check.activity),
                },
            ],
            "note": [{"text": check.note}] if check.note else None,
        }


def assessments(ctx: Context) -> Iterator[Resource]:
    """Recovery capital instruments (BARC-10 and the others): the total as the value."""
    qs = ctx.changed(ctx.of_persons(Assessment.objects.all()), "recorded_at", "voided_at")
    qs = qs.select_related("person", "instrument", "recorded_by").order_by("pk")
    for item, part2 in ctx.labelled("Observation", ctx.rows(qs)):
        yield {
            **_observation(
                ctx,
                item,
                part2,
                item.person,
                category={
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "survey",
                        }
                    ]
                },
                code=concept("instrument", item.instrument.code, item.instrument.name),
                status="entered-in-error" if item.voided_at else "final",
            ),
            "effectiveDateTime": day(item.administered_on),
            "issued": instant(item.recorded_at),
            "performer": [_practitioner(ctx, item.recorded_by)],
            "valueQuantity": {"value": item.total} if item.total is not None else None,
            "note": [{"text": item.note}] if item.note else None,
        }


def behavior_records(ctx: Context) -> Iterator[Resource]:
    """ABC records: antecedent, behavior and consequence, with count, duration and intensity."""
    qs = ctx.changed(ctx.of_persons(BehaviorRecord.objects.all()), "recorded_at")
    qs = qs.select_related("person", "target", "recorded_by").order_by("pk")
    for rec, part2 in ctx.labelled("Observation", ctx.rows(qs)):
        parts = [
            ("antecedent", "Antecedent", rec.antecedent),
            ("behavior", "Behavior", rec.behavior),
            ("consequence", "Consequence", rec.consequence),
            ("setting", "Setting", rec.setting),
        ]
        components: list[dict[str, Any]] = [
            {"code": concept("abc", code, label), "valueString": text}
            for code, label, text in parts
            if text
        ]
        if rec.count is not None:
            components.append({"code": concept("abc", "count", "Count"), "valueInteger": rec.count})
        if rec.duration_seconds is not None:
            components.append(
                {
                    "code": concept("abc", "duration", "Duration"),
                    "valueQuantity": {
                        "value": rec.duration_seconds,
                        "unit": "s",
                        "system": "http://unitsofmeasure.org",
                        "code": "s",
                    },
                }
            )
        if rec.intensity is not None:
            components.append(
                {"code": concept("abc", "intensity", "Intensity"), "valueInteger": rec.intensity}
            )
        yield {
            **_observation(
                ctx,
                rec,
                part2,
                rec.person,
                category=concept("observation-category", "behavior", "Behavior data (ABC)"),
                code=concept("target-behavior", rec.target.key, rec.target.name),
            ),
            "effectiveDateTime": instant(rec.observed_at),
            "issued": instant(rec.recorded_at),
            "performer": [_practitioner(ctx, rec.recorded_by)],
            "component": components,
        }


# --- Flag --------------------------------------------------------------------------------


def precautions(ctx: Context) -> Iterator[Resource]:
    """One Flag per precaution of an observation order, active while the order is."""
    qs = ctx.changed(ctx.of_persons(ObservationOrder.objects.all()), "recorded_at", "ended_at")
    qs = qs.exclude(precautions=[]).select_related("person", "ordered_by").order_by("pk")
    for order, part2 in ctx.labelled("Flag", ctx.rows(qs)):
        for code in order.precautions or []:
            yield {
                "resourceType": "Flag",
                "id": part_id(order.public_id, f"precaution:{code}"),
                "meta": meta(part2),
                "status": "inactive" if order.ended_at else "active",
                "category": [concept("flag-category", "precaution", "Precaution")],
                "code": concept("precaution", code, text=f"{code.replace('_', ' ')} precautions"),
                "subject": _patient(ctx, order.person),
                "period": {"start": instant(order.started_at), "end": instant(order.ended_at)},
                "author": _practitioner(ctx, order.ordered_by),
            }


# --- CarePlan ----------------------------------------------------------------------------


def _section_notes(content: Any) -> list[dict[str, str]]:
    """A plan's sections as notes: each section's items as plain text."""
    notes = []
    for section, items in (content or {}).items():
        texts = []
        for item in items or []:
            if isinstance(item, dict):
                texts.append(" ".join(str(v) for v in item.values() if v not in (None, "")))
            elif item:
                texts.append(str(item))
        if texts:
            notes.append({"text": f"{section.replace('_', ' ').capitalize()}: {'; '.join(texts)}"})
    return notes


def _care_plan(
    plan: Any, part2: bool, status: str, *, code: str, title: str, version: int
) -> Resource:
    """What every CarePlan starts with: the plan, its state, its kind and its version."""
    return {
        "resourceType": "CarePlan",
        "id": str(plan.public_id),
        "meta": meta(part2),
        "status": status,
        "intent": "plan",
        "category": [concept("careplan", code, title)],
        "title": f"{title}, version {version}",
    }


def _versioned_plans(ctx: Context, model: Any, code: str, title: str) -> Iterator[Resource]:
    qs = ctx.changed(ctx.of_persons(model.objects.all()), "updated_at")
    qs = qs.select_related("person", "drafted_by").order_by("person_id", "number")
    latest_signed: dict[int, int] = {}
    for person_id, number in ctx.read(model.objects.filter(status="signed")).values_list(
        "person_id", "number"
    ):
        latest_signed[person_id] = max(number, latest_signed.get(person_id, 0))
    for plan, part2 in ctx.labelled("CarePlan", ctx.rows(qs)):
        if plan.status != "signed":
            status = "draft"
        elif latest_signed.get(plan.person_id) == plan.number:
            status = "active"
        else:
            status = "completed"
        yield {
            **_care_plan(plan, part2, status, code=code, title=title, version=plan.number),
            "subject": _patient(ctx, plan.person),
            "created": instant(plan.drafted_at),
            "author": _practitioner(ctx, plan.drafted_by),
            "note": _section_notes(plan.content),
        }


def safety_plans(ctx: Context) -> Iterator[Resource]:
    yield from _versioned_plans(ctx, SafetyPlanVersion, "safety", "Safety plan")


def wellness_plans(ctx: Context) -> Iterator[Resource]:
    yield from _versioned_plans(ctx, WellnessPlanVersion, "wellness", "Wellness plan")


def behavior_plans(ctx: Context) -> Iterator[Resource]:
    qs = ctx.changed(ctx.of_persons(BehaviorPlan.objects.all()), "written_at", "ended_at")
    qs = qs.select_related("person", "written_by").order_by("pk")
    for plan, part2 in ctx.labelled("CarePlan", ctx.rows(qs)):
        if plan.status == "ended":
            status = "completed"
        elif plan.is_current:
            status = "active"
        else:
            status = "revoked"  # replaced by a later version
        notes = [
            {"text": f"{label}: {text}"}
            for label, text in (
                ("Replacement behaviors", plan.replacement_behaviors),
                ("Antecedent strategies", plan.antecedent_strategies),
                ("Reinforcement schedule", plan.reinforcement_schedule),
                ("Ended because", plan.end_reason),
            )
            if text
        ]
        yield {
            **_care_plan(
                plan, part2, status, code="behavior", title="Behavior plan", version=plan.version
            ),
            "description": plan.summary,
            "subject": _patient(ctx, plan.person),
            "period": {"start": day(plan.effective_on), "end": day(plan.ended_on)},
            "created": instant(plan.written_at),
            "author": _practitioner(ctx, plan.written_by),
            "note": notes,
        }


# --- Goal --------------------------------------------------------------------------------

GOAL_STATUS = {"active": "active", "achieved": "completed", "set_aside": "cancelled"}


def goals(ctx: Context) -> Iterator[Resource]:
    qs = ctx.changed(ctx.of_persons(Goal.objects.all()), "created_at", "status_changed_at")
    qs = qs.select_related("person").order_by("pk")
    for goal, part2 in ctx.labelled("Goal", ctx.rows(qs)):
        yield {
            "resourceType": "Goal",
            "id": str(goal.public_id),
            "meta": meta(part2),
            "lifecycleStatus": GOAL_STATUS.get(goal.status, "active"),
            "achievementStatus": (
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                            "code": "achieved",
                        }
                    ]
                }
                if goal.status == "achieved"
                else None
            ),
            "category": [concept("recovery-domain", goal.domain)],
            "description": {"text": goal.statement},
            "subject": _patient(ctx, goal.person),
            # The day it was set in the organization's calendar, not UTC's (a day ahead every
            # evening in US zones); no query per goal, as the export reads in batches.
            "startDate": day(clock.organization_today(goal.created_at)),
            "target": [{"dueDate": day(goal.target_on)}] if goal.target_on else None,
            "expressedBy": _patient(ctx, goal.person),
        }


# --- ServiceRequest and Task (referrals) -------------------------------------------------

REQUEST_STATUS = {
    "draft": "draft",
    "requested": "active",
    "received": "active",
    "accepted": "active",
    "in-progress": "active",
    "on-hold": "on-hold",
    "rejected": "revoked",
    "cancelled": "revoked",
    "failed": "revoked",
    "completed": "completed",
    "entered-in-error": "entered-in-error",
}


def _referrals(ctx: Context) -> Any:
    qs = ctx.changed(ctx.of_persons(Referral.objects.all()), "created_at", "sent_at", "closed_at")
    return qs.select_related("person", "service", "goal", "referred_by", "outcome_reason")


def _performer(ctx: Context, referral: Referral) -> dict[str, Any] | None:
    if referral.service is not None:
        return ctx.refer("HealthcareService", referral.service.public_id, referral.service.name)
    if referral.outside_organization:
        return {"display": referral.outside_organization}
    return None


def service_requests(ctx: Context) -> Iterator[Resource]:
    for referral, part2 in ctx.labelled("ServiceRequest", ctx.rows(_referrals(ctx).order_by("pk"))):
        goal = referral.goal
        yield {
            "resourceType": "ServiceRequest",
            "id": str(referral.public_id),
            "meta": meta(part2),
            "status": REQUEST_STATUS.get(referral.status, "unknown"),
            "intent": "order",
            "category": [concept("referral", "community-referral", "Community referral")],
            "code": concept("referral", "referral", "Referral to a service"),
            "subject": _patient(ctx, referral.person),
            "authoredOn": instant(referral.created_at),
            "requester": _practitioner(ctx, referral.referred_by),
            "performer": [p] if (p := _performer(ctx, referral)) else None,
            "reasonCode": [{"text": referral.reason}] if referral.reason else None,
            "supportingInfo": (
                [ctx.refer("Goal", goal.public_id)]
                if goal is not None and ctx.part2_open(goal)
                else None
            ),
        }


def referral_tasks(ctx: Context) -> Iterator[Resource]:
    """The work of each referral: Pillars' referral statuses are FHIR Task's own."""
    for referral, part2 in ctx.labelled("Task", ctx.rows(_referrals(ctx).order_by("pk"))):
        last = referral.closed_at or referral.sent_at or referral.created_at
        yield {
            "resourceType": "Task",
            "id": part_id(referral.public_id, "task"),
            "meta": meta(part2),
            "status": referral.status,
            "statusReason": (
                {"text": str(referral.outcome_reason)} if referral.outcome_reason else None
            ),
            "intent": "order",
            "basedOn": [ctx.refer("ServiceRequest", referral.public_id)],
            "focus": ctx.refer("ServiceRequest", referral.public_id),
            "for": _patient(ctx, referral.person),
            "authoredOn": instant(referral.created_at),
            "lastModified": instant(last),
            "requester": _practitioner(ctx, referral.referred_by),
            "owner": (
                ctx.refer("HealthcareService", referral.service.public_id)
                if referral.service is not None
                else None
            ),
            "restriction": ({"period": {"end": day(referral.due_on)}} if referral.due_on else None),
        }


# --- Consent -----------------------------------------------------------------------------


def consents(ctx: Context) -> Iterator[Resource]:
    """A Part 2 consent is itself Part 2 information (it names the substance-use program): it
    leaves only when it names the requester, and then carries the label."""
    grants = ctx.consent_grants()
    qs = ctx.changed(ctx.of_persons(Consent.objects.all()), "recorded_at", "revoked_at")
    qs = qs.select_related("person").prefetch_related("recipients").order_by("pk")
    now = clock.now()
    for consent in ctx.rows(qs):
        if consent.pk not in grants:
            ctx.withheld["Consent"] += 1
            continue
        ctx.part2_types.add("Consent")
        ctx.consent_ids.add(str(consent.public_id))
        state = str(consent.state_on(now, consent_today(consent)))
        yield {
            "resourceType": "Consent",
            "id": str(consent.public_id),
            "meta": meta(True),
            "status": "active" if state == "active" else "inactive",
            "scope": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy",
                    }
                ]
            },
            "category": [
                {"coding": [{"system": "http://loinc.org", "code": "59284-0"}], "text": "Consent"}
            ],
            "patient": _patient(ctx, consent.person),
            "dateTime": instant(consent.recorded_at),
            "policy": [{"uri": "https://www.ecfr.gov/current/title-42/part-2"}],
            "provision": {
                "type": "permit",
                "period": {"start": day(consent.signed_on), "end": day(consent.expires_on)},
                "actor": [
                    {
                        "role": {
                            "coding": [
                                {
                                    "system": (
                                        "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
                                    ),
                                    "code": "IRCP",
                                }
                            ]
                        },
                        "reference": {"display": str(r.name or r.role or r.kind)},
                    }
                    for r in consent.recipients.all()
                ],
                "purpose": [
                    {"system": CODES_PURPOSE, "code": str(p)} for p in consent.purposes or []
                ],
            },
        }


CODES_PURPOSE = "urn:pillars:codesystem:consent-purpose"


# --- AuditEvent --------------------------------------------------------------------------

AUDIT_ACTION = {"create": "C", "view": "R", "search": "E", "export": "R", "update": "U"}
AUDIT_OUTCOME = {"success": "0", "denied": "4", "failed": "8"}


def audit_events(ctx: Context) -> Iterator[Resource]:
    """The audit log, for the privacy officer only; events about Part 2 reads stay inside."""
    if not policy.can(ctx.actor, "audit.view_report"):
        ctx.notes.append(("AuditEvent", "Only the privacy officer may export the audit log."))
        return
    # The requester's organization's events only (the policy layer's scope of the audit log).
    events = policy.restrict(AuditEvent.objects.all(), ctx.actor, "audit.view_report")
    qs = ctx.changed(ctx.read(events), "occurred_at")
    if not ctx.supporting_all:
        qs = qs.filter(person_id__in=ctx.persons.values("public_id"))
    patients = ctx.patient_ids()
    for event in ctx.rows(qs.select_related("actor__staff").order_by("seq")):
        if event.category == "part2":
            ctx.withheld["AuditEvent"] += 1
            continue
        staff = getattr(event.actor, "staff", None) if event.actor_id else None
        who: dict[str, Any] = {"display": event.actor_label or "Pillars"}
        if staff is not None:
            who = {
                "identifier": {"system": IDS + "staff", "value": str(staff.public_id)},
                "display": staff.display_name,
            }
        entity = []
        person = str(event.person_id) if event.person_id else ""
        if person and person in patients:
            entity.append({"what": ctx.refer("Patient", person)})
        if event.object_type:
            entity.append(
                {
                    "what": {
                        "identifier": {
                            "system": IDS + event.object_type,
                            "value": event.object_id or "-",
                        }
                    }
                }
            )
        yield {
            "resourceType": "AuditEvent",
            "id": part_id(event.hmac or event.seq, "audit"),
            "type": {"system": CODES_AUDIT, "code": event.action},
            "action": AUDIT_ACTION.get(event.action, "E"),
            "recorded": instant(event.occurred_at),
            "outcome": AUDIT_OUTCOME.get(event.outcome, "0"),
            "purposeOfEvent": [concept("purpose", event.purpose)] if event.purpose else None,
            "agent": [
                {
                    "who": who,
                    "requestor": True,
                    "network": {"address": event.ip, "type": "2"} if event.ip else None,
                }
            ],
            "source": {"observer": {"display": "Pillars"}},
            "entity": entity,
        }


CODES_AUDIT = "urn:pillars:codesystem:audit-action"


# --- Supporting resources ----------------------------------------------------------------


def _only(ctx: Context, kind: str, qs: Any) -> Any:
    wanted = ctx.wants(kind)
    return qs if wanted is None else qs.filter(public_id__in=sorted(wanted))


def _units(ctx: Context) -> Any:
    """The units to write as Locations: at the system level those the requester may see and
    any other a record referred to (a stay of someone in scope on another unit); else only the
    referenced ones. Units are no secret (every role lists them)."""
    referenced = Unit.objects.filter(public_id__in=sorted(ctx.refs.get("Location", set())))
    if ctx.supporting_all:
        return policy.restrict(Unit.objects.all(), ctx.actor, ACTION) | referenced
    return referenced


def practitioners(ctx: Context) -> Iterator[Resource]:
    qs = policy.restrict(Staff.objects.all(), ctx.actor, ACTION)
    for staff in ctx.rows(ctx.read(_only(ctx, "Practitioner", qs)).order_by("pk")):
        languages = [lang for lang in staff.languages or [] if isinstance(lang, str) and lang]
        yield {
            "resourceType": "Practitioner",
            "id": str(staff.public_id),
            "identifier": (
                [{"system": IDS + "badge", "value": staff.badge_number}]
                if staff.badge_number
                else None
            ),
            "active": staff.exited_on is None,
            "name": [{"text": staff.display_name}],
            "communication": [
                {"coding": [{"system": "urn:ietf:bcp:47", "code": lang}]} for lang in languages
            ],
        }


def practitioner_roles(ctx: Context) -> Iterator[Resource]:
    """One role per staff member: the roles they hold, in the units they work on."""
    qs = policy.restrict(Staff.objects.all(), ctx.actor, ACTION)
    wanted = ctx.wants("Practitioner")
    if wanted is not None:
        qs = qs.filter(public_id__in=sorted(wanted))
    qs = ctx.read(qs).prefetch_related("roles", "home_units__site__organization")
    for staff in ctx.rows(qs.order_by("pk")):
        units = list(staff.home_units.all())
        yield {
            "resourceType": "PractitionerRole",
            "id": part_id(staff.public_id, "role"),
            "active": staff.exited_on is None,
            "period": {"start": day(staff.hired_on), "end": day(staff.exited_on)},
            "practitioner": ctx.refer("Practitioner", staff.public_id, staff.display_name),
            "organization": (
                ctx.refer("Organization", units[0].site.organization.public_id) if units else None
            ),
            "code": [concept("role", role.code, role.name) for role in staff.roles.all()],
            "location": [ctx.refer("Location", unit.public_id, unit.name) for unit in units],
        }


def _phones(rows: Any) -> list[dict[str, Any]]:
    return [{"system": "phone", "value": p.number} for p in rows if p.number]


def healthcare_services(ctx: Context) -> Iterator[Resource]:
    """The community resource directory's services. A confidential (domestic-violence)
    service names no location: its shelters' places never leave."""
    qs = ctx.read(_only(ctx, "HealthcareService", HsdsService.objects.all()))
    qs = qs.select_related("organization").prefetch_related(
        "phones", "service_at_locations__location"
    )
    for service in ctx.rows(qs.order_by("pk")):
        places = [sal.location for sal in service.service_at_locations.all()]
        confidential = service.x_confidential or any(p.x_confidential for p in places)
        telecom = _phones(service.phones.all())
        if service.email:
            telecom.append({"system": "email", "value": service.email})
        if service.url and not confidential:
            telecom.append({"system": "url", "value": service.url})
        yield {
            "resourceType": "HealthcareService",
            "id": str(service.public_id),
            "active": service.status == "active",
            "providedBy": ctx.refer("Organization", service.organization.public_id),
            "name": service.name,
            "comment": service.description,
            "location": (
                [] if confidential else [ctx.refer("Location", p.public_id, p.name) for p in places]
            ),
            "telecom": telecom,
            "eligibility": (
                [{"comment": service.eligibility_description}]
                if service.eligibility_description
                else None
            ),
        }


def locations(ctx: Context) -> Iterator[Resource]:
    """Units (wards), then the sites they are part of, then the directory's places. A
    confidential directory location is never written, whoever asks."""
    units = ctx.read(_units(ctx)).select_related("site__organization")
    for unit in ctx.rows(units.order_by("pk")):
        yield {
            "resourceType": "Location",
            "id": str(unit.public_id),
            "status": "active" if unit.is_active else "inactive",
            "name": unit.name,
            "alias": [unit.code],
            "mode": "instance",
            "type": [concept("unit-kind", unit.kind)],
            "physicalType": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                        "code": "wa",
                    }
                ]
            },
            "managingOrganization": ctx.refer("Organization", unit.site.organization.public_id),
            "partOf": ctx.refer("Location", unit.site.public_id, unit.site.name),
        }
    sites = ctx.read(_only(ctx, "Location", Site.objects.all())).select_related("organization")
    if ctx.supporting_all:
        sites = sites.filter(pk__in=_units(ctx).values("site_id"))
    for site in ctx.rows(sites.order_by("pk")):
        yield {
            "resourceType": "Location",
            "id": str(site.public_id),
            "status": "active",
            "name": site.name,
            "mode": "instance",
            "address": {"text": site.address} if site.address else None,
            "physicalType": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                        "code": "bu",
                    }
                ]
            },
            "managingOrganization": ctx.refer("Organization", site.organization.public_id),
        }
    places = ctx.read(
        _only(ctx, "Location", DirectoryLocation.objects.filter(x_confidential=False))
    )
    places = places.select_related("organization").prefetch_related("addresses", "phones")
    for place in ctx.rows(places.order_by("pk")):
        address = next(iter(place.addresses.all()), None)
        yield {
            "resourceType": "Location",
            "id": str(place.public_id),
            "status": "active",
            "name": place.name or "Service location",
            "description": place.description,
            "mode": "instance",
            "telecom": _phones(place.phones.all()),
            "address": (
                {
                    "line": [address.address_1, address.address_2],
                    "city": address.city,
                    "state": address.state_province,
                    "postalCode": address.postal_code,
                    "country": address.country,
                }
                if address is not None
                else None
            ),
            "position": (
                {"latitude": place.latitude, "longitude": place.longitude}
                if place.latitude is not None and place.longitude is not None
                else None
            ),
            "managingOrganization": (
                ctx.refer("Organization", place.organization.public_id)
                if place.organization is not None
                else None
            ),
        }


def organizations(ctx: Context) -> Iterator[Resource]:
    """The operator (Pillars' own organizations), then the directory's providers."""
    orgs = ctx.read(_only(ctx, "Organization", Organization.objects.all()))
    if ctx.supporting_all:
        orgs = orgs.filter(pk__in=_units(ctx).values("site__organization_id")) | ctx.read(
            Organization.objects.filter(public_id__in=sorted(ctx.refs.get("Organization", set())))
        )
    for org in ctx.rows(orgs.order_by("pk")):
        yield {
            "resourceType": "Organization",
            "id": str(org.public_id),
            "active": True,
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                            "code": "prov",
                        }
                    ]
                }
            ],
            "name": org.name,
        }
    providers = ctx.read(_only(ctx, "Organization", HsdsOrganization.objects.all()))
    for provider in ctx.rows(providers.prefetch_related("phones").order_by("pk")):
        telecom = _phones(provider.phones.all())
        if provider.email:
            telecom.append({"system": "email", "value": provider.email})
        if provider.website:
            telecom.append({"system": "url", "value": provider.website})
        yield {
            "resourceType": "Organization",
            "id": str(provider.public_id),
            "active": True,
            "name": provider.name,
            "alias": [provider.alternate_name] if provider.alternate_name else None,
            "telecom": telecom,
        }


# The resource types, in the order they are written, each with its sources. The patient
# compartment comes first; the supporting types after, each after every type that refers to it.
SOURCES: dict[str, list[Source]] = {
    "Patient": [patients],
    "Encounter": [episodes, peer_encounters],
    "Goal": [goals],
    "Observation": [checks, assessments, behavior_records],
    "Flag": [precautions],
    "CarePlan": [safety_plans, behavior_plans, wellness_plans],
    "ServiceRequest": [service_requests],
    "Task": [referral_tasks],
    "Consent": [consents],
    "AuditEvent": [audit_events],
    "Practitioner": [practitioners],
    "PractitionerRole": [practitioner_roles],
    "HealthcareService": [healthcare_services],
    "Location": [locations],
    "Organization": [organizations],
}
SUPPORTING = ("Practitioner", "PractitionerRole", "HealthcareService", "Location", "Organization")

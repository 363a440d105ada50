"""Consents to disclose Part 2 records (42 CFR 2.31): recording one with every element the rule
requires, revoking it in writing, and what the consents in force open to a reader.

Every consent check reads the primary database (``DEFAULT_DB_ALIAS``), never a replica, so a
revocation recorded a moment ago already applies to the next read or export.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.errors import ValidationError, invalid
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode as R
from pillars.core.writes import lock_once
from pillars.people import tenancy
from pillars.people.consent_models import (
    Consent,
    ConsentProgram,
    ConsentPurpose,
    ConsentRecipient,
    ConsentState,
    InformationKind,
    RecipientKind,
    RevocationForm,
    SignedBy,
)
from pillars.people.models import PersonServed, Placement, Staff, Unit

# --- What the consents in force open ------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """What one consent in force lets one reader see: the person's records made in
    ``unit_ids`` (the consent's programs) of the ``kinds`` it names, for its purpose."""

    consent_id: int
    public_id: UUID
    person_id: int
    unit_ids: frozenset[int]
    kinds: frozenset[str]
    purpose_for_audit: str


# Reading inside Pillars is for treatment (the care team) or health care operations (leaders);
# a consent opens records only for a purpose it names. A consent given at the person's own
# request opens them to the recipients it names, whatever the reader's role.
_READ_PURPOSES: dict[str, set[str]] = {
    Purpose.TREATMENT: {
        ConsentPurpose.TPO,
        ConsentPurpose.TREATMENT,
        ConsentPurpose.PATIENT_REQUEST,
    },
    Purpose.OPERATIONS: {
        ConsentPurpose.TPO,
        ConsentPurpose.OPERATIONS,
        ConsentPurpose.PATIENT_REQUEST,
    },
}


def _reading_purpose(actor: Actor) -> str:
    return Purpose.OPERATIONS if actor.has_role(R.DIRECTOR, R.SUPERVISOR) else Purpose.TREATMENT


def consent_today(consent: Consent) -> date:
    """The consent's calendar: the first program's zone (dates on the form are local)."""
    return today_in_first([u.time_zone for u in consent.programs.all()])


def today_in_first(zones: list[str]) -> date:
    """Today in the first of a consent's programs' zones (by name), the organization's day
    when it has none (never UTC's date: DESIGN.md rule 1)."""
    return clock.today_in(zones[0]) if zones else clock.organization_today()


class _Named(NamedTuple):
    """What ``_names`` reads of a recipient (a ``ConsentRecipient``'s columns)."""

    kind: str
    staff_id: int | None
    role: str
    unit_id: int | None


def _names(recipient: _Named, actor: Actor, treating: set[int], person_id: int) -> bool:
    kind = recipient.kind
    if kind == RecipientKind.STAFF:
        return recipient.staff_id is not None and recipient.staff_id == actor.staff_id
    if kind == RecipientKind.ROLE:
        return actor.has_role(recipient.role)
    if kind == RecipientKind.UNIT:
        return recipient.unit_id in actor.unit_ids
    if kind == RecipientKind.TREATING_PROVIDERS:
        return person_id in treating
    return False  # an outside entity never reads inside Pillars


def grants_for(actor: Actor) -> list[Grant]:
    """The consents in force that name the actor (by name, role, unit, or as one of the
    person's treating providers: the team placed with the person now or their caseload), for a
    purpose the actor reads for. Computed once per request, from the primary database, in one
    query (``_grant_rows``)."""
    if not actor.consent_ids:
        return []
    key = "part2-grants"
    if key in actor.extra:
        return list(actor.extra[key])
    now = clock.now()
    consents, programs, recipients, placed = _grant_rows(sorted(actor.consent_ids), actor.unit_ids)
    treating = set(actor.caseload_person_ids & {c.person_id for c in consents}) | placed
    reading = _reading_purpose(actor)
    grants = []
    for consent in consents:
        units = programs[consent.pk]
        if consent.state_on(now, today_in_first([zone for _, zone in units])) != (
            ConsentState.ACTIVE
        ):
            continue
        if not set(consent.purposes) & _READ_PURPOSES[reading]:
            continue
        if not any(_names(r, actor, treating, consent.person_id) for r in recipients[consent.pk]):
            continue
        grants.append(
            Grant(
                consent_id=consent.pk,
                public_id=consent.public_id,
                person_id=consent.person_id,
                unit_ids=frozenset(unit_id for unit_id, _ in units),
                kinds=frozenset(consent.information_kinds),
                purpose_for_audit=reading,
            )
        )
    actor.extra[key] = tuple(grants)
    return grants


@functools.lru_cache(maxsize=64)
def _grant_sql(vendor: str, consents: int, units: int) -> str:
    """The rows ``grants_for`` reads, as one UNION ALL of nine columns (id, tag, two numbers,
    five texts): the consents not revoked among ``%(consents)s`` (person, public id, kinds and
    purposes as JSON, expiry day and expiry event's day as ``YYYY-MM-DD``), their programs
    (unit, its zone and name), their recipients (staff, unit, kind, role), and which of their
    persons are placed now on ``%(units)s`` (their treating team). Written out by hand, as the
    actor's id sets are (``people.policies._scope_sql``): every request of a reader a consent
    names runs it, and one query where there were two saves a round trip on every such page.
    Days are read as written (SQLite's CAST to DATE would make them numbers; PostgreSQL's are
    written out as ``YYYY-MM-DD`` whatever its ``DateStyle``), JSON as text. The numbers are how
    many consents and units its parameters list."""
    consent = Consent._meta
    programs = ConsentProgram._meta
    unit = Unit._meta
    recipient = ConsentRecipient._meta
    placement = Placement._meta
    episode = Placement._meta.get_field("episode").related_model._meta
    ids, places = (", ".join(["%s"] * n) for n in (consents, units))
    text = "CAST(NULL AS TEXT)"
    nothing = f"{text}, {text}, {text}"
    if vendor == "postgresql":
        ends, event = (f"to_char(c.{f}, 'YYYY-MM-DD')" for f in ("expires_on", "expiry_event_on"))
    else:  # SQLite keeps a day as its ``YYYY-MM-DD`` text
        ends, event = "c.expires_on", "c.expiry_event_on"
    # Only model metadata and placeholders are formatted in; every value is a parameter.
    return f"""
        SELECT c.id, 'consent', c.person_id, CAST(NULL AS INTEGER), CAST(c.public_id AS TEXT),
               CAST(c.information_kinds AS TEXT), CAST(c.purposes AS TEXT),
               {ends}, {event}
          FROM {consent.db_table} c
         WHERE c.id IN ({ids}) AND c.revoked_at IS NULL
        UNION ALL
        SELECT cp.consent_id, 'program', cp.unit_id, CAST(NULL AS INTEGER), u.time_zone, u.name,
               {nothing}
          FROM {programs.db_table} cp JOIN {unit.db_table} u ON u.id = cp.unit_id
         WHERE cp.consent_id IN ({ids})
        UNION ALL
        SELECT r.consent_id, 'recipient', r.staff_id, r.unit_id, r.kind, r.role, {nothing}
          FROM {recipient.db_table} r
         WHERE r.consent_id IN ({ids})
        UNION ALL
        SELECT e.person_id, 'placed', CAST(NULL AS INTEGER), CAST(NULL AS INTEGER),
               {text}, {text}, {nothing}
          FROM {placement.db_table} p JOIN {episode.db_table} e ON e.id = p.episode_id
         WHERE p.ended_at IS NULL AND p.unit_id IN ({places})
           AND e.person_id IN (
               SELECT c.person_id FROM {consent.db_table} c
                WHERE c.id IN ({ids}) AND c.revoked_at IS NULL)
    """  # noqa: S608


def _day(value: date | str | None) -> date | None:
    """A day as the union gives it: PostgreSQL's text, or SQLite's column, which Django's
    SQLite backend may already have turned into a day by its declared type."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _grant_rows(
    consent_ids: list[int], unit_ids: frozenset[int]
) -> tuple[list[Consent], dict[int, list[tuple[int, str]]], dict[int, list[_Named]], set[int]]:
    """For ``grants_for``, in one query: the consents not revoked among ``consent_ids`` (with
    what a grant and ``Consent.state_on`` read, in id order), each one's programs (unit id and
    zone, by the unit's name as ``consent.programs`` orders them), each one's recipients, and
    which of their persons are placed now on one of the units."""
    consents: list[Consent] = []
    programs: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    recipients: dict[int, list[_Named]] = defaultdict(list)
    placed: set[int] = set()
    # An empty list would be no SQL at all: no unit matches id 0.
    units = sorted(unit_ids) or [0]
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _grant_sql(connection.vendor, len(consent_ids), len(units))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*consent_ids, *consent_ids, *consent_ids, *units, *consent_ids])
        for owner, tag, first, second, text, more, *rest in cursor.fetchall():
            if tag == "consent":
                purposes, ends, event = rest
                consents.append(
                    Consent(
                        pk=owner,
                        person_id=first,
                        public_id=UUID(text),
                        information_kinds=json.loads(more),
                        purposes=json.loads(purposes),
                        expires_on=_day(ends),
                        expiry_event_on=_day(event),
                        revoked_at=None,
                    )
                )
            elif tag == "program":
                programs[owner].append((first, text, more))
            elif tag == "recipient":
                recipients[owner].append(_Named(text, first, more, second))
            else:
                placed.add(owner)
    ordered = {
        consent: [(unit_id, zone) for unit_id, zone, _ in sorted(units, key=lambda u: (u[2], u[0]))]
        for consent, units in programs.items()
    }
    consents.sort(key=lambda c: c.pk)
    return consents, defaultdict(list, ordered), recipients, placed


# --- Reads -------------------------------------------------------------------------------------


def _with_details(qs: QuerySet[Consent]) -> QuerySet[Consent]:
    return qs.select_related("person", "recorded_by", "revoked_by").prefetch_related(
        "programs",
        Prefetch(
            "recipients", ConsentRecipient.objects.select_related("staff", "unit").order_by("pk")
        ),
    )


def consents_of(user: Any, person: PersonServed) -> list[Consent]:
    """A person's consents, newest first (the caller has checked the person), read from the
    primary database."""
    qs = policy.restrict(
        Consent.objects.using(DEFAULT_DB_ALIAS).filter(person=person), user, "people.view_consents"
    )
    return list(_with_details(qs))


def get_consent_for(user: Any, public_id: Any, action: str = "people.view_consents") -> Consent:
    """One consent, 404 out of scope, 403 not allowed; the read is audited (a consent names a
    person's substance-use treatment)."""
    try:
        uuid = public_id if isinstance(public_id, UUID) else UUID(str(public_id))
    except ValueError:
        raise Http404("Not found") from None
    consent = _with_details(Consent.objects.using(DEFAULT_DB_ALIAS)).filter(public_id=uuid).first()
    if consent is None:
        raise Http404("Not found")
    policy.require(user, action, consent)
    audit.record(
        policy.actor_for(user).user,
        Action.VIEW,
        consent,
        person_id=consent.person.public_id,
        category=Category.SUBSTANCE_USE,
        purpose=Purpose.OVERSIGHT
        if policy.actor_for(user).has_role(R.PRIVACY)
        else Purpose.TREATMENT,
        detail={"what": "consent"},
    )
    return consent


INDEX_LIMIT = 200


def recent_consents(user: Any) -> list[Consent]:
    """The latest consents recorded or revoked, for the privacy officer's overview."""
    policy.require(user, "people.view_disclosures")
    qs = policy.restrict(
        Consent.objects.using(DEFAULT_DB_ALIAS).all(), user, "people.view_consents"
    ).order_by("-recorded_at", "-pk")
    return list(_with_details(qs)[:INDEX_LIMIT])


def part2_programs(user: Any) -> QuerySet[Unit]:
    """The Part 2 programs the user may record a consent for: their own, or every one of the
    organization for the privacy officer."""
    actor = policy.actor_for(user)
    programs = Unit.objects.filter(is_substance_use_program=True).order_by("name")
    programs = tenancy.in_organization(programs, actor)
    return programs if actor.has_role(R.PRIVACY) else programs.filter(pk__in=actor.unit_ids)


# --- Writes ------------------------------------------------------------------------------------

MAX_TEXT = 2000


def _clean_recipients(
    rows: Iterable[Mapping[str, Any]], purposes: set[str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        kind = str(row.get("kind") or "")
        staff, role, unit = row.get("staff"), str(row.get("role") or ""), row.get("unit")
        name = str(row.get("name") or "").strip()
        problem = ""
        if kind not in RecipientKind.values:
            problem = "choose who receives the records"
        elif kind == RecipientKind.STAFF and not isinstance(staff, Staff):
            problem = "choose the staff member"
        elif kind == RecipientKind.ROLE and role not in R.values:
            problem = "choose the role"
        elif kind == RecipientKind.UNIT and not isinstance(unit, Unit):
            problem = "choose the unit or program"
        elif kind == RecipientKind.ENTITY and not name:
            problem = "name the person or organization"
        elif kind == RecipientKind.TREATING_PROVIDERS and not purposes & {
            ConsentPurpose.TPO,
            ConsentPurpose.TREATMENT,
        }:
            # 42 CFR 2.31(a)(4): "my treating providers" is a general designation allowed for
            # treatment (including a treatment, payment and operations consent) only.
            problem = '"my treating providers" needs a treatment purpose'
        if problem:
            errors.setdefault("recipients", []).append(f"Recipient {n}: {problem}.")
            continue
        cleaned.append(
            {
                "kind": kind,
                "staff": staff if kind == RecipientKind.STAFF else None,
                "role": role if kind == RecipientKind.ROLE else "",
                "unit": unit if kind == RecipientKind.UNIT else None,
                "name": name[:200] if kind == RecipientKind.ENTITY else "",
            }
        )
    if not cleaned and "recipients" not in errors:
        errors["recipients"] = ["Name at least one recipient: who may receive the records."]
    return cleaned


def record_consent(
    person: PersonServed,
    *,
    actor: Any,
    programs: Iterable[Unit],
    information_kinds: Iterable[str],
    information_description: str,
    purposes: Iterable[str],
    recipients: Iterable[Mapping[str, Any]],
    signed_by: str,
    signer_name: str,
    signed_on: date | None,
    expires_on: date | None = None,
    expiry_event: str = "",
    purpose_description: str = "",
    representative_authority: str = "",
) -> Consent:
    """Record a signed consent. Every missing or wrong element is named at once (recipient,
    purpose, expiry, signature...), and nothing is stored unless all are right."""
    acting = policy.require(actor, "people.record_consent", person)
    errors: dict[str, list[str]] = {}
    chosen_programs = list(dict.fromkeys(programs))
    if not chosen_programs:
        errors["programs"] = ["Choose the Part 2 program(s) whose records may be disclosed."]
    elif any(not u.is_substance_use_program for u in chosen_programs):
        errors["programs"] = ["Only a Part 2 (substance-use) program's records need this consent."]
    elif not acting.has_role(R.PRIVACY) and any(
        u.pk not in acting.unit_ids for u in chosen_programs
    ):
        errors["programs"] = [
            "A consent is recorded by the program whose records it covers, or by the privacy "
            "officer: choose your own program."
        ]
    kinds = list(dict.fromkeys(information_kinds))
    if not kinds:
        errors["information_kinds"] = ["Choose what kind of information may be disclosed."]
    elif any(k not in InformationKind.values for k in kinds):
        errors["information_kinds"] = ["Unknown kind of information."]
    information_description = information_description.strip()
    if not information_description:
        errors["information_description"] = [
            "Describe how much and what kind of substance-use information may be disclosed."
        ]
    elif len(information_description) > MAX_TEXT:
        errors["information_description"] = [f"At most {MAX_TEXT} characters."]
    chosen_purposes = list(dict.fromkeys(purposes))
    purpose_description = purpose_description.strip()
    if not chosen_purposes:
        errors["purposes"] = ["Choose the purpose of the disclosure."]
    elif any(p not in ConsentPurpose.values for p in chosen_purposes):
        errors["purposes"] = ["Unknown purpose."]
    elif ConsentPurpose.OTHER in chosen_purposes and not purpose_description:
        errors["purpose_description"] = ["Describe the other purpose."]
    cleaned = _clean_recipients(recipients, set(chosen_purposes), errors)
    expiry_event = expiry_event.strip()
    if expires_on is None and not expiry_event:
        errors["expires_on"] = ["Give the date this consent expires, or the event that ends it."]
    if signed_by not in SignedBy.values:
        errors["signed_by"] = ["Say who signed: the person or their representative."]
    signer_name = signer_name.strip()
    if not signer_name:
        errors["signer_name"] = ["Type the name of whoever signed."]
    representative_authority = representative_authority.strip()
    if signed_by == SignedBy.REPRESENTATIVE and not representative_authority:
        errors["representative_authority"] = [
            "Say what authority the representative has (guardian, health care agent...)."
        ]
    today = today_in_first([p.time_zone for p in chosen_programs[:1]])
    if signed_on is None:
        errors["signed_on"] = ["Give the date the consent was signed."]
    elif signed_on > today:
        errors["signed_on"] = ["The signature date cannot be in the future."]
    elif expires_on is not None and expires_on < signed_on:
        errors["expires_on"] = ["The consent cannot expire before it was signed."]
    if errors:
        raise ValidationError(errors)
    assert signed_on is not None
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            information_kinds=kinds,
            information_description=information_description,
            purposes=chosen_purposes,
            purpose_description=purpose_description[:300],
            expires_on=expires_on,
            expiry_event=expiry_event[:300],
            signed_by=signed_by,
            signer_name=signer_name[:150],
            representative_authority=(
                representative_authority[:200] if signed_by == SignedBy.REPRESENTATIVE else ""
            ),
            signed_on=signed_on,
            recorded_by_id=acting.staff_pk,
            recorded_at=clock.now(),
        )
        consent.programs.set(chosen_programs)
        ConsentRecipient.objects.bulk_create(
            ConsentRecipient(consent=consent, **row) for row in cleaned
        )
        _record_write(
            actor,
            Action.CREATE,
            consent,
            person,
            {
                "programs": [u.code for u in chosen_programs],
                "kinds": kinds,
                "purposes": chosen_purposes,
                "recipients": [ConsentRecipient(**r).label for r in cleaned],
                "expires_on": expires_on.isoformat() if expires_on else None,
                "expiry_event": expiry_event,
                "signed_by": signed_by,
                "signed_on": signed_on.isoformat(),
            },
        )
    return consent


def revoke_consent(consent: Consent, *, actor: Any, received_as: str, note: str = "") -> Consent:
    """Record a written revocation. It takes effect at once: every later read and export
    checks the consent again on the primary database."""
    acting = policy.require(actor, "people.revoke_consent", consent)
    errors: dict[str, list[str]] = {}
    if received_as not in RevocationForm.values:
        errors["received_as"] = ["A revocation is in writing: say how it was received."]
    note = note.strip()
    if len(note) > 300:
        errors["note"] = ["At most 300 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = lock_once(consent, "revoked_at", "This consent was already revoked.")
        locked.revoked_at = clock.now()
        locked.revoked_by_id = acting.staff_pk
        locked.revoked_received_as = received_as
        locked.revocation_note = note
        locked.save(
            update_fields=["revoked_at", "revoked_by", "revoked_received_as", "revocation_note"]
        )
        _record_write(
            actor,
            Action.UPDATE,
            locked,
            consent.person,
            {
                "event": "revoked",
                **audit.changes(
                    {"revoked_at": None, "received_as": ""},
                    {"revoked_at": locked.revoked_at.isoformat(), "received_as": received_as},
                ),
                "note": note,
            },
        )
    policy.forget(actor)
    return locked


def record_expiry_event(consent: Consent, *, actor: Any, occurred_on: date | None) -> Consent:
    """The event named on the consent as its end has happened: the consent expires that day."""
    policy.require(actor, "people.revoke_consent", consent)
    if not consent.expiry_event:
        raise invalid("occurred_on", "This consent ends on a date, not an event.")
    if occurred_on is None:
        raise invalid("occurred_on", "Give the date the event happened.")
    if occurred_on > consent_today(consent):
        raise invalid("occurred_on", "The event cannot be in the future.")
    if occurred_on < consent.signed_on:
        raise invalid("occurred_on", "The event cannot be before the consent was signed.")
    with transaction.atomic():
        locked = lock_once(consent, "expiry_event_on", "The expiry event is already recorded.")
        locked.expiry_event_on = occurred_on
        locked.save(update_fields=["expiry_event_on"])
        _record_write(
            actor,
            Action.UPDATE,
            locked,
            consent.person,
            audit.changes({"expiry_event_on": None}, {"expiry_event_on": occurred_on.isoformat()}),
        )
    return locked


def _record_write(
    actor: Any, action: str, consent: Consent, person: PersonServed, detail: dict[str, Any]
) -> None:
    """The audit event of a consent recorded, revoked or ended by its event: Part 2 records of
    the person, written for treatment."""
    audit.record(
        policy.actor_for(actor).user,
        action,
        consent,
        person_id=person.public_id,
        category=Category.SUBSTANCE_USE,
        purpose=Purpose.TREATMENT,
        detail=detail,
    )


def explain(consent_id: int) -> str:
    """A clear explanation of a consent's scope, to travel with every disclosure made under it
    (42 CFR 2.32(b))."""
    from pillars.people.consent_pdf import consent_lines

    consent = _with_details(Consent.objects.using(DEFAULT_DB_ALIAS)).get(pk=consent_id)
    parts = [f"{heading}: {text}" for heading, text in consent_lines(consent) if text]
    return "; ".join(parts) + ". The person may revoke it in writing at any time."


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def recipient_basis(actor: Actor, obj: Any, recipient: Any) -> Any:
    """Whether ``recipient.consent`` lets this Part 2 record go to ``recipient.name`` now
    (``core.exports`` asks for a copy addressed to an outside recipient): the consent is the
    record's person's, active (read from the primary database, so a revocation applies at
    once), covers the record's program and kind, and names the recipient as an organization
    (42 CFR 2.31). A consent basis with its explanation (42 CFR 2.32(b)), or None."""
    from pillars.core.exports import Basis
    from pillars.people.labels import _person_ids_of, _root_of

    root = _root_of(obj)
    given = recipient.consent
    if root is None or given is None:
        return None
    consent = (
        Consent.objects.using(DEFAULT_DB_ALIAS)
        .prefetch_related("programs", "recipients")
        .filter(pk=given.pk, revoked_at__isnull=True)
        .first()
    )
    if consent is None or consent.person_id not in _person_ids_of(root):
        return None
    if consent.state_on(clock.now(), consent_today(consent)) != ConsentState.ACTIVE:
        return None
    if root.PART2_KIND not in consent.information_kinds:
        return None
    if root.made_in_unit_id not in {u.pk for u in consent.programs.all()}:
        return None
    if not any(
        r.kind == RecipientKind.ENTITY and _same_name(r.name, recipient.name)
        for r in consent.recipients.all()
    ):
        return None
    return Basis("consent", str(consent.public_id), explain(consent.pk))


# --- The accounting of disclosures ---------------------------------------------------------------

OUTSIDE = {"consent", "emergency"}


@dataclass(frozen=True)
class DisclosureRow:
    """One disclosure of a person's Part 2 records outside the program that made them."""

    occurred_at: Any
    who: str
    how: str  # read in Pillars, or the export format
    kind: str
    basis: str  # consent or emergency
    consent: Consent | None
    recipient: str = ""  # the outside organization a copy was addressed to


def disclosures_of(user: Any, person: PersonServed) -> list[DisclosureRow]:
    """Every disclosure of the person's Part 2 records under a consent or in an emergency, from
    the audit log (reads outside the program and exports alike), oldest first. For the privacy
    officer (``people.view_disclosures``); the caller audits the read."""
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    from pillars.audit.models import AuditEvent

    policy.require(user, "people.view_disclosures", person)
    pid = str(person.public_id)
    events = (
        AuditEvent.objects.using(DEFAULT_DB_ALIAS)
        .filter(category=Category.SUBSTANCE_USE)
        .filter(Q(object_id="part2-disclosure") | Q(action=Action.EXPORT))
        .annotate(detail_text=Cast("detail", TextField()))
        .filter(Q(person_id=person.public_id) | Q(detail_text__icontains=pid))
        .select_related("actor__staff")
        .order_by("seq")
    )
    rows: list[DisclosureRow] = []
    consent_ids: set[str] = set()
    kept = []
    for event in events:
        detail = event.detail or {}
        # The text match above only narrows the search: an event is the person's when it names
        # them as its person or among the persons it disclosed (``person_ids``), not when their
        # id merely appears in it (a copy that holds their non-Part 2 record beside another's).
        if event.person_id != person.public_id and pid not in (detail.get("person_ids") or []):
            continue
        raw = detail.get("disclosure")
        bases = {str(b) for b in raw} if isinstance(raw, list) else {str(raw)}
        outside = sorted(bases & OUTSIDE)
        if not outside:
            continue
        ids = detail.get("consent_ids") or (
            [detail["consent_id"]] if detail.get("consent_id") else []
        )
        consent_ids.update(str(i) for i in ids)
        kept.append((event, outside, ids))
    found = {
        str(c.public_id): c
        for c in _with_details(Consent.objects.using(DEFAULT_DB_ALIAS)).filter(
            public_id__in=sorted(consent_ids), person=person
        )
    }
    for event, outside, ids in kept:
        staff = getattr(event.actor, "staff", None) if event.actor else None
        who = staff.display_name if staff is not None else (event.actor_label or "system")
        detail = event.detail or {}
        how = (
            f"Copy ({detail.get('format', 'file').upper()})"
            if event.action == Action.EXPORT
            else "Read in Pillars"
        )
        kind = str(detail.get("kind") or event.object_type)
        recipient = str(detail.get("recipient") or "") if event.action == Action.EXPORT else ""
        if recipient:
            who = f"{who}, to {recipient}"
        for basis in outside:
            # Only the consent basis names a consent: an emergency read in the same copy was
            # made under 42 CFR 2.51, not under the consent.
            consent = (
                next((found[str(i)] for i in ids if str(i) in found), None)
                if basis == "consent"
                else None
            )
            rows.append(DisclosureRow(event.occurred_at, who, how, kind, basis, consent, recipient))
    return rows

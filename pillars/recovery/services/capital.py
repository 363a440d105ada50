"""Every write to recovery capital assessments, and the one scoring rule.

The server scores every assessment from its answers (``score``); a total sent by a client is
never read. Bad answers (a missing item, a value off the scale, an item the instrument does not
have) are refused with every problem named, and nothing is stored. Recording is replay-safe by
``client_id`` (a tablet, or the person's own page, may send it twice: DESIGN.md rule 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from django.db import transaction

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.writes import atomic_or_conflict, replayed
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone
from pillars.recovery.models.capital import Assessment, Instrument, ScoringMethod
from pillars.recovery.services.person_audit import audit_person_write
from pillars.recovery.services.portal import staff_or_person

MAX_NOTE = 1000
# An assessment entered from paper may be a while late; older than a year is likely a typo.
LONGEST_BACKDATE = timedelta(days=366)


@dataclass(frozen=True)
class Score:
    """A scored set of answers: the total and each subscale's subtotal."""

    total: Decimal
    subscales: dict[str, Decimal] = field(default_factory=dict)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def clean_answers(instrument: Instrument, answers: Any) -> dict[str, int]:
    """The answers keyed by item number (as strings), every item answered with a value on the
    instrument's scale; every problem is reported at once under ``answers``."""
    if not isinstance(answers, dict):
        raise invalid("answers", "Give one answer per item, by item number.")
    items = list(instrument.items.all())
    numbers = {str(i.number) for i in items}
    problems: list[str] = []
    unknown = sorted((str(k) for k in answers if str(k) not in numbers), key=str)
    if unknown:
        problems.append(f"{instrument.name} has no item {', '.join(unknown)}.")
    cleaned: dict[str, int] = {}
    lo, hi = instrument.scale_min, instrument.scale_max
    for item in items:
        raw = answers.get(str(item.number), answers.get(item.number))
        if raw is None or raw == "":
            problems.append(f"Item {item.number} is not answered.")
            continue
        value = _as_int(raw)
        if value is None or not lo <= value <= hi:
            problems.append(f"Item {item.number}: the answer must be a whole number {lo} to {hi}.")
            continue
        cleaned[str(item.number)] = value
    if problems:
        raise ValidationError({"answers": problems})
    return cleaned


def score(instrument: Instrument, answers: dict[str, int]) -> Score:
    """The total and subscale subtotals of clean answers. A reverse-scored item counts
    ``scale_min + scale_max - answer``; the method (sum or mean) is the instrument's."""
    lo, hi = instrument.scale_min, instrument.scale_max
    per_subscale: dict[str, list[int]] = {}
    values: list[int] = []
    for item in instrument.items.select_related("subscale").all():
        raw = answers[str(item.number)]
        value = lo + hi - raw if item.is_reversed else raw
        values.append(value)
        if item.subscale is not None:
            per_subscale.setdefault(item.subscale.code, []).append(value)

    def combine(xs: list[int]) -> Decimal:
        if instrument.scoring == ScoringMethod.MEAN:
            return (Decimal(sum(xs)) / Decimal(len(xs) or 1)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        return Decimal(sum(xs))

    return Score(
        total=combine(values), subscales={code: combine(xs) for code, xs in per_subscale.items()}
    )


def record_assessment(
    person: PersonServed,
    *,
    actor: Any,
    instrument: Instrument,
    answers: Any,
    administered_on: date | None = None,
    is_self_administered: bool = False,
    note: str = "",
    client_id: UUID | None = None,
) -> Assessment:
    """Record one administration of an instrument with the person, scored here. A person who
    answered alone (on the tablet or their own page) is recorded as self-administered. A
    replayed ``client_id`` returns the first assessment; the same key with other answers, date,
    note, self-administration or recorder is a conflict."""
    staff_id, on_own_page = staff_or_person(actor, person, "recovery.record_assessment", person)
    # The person's own page (recovery.services.portal): they answer alone.
    is_self_administered = is_self_administered or on_own_page
    today = clock.today_in(person_zone(person))
    # A replay must say what the first write said; a date left to the server is the first
    # write's, whichever day the replay arrives on (a tablet's queue may wait past midnight).
    dated = administered_on is not None
    administered_on = administered_on or today
    errors: dict[str, list[str]] = {}
    if not instrument.is_active:
        errors["instrument"] = [f"{instrument.name} is no longer offered."]
    if is_self_administered and not instrument.is_self_administrable:
        errors["is_self_administered"] = [f"{instrument.name} is given with a staff member."]
    cleaned: dict[str, int] = {}
    try:
        cleaned = clean_answers(instrument, answers)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if administered_on > today:
        errors["administered_on"] = ["An assessment cannot be dated in the future."]
    elif administered_on < today - LONGEST_BACKDATE:
        errors["administered_on"] = ["An assessment can be entered up to a year late."]
    text = " ".join(str(note or "").split())
    if len(text) > MAX_NOTE:
        errors["note"] = [f"At most {MAX_NOTE} characters."]
    if errors:
        raise ValidationError(errors)
    result = score(instrument, cleaned)
    with transaction.atomic():
        if existing := replayed(
            Assessment,
            client_id,
            {
                "person_id": person.pk,
                "instrument_id": instrument.pk,
                "answers": cleaned,
                "note": text,
                "is_self_administered": is_self_administered,
                "recorded_by_id": staff_id,
                **({"administered_on": administered_on} if dated else {}),
            },
            "This assessment was already sent with other answers.",
        ):
            return existing
        with atomic_or_conflict("This assessment was sent twice at once; reload."):
            assessment = Assessment.objects.create(
                person=person,
                instrument=instrument,
                administered_on=administered_on,
                is_self_administered=is_self_administered,
                answers=cleaned,
                total=result.total,
                subscale_scores={k: str(v) for k, v in result.subscales.items()},
                note=text,
                recorded_by_id=staff_id,
                recorded_at=clock.now(),
                client_id=client_id,
            )
        audit_person_write(
            actor,
            Action.CREATE,
            assessment,
            person,
            what="recovery capital assessment",
            instrument=instrument.code,
            administered_on=administered_on.isoformat(),
            self_administered=is_self_administered,
            total=str(result.total),
        )
    return assessment


def void_assessment(assessment: Assessment, *, actor: Any, reason: str) -> Assessment:
    """Take a mistaken assessment out of the trend with a reason; it stays readable."""
    acting = policy.require(actor, "recovery.record_assessment", assessment)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise invalid("reason", "Say why this assessment is voided.")
    if len(reason) > 300:
        raise invalid("reason", "At most 300 characters.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.voided_at is not None:
            raise Conflict("This assessment is already voided.")
        locked.voided_at = clock.now()
        locked.voided_by_id = acting.staff_pk
        locked.void_reason = reason
        locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit_person_write(
            actor,
            Action.VOID,
            locked,
            assessment.person,
            what="recovery capital assessment",
            reason=reason,
        )
    return locked

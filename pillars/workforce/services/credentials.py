"""Every write to credentials and CE hours: recording one with its evidence, verifying,
waiving, a new version of a credential type, and the expiry reminders sweep.

Reminders go as a DIGEST: each sweep pass gathers, per staff member and per threshold (90, 60,
30 and 7 days by default, the type's ``reminder_days``), every credential that reached it and
writes ONE alert through the rounds alert writer, whose dedupe key names the staff member, the
threshold and the credentials in it: a replay writes nothing, and a hundred credentials expiring
together for one person make one alert, not a hundred.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet

from pillars.audit.choices import Action
from pillars.core import clock, policy, sweeps
from pillars.core.errors import ValidationError, invalid
from pillars.core.versioning import (
    next_version,
    record_revision,
    refuse_unchanged,
    refuse_unknown,
    validate_next,
)
from pillars.people import alerts
from pillars.people.alerts import AlertKind, Subject
from pillars.people.models import Staff, Unit
from pillars.workforce.models.credentials import (
    CeCategory,
    CeRecord,
    Credential,
    CredentialType,
)
from pillars.workforce.models.trainings import TrainingCompletion
from pillars.workforce.services.staff_audit import audit_administration

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# What evidence may be: a scan or photo of the card or certificate. The first bytes decide,
# never the file name or the browser's content type.
EVIDENCE_FORMATS = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
MAX_TEXT = 300
SWEEP_LABEL = "credential expiry reminders"


@dataclass(frozen=True)
class Evidence:
    content: bytes
    content_type: str
    extension: str


def clean_evidence(upload: Any) -> Evidence:
    """Read an uploaded evidence file and refuse anything that is not a PDF, PNG or JPEG of at
    most 5 MB (ValidationError on ``evidence``)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_EVIDENCE_BYTES:
        raise invalid("evidence", "Evidence can be at most 5 MB.")
    upload.seek(0)
    data = upload.read(MAX_EVIDENCE_BYTES + 1)
    if len(data) > MAX_EVIDENCE_BYTES:
        raise invalid("evidence", "Evidence can be at most 5 MB.")
    if not data:
        raise invalid("evidence", "The evidence file is empty.")
    for magic, content_type, extension in EVIDENCE_FORMATS:
        if data.startswith(magic):
            return Evidence(data, content_type, extension)
    raise invalid("evidence", "Evidence must be a PDF, PNG or JPEG file.")


def evidence_or_errors(upload: Any, errors: dict[str, list[str]]) -> Evidence | None:
    """The checked evidence file, or None without one; its problems join ``errors``, so the
    caller refuses with every problem at once."""
    if upload is None:
        return None
    try:
        return clean_evidence(upload)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


@contextmanager
def saving_with_evidence(record: Any, evidence: Evidence | None) -> Iterator[None]:
    """Store the evidence file on the unsaved ``record`` and run the block that saves it, in one
    transaction; when the block fails the stored file is removed again (files are not
    transactional)."""
    try:
        with transaction.atomic():
            if evidence is not None:
                record.evidence.save(
                    f"evidence.{evidence.extension}", ContentFile(evidence.content), save=False
                )
                record.evidence_content_type = evidence.content_type
                record.evidence_size = len(evidence.content)
            yield
    except Exception:
        if record.evidence.name:
            record.evidence.storage.delete(record.evidence.name)
        raise


def _text(value: Any, field: str, message: str, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise invalid(field, message)
    if len(text) > MAX_TEXT:
        raise invalid(field, f"At most {MAX_TEXT} characters.")
    return text


def record_credential(
    staff: Staff,
    *,
    actor: Any,
    credential_type: CredentialType,
    issued_on: date,
    number: str = "",
    expires_on: date | None = None,
    evidence: Any = None,
) -> Credential:
    """Record a credential a staff member holds. ``expires_on`` comes from the type's rule when
    not given; verification by an administrator comes later."""
    acting = policy.require(actor, "workforce.record_credential", staff)
    errors: dict[str, list[str]] = {}
    today = clock.organization_today()
    if not credential_type.is_current or not credential_type.is_active:
        errors["credential_type"] = ["That credential type is retired; choose a current one."]
    if issued_on > today:
        errors["issued_on"] = ["The issue date is in the future."]
    if expires_on is None and not errors:
        expires_on = credential_type.expires_on_for(issued_on)
    if expires_on is not None and expires_on <= issued_on:
        errors["expires_on"] = ["The expiry date must be after the issue date."]
    number = " ".join(str(number or "").split())
    if len(number) > 60:
        errors["number"] = ["At most 60 characters."]
    clean = evidence_or_errors(evidence, errors)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    credential = Credential(
        staff=staff,
        credential_type=credential_type,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        recorded_by_id=acting.staff_pk,
        recorded_at=now,
    )
    with saving_with_evidence(credential, clean):
        # A back-filled older issue, recorded after the one that renewed it, stays quiet.
        renewed = expires_on is not None and (
            Credential.objects.filter(
                staff=staff,
                credential_type__code=credential_type.code,
                issued_on__gte=issued_on,
            )
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=expires_on))
            .exists()
        )
        credential.next_reminder_on = None if renewed else credential.next_reminder_after(None)
        credential.save()
        # A renewal: the credential it replaces (same code, ending no later) goes quiet.
        if expires_on is not None:
            Credential.objects.filter(
                staff=staff,
                credential_type__code=credential_type.code,
                next_reminder_on__isnull=False,
                expires_on__lte=expires_on,
            ).exclude(pk=credential.pk).update(next_reminder_on=None)
        audit_administration(
            actor,
            Action.CREATE,
            credential,
            {
                "staff": str(staff.public_id),
                "type": f"{credential_type.code} v{credential_type.version}",
                "issued_on": issued_on.isoformat(),
                "expires_on": expires_on.isoformat() if expires_on else None,
                "evidence": credential.evidence_content_type or None,
            },
        )
    return credential


def verify_credential(credential: Credential, *, actor: Any, method: str) -> Credential:
    """An administrator's check of a credential: who, when, and how (a primary-source website,
    the original seen)."""
    acting = policy.require(actor, "workforce.verify_credential", credential)
    method = _text(method, "method", "Say how it was verified (e.g. primary source website).")
    now = clock.now()
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        if locked.verified_at is not None:
            raise invalid(None, "This credential is already verified.")
        locked.verified_by_id = acting.staff_pk
        locked.verified_at = now
        locked.verification_method = method
        locked.save(update_fields=["verified_by", "verified_at", "verification_method"])
        audit_administration(actor, Action.UPDATE, locked, {"event": "verified", "method": method})
    return locked


def waive_credential(
    credential: Credential, *, actor: Any, reason: str, until: date | None
) -> Credential:
    """An administrator's waiver: the credential counts as in force until ``until`` (a renewal
    in the mail, a state's grace period), with the reason on record."""
    acting = policy.require(actor, "workforce.verify_credential", credential)
    reason = _text(reason, "reason", "Give the reason for the waiver.")
    today = clock.organization_today()
    if until is not None and until < today:
        raise invalid("until", "The waiver must run to today or later.")
    now = clock.now()
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        locked.waived_by_id = acting.staff_pk
        locked.waived_at = now
        locked.waiver_reason = reason
        locked.waived_until = until
        locked.save(update_fields=["waived_by", "waived_at", "waiver_reason", "waived_until"])
        audit_administration(
            actor,
            Action.UPDATE,
            locked,
            {
                "event": "waived",
                "reason": reason,
                "until": until.isoformat() if until else None,
            },
        )
    return locked


def record_ce(
    staff: Staff,
    *,
    actor: Any,
    category: CeCategory,
    title: str,
    completed_on: date,
    hours: Any,
    evidence: Any = None,
) -> CeRecord:
    """Record continuing-education hours with their evidence."""
    acting = policy.require(actor, "workforce.record_ce", staff)
    errors: dict[str, list[str]] = {}
    try:
        title = _text(title, "title", "Name the course or event.")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        amount = Decimal(str(hours))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or not Decimal("0.25") <= amount <= Decimal(200):
        errors["hours"] = ["Give the hours, from 0.25 to 200."]
    if completed_on > clock.organization_today():
        errors["completed_on"] = ["The date is in the future."]
    if not category.is_active:
        errors["category"] = ["That category is retired."]
    clean = evidence_or_errors(evidence, errors)
    if errors:
        raise ValidationError(errors)
    record = CeRecord(
        staff=staff,
        category=category,
        title=title,
        completed_on=completed_on,
        hours=amount.quantize(Decimal("0.01")),
        recorded_by_id=acting.staff_pk,
        recorded_at=clock.now(),
    )
    with saving_with_evidence(record, clean):
        record.save()
        audit_administration(
            actor,
            Action.CREATE,
            record,
            {
                "staff": str(staff.public_id),
                "category": category.code,
                "hours": str(record.hours),
                "completed_on": completed_on.isoformat(),
            },
        )
    return record


MEANING_FIELDS = (
    "expiry_rule",
    "valid_months",
    "fixed_month",
    "fixed_day",
    "fixed_year_parity",
    "ce_total_hours",
    "ce_minimums",
)


def revise_credential_type(
    current: CredentialType, *, actor: Any, **changes: Any
) -> CredentialType:
    """The next version of a credential type (its expiry rule or CE minimums changed);
    credentials already recorded keep the version they were issued under."""
    policy.require(actor, "people.edit_unit")
    refuse_unknown(changes, (*MEANING_FIELDS, "name", "issuer", "reminder_days"))
    validate_next(current, changes)
    with transaction.atomic():
        roles = list(current.required_for.all())
        revised = next_version(current, actor=actor, check=refuse_unchanged(changes), **changes)
        revised.required_for.set(roles)
        record_revision(revised, actor=actor, changes=changes)
    return revised


# --- Reminders --------------------------------------------------------------------------------


def _unit_for(staff: Staff) -> Unit | None:
    """The unit an alert is shown with: the staff member's first home unit, else a unit of one
    of their programs; none for a staff member with neither (the alert is theirs all the
    same)."""
    unit = staff.home_units.order_by("pk").first()
    if unit is None:
        unit = Unit.objects.filter(programs__staff=staff).order_by("pk").first()
    return unit


def _digest_message(threshold: int, rows: list[Any]) -> str:
    names = ", ".join(
        f"{r.reminder_label()} ({r.expires_on:%d %b %Y})" for r in rows if r.expires_on
    )
    return f"Expiring within {threshold} days: {names}. Renew and record the new one."[:300]


def due_for_reminder(today: date) -> QuerySet[Credential]:
    return (
        Credential.objects.filter(next_reminder_on__lte=today)
        .select_related("credential_type", "staff")
        .order_by("staff_id", "next_reminder_on", "pk")
    )


def trainings_due_for_reminder(today: date) -> QuerySet[TrainingCompletion]:
    return (
        TrainingCompletion.objects.filter(next_reminder_on__lte=today)
        .select_related("course", "staff")
        .order_by("staff_id", "next_reminder_on", "pk")
    )


def _claim(row: Credential | TrainingCompletion, today: date) -> int | None:
    """Claim one reminder by compare-and-set on ``next_reminder_on`` (several workers may run):
    the threshold to remind at (the nearest reached, however late the sweep runs), or None
    when another worker took it, nothing is left to say or it has already lapsed."""
    left = row.days_left_on(today)
    if left is None:
        return None
    reached = [d for d in row.reminder_thresholds() if left <= d]
    threshold = min(reached) if reached else None
    claimed = (
        type(row)
        .objects.filter(pk=row.pk, next_reminder_on=row.next_reminder_on)
        .update(
            reminded_days=threshold if threshold is not None else row.reminded_days,
            next_reminder_on=row.next_reminder_after(threshold) if threshold is not None else None,
        )
    )
    return threshold if claimed and threshold is not None and left >= 0 else None


def sweep_expiry_reminders(now: datetime | None = None, *, limit: int = 5000) -> sweeps.SweepResult:
    """One pass: every credential and training completion whose next reminder day has come is
    claimed by compare-and-set on ``next_reminder_on`` and gathered into ONE digest alert per
    staff member and threshold (credentials and trainings together). One several thresholds
    behind (recorded late, or the worker was down) is reminded once, at the nearest threshold,
    never once per missed one."""
    now = now or clock.now()
    today = clock.organization_today(now)
    result = sweeps.SweepResult(SWEEP_LABEL)
    by_staff: dict[int, list[Credential | TrainingCompletion]] = defaultdict(list)
    for credential in due_for_reminder(today)[:limit]:
        by_staff[credential.staff_id].append(credential)
    for completion in trainings_due_for_reminder(today)[:limit]:
        by_staff[completion.staff_id].append(completion)
    for rows in sweeps.within_budget(result, list(by_staff.values()), size=len):
        staff = rows[0].staff

        def work(staff: Staff = staff, rows: list[Credential | TrainingCompletion] = rows) -> int:
            groups: dict[int, list[Credential | TrainingCompletion]] = defaultdict(list)
            for row in rows:
                if (threshold := _claim(row, today)) is not None:
                    groups[threshold].append(row)
                    result.claimed += 1
            unit = _unit_for(staff)
            if not groups:
                return 0
            drafted = []
            for threshold, group in sorted(groups.items()):
                ids = ",".join(sorted(str(r.public_id) for r in group))
                digest = hashlib.sha256(ids.encode()).hexdigest()[:20]
                drafted += alerts.draft(
                    [staff],
                    kind=AlertKind.OTHER,
                    message=_digest_message(threshold, group),
                    due_at=now,
                    dedupe_key=f"wfx:{staff.public_id}:{threshold}:{digest}",
                    unit=unit,
                    subject=Subject("workforce.credentials", staff.public_id),
                    now=now,
                )
            new = alerts.write_many(drafted, audit_as=SWEEP_LABEL)
            result.alerts += len(new)
            return len(new)

        sweeps.guarded(
            result,
            work,
            label=SWEEP_LABEL,
            object_type="people.staff",
            object_id=str(staff.public_id),
        )
    return result

"""Plans a person served signs, kept in versions: the incidents app's safety plan and the
recovery app's wellness plan share this shape (DESIGN.md rule 2).

A draft is the plan's next version while it is written; it may be saved as often as needed.
Signing records the person's signature (typed on the tablet, or on paper with the staff member
attesting they saw it) and the staff member's; from then on the version never changes and the
next change is a new draft. Each app keeps its own sections, words, policy actions and audit
events; ``PlanVersions`` holds the steps both take in the same way: the permission check of a
write, checking a draft's input, opening the one draft under a lock and saving it, saying why a
draft is not ready, checking a signature and signing under a lock, each write with the app's
audit event (with the details both apps record) in its transaction.
``PlanReads`` holds the reads both take in the same way: a person's versions the user may read,
the current one and the draft, and one version by its public id with the read audited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Max, QuerySet

from pillars.core import clock, policy
from pillars.core.entry import get_for
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.writes import atomic_or_conflict

# A review is due within a year at the latest.
LONGEST_REVIEW = timedelta(days=366)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_SIGNED_NAME = 150


def clean_text(value: Any) -> str:
    """Text as one line: runs of spaces and line breaks become one space."""
    return " ".join(str(value or "").split())


@dataclass(frozen=True)
class PlanVersions:
    """One kind of signed, versioned plan. ``model`` has ``person``, ``number``, ``status``,
    ``content``, ``review_on``, ``drafted_by``, ``drafted_at``, ``updated_at`` and the
    signature fields (``person_signature``, ``person_signed_name``, ``person_signed_at``,
    ``signed_by``, ``signed_at``). ``draft_action`` and ``sign_action`` are the policy actions
    of the two writes, ``clean`` checks a draft's content, ``required`` names the sections to
    fill before signing (code and label, in the order shown) and ``zone_of`` gives a person's
    time zone, where "today" is read."""

    model: Any
    draft: str  # the status values
    signed: str
    signatures: Collection[str]  # how a person may sign
    tablet: str  # the one where the person types their name
    no_review: str  # "Choose a date to review the plan together."
    review_too_late: str  # "Review the plan within a year."
    draft_action: str
    sign_action: str
    clean: Callable[[Any], dict[str, Any]]
    required: Sequence[tuple[str, str]]
    zone_of: Callable[[Any], Any]

    def today_of(self, person: Any) -> date:
        return clock.today_in(self.zone_of(person))

    def not_ready_to_sign(self, version: Any) -> list[str]:
        """Why a draft cannot be signed yet (``not_ready``, with the plan's required sections
        and today in the person's zone)."""
        return not_ready(version, self.required, self.today_of(version.person))

    def check_review_on(self, review_on: date | None, today: date) -> date:
        if review_on is None:
            raise invalid("review_on", self.no_review)
        if review_on < today:
            raise invalid("review_on", "The review date cannot be in the past.")
        if review_on > today + LONGEST_REVIEW:
            raise invalid("review_on", self.review_too_late)
        return review_on

    def check_draft(
        self, content: Any, review_on: date | None, today: date
    ) -> tuple[dict[str, Any], date]:
        """The draft's content (``clean`` checks it) and review date, with every problem of
        both reported at once."""
        errors: dict[str, list[str]] = {}
        cleaned: dict[str, Any] = {}
        try:
            cleaned = self.clean(content)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        checked: date | None = None
        try:
            checked = self.check_review_on(review_on, today)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors or checked is None:
            raise ValidationError(errors)
        return cleaned, checked

    def open_draft(
        self, person: models.Model, *, staff_pk: int | None, now: Any, **first: Any
    ) -> tuple[Any, bool]:
        """The person's draft, locked, and whether it is new (not saved yet: numbered after
        the last version, with ``first`` for its other fields). Call inside a transaction; the
        person row is locked first so two staff saving the first draft at once do not both
        create one (the one-draft constraint would refuse the second anyway)."""
        type(person).objects.select_for_update().filter(pk=person.pk).first()  # type: ignore[attr-defined]
        versions = self.model.objects
        draft = versions.select_for_update().filter(person=person, status=self.draft).first()
        if draft is not None:
            return draft, False
        last = versions.filter(person=person).aggregate(n=Max("number"))["n"] or 0
        return (
            self.model(
                person=person, number=last + 1, drafted_by_id=staff_pk, drafted_at=now, **first
            ),
            True,
        )

    def check_signature(self, person_signature: str, typed_name: str, attested: bool) -> str:
        """The name the person typed, cleaned; a ValidationError naming each problem with how
        the person signed."""
        typed_name = clean_text(typed_name)
        errors: dict[str, list[str]] = {}
        if person_signature not in self.signatures:
            errors["person_signature"] = ["Say how the person signed."]
        elif person_signature == self.tablet:
            if not typed_name:
                errors["typed_name"] = ["The person types their name to sign."]
            elif len(typed_name) > MAX_SIGNED_NAME or CONTROL.search(typed_name):
                errors["typed_name"] = [
                    f"Type the name in at most {MAX_SIGNED_NAME} ordinary characters."
                ]
        elif not attested:
            errors["attested"] = ["Confirm that you saw the person sign the paper copy."]
        if errors:
            raise ValidationError(errors)
        return typed_name

    def sign(
        self,
        version: Any,
        *,
        staff_pk: int | None,
        now: Any,
        person_signature: str,
        typed_name: str,
        not_ready: Callable[[Any], list[str]],
    ) -> Any:
        """Sign a draft (checked with ``check_signature``): lock it, refuse one already signed
        (``Conflict``) or not ready (``not_ready`` gives the reasons), record both signatures.
        Call inside a transaction; the caller writes its audit event in the same one."""
        person = version.person  # already read by the caller's checks
        version = self.model.objects.select_for_update().get(pk=version.pk)
        version.person = person
        if version.status != self.draft:
            raise Conflict("This version is already signed; a change needs a new version.")
        problems = not_ready(version)
        if problems:
            raise invalid(None, " ".join(problems))
        version.status = self.signed
        version.person_signature = person_signature
        version.person_signed_name = (
            typed_name if person_signature == self.tablet else person.display_name
        )
        version.person_signed_at = now
        version.signed_by_id = staff_pk
        version.signed_at = now
        version.save()
        return version

    def save_draft(
        self,
        person: models.Model,
        *,
        actor: Any,
        content: Any,
        review_on: date | None,
        record: Callable[[Any, bool, bool, dict[str, Any]], None],
        start: Callable[[Any], None] | None = None,
    ) -> Any:
        """Save the person's draft (``draft_action``) with its content and review date checked
        (``check_draft``), creating it when there is none (``start`` fills in a new draft's
        other fields). ``record(draft, created, changed, detail)`` writes the audit event in the
        same transaction; ``changed`` says whether an existing draft's words or date differ,
        ``detail`` has the version, review date and entries by section. Two saves racing for
        the first draft: the second gets a ``Conflict``."""
        acting = policy.require(actor, self.draft_action, person)
        cleaned, checked = self.check_draft(content, review_on, self.today_of(person))
        now = clock.now()
        with atomic_or_conflict("Someone saved this person's plan a moment ago; reload."):
            draft, created = self.open_draft(person, staff_pk=acting.staff_pk, now=now)
            changed = not created and (draft.content != cleaned or draft.review_on != checked)
            if created and start is not None:
                start(draft)
            draft.content = cleaned
            draft.review_on = checked
            draft.updated_at = now
            draft.save()
            detail = {
                "version": draft.number,
                "review_on": checked.isoformat(),
                "sections": {k: len(v) for k, v in cleaned.items()},
            }
            record(draft, created, changed, detail)
        return draft

    def sign_recorded(
        self,
        version: Any,
        *,
        actor: Any,
        person_signature: str,
        typed_name: str,
        attested: bool,
        record: Callable[[Any, dict[str, Any]], None],
    ) -> Any:
        """Check the permission (``sign_action``) and the signature, then sign the draft
        (``sign``, refused while ``not_ready_to_sign``) and write the app's audit event
        (``record(version, detail)``, ``detail`` with the version and how the person signed)
        in one transaction."""
        acting = policy.require(actor, self.sign_action, version)
        typed_name = self.check_signature(person_signature, typed_name, attested)
        now = clock.now()
        with transaction.atomic():
            version = self.sign(
                version,
                staff_pk=acting.staff_pk,
                now=now,
                person_signature=person_signature,
                typed_name=typed_name,
                not_ready=self.not_ready_to_sign,
            )
            record(
                version,
                {"version": version.number, "signed": True, "person_signature": person_signature},
            )
        return version


@dataclass(frozen=True)
class PlanReads[M: models.Model]:
    """The reads of one kind of plan's versions, scoped by the policy layer: ``statuses`` has the
    model's ``DRAFT`` and ``SIGNED``, ``view`` is the action a version read checks unless told
    another, and ``record_read(user, version, person, **detail)`` audits the read of one version
    (the people app's audited read of a person's record)."""

    model: type[M]
    statuses: Any
    view: str
    record_read: Callable[..., None]

    def versions_of(self, person: models.Model, user: Any = None) -> QuerySet[M]:
        """Every version of the person's plan the user may read, newest first (the caller has
        checked the person's scope; a version made in a Part 2 program keeps its label)."""
        return (
            policy.readable(self.model._default_manager.filter(person=person), user)
            .select_related("drafted_by", "signed_by")
            .order_by("-number")
        )

    def current_plan(self, person: models.Model, user: Any = None) -> M | None:
        """The person's plan now: the latest signed version."""
        return self.versions_of(person, user).filter(status=self.statuses.SIGNED).first()

    def draft_of(self, person: models.Model, user: Any = None) -> M | None:
        return self.versions_of(person, user).filter(status=self.statuses.DRAFT).first()

    def get_version_for(
        self, user: Any, public_id: Any, action: str | None = None, *, what: str
    ) -> M:
        """One plan version, 404 when out of scope, 403 when not allowed; the read is audited."""
        version = get_for(
            self.model._default_manager.select_related("person", "drafted_by", "signed_by"),
            user,
            public_id,
            self.view if action is None else action,
        )
        self.record_read(user, version, version.person, what=what, version=version.number)  # type: ignore[attr-defined]
        return version


# Checks one entry of a section: (code, label, its number from 1, the entry, the section's
# problems to add to); gives the entry to keep, or None to leave it out.
EntryCheck = Callable[[str, str, int, Any, list[str]], dict[str, str] | None]


def text_entry(
    value: Any, label: str, n: int, max_text: int, problems: list[str]
) -> dict[str, str] | None:
    """A text entry (number ``n`` of the section ``label``) as one line (``clean_text``): None
    when it is empty, a problem added when it is longer than ``max_text``."""
    text = clean_text(value)
    if not text:
        return None
    if len(text) > max_text:
        problems.append(f"{label}, entry {n} is longer than {max_text} characters.")
    return {"text": text}


def clean_sections(
    raw: Any,
    sections: Iterable[tuple[str, str]],
    check_entry: EntryCheck,
    *,
    max_entries: int,
    too_many: Callable[[str], str],
) -> dict[str, list[dict[str, str]]]:
    """A plan's content (entries by section code, ``sections`` as code and label in order)
    checked and trimmed, with every problem reported at once by section: unknown sections, a
    section that is not a list, each entry (``check_entry``), too many entries (``too_many``
    gives the words for a section's label). Empty sections are left out."""
    if not isinstance(raw, dict):
        raise invalid("content", "The plan must list entries by section.")
    sections = list(sections)
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(map(str, raw)) - {code for code, _ in sections})
    if unknown:
        errors["content"] = [f"Unknown sections: {', '.join(unknown)}."]
    cleaned: dict[str, list[dict[str, str]]] = {}
    for code, label in sections:
        entries = raw.get(code) or []
        if not isinstance(entries, list):
            errors[code] = [f"{label}: give a list of entries."]
            continue
        problems: list[str] = []
        kept = [
            e
            for n, entry in enumerate(entries, start=1)
            if (e := check_entry(code, label, n, entry, problems)) is not None
        ]
        if len(kept) > max_entries:
            problems.append(too_many(label))
        if problems:
            errors[code] = problems
        elif kept:
            cleaned[code] = kept
    if errors:
        raise ValidationError(errors)
    return cleaned


def not_ready(version: Any, required: Iterable[tuple[str, str]], today: date) -> list[str]:
    """Why a draft cannot be signed yet, in words the signing page shows before anyone tries
    (and the service repeats if they do): empty required sections (``required`` as code and
    label, in the order shown), a review date passed."""
    problems = []
    content = version.content or {}
    missing = [label for code, label in required if not content.get(code)]
    if missing:
        problems.append("Before signing, fill in: " + "; ".join(missing) + ".")
    if version.review_on < today:
        problems.append("The review date has passed: choose a new one in the draft first.")
    return problems


def copied_content(previous: Any) -> dict[str, list[dict[str, str]]]:
    """A copy of a version's words, for a new draft to start from."""
    return {k: [dict(e) for e in v] for k, v in (previous.content or {}).items()}

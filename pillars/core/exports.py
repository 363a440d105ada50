"""The one door every copy leaves by (DESIGN.md rule 6, 42 CFR 2.32).

An export (a PDF, a CSV, an API copy of a record) calls ``release`` before it sends anything:

1. **The Part 2 check.** Each record must be visible to the user through the policy layer,
   whose label guard (``people.labels``) lets a substance-use record out of its program only to
   the program's team, the privacy officer, an active consent naming the reader, or an
   emergency-access grant. A record that fails answers 404, as everywhere else.
2. **The disclosure log.** One ``export`` event in the audit log names what left, in which
   format, and for Part 2 content the basis it left on and the consent it relied on.
3. **The notice.** A copy with Part 2 content carries the notice 42 CFR 2.32 requires as amended
   in 2024: one of its two statements (the long one, below) and a copy or explanation of the
   consent relied on (``Release.notice``; ``pdf_notice`` and ``csv_notice`` print it). The
   pre-2024 wording ("...prohibit you from making any further disclosure...") is outdated and
   is not used.

A copy addressed to an outside recipient (a referral packet to a community service) names
the recipient and the consent that names it (``Recipient``): its Part 2 records then leave on
that consent, which the people app checks (``set_recipient_checker``), and the notice explains
that consent; a consent that does not cover the disclosure refuses the copy.

Core cannot read people's models (imports point down), so the people app registers how a
record's disclosure basis is found (``set_basis_finder``) when it installs its policies.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, StreamingHttpResponse

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.pdf import writer

# 42 CFR 2.32(a)(1), as amended in 2024 (89 FR 12472, compliance from 16 February 2026).
NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
    "that describes the information contained in this record, in any civil, criminal, "
    "administrative, or legislative proceedings by any Federal, State, or local authority, "
    "against the patient, unless authorized by the consent of the patient, except as provided at "
    "42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In "
    "addition, the Federal rules prohibit you from making any other use or disclosure of this "
    "record unless at least one of the following applies: (i) Further use or disclosure is "
    "expressly permitted by the written consent of the individual whose information is being "
    "disclosed in this record or as otherwise permitted by 42 CFR part 2. (ii) You are a covered "
    "entity or business associate and have received the record for treatment, payment, or health "
    "care operations, or (iii) You have received the record from a covered entity or business "
    "associate as permitted by 45 CFR part 164, subparts A and E. A general authorization for the "
    "release of medical or other information is NOT sufficient to meet the required elements of "
    "written consent to further use or redisclose the record (see 42 CFR 2.31)."
)


@dataclass(frozen=True)
class Basis:
    """Why one Part 2 record may leave: ``program`` (its own team), ``privacy`` (the privacy
    officer's administrative control), ``emergency`` (42 CFR 2.51) or ``consent`` (with the
    consent's public id and a plain explanation of its scope)."""

    kind: str
    consent_id: str = ""
    explanation: str = ""
    # The public id of the person whose record it is, for a disclosure outside the program
    # (consent or emergency): a copy of several persons' records is accounted to each of them.
    person: str = ""


@dataclass(frozen=True)
class Release:
    """What ``release`` decided: whether the copy holds Part 2 content, on what basis it
    leaves, and the notice lines it must carry (empty when none is needed)."""

    part2: bool
    bases: tuple[Basis, ...] = ()
    notice: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Recipient:
    """The outside recipient a copy is addressed to (an organization, by name) and the consent
    (a people ``Consent``) that names it as a recipient."""

    name: str
    consent: Any


_basis_finder: Callable[[Any, models.Model], Basis | None] | None = None
_recipient_checker: Callable[[Any, models.Model, Recipient], Basis | None] | None = None


def set_basis_finder(finder: Callable[[Any, models.Model], Basis | None]) -> None:
    """The people app's answer to "may this labelled record leave, and why" (None: the record
    carries no Part 2 label)."""
    global _basis_finder
    _basis_finder = finder


def set_recipient_checker(checker: Callable[[Any, models.Model, Recipient], Basis | None]) -> None:
    """The people app's answer to "does this consent let this Part 2 record go to this
    recipient" (a consent basis with its explanation, or None: it does not)."""
    global _recipient_checker
    _recipient_checker = checker


def _explain(bases: Iterable[Basis]) -> list[str]:
    lines: list[str] = []
    for basis in dict.fromkeys(bases):
        if basis.kind == "consent":
            lines.append(f"Disclosed under this consent: {basis.explanation}")
        elif basis.kind == "emergency":
            lines.append(
                "Disclosed to medical personnel in a medical emergency (42 CFR 2.51); no "
                "consent was relied on."
            )
        else:
            lines.append(
                "Copy made by the program that holds the record (or its privacy officer). It "
                "carries this notice because it may leave the program; any further disclosure "
                "needs the person's written consent."
            )
    return lines


def release(
    user: Any,
    *,
    what: str,
    fmt: str,
    records: Sequence[models.Model] = (),
    part2: bool = False,
    person_id: Any = None,
    purpose: str = Purpose.TREATMENT,
    detail: dict[str, Any] | None = None,
    recipient: Recipient | None = None,
) -> Release:
    """Check, log and label one export. ``records`` are the records the copy holds (each is
    checked and its label read); ``part2`` says the copy holds Part 2 content that is not one
    record (an audit export); ``recipient`` names the outside organization the copy goes to and
    the consent it goes under (each Part 2 record must be covered by it). Raises Http404 for a
    record the user may not see, PermissionDenied when the consent does not cover one."""
    actor = policy.actor_for(user)
    bases: list[Basis] = []
    for record in records:
        if not policy.is_visible(actor, record):
            raise Http404("Not found")
        found = _basis_finder(actor, record) if _basis_finder is not None else None
        if found is not None and recipient is not None:
            found = (
                _recipient_checker(actor, record, recipient)
                if _recipient_checker is not None and recipient.consent is not None
                else None
            )
            if found is None:
                raise PermissionDenied(
                    f"No active consent lets this record go to {recipient.name}."
                )
        if found is not None:
            bases.append(found)
    if part2 and not bases:
        bases.append(Basis("privacy" if actor.has_role("privacy") else "program"))
    is_part2 = bool(bases)
    consent_ids = sorted({b.consent_id for b in bases if b.consent_id})
    persons = sorted({b.person for b in bases if b.person})
    ids = [str(getattr(r, "public_id", r.pk)) for r in records]
    audit.record(
        actor=actor.user,
        action=Action.EXPORT,
        object_type=what,
        object_id=ids[0] if len(ids) == 1 else fmt,
        person_id=person_id,
        category=Category.SUBSTANCE_USE if is_part2 else Category.GENERAL,
        purpose=Purpose.EMERGENCY if any(b.kind == "emergency" for b in bases) else purpose,
        detail={
            **(detail or {}),
            **({"recipient": recipient.name[:200]} if recipient is not None else {}),
            "format": fmt,
            "records": ids,
            "disclosure": sorted({b.kind for b in bases}),
            "consent_ids": consent_ids,
            **({"person_ids": persons} if persons else {}),
            "notice": is_part2,
        },
    )
    notice = (NOTICE, *_explain(bases)) if is_part2 else ()
    return Release(part2=is_part2, bases=tuple(bases), notice=notice)


# 42 CFR 2.32(a)(2), the short statement: for a header, where the long one does not fit.
SHORT_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
# Set on the actor (once per request) by the label guard when a read relied on a consent or an
# emergency grant: the consents' public ids, or "emergency".
DISCLOSED = "part2-disclosed"


def note_disclosure(actor: Any, basis: str) -> None:
    """Remember, for this request's answer, that it discloses Part 2 records (and on what)."""
    actor.extra.setdefault(DISCLOSED, set()).add(basis)


# The hidden notice every signed-in page carries (in templates/base.html).
_HIDDEN_NOTICE = b"data-part2-notice hidden>"


class DisclosureNoticeMiddleware:
    """An answer that carries Part 2 records read under a consent or in an emergency carries
    the 42 CFR 2.32 notice too. An API answer: the short statement and the consents relied on
    (whose explanation is at ``GET /api/v1/consents/{id}``), as response headers. A page: the
    notice on screen at the top of the page. An htmx fragment: the headers, from which
    pillars.js shows the notice of the page it lands in."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        actor = getattr(getattr(request, "user", None), "_pillars_actor", None)
        disclosed = actor.extra.get(DISCLOSED) if actor is not None else None
        if not disclosed:
            return response
        page = (
            not request.path.startswith("/api/")
            and not getattr(request, "htmx", False)
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
        )
        if page and _HIDDEN_NOTICE in response.content:
            response.content = response.content.replace(_HIDDEN_NOTICE, b"data-part2-notice>", 1)
        else:
            response["Part2-Notice"] = SHORT_NOTICE
            response["Part2-Disclosed-Under"] = ", ".join(sorted(disclosed))
        return response


def pdf_notice(pdf: Any, release: Release) -> None:
    """Print the notice at the end of a PDF built with ``core.pdf`` (nothing when none is due)."""
    if not release.notice:
        return
    line = writer(pdf, body=9)
    pdf.ln(4)
    line("Notice of the federal confidentiality rules (42 CFR 2.32)", 10, "B", 1)
    for text in release.notice:
        line(text, 9, gap=2)


def csv_notice(release: Release) -> list[list[str]]:
    """The notice as the first rows of a CSV file (none when none is due)."""
    return [[f"# {text}"] for text in release.notice]


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Text that starts like a formula but can only be a number or a telephone number ("+1 (555)
# 010-2000", "-3.5"): no function, reference or command can hide in it, so it is left as written.
_NUMBER_LIKE = re.compile(r"[+-]?[0-9][0-9 ().\-/]*")


def neutralize(cell: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: text that starts like one gets a leading
    quote. Numbers are left as numbers (a negative number is not a formula), and so is text that
    is only a number or a telephone number."""
    if (
        isinstance(cell, str)
        and cell.startswith(FORMULA_STARTS)
        and not _NUMBER_LIKE.fullmatch(cell)
    ):
        return "'" + cell
    return cell


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_download(
    release: Release,
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    comments: Iterable[str] = (),
    stamp: bool = True,
) -> StreamingHttpResponse:
    """The one way a CSV leaves Pillars, after ``release`` let it: the 42 CFR 2.32 notice rows
    first when due, then ``comments`` (definitions, what was hidden and why) as ``# `` rows, the
    header, and the rows streamed with every text cell made inert for spreadsheets. The file
    name gets the moment of the export unless ``stamp`` is false."""
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        for notice in csv_notice(release):
            yield writer.writerow(notice)
        for text in comments:
            yield writer.writerow([f"# {text}"])
        yield writer.writerow([neutralize(h) for h in header])
        for row in rows:
            yield writer.writerow([neutralize(cell) for cell in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    name = f"{filename}-{clock.now():%Y%m%d-%H%M%S}" if stamp else filename
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
    return response

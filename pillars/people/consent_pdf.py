"""The printable consent form: every 42 CFR 2.31 element as recorded, and the statements the
person was given, for the person's own copy and the record."""

from __future__ import annotations

from pillars.core import clock, exports
from pillars.core.pdf import document, writer
from pillars.people.consent_models import (
    CONDITIONING_STATEMENT,
    REDISCLOSURE_STATEMENT,
    REVOCATION_STATEMENT,
    Consent,
    SignedBy,
)


def consent_lines(consent: Consent) -> list[tuple[str, str]]:
    """The consent's elements as (heading, text) pairs: the page, the PDF and the explanation
    that travels with every disclosure made under it share them."""
    expiry = []
    if consent.expires_on:
        expiry.append(f"on {consent.expires_on:%B %d, %Y}")
    if consent.expiry_event:
        expiry.append(f"when this happens: {consent.expiry_event}")
    purposes = ", ".join(consent.purpose_labels())
    if consent.purpose_description:
        purposes += f" ({consent.purpose_description})"
    signer = consent.signer_name
    if consent.signed_by == SignedBy.REPRESENTATIVE:
        signer += f", representative ({consent.representative_authority})"
    programs = [u.name for u in consent.programs.all()]
    return [
        ("Person served", f"{consent.person.display_name}, record {consent.person.record_number}"),
        ("Program(s) whose records may be disclosed", ", ".join(programs)),
        ("Kinds of information", ", ".join(consent.kind_labels())),
        ("How much and what kind", consent.information_description),
        ("Recipients", "; ".join(r.label for r in consent.recipients.all())),
        ("Purpose", purposes),
        ("This consent ends", " or ".join(expiry)),
        ("Signed by", f"{signer} on {consent.signed_on:%B %d, %Y}"),
    ]


def render(consent: Consent, release: exports.Release | None = None) -> bytes:
    """The consent form (the caller checked scope and audited the read), with the release's
    notice at the end."""
    pdf = document(f"Consent to disclose substance-use records: {consent.person.display_name}")
    line = writer(pdf)
    line("Consent to disclose substance-use disorder records", 18, "B", 2)
    line("Under 42 CFR Part 2 (as amended in 2024)", 11, "I", 4)
    for heading, text in consent_lines(consent):
        line(heading, 12, "B", 0)
        line(text, 12, gap=3)
    line("Your rights", 13, "B", 1)
    line(REVOCATION_STATEMENT)
    line(CONDITIONING_STATEMENT)
    if consent.is_tpo:
        line(REDISCLOSURE_STATEMENT)
    if consent.revoked_at is not None:
        # The program's day (consents.consent_today), not UTC's: an evening revocation in
        # Chicago is already tomorrow in UTC.
        zones = [u.time_zone for u in consent.programs.all()]
        revoked_at = clock.local(consent.revoked_at, zones[0]) if zones else consent.revoked_at
        line(
            f"REVOKED on {revoked_at:%B %d, %Y} "
            f"({consent.get_revoked_received_as_display().lower()}).",
            13,
            "B",
        )
    pdf.ln(6)
    line("Signature: ______________________________    Date: ______________", 12)
    if release is not None:
        exports.pdf_notice(pdf, release)
    return bytes(pdf.output())

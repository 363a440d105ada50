"""The referral packet as a PDF for the receiving service: the fields the preview showed (and
nothing more: a confidential service's address is never among them), who sent it and when, and
the 42 CFR 2.32 notice with the explanation of the consent it left under. It leaves only
through ``core.exports.release`` (via ``services.referrals.release_packet``), like the printable
page."""

from __future__ import annotations

from typing import Any

from pillars.core import clock, exports
from pillars.core.pdf import document, writer
from pillars.recovery.models.referrals import Referral
from pillars.recovery.services import referrals as services

__all__ = ["export", "render"]


def export(user: Any, referral: Referral) -> bytes:
    """The copy that leaves, through the one export door."""
    release = services.release_packet(referral, actor=user, fmt="pdf")
    return render(referral, release)


def render(referral: Referral, release: exports.Release | None = None) -> bytes:
    """The PDF of one packet (the caller has checked scope; ``export`` logs the disclosure)."""
    fields = services.packet_fields(
        referral.person,
        referral.service,
        reason=referral.reason,
        goal=referral.goal,
        organization=referral.outside_organization,
    )
    pdf = document(f"Referral to {referral.recipient_name}")
    line = writer(pdf, body=11)
    line(f"Referral to {referral.recipient_name}", 18, "B", 4)
    for label, value in fields:
        line(label, 10, "B", 0)
        line(value, 11, gap=3)
    unit = referral.made_in_unit
    zone = unit.time_zone if unit is not None else "UTC"
    sent = clock.local(referral.sent_at, zone).date() if referral.sent_at else None
    sent_text = f"Sent {sent:%B %d, %Y}" if sent else "Not sent yet"
    due = f"; answer requested by {referral.due_on:%B %d, %Y}" if referral.due_on else ""
    line(f"{sent_text} by {referral.referred_by.display_name}{due}.", 10, gap=4)
    if release is not None:
        exports.pdf_notice(pdf, release)
    return bytes(pdf.output())

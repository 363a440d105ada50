"""The printed copy of a wellness plan for the person: large plain type, their own words in the
seven parts, the signatures, and nothing about anyone else served. It leaves only through
``core.exports.release`` (the Part 2 check, the logged disclosure, the 42 CFR 2.32 notice when
the plan was made in a Part 2 program), like the safety plan's copy."""

from __future__ import annotations

from typing import Any

from pillars.core import exports, plan_pdf
from pillars.core.plan_pdf import PlanPrint
from pillars.people.selectors import person_zone
from pillars.recovery.models.plans import WellnessPlanVersion

__all__ = ["export", "render"]

BODY = 14
SECTION = 15
PART = 18
TITLE = 24


def export(user: Any, version: WellnessPlanVersion, *, channel: str) -> bytes:
    """The copy that leaves, through the one export door."""
    return plan_pdf.export(
        user, version, what="recovery.wellnessplanversion", channel=channel, render=render
    )


def render(version: WellnessPlanVersion, release: exports.Release | None = None) -> bytes:
    """The PDF of one version (the caller has checked scope and audited the read)."""
    doc = PlanPrint(
        version, plan_name="wellness plan", zone=person_zone(version.person), body=BODY, title=TITLE
    )
    for part in version.parts():
        doc.line(part["title"], PART, "B", 1)
        for section in part["sections"]:
            if len(part["sections"]) > 1 or section["label"] != part["title"]:
                doc.line(section["label"], SECTION, "B", 1)
            doc.entries(section["entries"], 3, lambda e: e.get("text", ""))
            if section["entries"]:
                doc.pdf.ln(2)
        doc.pdf.ln(3)
    if version.is_signed:
        doc.line(
            f"Signed by {version.person_signed_name} ({version.get_person_signature_display()})"
            f" and by {version.signed_by.display_name if version.signed_by else ''}.",
            BODY - 2,
        )
    return doc.finish(release)

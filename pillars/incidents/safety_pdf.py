"""The printed copy of a safety plan for the person served: large, plain type, their own words,
the crisis line, and nothing about anyone else served. The type is the bundled DejaVu Sans
(``core.pdf``), so the person's own script prints.
"""

from __future__ import annotations

from typing import Any

from pillars.core import exports, plan_pdf
from pillars.core.pdf import printable
from pillars.core.plan_pdf import PlanPrint
from pillars.incidents.models.safety import SafetyPlanVersion
from pillars.people.selectors import person_zone

__all__ = ["export", "printable", "render"]

BODY = 16
HEADING = 19
TITLE = 26


def export(user: Any, version: SafetyPlanVersion, *, channel: str) -> bytes:
    """The copy that leaves: through ``core.exports.release`` (the Part 2 check, the logged
    disclosure, the 42 CFR 2.32 notice printed when the plan was made in a Part 2 program)."""
    return plan_pdf.export(
        user, version, what="incidents.safetyplanversion", channel=channel, render=render
    )


def render(version: SafetyPlanVersion, release: exports.Release | None = None) -> bytes:
    """The PDF of one version (the caller has checked scope and audited the read); with a
    release, its notice is printed at the end."""
    doc = PlanPrint(
        version, plan_name="safety plan", zone=person_zone(version.person), body=BODY, title=TITLE
    )
    for section in version.sections():
        doc.line(section["label"], HEADING, "B", 1)
        if section["is_contacts"]:
            doc.entries(
                section["entries"], 5, lambda e: f"{e.get('name', '')}: {e.get('phone', '')}"
            )
        else:
            doc.entries(section["entries"], 5, lambda e: e.get("text", ""))
        if section["entries"]:
            doc.pdf.ln(4)
    doc.line("If you are in danger right now, call 911.", BODY, "B", 1)
    return doc.finish(release)

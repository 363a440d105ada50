"""The printed copy a signed, versioned plan shares (``core.plan_versions``): large plain type,
the person's own words, the version's state and review date, the crisis line, and nothing about
anyone else served. The copy leaves only through ``core.exports.release`` (the Part 2 check, the
logged disclosure, the 42 CFR 2.32 notice when the plan was made in a Part 2 program). Each plan
prints its own sections between ``PlanPrint.start`` and ``PlanPrint.finish``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pillars.core import clock, exports
from pillars.core.pdf import document, writer


def export(
    user: Any,
    version: Any,
    *,
    what: str,
    channel: str,
    render: Callable[[Any, exports.Release | None], bytes],
) -> bytes:
    """The copy that leaves, through the one export door (``what`` names the model)."""
    release = exports.release(
        user,
        what=what,
        fmt="pdf",
        records=[version],
        person_id=version.person.public_id,
        detail={"channel": channel, "version": version.number},
    )
    return render(version, release)


class PlanPrint:
    """One version's PDF being written: ``plan_name`` ("safety plan") titles it; ``zone`` is the
    person's time zone (the signing date); ``body`` and ``title`` are the type sizes."""

    def __init__(self, version: Any, *, plan_name: str, zone: Any, body: int, title: int) -> None:
        self.version = version
        self.body = body
        person = version.person
        self.pdf = document(f"{plan_name.capitalize()} for {person.display_name}")
        # line(text, size=body, style="", gap=2): a paragraph across the page.
        self.line = writer(self.pdf, body)
        self.line(f"My {plan_name}: {person.display_name}", title, "B", 4)
        if version.is_signed and version.signed_at:
            signed_on = clock.local(version.signed_at, zone).date()
            self.line(f"Signed on {signed_on:%B %d, %Y}. Version {version.number}.", body - 2)
        else:
            self.line(f"Draft (version {version.number}), not signed yet.", body - 2, "B")
        self.line(
            f"We look at this plan again together on {version.review_on:%B %d, %Y}.",
            body - 2,
            gap=6,
        )

    def entries(self, entries: list[dict[str, str]], gap: float, text: Callable[..., str]) -> None:
        """A section's entries as a list, or a note that nothing is written there yet."""
        if not entries:
            self.line("(Nothing written here yet.)", self.body, "I", gap)
            return
        for entry in entries:
            self.line(f"-  {text(entry)}")

    def finish(self, release: exports.Release | None) -> bytes:
        """The crisis line, the release's notice when there is one, and the document."""
        self.line("You can call or text 988 at any time, day or night.", self.body, "B")
        if release is not None:
            exports.pdf_notice(self.pdf, release)
        return bytes(self.pdf.output())

"""The printed verification letter for a certifying body: the supervisor's signed statement of
a supervisee's supervised hours in a period, with the rule it counts toward and the sessions
behind it. It leaves only through ``core.exports.release`` (checked and logged)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from pillars.audit.choices import Purpose
from pillars.core import clock, exports
from pillars.core.pdf import document, writer
from pillars.workforce.models.supervision import SessionAttendee, VerificationLetter
from pillars.workforce.selectors.drift import zone_for

__all__ = ["export", "render"]


def export(user: Any, letter: VerificationLetter) -> bytes:
    """The letter, through the one export door."""
    exports.release(
        user,
        what="workforce.verificationletter",
        fmt="pdf",
        records=[letter],
        purpose=Purpose.ADMINISTRATION,
        detail={"staff": str(letter.staff.public_id), "rule": letter.rule.code},
    )
    return render(letter)


def render(letter: VerificationLetter) -> bytes:
    """The PDF of one signed letter (the caller has checked scope and audited the read)."""
    pdf = document(f"Supervised hours verification for {letter.staff.display_name}")
    line = writer(pdf, body=12)
    # The supervisee's days, as the letter's figures count them (services.supervision.
    # hours_between): the list below must be the sessions behind the total, on their local days.
    zone = zone_for([letter.staff_id])
    signed = clock.local(letter.signed_at, zone)
    line("Verification of supervised hours", 20, "B", 4)
    line(f"Date: {signed:%B %d, %Y}")
    line(f"To: {letter.rule.certifying_body or 'the certifying body'}")
    line(f"Regarding: {letter.staff.display_name}, toward {letter.rule}", gap=6)
    line(letter.statement, gap=6)
    line("Hours in this period", 14, "B", 2)
    line(f"Supervision sessions (signed by supervisor and supervisee): {letter.session_hours} h")
    line(f"Supervised work recorded by the supervisor: {letter.work_hours} h")
    line(f"Total: {letter.total_hours} h", style="B", gap=4)
    requirement = f"{letter.rule.hours_required} supervised hours"
    if letter.rule.within_years:
        requirement += f" within {letter.rule.within_years} years"
    if letter.rule.letters_required:
        requirement += f" and {letter.rule.letters_required} letters"
    line(f"The rule this letter counts toward asks for {requirement}.", 10, gap=6)
    sessions = (
        SessionAttendee.objects.filter(
            supervisee=letter.staff,
            session__signed_at__isnull=False,
            session__started_at__gte=datetime.combine(letter.period_start, time(0), tzinfo=zone),
            session__started_at__lt=datetime.combine(
                letter.period_end + timedelta(days=1), time(0), tzinfo=zone
            ),
        )
        .select_related("session")
        .order_by("session__started_at")
    )
    rows = list(sessions)
    if rows:
        line(f"Signed supervision sessions ({len(rows)})", 14, "B", 2)
        for a in rows:
            s = a.session
            mode = "face to face" if s.is_face_to_face else "remote"
            group = "group" if s.is_group else "individual"
            held = clock.local(s.started_at, zone)
            line(
                f"{held:%Y-%m-%d}: {s.get_kind_display()}, {group}, {mode}, {s.minutes} minutes",
                10,
                gap=1,
            )
        pdf.ln(4)
    line(
        f"Signed electronically by {letter.supervisor.display_name}, "
        f"{letter.supervisor_credential}, on {signed:%B %d, %Y at %H:%M} ({zone.key}).",
        style="B",
    )
    line(f"Letter reference: {letter.public_id}", 9)
    return bytes(pdf.output())

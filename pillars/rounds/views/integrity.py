"""Pages: the integrity report of a unit (flags that make back-filled checks visible) and one
check in full, with its addenda. Leaders see every flag; there is no way to dismiss one."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from pillars.core import clock, policy
from pillars.core.pages import GET, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.models import Unit
from pillars.rounds import integrity
from pillars.rounds.forms.integrity import IntegrityFilterForm
from pillars.rounds.selectors import integrity as selectors

route = Routes()


def _period(unit: Unit, form: IntegrityFilterForm) -> selectors.Period:
    today, shift = selectors.current_shift(unit)
    if not form.is_valid():
        return selectors.shift_period(unit, today, shift)
    data = form.cleaned_data
    day = data.get("day") or today
    chosen = data.get("shift") or (shift if data.get("day") is None else selectors.DAY)
    if chosen == "range":
        return selectors.range_period(unit, day, data.get("until") or day)
    return selectors.shift_period(unit, day, chosen)


def _opening(
    unit: Unit, recent: list[selectors.ShiftCount], form: IntegrityFilterForm
) -> tuple[selectors.Period, str]:
    """With nothing chosen, the report opens on the worst recent shift (the most flags in the
    last days), saying which and why; with none flagged, on the current shift."""
    current = recent[0]
    worst = selectors.worst_shift(recent)
    if worst is None:
        form.initial = {"day": current.day, "shift": current.shift}
        why = (
            f"No flags in the last {selectors.RECENT_DAYS} days: showing the current shift, "
            f"{current.period.label}."
        )
        return current.period, why
    form.initial = {"day": worst.day, "shift": worst.shift}
    why = (
        f"Opened on the {worst.period.label}: the most flags ({worst.flags}) of the "
        f"{len(recent)} shifts in the last {selectors.RECENT_DAYS} days."
    )
    if worst is not current:
        why += f" The current shift, {current.period.label}, has {current.flags}."
    return worst.period, why


def _shift_link(url: str, count: selectors.ShiftCount) -> str:
    return f"{url}?{urlencode({'day': count.day.isoformat(), 'shift': count.shift})}"


@route("units/<uuid:public_id>/integrity/", name="integrity")
@page("the integrity report: one audited read naming the unit, period and flagged persons", GET)
def integrity_report(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view_integrity")
    staff = list(people_selectors.staff_visible_to(request.user).filter(home_units=unit).distinct())
    form = IntegrityFilterForm(request.GET or None, staff=staff)
    recent = selectors.recent_shifts(request.user, unit)
    opening = ""
    if request.GET:
        period = _period(unit, form)
    else:
        period, opening = _opening(unit, recent, form)
    chosen = form.staff_by_id.get(form.cleaned_data.get("staff", "")) if form.is_valid() else None
    report = selectors.integrity_report(request.user, unit, period, staff=chosen)
    zone = ZoneInfo(unit.time_zone)
    groups = []
    for kind, label, flags in report.groups:
        per_staff: dict[int, int] = {}
        for flag in flags:
            per_staff[flag.staff] = per_staff.get(flag.staff, 0) + 1  # type: ignore[index,call-overload]
        groups.append(
            {
                "kind": kind,
                "label": label,
                "count": len(flags),
                "per_staff": [(report.staff[pk], n) for pk, n in per_staff.items()],
                "flags": [
                    {
                        "flag": flag,
                        "staff": report.staff[flag.staff],  # type: ignore[index]
                        "severity": integrity.Severity.LABELS[flag.severity],
                        "evidence": [report.evidence[i] for i in flag.check_ids],  # type: ignore[index]
                    }
                    for flag in flags
                ],
            }
        )
    url = reverse("rounds:integrity", kwargs={"public_id": unit.public_id})
    context = {
        "unit": unit,
        "form": form,
        "report": report,
        "groups": groups,
        "opening": opening,
        "recent": [(count, _shift_link(url, count), count.period == period) for count in recent],
        "recent_days": selectors.RECENT_DAYS,
        "period_start": clock.local(period.start, zone),
        "period_end": clock.local(period.end, zone),
        "zone_name": unit.time_zone,
        "kinds": [(k, integrity.Kind.LABELS[k]) for k in integrity.Kind.ORDER],
        "severity_labels": integrity.Severity.LABELS,
    }
    return render(request, "rounds/integrity_report.html", context)


@route("checks/<uuid:public_id>/", name="check-detail")
@page("one check of a person served, audited by get_check_for", GET)
def check_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    check = selectors.get_check_for(request.user, public_id)
    unit = selectors.check_unit(check)
    zone_name = unit.time_zone if unit else "UTC"
    zone = ZoneInfo(zone_name)
    context = {
        "check": check,
        "unit": unit,
        "zone_name": zone_name,
        "observed_at": clock.local(check.observed_at, zone),
        "recorded_at": clock.local(check.recorded_at, zone),
        "delay_minutes": int(check.entry_delay.total_seconds() // 60),
        "addenda": [
            (a, clock.local(a.written_at, zone))
            for a in check.addenda.select_related("written_by").order_by("written_at", "pk")
        ],
        "can_integrity": unit is not None
        and policy.can(request.user, "rounds.view_integrity", unit),
    }
    return render(request, "rounds/check_detail.html", context)


urlpatterns = route.patterns

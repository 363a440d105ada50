"""The privacy officer's dashboard: access and disclosures per month, from the audit log and
the consents. Exports, Part 2 disclosures by basis (a consent, a medical emergency, the
program's own copy, the privacy officer's), emergency access grants, denied reads, consents
signed and revoked. Each figure drills down to the audit report filtered to the same events
(its own policy decides: the privacy officer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse

from pillars.audit.choices import Action, Category, Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.insights.dashboards import Bar, Chart, month_label
from pillars.insights.measures import months_of
from pillars.people.consent_models import Consent
from pillars.people.tenancy import in_organization

BASES = {
    "consent": "Part 2 disclosures under a consent",
    "emergency": "Part 2 disclosures in a medical emergency (42 CFR 2.51)",
    "program": "Part 2 copies made by the program that holds the record",
    "privacy": "Part 2 copies made by the privacy officer",
}
ROWS: list[tuple[str, str, str]] = [
    (
        "exports",
        "Exports",
        "Copies that left by the one export door (CSV, PDF, API copies): one per export event.",
    ),
    *[
        (
            f"part2-{basis}",
            label,
            "Reads of Part 2 records outside their program and exports holding Part 2 "
            "content, counted once per event by the basis it relied on.",
        )
        for basis, label in BASES.items()
    ],
    (
        "emergency",
        "Emergency access granted",
        "Break-the-glass grants (42 CFR 2.51): each names a person served, a reason and an hour.",
    ),
    (
        "denied",
        "Denied reads",
        "Attempts to read a record the policy layer refused (404 or 403), each an audit event.",
    ),
    ("consents-signed", "Consents signed", "Part 2 consents recorded, by the day signed."),
    ("consents-revoked", "Consents revoked", "Part 2 consents revoked, by when revoked."),
]
DEFINITIONS = {code: text for code, _, text in ROWS}
LABELS = {code: label for code, label, _ in ROWS}


def zone() -> ZoneInfo:
    return ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)


def _start(year: int, month: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(date(year, month, 1), time.min, tzinfo=tz)


@dataclass
class PrivacyBoard:
    first: date
    last: date
    months: list[tuple[int, int]]
    counts: dict[str, dict[tuple[int, int], int]]
    links: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)

    @property
    def header(self) -> list[str]:
        return [month_label(y, m) for y, m in self.months]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "label": LABELS[code],
                "definition": DEFINITIONS[code],
                "total": sum(self.counts[code].values()),
                "cells": [
                    (
                        month_label(*k),
                        self.counts[code].get(k, 0),
                        self.links.get(code, {}).get(k, ""),
                    )
                    for k in self.months
                ],
            }
            for code in LABELS
        ]

    def chart(self, code: str) -> Chart:
        bars = [
            Bar(
                month_label(y, m),
                self.counts[code].get((y, m), 0),
                f"{self.counts[code].get((y, m), 0):,}",
            )
            for y, m in self.months
        ]
        return Chart(f"privacy-{code}", LABELS[code], DEFINITIONS[code], "count", bars)


def _report_link(y: int, m: int, **filters: str) -> str:
    first = date(y, m, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    query = {"date_from": first.isoformat(), "date_to": last.isoformat(), **filters}
    return reverse("audit:report") + "?" + urlencode(query)


def build(user: Any, today: date | None = None) -> PrivacyBoard:
    """The last twelve months (this one included) in the organization's zone, of the events
    and consents of the user's own organization (another's are neither shown nor counted)."""
    events = policy.restrict(AuditEvent.objects.all(), user, "insights.view_privacy")
    consents = in_organization(Consent.objects.all(), user)
    tz = zone()
    today = today or clock.today_in(settings.PILLARS_DEFAULT_TIME_ZONE)
    first = (date(today.year - 1, today.month, 1) + timedelta(days=32)).replace(day=1)
    months = months_of(first, today)
    starts = [_start(y, m, tz) for y, m in months]
    end = _start(*((today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)), tz)

    def month_of(moment: datetime) -> tuple[int, int]:
        local = moment.astimezone(tz)
        return (local.year, local.month)

    counts: dict[str, dict[tuple[int, int], int]] = {code: {} for code in LABELS}
    # One grouped query per month boundary set: counting by ranges keeps it on the index of
    # occurred_at and out of any database's time-zone functions.
    for key, start, stop in zip(months, starts, [*starts[1:], end], strict=True):
        found = events.filter(occurred_at__gte=start, occurred_at__lt=stop).aggregate(
            exports=Count("pk", filter=Q(action=Action.EXPORT)),
            emergency=Count("pk", filter=Q(action=Action.EMERGENCY_ACCESS)),
            denied=Count("pk", filter=Q(action=Action.VIEW, outcome=Outcome.DENIED)),
        )
        for code in ("exports", "emergency", "denied"):
            counts[code][key] = found[code]
    disclosures = events.filter(
        occurred_at__gte=starts[0],
        occurred_at__lt=end,
        category=Category.SUBSTANCE_USE,
        outcome=Outcome.SUCCESS,
    ).filter(Q(object_id="part2-disclosure") | Q(action=Action.EXPORT))
    for occurred_at, detail in disclosures.values_list("occurred_at", "detail").iterator():
        raw = (detail or {}).get("disclosure")
        bases = {str(b) for b in raw} if isinstance(raw, list) else {str(raw)} if raw else set()
        for basis in bases & set(BASES):
            bucket = counts[f"part2-{basis}"]
            key = month_of(occurred_at)
            bucket[key] = bucket.get(key, 0) + 1
    for signed_on in consents.filter(signed_on__gte=first, signed_on__lte=today).values_list(
        "signed_on", flat=True
    ):
        key = (signed_on.year, signed_on.month)
        counts["consents-signed"][key] = counts["consents-signed"].get(key, 0) + 1
    for revoked_at in consents.filter(revoked_at__gte=starts[0], revoked_at__lt=end).values_list(
        "revoked_at", flat=True
    ):
        if revoked_at is None:  # the filter excludes it; the type does not know
            continue
        key = month_of(revoked_at)
        counts["consents-revoked"][key] = counts["consents-revoked"].get(key, 0) + 1
    board = PrivacyBoard(first, today, months, counts)
    filters: dict[str, dict[str, str]] = {
        "exports": {"action": Action.EXPORT},
        "emergency": {"action": Action.EMERGENCY_ACCESS},
        "denied": {"action": Action.VIEW, "outcome": Outcome.DENIED},
        **{f"part2-{b}": {"category": Category.SUBSTANCE_USE} for b in BASES},
    }
    board.links = {
        code: {(y, m): _report_link(y, m, **{k: str(v) for k, v in f.items()}) for y, m in months}
        for code, f in filters.items()
    }
    return board

"""Reads of recovery capital: the instruments, a person's assessments, the trend per
instrument with per-subscale change between the first and latest administration."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from pillars.core import policy
from pillars.people.models import PersonServed
from pillars.recovery.models.capital import (
    Assessment,
    Instrument,
    InstrumentItem,
    InstrumentSubscale,
)
from pillars.recovery.selectors.charts import LineChart, line_chart
from pillars.recovery.selectors.person_reads import get_person_record_for


def instruments(*, active_only: bool = True) -> QuerySet[Instrument]:
    """The instruments with their subscales and items (reference data, not about anyone)."""
    qs = Instrument.objects.prefetch_related(
        Prefetch("items", queryset=InstrumentItem.objects.select_related("subscale")),
        Prefetch("subscales", queryset=InstrumentSubscale.objects.order_by("sort_order", "id")),
    )
    return qs.filter(is_active=True) if active_only else qs


def get_instrument(user: Any, code: str, action: str = "recovery.view_instruments") -> Instrument:
    """An active instrument by its code; 404 when there is none."""
    instrument = instruments().filter(code=str(code)[:40]).first()
    if instrument is None:
        raise Http404("Not found")
    policy.require(user, action, instrument)
    return instrument


def assessments_of(person: PersonServed, user: Any = None) -> QuerySet[Assessment]:
    """The person's assessments the user may read, oldest first (the caller checked scope)."""
    return (
        policy.readable(Assessment.objects.filter(person=person), user)
        .select_related("instrument", "recorded_by")
        .order_by("administered_on", "recorded_at", "id")
    )


def get_assessment_for(
    user: Any, public_id: Any, action: str = "recovery.view_capital", *, what: str
) -> Assessment:
    assessments = Assessment.objects.select_related("person", "instrument", "recorded_by")
    return get_person_record_for(assessments, user, public_id, action, what=what)


@dataclass
class SubscaleChange:
    code: str
    name: str
    first: Decimal
    latest: Decimal

    @property
    def change(self) -> Decimal:
        return self.latest - self.first


@dataclass
class Trend:
    """One instrument's history for one person: the rows (not voided), the chart, and the
    change per subscale between the first and the latest administration."""

    instrument: Instrument
    rows: list[Assessment]
    chart: LineChart
    low: float
    high: float
    changes: list[SubscaleChange] = field(default_factory=list)

    @property
    def total_change(self) -> Decimal | None:
        if len(self.rows) < 2:
            return None
        return self.rows[-1].total - self.rows[0].total


def trend(instrument: Instrument, rows: list[Assessment]) -> Trend:
    """The trend of one instrument from the person's assessments of it (voided ones left out)."""
    kept = [a for a in rows if a.instrument_id == instrument.pk and not a.is_void]
    items = len(instrument.items.all())
    low, high = instrument.total_range(items)
    chart = line_chart(
        [(a.administered_on, float(a.total)) for a in kept],
        low=low,
        high=high,
        title=f"{instrument.name} total",
        references=[
            (float(r["value"]), str(r.get("label", "")))
            for r in (instrument.reference_lines or [])
            if isinstance(r, dict) and "value" in r
        ],
    )
    changes = []
    if len(kept) >= 2:
        first, latest = kept[0].subscale_scores or {}, kept[-1].subscale_scores or {}
        for sub in instrument.subscales.all():
            if sub.code in first and sub.code in latest:
                changes.append(
                    SubscaleChange(
                        sub.code, sub.name, Decimal(first[sub.code]), Decimal(latest[sub.code])
                    )
                )
    return Trend(instrument, kept, chart, low, high, changes)


def trends_for(person: PersonServed, user: Any) -> list[Trend]:
    """A trend for each instrument the person has been assessed with, in the instruments'
    order (the caller checked the person's scope)."""
    rows = list(assessments_of(person, user))
    used = {a.instrument_id for a in rows}
    return [trend(i, rows) for i in instruments(active_only=False) if i.pk in used]

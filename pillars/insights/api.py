"""The measures in the JSON API (read-only): each measure's definition and its monthly values
for one unit (its leads) or the whole organization (the director), from the summary tables."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import READ_ERRORS
from pillars.core.declare import audited
from pillars.insights import dashboards, measures
from pillars.people.models import Unit

router = Router(tags=["insights"])


class MonthOut(Schema):
    month: str  # YYYY-MM
    value: float | None
    text: str


class MeasureOut(Schema):
    code: str
    name: str
    definition: str
    unit: str
    months: list[MonthOut]


class MeasuresOut(Schema):
    scope: str
    first: str
    last: str
    measures: list[MeasureOut]


@router.get(
    "/insights/measures",
    response={200: MeasuresOut, **READ_ERRORS},
    summary="Every measure with its definition and its value for each of the last twelve months",
)
@audited("the measures (dashboards.audit_read records the read)")
def measures_api(request: HttpRequest, unit: UUID | None = None) -> Status[MeasuresOut]:
    policy.require(request.user, "insights.view_measures")
    whole: measures.Whole
    if unit is not None:
        found = Unit.objects.filter(public_id=unit).first()
        if found is None:
            raise Http404("Not found")
        policy.require(request.user, "insights.view_unit", found)
        ids, scope, whole = [found.pk], f"unit {found.public_id}", ("unit", found.pk)
    else:
        policy.require(request.user, "insights.view_organization")
        ids = list(
            policy.restrict(
                Unit.objects.filter(is_active=True), request.user, "insights.view_organization"
            ).values_list("pk", flat=True)
        )
        scope, whole = "organization", measures.ORGANIZATION
    first, last = dashboards.period()
    monthly = measures.by_month(ids, first, last)
    months = measures.months_of(first, last)
    # The dashboard's release: the same small cells and complements hidden as on its screen,
    # and what the organization's other figures would give back (measures.hidden_across).
    cells = {key: monthly.get(key, {}) for key in months}
    across = measures.hidden_across(ids, first, last)
    hidden = {
        m.code: measures.hidden_cells(m, cells)
        | {key for key in months if (*whole, key) in across.get(m.code, ())}
        for m in measures.MEASURES
    }

    def shown(m: measures.Measure, key: tuple[int, int]) -> bool:
        return key not in hidden[m.code] and not m.is_small(cells[key])

    dashboards.audit_read(request.user, what="measures-api", scope=scope, unit_ids=ids, fmt="json")
    return Status(
        200,
        MeasuresOut(
            scope=scope,
            first=first.isoformat(),
            last=last.isoformat(),
            measures=[
                MeasureOut(
                    code=m.code,
                    name=m.name,
                    definition=m.definition,
                    unit=m.unit,
                    months=[
                        MonthOut(
                            month=f"{y:04d}-{mo:02d}",
                            value=m.value(cells[(y, mo)]) if shown(m, (y, mo)) else None,
                            text=m.format(cells[(y, mo)], hidden=(y, mo) in hidden[m.code]),
                        )
                        for y, mo in months
                    ],
                )
                for m in measures.MEASURES
            ],
        ),
    )

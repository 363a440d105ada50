"""The unit board (tablet first): the whole unit on one screen, one tap per check, a round of
the hall, and the polled refresh.

Recording a check answers three kinds of caller from the same service call: htmx gets the
updated row, the tablet's queue (``Accept: application/json``) gets JSON with 201/200 or problem
details with 403/404/409/422 (so it can tell a refusal from a dropped network), and a plain form
post (no JavaScript) is redirected back with a message.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET
from pydantic import ValidationError as PydanticValidationError

from pillars.audit import log as audit
from pillars.core import clock, policy
from pillars.core.api_errors import field_errors, problem, schema_errors
from pillars.core.declare import audit_exempt
from pillars.core.errors import Conflict, ValidationError
from pillars.core.pages import GET, POST, page
from pillars.core.routes import Routes
from pillars.core.templatetags.record_urls import record_url, route_url
from pillars.core.views import safe_next
from pillars.people import selectors as people_selectors
from pillars.people.choices import UnitKind
from pillars.people.models import Unit
from pillars.rounds import board_coverage, board_extras, selectors, services
from pillars.rounds.api.sync import CheckBatchIn, answer_batch
from pillars.rounds.choices import Activity, Location, SafetyStatus
from pillars.rounds.forms.board import CheckForm
from pillars.rounds.models import Check, ObservationOrder
from pillars.rounds.selectors import board as board_selectors

route = Routes()

POLL_SECONDS = 15
# The unit panels (restraint timers, reviews due, persons with no order) change by the minute,
# not by the tap: they refresh on their own, less often than the rows, and after every check.
PANEL_POLL_SECONDS = 60
ZERO_UUID = UUID(int=0)


def _zone(unit: Unit) -> ZoneInfo:
    return ZoneInfo(unit.time_zone)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def queue_key(request: HttpRequest) -> str:
    """Names the tablet's queue of unsent checks after the signed-in staff member (a keyed hash,
    never the id itself). A queue outlives a session that ended while offline and is sent under
    the same person's next sign-in; another person's sign-in never sends it (issue 11, item 2)."""
    user_id = str(getattr(request.user, "pk", "") or "")
    return salted_hmac("pillars.rounds.board.queue", user_id, algorithm="sha256").hexdigest()[:20]


def queue_owner(request: HttpRequest) -> str:
    """Who must sign in to send a queue left on the tablet: the staff member's name (never a
    person served's)."""
    staff = getattr(request.user, "staff", None)
    return staff.display_name if staff else request.user.get_username()


# The unit's other floor pages: (label, url name, policy action, how the unit is passed).
UNIT_TOOLS: tuple[tuple[str, str, str, str], ...] = (
    ("Assign the shift", "rounds:assign", "rounds.assign", "path"),
    ("1:1 coverage", "rounds:coverage", "rounds.view", "path"),
    ("Handoffs", "rounds:handoff-list", "rounds.view_handoffs", "path"),
    ("Inspections", "rounds:inspection-list", "rounds.view_inspections", "query"),
    ("Work orders", "rounds:workorder-list", "rounds.view_inspections", "query"),
    ("Integrity report", "rounds:integrity", "rounds.view_integrity", "path"),
    ("Room codes", "rounds:room-codes", "rounds.assign", "path"),
    ("Scan a room code", "rounds:scan", "rounds.record_check", "none"),
    ("Set-aside checks", "rounds:set-aside-list", "rounds.resolve_set_aside", "path"),
)


def unit_tools(user: Any, unit: Unit) -> list[tuple[str, str]]:
    """Links from the board to the unit's other floor pages the user may open."""
    links = []
    for label, name, action, how in UNIT_TOOLS:
        if not policy.can(user, action):
            continue
        if how == "path":
            url = record_url(name, unit.public_id)
        elif how == "query":
            url = f"{route_url(name)}?unit={unit.public_id}"
        else:
            url = route_url(name)
        links.append((label, url))
    return links


def _board_context(
    request: HttpRequest, unit: Unit, *, what: str = "unit board", with_panels: bool = True
) -> dict[str, Any]:
    """What the board, its polled rows and the round show. The polled rows leave the panels
    out (they have their own, slower refresh: ``board_panels``), so a poll every few seconds
    from every tablet reads and renders the rows only."""
    mine = request.GET.get("mine") == "1"
    board_url = record_url("rounds:board", unit.public_id)
    # The board's read and the Part 2 disclosures its rows and panels make (a row read under a
    # consent) are logged together, in one transaction, before anything is shown.
    with audit.together():
        # Room order on the board too, never most-urgent-first: rows that re-sort on every poll
        # and after every tap move under the finger (issue 11, item 5). Urgency is on each row.
        rows = board_selectors.board_rows(request.user, unit, mine=mine, sort="room", what=what)
        _add_extras(request, unit, rows, panels=with_panels)
        panels = board_extras.panels(request, unit) if with_panels else []
    return {
        "panels": panels,
        "unit": unit,
        "zone": _zone(unit),
        "rows": rows,
        "mine": mine,
        "now": clock.local(clock.now(), unit.time_zone),
        "can_record": policy.can(request.user, "rounds.record_check"),
        "can_pause": policy.can(request.user, "rounds.pause"),
        "unit_tools": unit_tools(request.user, unit),
        # The alert badge reads the top bar's count (people.context_processors.inbox).
        "locations": Location.choices,
        "activities": Activity.choices,
        "safety_statuses": SafetyStatus.choices,
        "poll_seconds": POLL_SECONDS,
        "queue_key": queue_key(request),
        "queue_owner": queue_owner(request),
        "new_client_id": uuid4,
        "back_url": board_url + ("?mine=1" if mine else ""),
        "round_url": record_url("rounds:round", unit.public_id) + ("?mine=1" if mine else ""),
        "rows_url": record_url("rounds:board-rows", unit.public_id) + ("?mine=1" if mine else ""),
        "panels_url": record_url("rounds:board-panels", unit.public_id),
        "panel_poll_seconds": PANEL_POLL_SECONDS,
        "board_url": board_url,
        "check_url_template": record_url("rounds:check-record", ZERO_UUID),
        "batch_url": route_url("rounds:check-batch"),
        "set_aside_url": route_url("rounds:check-set-aside"),
        "worker_url": route_url("rounds:offline-worker"),
    }


def _unit_board(
    request: HttpRequest, public_id: UUID, template: str, **options: Any
) -> HttpResponse:
    """A unit's board drawn with ``template`` (the board, or the round of the hall; ``options``
    go to ``_board_context``). A community program has participants enrolled and no beds or
    observation rounds: the user is sent to its list of participants, told why."""
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    if unit.kind == UnitKind.COMMUNITY:
        messages.info(
            request,
            f"{unit.name} is a community program: participants are enrolled, not on observation "
            "rounds, so it has no unit board. Here are its participants.",
        )
        return redirect("people:unit-detail", public_id=unit.public_id)
    return render(request, template, _board_context(request, unit, **options))


@route("", name="board-list")
@page("lists the user's units with a link to each board (no person is named)", GET)
def board_list(request: HttpRequest) -> HttpResponse:
    units = list(board_selectors.board_units_for(request.user).order_by("site__name", "name"))
    return render(request, "rounds/board_list.html", {"units": units})


@route("units/<uuid:public_id>/board/", name="board")
@page("the unit board: persons on observation with their clocks (one audited list read)", GET)
def board(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _unit_board(request, public_id, "rounds/board.html")


@route("units/<uuid:public_id>/board/rows/", name="board-rows")
@page("the board's polled rows (one audited list read each refresh)", GET)
def board_rows(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    return render(
        request,
        "rounds/partials/_board_rows.html",
        _board_context(request, unit, with_panels=False),
    )


@route("units/<uuid:public_id>/board/panels/", name="board-panels")
@page("the board's unit panels: one audited list read of the unit's persons they draw on", GET)
def board_panels(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The panels above the board's rows (other apps' counts and lists for the unit), refreshed
    on their own every ``PANEL_POLL_SECONDS`` and after each check."""
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    with audit.together():
        board_selectors.record_panels_read(request.user, unit)
        panels = board_extras.panels(request, unit)
    return render(
        request,
        "rounds/partials/_board_panels.html",
        {"panels": panels, "unit": unit, "zone": _zone(unit)},
    )


@route("units/<uuid:public_id>/round/", name="round")
@page("round the hall: the unit (or the user's assignment) in room order, audited as one read", GET)
def round_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _unit_board(request, public_id, "rounds/board_round.html", what="round")


@route("checks/batch/", name="check-batch")
@page("records the tablet's queued checks in one request (record_checks audits each item)", POST)
def check_batch(request: HttpRequest) -> HttpResponse:
    """The board's offline queue, drained in one session-signed request through the API's batch
    handler (issue 13): the same schema, per-item answers and client-id idempotency. A
    schema-invalid item is named by its index (``checks.3.location``) so the tablet can set that
    one aside and send the rest."""
    if not policy.can(request.user, "rounds.record_check"):
        return problem(403, "You do not have permission to do that.")
    try:
        payload = CheckBatchIn.model_validate_json(request.body or b"{}")
    except PydanticValidationError as exc:
        errors = schema_errors(exc)
        return problem(422, "A queued check is not valid.", errors=errors)
    try:
        answer = answer_batch(payload, actor=request.user)
    except PermissionDenied:
        return problem(403, "You do not have permission to do that.")
    except ValidationError as exc:
        return problem(422, "The checks could not be sent.", errors=field_errors(exc))
    return JsonResponse(answer.model_dump(mode="json"))


@route("offline/", name="offline")
@audit_exempt("the offline page: fixed text, no one named, cached by the service worker")
@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    return render(request, "rounds/offline.html")


WORKER = settings.BASE_DIR / "static" / "js" / "offline-worker.js"


@route("offline-worker.js", name="offline-worker")
@audit_exempt("the service worker script: static code, no data")
@require_GET
def offline_worker(request: HttpRequest) -> HttpResponse:
    """Served from a view, not /static/, so it may control every page (``Service-Worker-Allowed``)
    and a browser re-checks it (no long cache)."""
    response = HttpResponse(WORKER.read_bytes(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def _check_json(check: Check) -> dict[str, Any]:
    return {
        "public_id": str(check.public_id),
        "client_id": str(check.client_id),
        "order": str(check.order.public_id),
        "observed_at": check.observed_at.isoformat(),
        "recorded_at": check.recorded_at.isoformat(),
        "location": check.location,
        "activity": check.activity,
        "safety_status": check.safety_status,
        "is_late_entry": check.is_late_entry,
    }


def _back(request: HttpRequest, order: ObservationOrder | None) -> HttpResponse:
    # The page the form came from, when ``next`` names a path on this site; else the boards.
    return redirect(safe_next(request, route_url("rounds:board-list")))


def _refused(
    request: HttpRequest,
    order: ObservationOrder | None,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    if _wants_json(request):
        return problem(status, detail, errors=errors)
    if status in (403, 404):
        raise PermissionDenied(detail) if status == 403 else Http404(detail)
    if _is_htmx(request) and order is not None:
        return render(
            request,
            "rounds/partials/_board_row.html",
            _row_context(request, order, error=detail, errors=errors or {}),
        )
    messages.error(request, f"{detail} Nothing was saved.")
    return _back(request, order)


def _add_extras(request: HttpRequest, unit: Unit, rows: list[Any], *, panels: bool = False) -> None:
    """What other apps show on each row (board_extras), read once for all the rows, with what
    the panels read when they are drawn too; the coverage links are drawn from the rows'
    orders as read."""
    board_coverage.share_orders(request, unit, [row.order for row in rows])
    board_extras.share_persons(request, unit, [row.person for row in rows])
    persons = [row.order.person_id for row in rows]
    extras = board_extras.row_extras(request, unit, persons, panels=panels)
    for row in rows:
        row.extras = extras.get(row.order.person_id, [])


def _row_context(request: HttpRequest, order: ObservationOrder, **extra: Any) -> dict[str, Any]:
    unit, row = board_selectors.board_row(request.user, order)
    _add_extras(request, unit, [row])
    return {
        "row": row,
        "unit": unit,
        "zone": _zone(unit),
        "can_record": policy.can(request.user, "rounds.record_check"),
        "can_pause": policy.can(request.user, "rounds.pause"),
        "unit_tools": unit_tools(request.user, unit),
        "back_url": record_url("rounds:board", unit.public_id),
        "locations": Location.choices,
        "activities": Activity.choices,
        "safety_statuses": SafetyStatus.choices,
        "new_client_id": uuid4,
        **extra,
    }


@route("orders/<uuid:public_id>/check/", name="check-record")
@page("records one check (record_check audits it); the updated row is an audited read", POST)
def check_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        order = selectors.get_order_for(request.user, public_id, "rounds.record_check")
    except Http404:
        return _refused(request, None, 404, "That record is not available.")
    except PermissionDenied:
        return _refused(request, None, 403, "You do not have permission to do that.")
    form = CheckForm(request.POST)
    if not form.is_valid():
        errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
        first = next(iter(errors.values()))[0]
        return _refused(request, order, 422, first, errors)
    data = form.cleaned_data
    client_id = data["client_id"] or uuid4()
    replay = Check.objects.filter(client_id=client_id).exists()
    try:
        check = services.record_check(
            order,
            actor=request.user,
            observed_at=data["observed_at"],
            location=data["location"],
            activity=data["activity"],
            safety_status=data["safety_status"] or SafetyStatus.SAFE,
            client_id=client_id,
            note=data["note"],
            late_reason=data["late_reason"],
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        first = next(iter(errors.values()), ["The check is not valid."])[0]
        return _refused(request, order, 422, first, errors)
    except Conflict as exc:
        return _refused(request, order, 409, exc.message)
    if _wants_json(request):
        return JsonResponse(_check_json(check), status=200 if replay else 201)
    if _is_htmx(request):
        return render(
            request, "rounds/partials/_board_row.html", _row_context(request, order, saved=True)
        )
    messages.success(request, f"Check recorded for {order.person.display_name}.")
    return _back(request, order)


urlpatterns = route.patterns

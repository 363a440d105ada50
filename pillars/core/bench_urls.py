"""Routes that exist only when PILLARS_BENCH is on (never in production): the baseline views."""

import json

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pillars.core.declare import audit_exempt

# A bench-only table, made by the benchmark in its throwaway database (never a model).
BENCH_TABLE = "bench_row"


@audit_exempt("benchmark baseline: a bare view with no data")
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
@audit_exempt("benchmark baseline: a bare POST that inserts one row into a bench-only table")
def bare_insert(request: HttpRequest) -> HttpResponse:
    """The least a Django POST that stores something does: parse JSON, insert one row in a
    transaction, answer JSON."""
    body = json.loads(request.body or b"{}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BENCH_TABLE} (client_id, body) VALUES (%s, %s)",  # noqa: S608
            [str(body.get("client_id", "")), json.dumps(body)],
        )
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [
    path("bare", bare, name="bench-bare"),
    path("bare-insert", bare_insert, name="bench-bare-insert"),
]

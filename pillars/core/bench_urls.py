"""Routes that exist only when PILLARS_BENCH is on (never in production): the baseline view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from pillars.core.declare import audit_exempt


@audit_exempt("benchmark baseline: a bare view with no data")
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare", bare, name="bench-bare")]

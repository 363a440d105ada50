"""Top-level routes. Each app owns its own ``urls.py``."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from pillars.api import api
from pillars.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("", include("pillars.core.urls")),
    # The unit tablet pages keep their /account/ paths: tablets have them bookmarked.
    path("account/", include("pillars.people.tablet_urls")),
    path("people/", include("pillars.people.urls")),
    path("audit/", include("pillars.audit.urls")),
    # The alert inbox keeps its /rounds/ paths: pages, bookmarks and boards poll them.
    path("rounds/", include("pillars.people.inbox_urls")),
    path("rounds/", include("pillars.rounds.urls")),
    path("incidents/", include("pillars.incidents.urls")),
    path("recovery/", include("pillars.recovery.urls")),
    path("insights/", include("pillars.insights.packet_views")),
    path("workforce/", include("pillars.workforce.urls")),
    path("insights/", include("pillars.insights.urls")),
    path("fhir/", include("pillars.insights.fhir.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

if settings.BENCH_VIEWS:
    urlpatterns.append(path("bench/", include("pillars.core.bench_urls")))
    urlpatterns.append(path("bench/rounds/", include("pillars.rounds.bench")))

handler403 = "pillars.core.views.error_403"
handler404 = "pillars.core.views.error_404"
handler500 = "pillars.core.views.error_500"

"""The FHIR Bulk Data routes, mounted at ``/fhir/``."""

from pillars.insights.fhir import views

app_name = "fhir"

urlpatterns = views.route.patterns

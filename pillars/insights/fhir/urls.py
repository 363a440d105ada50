"""The FHIR Bulk Data routes, mounted at ``/fhir/``."""

from django.urls import path

from pillars.insights.fhir import views

app_name = "fhir"

urlpatterns = [
    path("$export", views.system_export, name="export"),
    path("Patient/$export", views.patient_export, name="patient-export"),
    path("Group/<uuid:group_id>/$export", views.group_export, name="group-export"),
    path("$export-status/<uuid:job_id>", views.export_status, name="export-status"),
    path("$export-files/<uuid:job_id>/<str:name>", views.export_file, name="export-file"),
]

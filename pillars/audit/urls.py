from django.urls import path

from pillars.audit import views

app_name = "audit"

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report-csv"),
    path("verify/", views.verify, name="verify"),
]

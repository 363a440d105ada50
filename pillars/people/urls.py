from django.urls import path

from pillars.people import views
from pillars.people.consent_views import urlpatterns as consent_urls

app_name = "people"

urlpatterns = [
    path("persons/", views.person_list, name="person-list"),
    path("persons/new/", views.person_create, name="person-create"),
    path("persons/<uuid:public_id>/", views.person_detail, name="person-detail"),
    path(
        "persons/<uuid:public_id>/sections/<slug:key>/",
        views.person_section,
        name="person-section",
    ),
    path("persons/<uuid:public_id>/edit/", views.person_edit, name="person-edit"),
    path("persons/<uuid:public_id>/admit/", views.person_admit, name="person-admit"),
    path("persons/<uuid:public_id>/transfer/", views.person_transfer, name="person-transfer"),
    path("persons/<uuid:public_id>/discharge/", views.person_discharge, name="person-discharge"),
    path("persons/<uuid:public_id>/caseload/", views.caseload_assign, name="caseload-assign"),
    path("caseload/<uuid:public_id>/end/", views.caseload_end, name="caseload-end"),
    path("admissions/", views.admission, name="admission"),
    path("units/", views.unit_list, name="unit-list"),
    path("units/<uuid:public_id>/", views.unit_detail, name="unit-detail"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<uuid:public_id>/", views.staff_detail, name="staff-detail"),
    path("staff/<uuid:public_id>/edit/", views.staff_edit, name="staff-edit"),
    path("staff/<uuid:public_id>/profile/", views.staff_own_profile, name="staff-own-profile"),
    path("staff/<uuid:public_id>/roles/", views.staff_roles, name="staff-roles"),
    path("staff/<uuid:public_id>/exit/", views.staff_exit, name="staff-exit"),
    path("staff/<uuid:public_id>/access/", views.staff_access, name="staff-access"),
    path(
        "staff/<uuid:public_id>/access/unlock/",
        views.staff_access_unlock,
        name="staff-access-unlock",
    ),
    path(
        "staff/<uuid:public_id>/access/two-step/reset/",
        views.staff_access_two_factor,
        name="staff-access-two-factor",
    ),
    path(
        "staff/<uuid:public_id>/access/pin/reset/",
        views.staff_access_pin,
        name="staff-access-pin",
    ),
    path(
        "staff/<uuid:public_id>/access/tablets/<uuid:device_id>/revoke/",
        views.staff_access_tablet,
        name="staff-access-tablet",
    ),
    path("import/", views.import_view, name="import"),
    path("emergency/", views.emergency_start, name="emergency-start"),
    path("emergency/reviews/", views.emergency_review_list, name="emergency-review-list"),
    path("emergency/reviews/<uuid:public_id>/", views.emergency_review, name="emergency-review"),
    *consent_urls,
]

"""The shared unit tablet pages, mounted at ``account/`` beside sign-in: their paths are the
ones tablets have bookmarked since these pages lived in core."""

from django.urls import path

from pillars.people import tablet_views

app_name = "tablets"

urlpatterns = [
    path("tablet/register/", tablet_views.tablet_register, name="register"),
    path("tablet/forget/", tablet_views.tablet_forget, name="forget"),
    path("tablet/switch/", tablet_views.tablet_switch, name="switch"),
    path("pin/", tablet_views.pin_set, name="pin"),
]

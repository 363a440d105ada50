"""Pages of the restraint area."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

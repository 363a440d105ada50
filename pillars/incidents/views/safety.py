"""Pages of the safety area."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
